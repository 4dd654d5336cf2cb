"""Lead routing: the policy file and its errors, each strategy and constraint, sticky accounts, the
fallback, explanations, the audit behind "why does this rep have this lead?", and what-if."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from leadpilot.memory.audit import lead_history
from leadpilot.memory.models import Assignment, Lead, RoutingPointer
from leadpilot.memory.reps import add_time_off, upsert_rep
from leadpilot.tools.routing.assignment import AssignmentError
from leadpilot.tools.routing.router import (
    RoutingInputError,
    assign_routed,
    route_lead,
    route_leads,
    suggest_owner,
)
from leadpilot.tools.routing.explain import explain_assignment
from leadpilot.tools.routing.what_if import AddToPool, RepOut, SetCapacity, routing_what_if, what_if
from leadpilot.tools.routing.engine import decide, gini, weighted_cycle
from leadpilot.tools.routing.facts import (
    ClosedLead,
    LeadFacts,
    PerformanceBook,
    Pointer,
    RepRow,
    RoutingSnapshot,
    TimeOff,
    Workload,
    build_roster,
)
from leadpilot.tools.routing.policy import (
    RoutingPolicyError,
    RoutingPolicyHolder,
    load_policy,
    parse_policy,
    policy_in_force,
)

from conftest import NOW  # Friday 20 Nov 2026, 12:00 UTC

HOURS = {"start": "09:00", "end": "17:00", "days": [0, 1, 2, 3, 4]}
SATURDAY = datetime(2026, 11, 21, 12, tzinfo=timezone.utc)  # nobody on shift: the on-shift preference is waived

# A small team: Ana in New York (07:00 at NOW), Ben in Berlin (13:00), Cy in Tokyo (21:00), Max the manager.
POLICY = """\
territories:
  dach: [DE, AT, CH]
  east: [US-NY, US-NJ]
constraints: {capacity: true, daily_cap: true, working_hours: ignored, language: preferred}
reps:
  ben@t.co: {max_open_leads: 10}
pools:
  rotation: {strategy: round_robin, members: [ana@t.co, ben@t.co, cy@t.co]}
  weighted: {strategy: weighted, members: {ana@t.co: 2, ben@t.co: 1}}
  lightest: {strategy: least_loaded, members: [ana@t.co, ben@t.co, cy@t.co]}
  closers: {strategy: performance_weighted, members: [ana@t.co, ben@t.co], performance: {similar_on: [segment], prior_strength: 0}}
rules:
  - name: dach
    when: {territory: [dach]}
    route_to: {rep: ben@t.co}
  - name: east
    when: {territory: [east], segment: [enterprise]}
    route_to: {rep: ana@t.co}
  - name: hot
    when: {source: [referral], score: {at_least: 70}}
    route_to: {pool: closers}
    constraints: {working_hours: required}
  - name: japanese
    when: {language: [ja]}
    route_to: {pool: lightest}
    constraints: {language: required}
  - name: us
    when: {country: [US]}
    route_to: {pool: rotation}
  - name: emea
    when: {region: [EMEA]}
    route_to: {pool: weighted}
fallback: {rep: max@t.co, queue: triage}
"""


def _policy(text: str = POLICY, name: str = "routing.yaml"):
    return parse_policy(text, path=Path(name))


def _row(rep_id: int, email: str, tz: str, **fields) -> RepRow:
    return RepRow(id=rep_id, email=email, name=email.split("@")[0].title() + " Rep", timezone=tz, working_hours=HOURS,
                  languages=fields.pop("languages", ("en",)), **fields)


TEAM = (
    _row(1, "ana@t.co", "America/New_York", languages=("en", "es"), industries=("fintech",), capacity=5, daily_cap=3),
    _row(2, "ben@t.co", "Europe/Berlin", languages=("en", "de"), industries=("saas",), capacity=50, daily_cap=3),
    _row(3, "cy@t.co", "Asia/Tokyo", languages=("en", "ja"), capacity=5, daily_cap=3),
    _row(4, "max@t.co", "America/New_York", role="manager", routing_weight=0.0),
)


def _snapshot(policy, rows=TEAM, *, open_leads=None, recent=None, pointers=None, closed=()) -> RoutingSnapshot:
    return RoutingSnapshot(
        reps=build_roster(rows, policy),
        workload=Workload(dict(open_leads or {}), {k: list(v) for k, v in (recent or {}).items()}),
        pointers=dict(pointers or {}),
        performance_loader=lambda: PerformanceBook(list(closed)),
    )


def _decide(lead: dict, *, policy=None, snapshot=None, now=NOW, account=None):
    policy = policy or _policy()
    return decide(lead=LeadFacts.of(lead), account=account, snapshot=snapshot or _snapshot(policy), policy=policy, now=now)


def _verdict(decision, email: str, rule: str | None = None):
    return next(v for v in decision.candidates if v.rep == email and (rule is None or v.rule == rule))


# --- strategies (pure) ------------------------------------------------------------------------


def test_round_robin_takes_turns_in_order_and_skips_who_cannot_take_it():
    policy = _policy()
    snapshot = _snapshot(policy)
    owners = []
    for _ in range(6):
        decision = _decide({"country": "US", "state": "TX"}, policy=policy, snapshot=snapshot, now=SATURDAY)
        snapshot.record(decision)
        owners.append(decision.owner)
    assert owners == ["ana@t.co", "ben@t.co", "cy@t.co"] * 2
    assert snapshot.pointers["rotation"] == Pointer(0, 3)

    blocked = _snapshot(policy, open_leads={1: 5}, pointers={"rotation": Pointer(0, 3)})  # Ana is at capacity
    decision = _decide({"country": "US"}, policy=policy, snapshot=blocked, now=SATURDAY)
    assert decision.owner == "ben@t.co"
    assert "Ana Rep skipped" in decision.reason
    assert _verdict(decision, "ana@t.co").codes == ["at_capacity"]


def test_weighted_round_robin_deals_in_proportion_to_the_weights():
    assert weighted_cycle((2, 1, 1)) == (0, 1, 2, 0)
    assert weighted_cycle((1, 1)) == (0, 1)
    policy = _policy()
    snapshot = _snapshot(policy, rows=[replace_capacity(r, 500, 500) for r in TEAM])
    counts = Counter()
    for _ in range(30):
        decision = _decide({"country": "IT"}, policy=policy, snapshot=snapshot, now=SATURDAY)
        snapshot.record(decision)
        counts[decision.owner] += 1
    assert counts == {"ana@t.co": 20, "ben@t.co": 10}
    assert "weighted round robin in pool weighted" in decision.reason


def replace_capacity(row: RepRow, capacity: int, daily_cap: int) -> RepRow:
    from dataclasses import replace

    return replace(row, capacity=capacity, daily_cap=daily_cap)


def test_least_loaded_picks_the_fewest_open_leads_and_breaks_ties_by_todays_leads_then_order():
    policy = _policy()
    lead = {"country": "JP", "language": "ja"}  # rule "japanese": the lightest pool, language required
    decision = _decide(lead, policy=policy, snapshot=_snapshot(policy, open_leads={3: 2}))
    assert decision.owner == "cy@t.co" and decision.rule == "japanese"
    assert "does not speak Japanese" in " ".join(_verdict(decision, "ana@t.co").reasons)

    speakers = [replace_languages(r, ("en", "ja")) for r in TEAM]
    tie = _snapshot(policy, speakers, open_leads={1: 2, 2: 2, 3: 2})
    assert _decide(lead, policy=policy, snapshot=tie, now=SATURDAY).owner == "ana@t.co"  # tie: the first listed
    tie_today = _snapshot(policy, speakers, open_leads={1: 2, 2: 2, 3: 2}, recent={1: [SATURDAY - timedelta(minutes=5)]})
    decision = _decide(lead, policy=policy, snapshot=tie_today, now=SATURDAY)
    assert decision.owner == "ben@t.co"
    assert "tied with" in decision.reason


def replace_languages(row: RepRow, languages: tuple[str, ...]) -> RepRow:
    from dataclasses import replace

    return replace(row, languages=languages)


def test_performance_weighted_picks_the_best_converter_on_similar_leads():
    policy = _policy()
    closed = [ClosedLead(1, "enterprise", "saas", won, NOW - timedelta(days=30)) for won in (True, False, False, False)]
    closed += [ClosedLead(2, "enterprise", "saas", won, NOW - timedelta(days=30)) for won in (True, True, False, False)]
    closed += [ClosedLead(1, "smb", "saas", True, NOW - timedelta(days=30))] * 5  # Ana wins small deals, not big ones
    at_noon_in_both = datetime(2026, 11, 20, 14, 30, tzinfo=timezone.utc)  # Ana 09:30, Ben 15:30
    lead = {"country": "US", "source": "referral", "score": 80, "company_size": 5000}
    decision = _decide(lead, policy=policy, snapshot=_snapshot(policy, closed=closed), now=at_noon_in_both)
    assert decision.rule == "hot" and decision.owner == "ben@t.co"
    assert "50.0%" in decision.reason and "enterprise" in decision.reason
    assert "25.0% expected conversion on enterprise leads (1 won of 4 closed)" in _verdict(decision, "ana@t.co").note

    small = _decide({**lead, "company_size": 40}, policy=policy, snapshot=_snapshot(policy, closed=closed), now=at_noon_in_both)
    assert small.owner == "ana@t.co"


# --- constraints (pure) -------------------------------------------------------------------------


def test_required_working_hours_are_judged_in_each_reps_time_zone():
    policy = _policy()
    lead = {"country": "US", "source": "referral", "score": 90, "company_size": 5000}
    # 12:00 UTC: Ana is at 07:00 in New York (off), Ben at 13:00 in Berlin (on).
    decision = _decide(lead, policy=policy)
    assert decision.owner == "ben@t.co" and decision.rule == "hot"
    assert "off shift: 07:00 Fri in America/New_York (works 09:00–17:00 Mon–Fri)" in _verdict(decision, "ana@t.co", "hot").reasons[0]
    # 18:00 UTC: Ben is done (19:00), Ana on (13:00); Saturday nobody is, so the rule has nobody.
    assert _decide(lead, policy=policy, now=datetime(2026, 11, 20, 18, tzinfo=timezone.utc)).owner == "ana@t.co"
    saturday = _decide(lead, policy=policy, now=datetime(2026, 11, 21, 12, tzinfo=timezone.utc))
    assert saturday.rule == "us" and any(c.rule == "hot" and c.outcome.startswith("nobody available") for c in saturday.rules_checked)


def test_preferred_constraints_narrow_only_when_someone_meets_them():
    policy = _policy(POLICY.replace("working_hours: ignored", "working_hours: preferred"))
    # Spanish lead: only Ana speaks Spanish, so she is preferred although it is Ben's turn.
    turn_ben = _snapshot(policy, pointers={"rotation": Pointer(1, 1)})
    decision = _decide({"country": "US", "language": "es"}, policy=policy, snapshot=turn_ben)
    assert decision.owner == "ana@t.co"
    assert "does not speak Spanish (a Spanish speaker is available)" in _verdict(decision, "ben@t.co").reasons
    # Italian: nobody speaks it, so the preference is waived and noted; Ben is on shift, the others are not.
    decision = _decide({"country": "US", "language": "it"}, policy=policy)
    assert decision.owner == "ben@t.co"
    assert any("language preference waived" in note for note in decision.notes)
    assert "someone is on shift" in _verdict(decision, "ana@t.co").reasons[0]


def test_exclusions_name_their_reasons():
    policy = _policy()
    rows = [
        replace_tz_off(TEAM[0]),
        TEAM[1],
        TEAM[2],
        TEAM[3],
    ]
    snapshot = _snapshot(policy, rows, open_leads={2: 10}, recent={3: [NOW - timedelta(minutes=i) for i in range(3)]})
    decision = _decide({"country": "US"}, policy=policy, snapshot=snapshot)
    reasons = {v.rep: " ".join(v.reasons) for v in decision.candidates}
    assert "out of office until" in reasons["ana@t.co"] and "Conference" in reasons["ana@t.co"]
    assert "at capacity: 10 open leads, max 10 (policy reps[ben@t.co].max_open_leads)" in reasons["ben@t.co"]
    assert "daily cap reached: 3 new leads today, max 3 (roster daily cap)" in reasons["cy@t.co"]
    assert decision.rule == "fallback" and decision.owner == "max@t.co"
    assert "the matching rules ('us') had nobody available" in decision.reason

    inactive = _decide({"country": "DE"}, policy=policy, snapshot=_snapshot(policy, [TEAM[0], replace_active(TEAM[1]), TEAM[2], TEAM[3]]))
    assert _verdict(inactive, "ben@t.co", "dach").reasons == ["inactive rep"]
    assert inactive.rule == "emea" and inactive.owner == "ana@t.co"  # falls through to the next matching rule


def test_candidate_facts_are_the_ones_seen_when_deciding_and_a_roster_change_reaches_the_next_decision():
    """Verdict facts are put into words only when asked (to_dict, the audit), and rule members are
    worked out once per snapshot: neither may lose or change a fact."""
    policy = _policy()
    snapshot = _snapshot(policy, open_leads={2: 4})
    first = _decide({"country": "US"}, policy=policy, snapshot=snapshot, now=SATURDAY)
    snapshot.record(first)
    second = _decide({"country": "US"}, policy=policy, snapshot=snapshot, now=SATURDAY)
    snapshot.record(second)
    assert [first.owner, second.owner] == ["ana@t.co", "ben@t.co"]
    facts = {v.rep: v.to_dict()["facts"] for v in first.candidates}  # asked after later leads changed the loads
    assert facts["ana@t.co"] == {"local_time": "07:00 Sat in America/New_York", "open_leads": 0, "new_today": 0, "weight": 1.0}
    assert facts["ben@t.co"] == {"local_time": "13:00 Sat in Europe/Berlin", "open_leads": 4, "new_today": 0, "weight": 1.0}
    assert _verdict(second, "ana@t.co").facts["open_leads"] == 1 and _verdict(second, "ana@t.co").facts["new_today"] == 1
    audit = {c["rep"]: c for c in second.audit_candidates() if c["kind"] == "candidate"}
    assert audit["ben@t.co"]["status"] == "chosen" and audit["ben@t.co"]["facts"]["local_time"] == "13:00 Sat in Europe/Berlin"

    rows = [TEAM[0], replace_active(TEAM[1]), TEAM[2], TEAM[3]]
    snapshot.replace_rep(build_roster(rows, policy)["ben@t.co"])  # what-if: Ben is out from now on
    third = _decide({"country": "US"}, policy=policy, snapshot=snapshot, now=SATURDAY)
    assert third.owner == "cy@t.co" and _verdict(third, "ben@t.co").codes == ["inactive"]
    lightest = _decide({"country": "JP", "language": "ja"}, policy=policy, snapshot=snapshot)
    assert _verdict(lightest, "ana@t.co").to_dict()["excluded_because"] == ["does not speak Japanese (language required)"]
    assert _verdict(lightest, "cy@t.co").facts["weight"] == 1.0 and "Candidates:" in lightest.explanation()


def replace_tz_off(row: RepRow) -> RepRow:
    from dataclasses import replace

    return replace(row, time_off=(TimeOff(NOW - timedelta(days=1), NOW + timedelta(days=2), "Conference"),))


def replace_active(row: RepRow) -> RepRow:
    from dataclasses import replace

    return replace(row, active=False)


def test_fallback_owner_then_queue_and_unknown_values():
    policy = _policy()
    nowhere = _decide({"company": "Nowhere", "country": "Atlantis", "industry": "quantum widgets"}, policy=policy)
    assert nowhere.owner == "max@t.co" and nowhere.rule == "fallback" and "no rule matched" in nowhere.reason
    assert all(not check.matched for check in nowhere.rules_checked)
    away = [*TEAM[:3], replace_tz_off(TEAM[3])]
    queued = _decide({"company": "Nowhere"}, policy=policy, snapshot=_snapshot(policy, away))
    assert queued.owner is None and queued.queue == "triage"
    assert any("fallback owner Max Rep cannot take it" in note for note in queued.notes)


def test_micro_companies_count_as_smb_and_missing_fields_do_not_match():
    policy = _policy(POLICY.replace("when: {territory: [east], segment: [enterprise]}", "when: {territory: [east], segment: [smb]}"))
    assert _decide({"country": "US", "state": "NY", "company_size": 4}, policy=policy).rule == "east"
    assert _decide({"country": "US", "state": "NY"}, policy=policy).rule == "us"  # size unknown: not smb
    assert _decide({"country": "US", "state": "New York", "company_size": 40}, policy=policy).rule == "east"


def test_gini_and_policy_version():
    assert gini([5, 5, 5]) == 0.0
    assert gini([0, 0, 9]) == pytest.approx(2 / 3)
    assert _policy().version == _policy(POLICY.replace("constraints:", "# a comment\nconstraints:", 1)).version
    assert _policy().version != _policy(POLICY.replace("max_open_leads: 10", "max_open_leads: 11")).version


# --- the policy file: errors with file, key and fix -----------------------------------------------


def _problem(text: str, name: str = "routing.yaml") -> str:
    with pytest.raises(RoutingPolicyError) as caught:
        _policy(text, name)
    return str(caught.value)


def test_broken_policies_are_refused_with_file_key_line_and_fix():
    message = _problem(POLICY.replace("strategy: round_robin", "strategy: round_robbin"))
    assert message.startswith("Routing policy routing.yaml is invalid (1 problem):")
    assert "  - line 8: pools.rotation.strategy: unknown strategy 'round_robbin' — did you mean 'round_robin'?\n" in message + "\n"
    assert "rules[4].route_to.pool: unknown pool 'rotatoin' — did you mean 'rotation'? (or add it under pools)" in _problem(
        POLICY.replace("route_to: {pool: rotation}", "route_to: {pool: rotatoin}")
    )
    assert "unknown territory 'dahc' — did you mean 'dach'?" in _problem(POLICY.replace("territory: [dach]", "territory: [dahc]"))
    assert "'ana.t.co' is not an email address" in _problem(POLICY.replace("members: [ana@t.co, ben@t.co, cy@t.co]", "members: [ana.t.co, ben@t.co, cy@t.co]"))
    assert "unknown place 'Germny'" in _problem(POLICY.replace("dach: [DE, AT, CH]", "dach: [Germny, AT, CH]"))
    assert 'put the place in quotes, e.g. "NO" for Norway' in _problem(POLICY.replace("dach: [DE, AT, CH]", "dach: [DE, AT, NO]"))
    assert "rule name 'dach' is already used by rules[0]" in _problem(POLICY.replace("name: east", "name: dach"))
    assert "fallback: is missing — add `fallback: {rep: <email>}`" in _problem(POLICY.replace("fallback: {rep: max@t.co, queue: triage}", ""))
    assert "unknown condition 'teritory' — did you mean 'territory'?" in _problem(POLICY.replace("when: {territory: [dach]}", "when: {teritory: [dach]}"))
    assert "unknown rep setting 'max_open_lead' — did you mean 'max_open_leads'?" in _problem(POLICY.replace("max_open_leads: 10", "max_open_lead: 10"))
    assert "must be a whole number ≥ 0" in _problem(POLICY.replace("max_open_leads: 10", "max_open_leads: -3"))
    assert "unknown mode 'sometimes' — use one of: required, preferred, ignored" in _problem(POLICY.replace("working_hours: required", "working_hours: sometimes"))
    assert "unknown industry 'fintek' — did you mean 'fintech'?" in _problem(POLICY.replace("when: {language: [ja]}", "when: {industry: [fintek]}"))
    assert "performance settings only apply to strategy performance_weighted" in _problem(
        POLICY.replace("lightest: {strategy: least_loaded, members: [ana@t.co, ben@t.co, cy@t.co]}",
                       "lightest: {strategy: least_loaded, members: [ana@t.co, ben@t.co, cy@t.co], performance: {}}")
    )
    out_of_order = POLICY.replace("ben@t.co: {max_open_leads: 10}", "ben@t.co: {out_of_office: [{from: 2026-12-24, to: 2026-12-20}]}")
    assert "reps.ben@t.co.out_of_office[0].to: `to` must be after `from`" in _problem(out_of_order)
    assert "YAML syntax error" in _problem("rules: [\n")


def test_error_lines_point_into_the_file():
    message = _problem(POLICY.replace("strategy: weighted", "strategy: wieghted"))
    line = next(i for i, text in enumerate(POLICY.splitlines(), start=1) if "strategy: weighted" in text)
    assert f"line {line}: pools.weighted.strategy" in message


def test_shipped_policy_loads_and_the_setting_points_at_another_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    shipped = load_policy()
    assert {"hot-referrals-na", "na-smb", "emea-overflow", "latam-iberia"} <= {rule.name for rule in shipped.rules}
    assert {pool.strategy for pool in shipped.pools.values()} == {"round_robin", "weighted", "least_loaded", "performance_weighted"}
    path = tmp_path / "mine.yaml"
    path.write_text(POLICY)
    monkeypatch.setenv("LEADPILOT_ROUTING_POLICY", str(path))
    from leadpilot.settings import get_settings

    get_settings.cache_clear()
    assert load_policy().version == _policy().version
    assert policy_in_force().version == _policy().version
    with pytest.raises(RoutingPolicyError, match="file not found"):
        load_policy(tmp_path / "missing.yaml")
    toml = tmp_path / "routing.toml"
    toml.write_text('[fallback]\nqueue = "triage"\n[[rules]]\nname = "all"\nroute_to = {queue = "x"}\n')
    assert "rules[0].route_to.queue: unknown queue 'x' — add it under queues" in str(pytest.raises(RoutingPolicyError, load_policy, toml).value)


def test_holder_keeps_the_old_policy_on_a_bad_edit_and_lists_what_changed(tmp_path: Path):
    path = tmp_path / "routing.yaml"
    path.write_text(POLICY)
    holder = RoutingPolicyHolder(path)
    first = holder.get()
    assert first.changes == ()
    path.write_text(POLICY.replace("dach: [DE, AT, CH]", "dach: [DE, AT, CH, PL]").replace("max_open_leads: 10", "max_open_leads: 12"))
    second = holder.get()
    assert second.previous_version == first.version
    assert {str(c) for c in second.changes} == {"territories[dach]: added PL", "reps[ben@t.co].max_open_leads: 10 → 12"}
    path.write_text(POLICY.replace("strategy: weighted", "strategy: lottery"))
    assert holder.get() is second
    assert holder.error is not None and str(path) in str(holder.error) and "pools.weighted.strategy" in str(holder.error)


# --- the store: dry runs, writes, pointers, accounts, audit ----------------------------------------


def _team(session) -> dict[str, int]:
    reps = {}
    for row in TEAM:
        rep = upsert_rep(
            session, email=row.email, now=NOW, name=row.name, role=row.role, timezone=row.timezone,
            working_hours=dict(HOURS), languages=list(row.languages), industries=list(row.industries),
            capacity=row.capacity, daily_cap=row.daily_cap, routing_weight=row.routing_weight,
        )
        reps[row.email] = rep.id
    return reps


def _lead(session, **fields) -> Lead:
    fields.setdefault("source", "organic")
    lead = Lead(stage=fields.pop("stage", "LEAD"), created_at=NOW, updated_at=NOW, **fields)
    session.add(lead)
    session.flush()
    return lead


def test_a_dry_run_only_reads_and_works_in_a_read_only_session(db):
    with db.transaction() as session:
        _team(session)
        lead_id = _lead(session, company="Kranich AG", country="DE").id
    with db.read_only(timeout_ms=5000) as session:
        decision = route_lead(session, lead=lead_id, policy=_policy(), now=NOW)
    assert decision.owner == "ben@t.co" and decision.rule == "dach" and decision.dry_run
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Assignment)) == 0
        assert session.get(Lead, lead_id).owner_id is None


def test_round_robin_fairness_persists_across_calls_and_sessions(db):
    with db.transaction() as session:
        _team(session)
        ids = [_lead(session, company=f"Rotation {i}", country="US", domain=f"rot{i}.test").id for i in range(6)]
    policy = _policy()
    owners = []
    for lead_id in ids:
        with db.transaction() as session:  # one route per transaction, as in production
            owners.append(route_lead(session, lead=lead_id, policy=policy, now=NOW, dry_run=False).owner)
    assert Counter(owners[:3]) == Counter(owners[3:]) == {"ana@t.co": 1, "ben@t.co": 1, "cy@t.co": 1}
    assert owners == ["ana@t.co", "ben@t.co", "cy@t.co"] * 2
    with db.session() as session:
        pointer = session.get(RoutingPointer, "rotation")
        assert pointer.position == 0 and pointer.last_rep_id is not None
        assert session.scalar(select(func.count()).select_from(Assignment)) == 6


def test_sticky_account_owner_unless_away(db):
    with db.transaction() as session:
        reps = _team(session)
        _lead(session, company="Acme Robotics Inc.", domain="acme.test", country="US", owner_id=reps["cy@t.co"], stage="PROSPECT")
        _lead(session, company="Lost Cause Ltd", domain="lost.test", country="US", owner_id=reps["cy@t.co"], stage="LOST")
        by_domain = _lead(session, company="Acme", domain="acme.test", country="DE").id
        by_name = _lead(session, company="ACME ROBOTICS", country="DE").id
        lost = _lead(session, company="Lost Cause", domain="lost.test", country="DE").id
    policy = _policy()
    with db.session() as session:
        sticky = route_lead(session, lead=by_domain, policy=policy, now=NOW)
        assert (sticky.owner, sticky.rule) == ("cy@t.co", "account-match")
        assert "domain acme.test" in sticky.reason
        assert route_lead(session, lead=by_name, policy=policy, now=NOW).owner == "cy@t.co"
        assert route_lead(session, lead=lost, policy=policy, now=NOW).rule == "dach"  # a lost lead owns nothing
    with db.transaction() as session:
        add_time_off(session, rep_id=reps["cy@t.co"], starts_at=NOW - timedelta(hours=1), ends_at=NOW + timedelta(days=3), reason="Trip")
    with db.session() as session:
        away = route_lead(session, lead=by_domain, policy=policy, now=NOW)
    assert (away.owner, away.rule) == ("ben@t.co", "dach")
    # The unavailable account owner is said in the Why, not only as a note.
    assert "the account owner Cy Rep" in away.reason and "out of office" in away.reason and "Why: the account owner Cy Rep" in away.explanation()
    assert "account owner Cy Rep" in away.explanation()


def test_capacity_and_daily_cap_come_from_the_store(db):
    with db.transaction() as session:
        reps = _team(session)
        for i in range(5):
            _lead(session, company=f"Load {i}", owner_id=reps["ana@t.co"])
        old = _lead(session, company="Yesterday", owner_id=reps["cy@t.co"], stage="CUSTOMER")
        for minutes in (10, 20, 30):  # Cy's local day (Tokyo) began at 15:00 UTC yesterday
            session.add(Assignment(lead_id=old.id, rep_id=reps["cy@t.co"], assigned_at=NOW - timedelta(minutes=minutes), reason="earlier", candidates=[]))
        lead_id = _lead(session, company="Next", country="US").id
    with db.session() as session:
        decision = route_lead(session, lead=lead_id, policy=_policy(), now=NOW)
    assert decision.owner == "ben@t.co"
    assert _verdict(decision, "ana@t.co").codes == ["at_capacity"]
    assert _verdict(decision, "cy@t.co").codes == ["daily_cap"]


def test_assignment_audit_answers_why_this_rep_has_this_lead(db):
    with db.transaction() as session:
        reps = _team(session)
        for i in range(5):
            _lead(session, company=f"Load {i}", owner_id=reps["ana@t.co"])
        lead_id = _lead(session, company="Globex", country="US").id
    with db.transaction() as session:
        decision = route_lead(session, lead=lead_id, policy=_policy(), now=NOW)
        assignment = assign_routed(session, decision=decision, now=NOW, actor="max@t.co")
        assert assignment.rule == "us" and assignment.candidates[0]["kind"] == "decision"
        with pytest.raises(AssignmentError, match="already assigned"):
            assign_routed(session, decision=decision, now=NOW)
    with db.session() as session:
        owner_events = lead_history(session, lead_id=lead_id, field="owner")
        assert [e.new_value for e in owner_events] == ["ben@t.co"] and owner_events[0].actor == "max@t.co"
        why = explain_assignment(session, lead_id=lead_id)
        assert why["owner"] == "ben@t.co" and why["assignment"]["rule"] == "us"
        assert why["assignment"]["policy_version"] == _policy().version
        answer = why["answer"]
        assert "went to Ben Rep" in answer and "rule 'us'" in answer and "round robin" in answer
        assert "Ana Rep (excluded: at capacity: 5 open leads, max 5" in answer
        other = explain_assignment(session, lead_id=lead_id, rep="Ana Rep")["answer"]
        assert other.startswith("Ana Rep does not own lead") and "Ana Rep was considered" in other
        assert explain_assignment(session, lead_id=99_999)["answer"] == "There is no lead 99999."


def test_a_policy_edit_changes_the_next_decision_and_the_explanation_names_it(db, tmp_path: Path):
    with db.transaction() as session:
        _team(session)
        polish = _lead(session, company="Wisla Software", country="PL").id
        german = _lead(session, company="Rhein GmbH", country="DE").id
    path = tmp_path / "routing.yaml"
    path.write_text(POLICY)
    holder = RoutingPolicyHolder(path)
    with db.session() as session:
        before = route_lead(session, lead=polish, policy=holder.get(), now=NOW)
    assert before.rule == "emea" and before.owner == "ana@t.co" and before.policy_changes == []

    # A territory, a capacity and an out-of-office date change in the file.
    path.write_text(
        POLICY.replace("dach: [DE, AT, CH]", "dach: [DE, AT, CH, PL]")
        .replace("ben@t.co: {max_open_leads: 10}", "ben@t.co: {max_open_leads: 10, out_of_office: [{from: 2026-11-20, to: 2026-11-22, reason: Offsite}]}")
    )
    with db.session() as session:
        after = route_lead(session, lead=polish, policy=holder.get(), now=NOW)
        german_after = route_lead(session, lead=german, policy=holder.get(), now=NOW)
    assert after.policy_version != before.policy_version
    assert "territories[dach]: added PL" in [str(c) for c in after.policy_changes]
    assert "PL is in territory dach" in after.explanation()
    assert "Policy changes behind this decision: " in after.explanation()
    ben = _verdict(after, "ben@t.co", "dach")
    assert "Offsite; policy reps[ben@t.co].out_of_office[0]" in ben.reasons[0]
    assert after.rule == "emea" and german_after.rule == "emea"  # Ben is away, so the EMEA pool decides

    path.write_text(POLICY.replace("max_open_leads: 10", "max_open_leads: 0"))
    with db.session() as session:
        capped = route_lead(session, lead=german, policy=holder.get(), now=NOW)
    assert "max 0 (policy reps[ben@t.co].max_open_leads)" in _verdict(capped, "ben@t.co", "dach").reasons[0]
    assert any(str(c).startswith("reps[ben@t.co].max_open_leads") for c in capped.policy_changes)


def test_batch_routing_records_each_decision_and_updates_loads(db):
    with db.transaction() as session:
        _team(session)
        ids = [_lead(session, company=f"Batch {i}", country="US", domain=f"b{i}.test").id for i in range(4)]
        repeat = _lead(session, company="Batch 0 again", country="US", domain="b0.test").id
    with db.transaction() as session:
        decisions = route_leads(session, lead_ids=[*ids, repeat], policy=_policy(), now=NOW, dry_run=False)
    assert [d.owner for d in decisions] == ["ana@t.co", "ben@t.co", "cy@t.co", "ana@t.co", "ana@t.co"]
    assert decisions[-1].rule == "account-match"  # the batch's own assignments make accounts
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Assignment)) == 5


def test_a_batch_written_a_chunk_at_a_time_keeps_each_decision_in_order(db, monkeypatch):
    import leadpilot.tools.routing.router as router

    monkeypatch.setattr(router, "WRITE_CHUNK", 3)  # 7 leads: flushed after the 3rd and 6th, then the rest
    with db.transaction() as session:
        _team(session)
        ids = [_lead(session, company=f"Chunk {i}", country=("US", "DE")[i % 2], domain=f"c{i}.test").id for i in range(7)]
    with db.transaction() as session:
        decisions = route_leads(session, lead_ids=ids, policy=_policy(), now=NOW, dry_run=False)
    with db.session() as session:
        stored = session.scalars(select(Assignment).order_by(Assignment.id)).all()
        assert [(a.lead_id, a.rep.email if a.rep else None, a.rule, a.reason, a.candidates) for a in stored] == [
            (d.lead_id, d.owner, d.rule, d.audit_reason(), d.audit_candidates()) for d in decisions]
        assert [(e.lead_id, e.new_value) for lead_id in ids for e in lead_history(session, lead_id=lead_id, field="owner")] == [
            (d.lead_id, d.owner) for d in decisions]
        assert {lead.id: lead.owner_id for lead in session.scalars(select(Lead).where(Lead.id.in_(ids)))} == {
            d.lead_id: d.owner_id for d in decisions}


def test_what_if_reports_who_gets_what_and_load_before_and_after(db):
    with db.transaction() as session:
        reps = _team(session)
        for i in range(3):
            _lead(session, company=f"Old {i}", owner_id=reps["ben@t.co"])
        ids = [_lead(session, company=f"New {i}", country="DE", domain=f"n{i}.test").id for i in range(3)]
    policy = _policy()
    with db.session() as session:
        report = what_if(session, policy=policy, now=NOW, roster_changes=[RepOut(rep="ben")])
        assert session.scalar(select(func.count()).select_from(Assignment)) == 0
    assert [row["lead_id"] for row in report["leads"]] == ids  # default batch: open leads without an owner
    assert [row["as_is"]["owner"] for row in report["leads"]] == ["ben@t.co"] * 3
    assert [row["scenario"]["owner"] for row in report["leads"]] == ["ana@t.co"] * 3  # EMEA pool without Ben
    assert report["moved"] == 3 and report["changes"] == ["Ben Rep out of office from 2026-11-20 12:00 UTC to 2026-11-21 12:00 UTC"]
    load = {row["rep"]: row for row in report["load"]}
    assert (load["ben@t.co"]["open_before"], load["ben@t.co"]["open_after_as_is"], load["ben@t.co"]["open_after_scenario"]) == (3, 6, 3)
    assert (load["ana@t.co"]["open_before"], load["ana@t.co"]["open_after_scenario"]) == (0, 3)
    assert set(report["fairness"]) == {"before", "as_is", "scenario"} and "gini" in report["fairness"]["scenario"]
    assert "3 would go to someone else" in report["answer"]

    with db.session() as session:
        more_room = what_if(session, policy=policy, now=NOW, roster_changes=[SetCapacity(rep="ben@t.co", max_open_leads=4)])
        added = what_if(session, policy=policy, now=NOW, lead_ids=ids[:1], roster_changes=[RepOut(rep="Ben Rep"), AddToPool(rep="cy", pool="weighted", weight=5)])
        with pytest.raises(RoutingInputError, match="no rep called 'zed'"):
            what_if(session, policy=policy, now=NOW, roster_changes=[RepOut(rep="zed")])
    assert [row["scenario"]["owner"] for row in more_room["leads"]] == ["ben@t.co", "ana@t.co", "ana@t.co"]
    assert added["leads"][0]["scenario"]["owner"] == "cy@t.co"
    assert added["policy_changes"] == ["pools[weighted].members[cy@t.co]: added (weight 5)"]


def test_agent_functions_route_by_company_and_what_if_tomorrow(db):
    with db.transaction() as session:
        _team(session)
        _lead(session, company="Initech", country="US", state="NY", company_size=5000)
    with db.read_only(timeout_ms=5000) as session:
        suggestion = suggest_owner(session, policy=_policy(), now=NOW, company="initech")
        assert suggestion["owner"] == "ana@t.co" and suggestion["rule"] == "east"
        assert suggestion["answer"].startswith("Ana Rep should take lead")
        tomorrow = routing_what_if(session, policy=_policy(), now=NOW, out=["ana"], day="tomorrow")
        with pytest.raises(RoutingInputError, match="No lead from a company called 'Hooli'"):
            suggest_owner(session, policy=_policy(), now=NOW, company="Hooli")
    assert tomorrow["at"].startswith("2026-11-21T12:00")
    assert tomorrow["leads"][0]["as_is"]["owner"] == "ana@t.co"
    assert tomorrow["leads"][0]["scenario"]["owner"] != "ana@t.co"
    assert tomorrow["changes"] == ["Ana Rep out of office on 2026-11-21 (America/New_York)"]


def test_what_if_over_the_demo_unassigned_leads(sqlite_db):
    from leadpilot.memory.seed import seed_demo

    seed_demo(sqlite_db, now=NOW)
    with sqlite_db.session() as session:
        report = routing_what_if(session, policy=load_policy(), now=NOW, out=["Lukas Becker"], day="today")
    assert len(report["leads"]) >= 20 and report["moved"] >= 1
    assert all(row["as_is"]["owner"] != "lukas.becker@leadpilot.demo" or row["changed"] for row in report["leads"])
    lukas = next(row for row in report["load"] if row["rep"] == "lukas.becker@leadpilot.demo")
    assert lukas["open_after_scenario"] == lukas["open_before"] < lukas["open_after_as_is"]
    assert sum(r["open_after_scenario"] - r["open_before"] for r in report["load"]) == sum(
        1 for row in report["leads"] if row["scenario"]["owner"] in {r["rep"] for r in report["load"]}
    )
