"""First-touch SLAs: working-time deadlines, one nudge at the first breach, one reassignment at the
second (reason "SLA missed by <name> (<time>)", audited), never twice — also across a real worker
process killed with kill -9 — and the reps' SLA report."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import func, select

from leadpilot.memory.models import Assignment, AuditEvent, Lead, Rep
from leadpilot.memory.reps import upsert_rep
from leadpilot.memory.routing_state import SlaWatch
from leadpilot.tools.routing.facts import RepFacts, WorkingHours
from leadpilot.tools.routing.policy import parse_policy
from leadpilot.tools.routing.router import route_leads
from leadpilot.tools.routing.policy_outcomes import duration_text
from leadpilot.tools.routing.sla import add_working_time, watch_sla
from leadpilot.tools.routing.first_touch import first_touch_by_routing, first_touch_change
from leadpilot.tools.routing.sla_report import sla_performance

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)  # Monday 10:00 UTC: everyone (UTC, default hours) on shift
POLICY = """\
constraints: {capacity: true, daily_cap: false, working_hours: ignored, language: ignored}
pools:
  team: {strategy: round_robin, members: [ana@t.co, ben@t.co, cy@t.co]}
rules:
  - name: everyone
    description: Every lead goes to the team in turn.
    route_to: {pool: team}
fallback: {queue: triage}
sla:
  hot: {first_touch: 15m}
"""
REPS = {"ana@t.co": "Ana Lee", "ben@t.co": "Ben Ode", "cy@t.co": "Cy Park"}


def _policy(tmp_path: Path):
    path = tmp_path / "routing.yaml"
    path.write_text(POLICY, encoding="utf-8")
    return parse_policy(POLICY, path=path), path


def _seed(db, policy, *, leads: int = 100) -> list[int]:
    """`leads` hot leads routed to the team at T0; every third one touched 5 minutes later."""
    with db.transaction() as session:
        for email, name in REPS.items():
            upsert_rep(session, email=email, name=name, now=T0, timezone="UTC", capacity=1000)
        rows = [Lead(company=f"Co {i}", country="US", tier="hot", score=90, stage="LEAD", source="referral",
                     created_at=T0, updated_at=T0) for i in range(leads)]
        session.add_all(rows)
        session.flush()
        ids = [lead.id for lead in rows]
        route_leads(session, lead_ids=ids, policy=policy, now=T0, dry_run=False)
        for lead in rows[::3]:
            lead.last_contacted_at = T0 + timedelta(minutes=5)
    return ids


def _counts(db) -> dict:
    with db.session() as session:
        nudges = session.execute(select(AuditEvent.lead_id, func.count()).where(AuditEvent.field == "sla").group_by(AuditEvent.lead_id)).all()
        moves = session.execute(select(Assignment.lead_id, func.count()).where(Assignment.actor == "sla").group_by(Assignment.lead_id)).all()
        statuses = dict(session.execute(select(SlaWatch.status, func.count()).group_by(SlaWatch.status)).all())
    return {"nudged": dict(nudges), "reassigned": dict(moves), "statuses": statuses}


def test_working_time_deadlines_skip_nights_and_weekends():
    assert duration_text(timedelta(hours=2, minutes=10)) == "2h 10m" and duration_text(timedelta(days=1, minutes=5)) == "1d 5m"
    hours = WorkingHours(datetime.min.time().replace(hour=9), datetime.min.time().replace(hour=17), (0, 1, 2, 3, 4))
    friday_late = datetime(2026, 11, 20, 16, 55, tzinfo=timezone.utc)
    assert add_working_time(friday_late, timedelta(minutes=15), rep=None, default=hours) == datetime(2026, 11, 23, 9, 10, tzinfo=timezone.utc)
    rep = RepFacts(1, "m@t.co", "Maya Chen", "rep", True, "America/Los_Angeles", frozenset(), frozenset(), 10, 10, 1.0, hours, ())
    # 17:00 UTC on a Monday is 09:00 in Los Angeles: 15 working minutes later is 09:15 there.
    monday = datetime(2026, 11, 23, 16, 0, tzinfo=timezone.utc)
    assert add_working_time(monday, timedelta(minutes=15), rep=rep, default=hours) == datetime(2026, 11, 23, 17, 15, tzinfo=timezone.utc)


def test_breaches_are_nudged_once_then_reassigned_once(db, tmp_path: Path):
    policy, _ = _policy(tmp_path)
    ids = _seed(db, policy)
    untouched = {i for n, i in enumerate(ids) if n % 3}
    delivered: list[dict] = []
    first = watch_sla(db, policy=policy, now=T0 + timedelta(minutes=20), notify=delivered.append)
    assert first.started == 100 and first.touched == 34
    assert sorted(d["lead_id"] for d in delivered) == sorted(untouched)  # each nudge delivered once (a Slack DM when wired)
    assert {n["lead_id"] for n in first.nudged} == untouched and not first.reassigned
    assert "first-touch SLA missed by" in first.nudged[0]["text"]
    again = watch_sla(db, policy=policy, now=T0 + timedelta(minutes=25), notify=delivered.append)  # before the second breach: nothing new
    assert len(delivered) == len(untouched)
    assert not again.nudged and not again.reassigned and again.started == 0

    second = watch_sla(db, policy=policy, now=T0 + timedelta(minutes=40))
    assert {r["lead_id"] for r in second.reassigned} == untouched
    sample = second.reassigned[0]
    assert sample["to"] != sample["from"] and sample["to"] in REPS
    name = REPS[sample["from"]].split()[0]
    assert sample["reason"].startswith(f"SLA missed by {name} (40m)")
    assert second.started == len(untouched)  # the new owners' own clocks start at once
    third = watch_sla(db, policy=policy, now=T0 + timedelta(minutes=41))
    assert third.started == 0 and not third.nudged and not third.reassigned
    counts = _counts(db)
    assert set(counts["nudged"]) == untouched and set(counts["nudged"].values()) == {1}
    assert set(counts["reassigned"]) == untouched and set(counts["reassigned"].values()) == {1}
    with db.session() as session:
        lead = session.get(Lead, sample["lead_id"])
        assert lead.owner.email == sample["to"]
        assignment = session.scalars(select(Assignment).where(Assignment.lead_id == lead.id, Assignment.actor == "sla")).one()
        assert assignment.reason.startswith(f"SLA missed by {name} (40m)")
        excluded = [c for c in assignment.candidates if c.get("rep") == sample["from"]]
        assert excluded and "sla_missed" in excluded[0]["codes"]
        history = session.scalars(select(AuditEvent).where(AuditEvent.lead_id == lead.id, AuditEvent.field == "owner")).all()
        assert any(e.actor == "sla" and "SLA missed" in e.reason for e in history)
        report = sla_performance(session, now=T0 + timedelta(minutes=41), days=7)
        from leadpilot.tools.analytics import rep_performance
        from leadpilot.tools.leads import Viewer

        performance = rep_performance(session, lead_filter=None, viewer=Viewer(role="admin"), now=T0 + timedelta(minutes=41))
    # "How are reps performing?" carries the SLA record too.
    assert sum(row["sla_reassigned"] for row in performance.rows) == len(untouched)
    assert sum(row["sla_met"] for row in performance.rows) == 34 and any("first-touch SLA" in d for d in performance.definitions)
    by_rep = {r["rep"]: r for r in report["reps"]}
    assert sum(r["reassigned"] for r in by_rep.values()) == len(untouched)
    assert sum(r["met"] for r in by_rep.values()) == 34 and "First-touch SLA" in report["answer"]


def test_first_touch_before_and_after_routing_and_routed_vs_not(db, db_url: str, tmp_path: Path, monkeypatch):
    from leadpilot.memory.activities import add_activity
    from leadpilot.tools.routing.assignment import assign_lead

    policy, _ = _policy(tmp_path)
    with db.transaction() as session:
        upsert_rep(session, email="ana@t.co", name="Ana Lee", now=T0, timezone="UTC")
        old = [Lead(company=f"Old {i}", stage="LEAD", created_at=T0 - timedelta(days=10, hours=i), updated_at=T0) for i in range(4)]
        session.add_all(old)
        session.flush()
        for lead in old[:3]:  # the fourth was never touched: counted, not in the median
            add_activity(session, lead_id=lead.id, kind="call", occurred_at=lead.created_at + timedelta(hours=4))
        add_activity(session, lead_id=old[0].id, kind="email_opened", direction="inbound", occurred_at=old[0].created_at + timedelta(hours=1))
    with db.session() as session:
        assert first_touch_change(session, now=T0)["answer"].startswith("Leadpilot has not routed a lead yet")
    ids = _seed(db, policy, leads=3)  # routed by the engine at T0: the cut-over
    with db.transaction() as session:
        for lead_id in ids:
            add_activity(session, lead_id=lead_id, kind="call", occurred_at=T0 + timedelta(hours=1))
        claimed = Lead(company="Claimed", stage="LEAD", created_at=T0, updated_at=T0)
        session.add(claimed)
        session.flush()
        assign_lead(session, lead_id=claimed.id, rep=session.scalar(select(Rep).where(Rep.email == "ana@t.co")), actor="ana@t.co",
                    reason="claimed", now=T0 + timedelta(minutes=30))  # a person's assignment is not the engine's
        add_activity(session, lead_id=claimed.id, kind="email_sent", occurred_at=T0 + timedelta(hours=3))
    with db.session() as session:
        report = first_touch_change(session, now=T0 + timedelta(hours=4))
        split = first_touch_by_routing(session, now=T0 + timedelta(hours=4), days=30)
    assert report["since"] == T0.isoformat()
    assert report["before"] == {"leads": 4, "touched": 3, "not_touched": 1, "median_minutes": 240.0}
    assert (report["after"]["leads"], report["after"]["median_minutes"]) == (4, 60.0)  # 1h, 1h, 1h and the claimed lead's 3h
    assert report["change_pct"] == -75.0 and "-75.0%" in report["answer"] and "3 of 4 leads touched" in report["answer"]
    assert (split["routed"]["leads"], split["routed"]["median_minutes"]) == (3, 60.0)
    assert (split["not_routed"]["leads"], split["not_routed"]["touched"], split["not_routed"]["median_minutes"]) == (5, 4, 240.0)
    assert split["change_pct"] == -75.0 and "routed by Leadpilot 1h to first touch (3 of 3 touched)" in split["answer"]

    from typer.testing import CliRunner

    from leadpilot.interfaces.cli import app
    from leadpilot.settings import get_settings

    monkeypatch.setenv("LEADPILOT_DATABASE_URL", db_url)
    monkeypatch.setenv("LEADPILOT_NOW", (T0 + timedelta(hours=4)).isoformat())
    get_settings.cache_clear()
    shown = CliRunner().invoke(app, ["sla", "report", "--since", "1d", "--window-days", "30", "--json"])
    assert shown.exit_code == 0, shown.output
    printed = json.loads(shown.stdout)
    assert printed["first_touch"]["since"] == (T0 - timedelta(hours=20)).isoformat() and printed["first_touch"]["change_pct"] == -75.0
    assert printed["routed_vs_not"]["routed"]["leads"] == 3
    wrong = CliRunner().invoke(app, ["sla", "report", "--since", "last spring", "--json"])
    assert wrong.exit_code == 2 and "write it like 2026-10-01, or 45d for 45 days ago" in json.loads(wrong.stdout)["error"]


def _worker(url: str, policy_path: Path, now: datetime, tmp_path: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADPILOT_")}
    env.update(LEADPILOT_DATABASE_URL=url, LEADPILOT_ROUTING_POLICY=str(policy_path), LEADPILOT_NOW=now.isoformat(),
               LEADPILOT_DATA_DIR=str(tmp_path / "data"))
    return subprocess.Popen([sys.executable, "-m", "leadpilot.interfaces.cli", "worker"], env=env, cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _wait_for(db, done, *, timeout: float = 25.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        counts = _counts(db)
        if done(counts):
            return counts
        time.sleep(0.1)
    raise AssertionError(f"the worker did not get there: {_counts(db)}")


def _kill_9_once(db, worker: subprocess.Popen, done) -> None:
    try:
        _wait_for(db, done)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)


def test_a_real_worker_killed_with_kill_9_never_nudges_or_reassigns_twice(db_url: str, db, tmp_path: Path):
    policy, path = _policy(tmp_path)
    ids = _seed(db, policy)
    untouched = {i for n, i in enumerate(ids) if n % 3}
    # First breach: a real `leadpilot worker` process nudges; it is killed -9 as soon as nudges are
    # committed, and another worker's pass of the watch (same clock) finishes the rest.
    _kill_9_once(db, _worker(db_url, path, T0 + timedelta(minutes=20), tmp_path), lambda c: c["nudged"])
    rest = watch_sla(db, policy=policy, now=T0 + timedelta(minutes=20))
    counts = _counts(db)
    assert len(counts["nudged"]) == len(untouched) and len(rest.nudged) == len(untouched) - len(_nudged_before(rest, counts))
    assert not counts["reassigned"]
    # Second breach: the same, killed -9 once reassignments are committed.
    _kill_9_once(db, _worker(db_url, path, T0 + timedelta(minutes=40), tmp_path), lambda c: c["reassigned"])
    watch_sla(db, policy=policy, now=T0 + timedelta(minutes=40))
    watch_sla(db, policy=policy, now=T0 + timedelta(minutes=41))
    counts = _counts(db)
    assert set(counts["nudged"]) == untouched and set(counts["nudged"].values()) == {1}
    assert set(counts["reassigned"]) == untouched and set(counts["reassigned"].values()) == {1}
    assert counts["statuses"]["touched"] == 34 and counts["statuses"]["reassigned"] == len(untouched)
    assert counts["statuses"]["watching"] == len(untouched)  # the new owners' watches, one per reassignment


def _nudged_before(rest, counts) -> set[int]:
    return set(counts["nudged"]) - {n["lead_id"] for n in rest.nudged}


def test_a_nudge_reaches_the_owner_as_a_slack_dm(db, tmp_path: Path):
    """The worker's nudge is wired to Slack: one DM to the owner's Slack member id per breach,
    through the real slack_sdk client against Slack's Web API on loopback."""
    from slack_stub import BOT_TOKEN, SlackAPIStub

    from leadpilot.clock import Clock
    from leadpilot.interfaces.api.runtime import build_worker, slack_nudge_sender
    from leadpilot.settings import Settings

    policy, _ = _policy(tmp_path)
    ids = _seed(db, policy, leads=6)
    members = {"ana@t.co": "U0ANA", "ben@t.co": "U0BEN", "cy@t.co": "U0CY"}
    with db.transaction() as session:
        for email, user in members.items():
            upsert_rep(session, email=email, name=REPS[email], now=T0, slack_user_id=user)
        owners = {lead.id: lead.owner.email for lead in session.scalars(select(Lead).where(Lead.id.in_(ids)))}
    with SlackAPIStub() as api:
        settings = Settings(slack_bot_token=BOT_TOKEN, slack_api_url=api.base_url)
        assert build_worker(db, settings=settings, clock=Clock(pinned=T0)).nudge is not None
        run = watch_sla(db, policy=policy, now=T0 + timedelta(minutes=20), notify=slack_nudge_sender(settings, db))
        watch_sla(db, policy=policy, now=T0 + timedelta(minutes=25), notify=slack_nudge_sender(settings, db))
        dms = api.calls_to("chat.postMessage")
    nudged = {item["lead_id"] for item in run.nudged}
    assert nudged and len(dms) == len(nudged)  # one DM per breach, none for the second pass
    for dm in dms:
        lead_id = int(dm["args"]["text"].split("lead ", 1)[1].split(":", 1)[0])
        assert lead_id in nudged and dm["args"]["channel"] == members[owners[lead_id]]
        assert "first-touch SLA missed by" in dm["args"]["text"]
