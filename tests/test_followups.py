"""Smart follow-ups: a lead's time zone from its place, its best time to call from its engagement
(or its industry's default), the follow-up policy file's checks, and the ranked "who should I call
today?" list on SQLite and PostgreSQL — whose leads, who is due, whose window falls today — and the
agent answering it. The clock is pinned to Friday 2026-11-20 12:00 UTC."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from leadpilot.agent.runner import run_agent
from leadpilot.interfaces.deps_factory import make_deps, viewer_for
from leadpilot.memory.models import Activity, Lead
from leadpilot.memory.pipeline import FollowUpTask
from leadpilot.memory.timezones import lead_zone
from leadpilot.tools.followups.best_time import Engagement, best_time, signal_of
from leadpilot.tools.followups.policy import FollowUpPolicyError, default_policy_path, load_policy, parse_policy, policy_in_force
from leadpilot.tools.followups.daily import FollowUpError, FollowUpQuery, follow_ups_due
from leadpilot.tools.leads.filter import LeadFilter, Viewer

from conftest import NOW
from small_team import ANA, BEN, add_team

NEW_YORK, TOKYO, BERLIN = ZoneInfo("America/New_York"), ZoneInfo("Asia/Tokyo"), ZoneInfo("Europe/Berlin")


def local(zone: ZoneInfo, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=zone).astimezone(timezone.utc)


# --- time zones -------------------------------------------------------------------------------


def test_time_zone_fallback_chain():
    assert lead_zone(city="San Francisco", state="CA", country="US").zone == "America/Los_Angeles"
    guess = lead_zone(city="Springfield", state="Illinois", country="United States")
    assert (guess.zone, guess.source, guess.detail) == ("America/Chicago", "state", "state IL, US")
    assert lead_zone(city="Lyon", state=None, country="FR").zone == "Europe/Paris"  # a one-zone country, from tzdata
    assert lead_zone(city=None, state=None, country="AU").zone == "Australia/Sydney"  # the main zone of a multi-zone country
    assert lead_zone(city="Perth", state=None, country="AU").zone == "Australia/Perth"
    owner = lead_zone(city=None, state=None, country=None, owner_zone="Asia/Tokyo")
    assert (owner.zone, owner.source) == ("Asia/Tokyo", "owner")
    assert lead_zone(city=None, state=None, country="Atlantis", owner_zone="Not/AZone").source == "default"


# --- the best time ----------------------------------------------------------------------------


def test_signals_are_the_leads_own_engagement():
    assert signal_of("email_opened", "inbound", None) == "email_opened"
    assert signal_of("email_sent", "outbound", None) is None  # our emails say nothing about their hours
    assert signal_of("call", "outbound", {"outcome": "voicemail"}) is None
    assert signal_of("call", "outbound", {"outcome": "connected"}) == "call_connected"
    assert signal_of("call", "inbound", None) == "call_inbound"


def test_best_time_from_history_in_local_time_and_the_viewers():
    policy = load_policy()
    opens = [local(NEW_YORK, 11, 10, 9, 30), local(NEW_YORK, 11, 11, 10, 15), local(NEW_YORK, 11, 12, 9, 5),
             local(NEW_YORK, 10, 29, 10, 40), local(NEW_YORK, 11, 14, 22)]  # Tue, Wed, Thu, Thu (summer time), and a Saturday night
    zone = lead_zone(city="New York", state="NY", country="US")
    result = best_time(lead_id=1, company="Acme", industry="fintech", zone=zone, events=[Engagement("email_opened", t) for t in opens],
                       policy=policy, now=NOW, viewer_zone="Europe/Berlin")
    assert (result.window, result.timezone, result.basis, result.events, result.in_window) == ("Tue–Thu 09:00–11:00", "America/New_York", "history", 5, 4)
    assert result.why == "opened 4 of 5 emails Tue–Thu 09:00–11:00 local; medium confidence, based on 5 events"
    assert result.next_local == "Tue 24 Nov 09:00–11:00 America/New_York"
    assert result.next_viewer == "Tue 24 Nov 15:00–17:00 Europe/Berlin"
    assert result.timezone_source == "city New York, US"


def test_confidence_mixed_signals_and_the_industry_default():
    policy = load_policy()
    zone = lead_zone(city="Berlin", state=None, country="DE")
    many = [Engagement("email_clicked", local(BERLIN, 11, d, 14, 10)) for d in (2, 3, 4, 9, 10, 11)]
    many += [Engagement("call_connected", local(BERLIN, 11, 12, 15)), Engagement("page_view", local(BERLIN, 11, 13, 8))]
    high = best_time(lead_id=2, company=None, industry="saas", zone=zone, events=many, policy=policy, now=NOW)
    assert (high.window, high.confidence) == ("Mon–Thu 14:00–16:00", "high")
    assert high.why.startswith("7 of 8 engagements (6 email clicks, 1 answered call) fell Mon–Thu 14:00–16:00 local")

    few = [Engagement("email_opened", local(BERLIN, 11, 2, 14)), Engagement("page_view", NOW - timedelta(days=400))]
    default = best_time(lead_id=3, company=None, industry="fintech", zone=zone, events=few, policy=policy, now=NOW)
    assert (default.basis, default.window, default.events) == ("default", "Tue–Thu 09:00–11:00", 1)
    assert default.why == "industry default for fintech (only 1 engagement event in the last 180 days)"
    unknown = best_time(lead_id=4, company=None, industry=None, zone=zone, events=[], policy=policy, now=NOW)
    assert unknown.why.startswith("general default (no engagement history") and unknown.window == "Tue–Thu 10:00–12:00"


# --- the policy file --------------------------------------------------------------------------


def test_a_broken_policy_names_the_file_the_key_and_the_fix(tmp_path: Path):
    text = default_policy_path().read_text(encoding="utf-8")
    broken = text.replace("days: [tue, wed, thu]\n  start: \"10:00\"", "days: [tue, wednes, thu]\n  start: 10:00").replace(
        "  fintech: {days: [tue, wed, thu]", "  fintch: {days: [tue, wed, thu]").replace("cadence_days:\n  hot: 2", "cadence_days:\n  hot: -2")
    path = tmp_path / "followups.yaml"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(FollowUpPolicyError) as raised:
        load_policy(path)
    message = str(raised.value)
    assert message.startswith(f"Follow-up policy {path} is invalid (4 problems)")
    assert "default.days[1]: unknown weekday 'wednes'" in message
    assert 'default.start: write the time in quotes, e.g. "09:00" (got the number 600)' in message
    assert "industries.fintch: unknown industry 'fintch' — did you mean 'fintech'?" in message
    assert "cadence_days.hot: must be a whole number from 0 to 365 (got -2)" in message
    assert "line " in message
    with pytest.raises(FollowUpPolicyError, match=r"end \(09:00\) must be after start \(10:00\)"):
        parse_policy('cadence_days: {hot: 1}\ndefault: {days: [mon], start: "10:00", end: "09:00"}\n', path=path)


def test_the_policy_in_force_survives_a_broken_edit(tmp_path: Path):
    path = tmp_path / "followups.yaml"
    path.write_text('cadence_days: {hot: 3}\ndefault: {days: [mon], start: "10:00", end: "11:00"}\n', encoding="utf-8")
    assert policy_in_force(path).cadence_days == {"hot": 3}
    path.write_text("cadence_days: {hot: [\n", encoding="utf-8")
    assert policy_in_force(path).cadence_days == {"hot": 3}  # the last good version stays


# --- the follow-up list -----------------------------------------------------------------------

# id, company, owner, tier, score, stage, city, state, country, industry, days since last contact (None = never), snoozed days
LEADS = [
    (1, "Ledgerly", "ana", "hot", 90, "PROSPECT", "New York", "NY", "US", "fintech", 5, None),
    (2, "Coinbridge", "ana", "hot", 85, "PROSPECT", "San Francisco", "CA", "US", None, 1, None),
    (3, "Fundsy", "ana", "warm", 60, "LEAD", "London", None, "GB", "fintech", None, None),
    (4, "Paywise", "ana", "warm", 55, "LEAD", "Berlin", None, "DE", "saas", 10, None),
    (5, "Vaultline", "ben", "hot", 88, "LEAD", "Boston", "MA", "US", "banking", None, None),
    (6, "Snoozy", "ana", "hot", 80, "LEAD", "New York", "NY", "US", "fintech", None, 2),
    (7, "Wonco", "ana", "hot", 95, "CUSTOMER", "New York", "NY", "US", "fintech", 30, None),
    (8, "Coldco", "ana", "cold", 20, "LEAD", "New York", "NY", "US", "fintech", None, None),
    (9, "Tokyo Pay", "ana", "hot", 70, "PROSPECT", "Tokyo", None, "JP", "fintech", 3, None),
]
ENGAGEMENT = [  # earlier Fridays; 23 and 30 October are still summer time in New York
    *[(1, "email_opened", local(NEW_YORK, m, d, 9, 30)) for m, d in ((10, 23), (10, 30), (11, 6), (11, 13))],
    (1, "email_opened", local(NEW_YORK, 11, 17, 20)),  # a Tuesday evening: the one outside the window
    *[(4, "page_view", local(BERLIN, 11, d, 14, 30)) for d in (6, 13, 13)],
    *[(5, "email_clicked", local(NEW_YORK, 11, d, 10)) for d in (6, 13, 13)],
    *[(6, "email_opened", local(NEW_YORK, 11, d, 10)) for d in (6, 13, 13)],
    *[(9, "email_opened", local(TOKYO, 11, d, 9, 30)) for d in (6, 13, 13)],
]


@pytest.fixture
def store(db):
    with db.transaction() as session:
        reps = add_team(session)
        for lead_id, company, owner, tier, score, stage, city, state, country, industry, days, snoozed in LEADS:
            session.add(Lead(
                id=lead_id, company=company, owner_id=reps[owner].id, tier=tier, score=score, stage=stage, city=city, state=state,
                country=country, industry=industry, source="organic", created_at=NOW - timedelta(days=60), updated_at=NOW,
                last_contacted_at=NOW - timedelta(days=days) if days is not None else None,
                snoozed_until=NOW + timedelta(days=snoozed) if snoozed else None,
            ))
        session.flush()
        for lead_id, kind, when in ENGAGEMENT:
            session.add(Activity(lead_id=lead_id, kind=kind, direction="inbound", occurred_at=when))
    return db


def due(db, *, viewer: Viewer, day: str = "today", **filter_args):
    with db.session() as session:
        return follow_ups_due(session, query=FollowUpQuery(day=day, filter=LeadFilter(**filter_args)), viewer=viewer, now=NOW,
                              policy=load_policy(), row_cap=1000)


def test_a_reps_list_for_today_is_ranked_and_explained(store):
    result = due(store, viewer=viewer_for(store, email=ANA))
    assert [lead["id"] for lead in result.leads] == [1, 4, 9]  # hot then warm; Tokyo's window today has passed
    assert result.not_today == 1  # Fundsy: due, but fintech's default days are Tue-Thu
    first = result.leads[0]["follow_up"]
    assert first["reason"] == "hot, last contacted 5 days ago (hot: every 2 days)"
    assert first["why_this_time"] == "opened 4 of 5 emails Fri 09:00–11:00 local; medium confidence, based on 5 events"
    assert first["suggested_time"] == "Fri 20 Nov 06:00–08:00 America/Los_Angeles"  # in Ana's time zone
    assert (first["best_time"], first["window_passed"]) == ("Fri 09:00–11:00 America/New_York", False)
    tokyo = result.leads[2]["follow_up"]
    assert tokyo["window_passed"] and "has passed" in tokyo["suggested_time"]
    assert result.filters_applied[:2] == ["due today", f"owner: {ANA} (you)"]


def test_whose_list_and_which_day(store):
    manager = viewer_for(store, email="mo@team.io")
    assert [lead["id"] for lead in due(store, viewer=manager).leads] == [5, 1, 4, 9]  # never contacted is the most overdue
    bens = due(store, viewer=manager, owner=[BEN])
    assert [lead["id"] for lead in bens.leads] == [5] and bens.leads[0]["follow_up"]["suggested_time"].endswith("Europe/Berlin")
    with pytest.raises(FollowUpError, match="Reps see their own follow-ups only"):
        due(store, viewer=viewer_for(store, email=ANA), owner=[BEN])
    with pytest.raises(FollowUpError, match="not linked to a rep"):
        due(store, viewer=Viewer(role="rep"))
    ana = viewer_for(store, email=ANA)
    tuesday = due(store, viewer=ana, day="tuesday")
    assert [lead["id"] for lead in tuesday.leads] == [2, 3] and tuesday.day == "2026-11-24"  # Coinbridge is due again by then
    saturday = due(store, viewer=ana, day="tomorrow")
    assert saturday.leads == [] and saturday.not_today == 5  # Snoozy is still snoozed
    assert [lead["id"] for lead in due(store, viewer=ana, tier=["hot"], industry=["fintech"]).leads] == [1, 9]
    with pytest.raises(FollowUpError, match="in the past"):
        due(store, viewer=ana, day="2026-11-01")
    with pytest.raises(ValueError, match="unknown day 'someday'"):
        FollowUpQuery(day="someday")


def add_task(db, lead_id: int, *, kind: str, due_in_h: float, made_h_ago: float = 1, status: str = "open") -> None:
    with db.transaction() as session:
        lead = session.get(Lead, lead_id)
        session.add(FollowUpTask(lead_id=lead_id, rep_id=lead.owner_id, kind=kind, due_at=NOW + timedelta(hours=due_in_h),
                                 reason=f"new {lead.tier} lead", status=status, created_at=NOW - timedelta(hours=made_h_ago)))


def test_open_follow_up_tasks_due_today_come_first_whatever_the_window(store):
    """The pipeline's tasks (a call for a new hot lead, an email for a warm one) are on the list on
    the day they are due, even off the lead's best days, and off it once the rep has called."""
    add_task(store, 3, kind="email", due_in_h=3)  # Fundsy: due, but fintech's best days are Tue-Thu
    add_task(store, 8, kind="call", due_in_h=-2)  # Coldco: cold, overdue
    add_task(store, 4, kind="email", due_in_h=-200, made_h_ago=20 * 24)  # Paywise: contacted 10 days ago, after the task
    add_task(store, 9, kind="call", due_in_h=24)  # Tokyo Pay: due tomorrow
    add_task(store, 1, kind="call", due_in_h=1, status="done")
    add_task(store, 5, kind="call", due_in_h=1)  # Ben's
    ana = viewer_for(store, email=ANA)
    result = due(store, viewer=ana)
    assert [lead["id"] for lead in result.leads] == [8, 3, 1, 4, 9] and result.not_today == 0
    overdue, fundsy = result.leads[0]["follow_up"], result.leads[1]["follow_up"]
    assert overdue["reason"] == "call task due Fri 20 Nov 02:00 America/Los_Angeles (overdue): new cold lead; never contacted"
    assert overdue["suggested_time"] == "now (the task is overdue)" and overdue["task"]["kind"] == "call"
    assert fundsy["suggested_time"] == "by Fri 20 Nov 07:00 America/Los_Angeles (the task's deadline)"
    assert fundsy["window_passed"] is False and fundsy["window_start"] is None  # no window on a Friday
    assert all(lead["follow_up"]["task"] is None for lead in result.leads[2:])  # done, or done by calling
    # Saturday: no window falls on it; tasks not done carry over, then the one due that day.
    assert [lead["id"] for lead in due(store, viewer=ana, day="tomorrow").leads] == [8, 3, 9]
    assert [lead["id"] for lead in due(store, viewer=viewer_for(store, email="mo@team.io")).leads][:3] == [8, 5, 3]

    answer = run_agent("who should I call today?", deps=make_deps(store, viewer=ana))
    assert answer.answer.startswith("5 follow-ups for 2026-11-20") and "1. Coldco — call task due" in answer.answer


def test_the_agent_answers_who_to_call_and_when_to_reach_a_lead(store):
    deps = make_deps(store, viewer=viewer_for(store, email=ANA))
    answer = run_agent("who should I call today?", deps=deps)
    assert answer.tool_calls == [{"name": "follow_ups_due", "args": {"day": "today"}}]
    assert [lead["id"] for lead in answer.leads] == [1, 4, 9]
    assert "3 follow-ups for 2026-11-20" in answer.answer and "opened 4 of 5 emails Fri 09:00–11:00 local" in answer.answer
    assert "1 more are due but their best day is another day" in answer.answer

    tomorrow = run_agent("my follow-ups for tomorrow", deps=deps)
    assert tomorrow.tool_calls == [{"name": "follow_ups_due", "args": {"day": "tomorrow"}}] and tomorrow.leads == []

    best = run_agent("best time to reach Ledgerly", deps=deps)
    assert best.tool_calls == [{"name": "best_time_to_contact", "args": {"company": "Ledgerly"}}]
    assert "Fri 09:00–11:00 America/New_York" in best.answer and "(your time)" in best.answer
    assert best.leads[0]["best_time"]["next_viewer"] == "Fri 20 Nov 06:00–08:00 America/Los_Angeles"

    hidden = run_agent("best time to reach Vaultline", deps=deps)  # Ben's lead
    assert hidden.leads == [] and hidden.answer == "No lead at or named 'Vaultline' that you can see."
    other = run_agent("who should Ben call today?", deps=deps)
    assert other.leads == [] and "Reps see their own follow-ups only" in other.answer
