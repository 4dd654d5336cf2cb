"""Rule-based scoring: the policy file and its errors, the pure scorer, bulk re-scoring, agent reads."""

from __future__ import annotations

import json
import random
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from leadpilot.memory.activities import add_activity
from leadpilot.memory.audit import lead_history
from leadpilot.memory.lead_record import validate_lead
from leadpilot.memory.leads import get_lead, set_stage, upsert_leads
from leadpilot.memory.models import AuditEvent, Lead
from leadpilot.tools.scoring.facts import ActivityFacts, LeadFacts
from leadpilot.tools.scoring.reads import explain_score, rank_leads, score_lead_by_id
from leadpilot.tools.scoring.rescore import rescore_leads
from leadpilot.tools.scoring.rules import ScoreResult, score_lead, tier_for
from leadpilot.tools.scoring.policy import PolicyError, PolicyHolder, load_policy, parse_policy

from conftest import NOW

# A small policy with round numbers, so expected scores can be added up by hand.
POLICY = """\
tiers: {hot: 70, warm: 40}
total_cap: 100
categories:
  completeness:
    cap: 20
    points: {email: 10, phone: 10}
  profile:
    cap: 25
    points: {company: 10, job_title: 10, industry: 5}
  source:
    cap: 25
    points: {referral: 25, organic: 15, paid: 10, event: 15, partner: 20, outbound: 5, webinar: 15, other: 5}
  industry:
    cap: 20
    groups:
      - {label: high-value industry, points: 20, industries: [fintech, saas, healthcare, cybersecurity]}
  company_size:
    cap: 25
    bands:
      - {at_least: 1000, points: 25}
      - {at_least: 100, points: 15}
      - {at_least: 10, points: 5}
  engagement:
    cap: 20
    half_life_days: 14
    points: {email_opened: 1, email_clicked: 10, page_view: 1, form_submit: 5, meeting: 8, call: 2, call_inbound: 6}
  behaviour:
    cap: 25
    half_life_days: 30
    rules:
      - {label: pricing page visit, kind: page_view, detail_contains: [/pricing], points: 4}
      - {label: demo page visit, kind: page_view, detail_contains: [/demo, /pricing], points: 4}
      - {label: demo request, kind: form_submit, detail_contains: [demo], points: 15}
"""


def _policy(text: str = POLICY, name: str = "scoring.yaml"):
    return parse_policy(text, path=Path(name))


def _score(lead: LeadFacts, activities=(), policy=None) -> ScoreResult:
    return score_lead(lead=lead, activities=list(activities), policy=policy or _policy(), now=NOW)


def _points(result: ScoreResult) -> dict[str, float]:
    return {name: entry["points"] for name, entry in result.breakdown["categories"].items()}


def _problem(text: str, name: str = "scoring.yaml") -> str:
    with pytest.raises(PolicyError) as caught:
        _policy(text, name)
    return str(caught.value)


# --- the pure scorer -------------------------------------------------------------------------


def test_each_category_adds_its_points_and_the_total_is_their_sum():
    lead = LeadFacts(email="ann@acme.io", phone="+1 415 555 0100", industry="fintech", company_size=5000, source="referral")
    result = _score(lead)
    assert _points(result) == {
        "completeness": 20, "profile": 5, "source": 25, "industry": 20, "company_size": 25, "engagement": 0, "behaviour": 0,
    }
    assert (result.score, result.tier) == (95, "hot")
    assert result.breakdown["policy_version"] == _policy().version
    source = result.breakdown["categories"]["source"]
    assert source == {"points": 25, "cap": 25, "rules": [{"label": "referral source", "points": 25}]}
    assert "semantic" not in result.breakdown["categories"]  # no vectors yet: absent, not faked


def test_size_bands_pick_the_highest_band_reached():
    sizes = {None: 0, 5: 0, 10: 5, 99: 5, 100: 15, 999: 15, 1000: 25}
    for size, expected in sizes.items():
        assert _points(_score(LeadFacts(company_size=size)))["company_size"] == expected, size


def test_category_caps_and_the_total_cap_apply():
    text = POLICY.replace("points: {email: 10, phone: 10}", "points: {email: 15, phone: 15}")
    lead = LeadFacts(email="a@b.io", phone="1", company="Acme", job_title="CTO", industry="saas", company_size=2000, source="referral")
    result = _score(lead, policy=_policy(text))
    completeness = result.breakdown["categories"]["completeness"]
    assert completeness["points"] == 20 and completeness["uncapped"] == 30 and completeness["cap"] == 20
    assert result.breakdown["total"] == 20 + 25 + 25 + 20 + 25
    assert result.score == 100  # total_cap


def test_activity_points_halve_every_half_life():
    def clicked(days_ago: float) -> float:
        activity = ActivityFacts(kind="email_clicked", occurred_at=NOW - timedelta(days=days_ago))
        return _points(_score(LeadFacts(), [activity]))["engagement"]

    assert clicked(0) == 10
    assert clicked(14) == 5
    assert clicked(28) == 2.5
    # Activities after `now` have not happened yet.
    future = ActivityFacts(kind="email_clicked", occurred_at=NOW + timedelta(hours=1))
    assert _points(_score(LeadFacts(), [future]))["engagement"] == 0


def test_engagement_is_capped_and_explained_per_kind():
    activities = [ActivityFacts(kind="email_clicked", occurred_at=NOW - timedelta(minutes=m)) for m in range(3)]
    result = _score(LeadFacts(), activities)
    engagement = result.breakdown["categories"]["engagement"]
    assert engagement["points"] == 20 and engagement["uncapped"] == 30
    assert engagement["rules"] == [{"label": "email clicked ×3 (decayed)", "points": 30, "count": 3}]


def test_direction_specific_engagement_key_wins():
    inbound = ActivityFacts(kind="call", direction="inbound", occurred_at=NOW)
    outbound = ActivityFacts(kind="call", direction="outbound", occurred_at=NOW)
    assert _points(_score(LeadFacts(), [inbound]))["engagement"] == 6
    assert _points(_score(LeadFacts(), [outbound]))["engagement"] == 2


def test_behaviour_rules_match_detail_text_and_the_first_rule_wins():
    activities = [
        ActivityFacts(kind="page_view", occurred_at=NOW, detail="/Pricing?plan=team"),  # case-insensitive
        ActivityFacts(kind="page_view", occurred_at=NOW - timedelta(days=30), detail="/pricing"),  # worth half
        ActivityFacts(kind="page_view", occurred_at=NOW, detail="/demo"),
        ActivityFacts(kind="page_view", occurred_at=NOW, detail="/blog"),  # no behaviour rule
        ActivityFacts(kind="form_submit", occurred_at=NOW, detail="Book a demo"),
    ]
    behaviour = _score(LeadFacts(), activities).breakdown["categories"]["behaviour"]
    assert behaviour["rules"] == [
        {"label": "pricing page visit ×2 (decayed)", "points": 6, "count": 2},
        {"label": "demo page visit ×1 (decayed)", "points": 4, "count": 1},
        {"label": "demo request ×1 (decayed)", "points": 15, "count": 1},
    ]
    assert behaviour["points"] == 25 and "uncapped" not in behaviour  # 6 + 4 + 15: exactly the cap, not cut


@pytest.mark.parametrize(("points", "tier"), [(70, "hot"), (69, "warm"), (40, "warm"), (39, "cold")])
def test_tiers_change_exactly_at_the_thresholds(points: int, tier: str):
    text = f"tiers: {{hot: 70, warm: 40}}\ncategories:\n  source:\n    cap: 100\n    points: {{referral: {points}}}\n"
    result = _score(LeadFacts(source="referral"), policy=_policy(text))
    assert (result.score, result.tier) == (points, tier)
    assert tier_for(points, policy=_policy(text)) == tier


def test_scores_round_half_up_from_tenths():
    text = "tiers: {hot: 70, warm: 40}\ncategories:\n  engagement:\n    cap: 100\n    half_life_days: 14\n    points: {meeting: 80.5}\n"
    result = _score(LeadFacts(), [ActivityFacts(kind="meeting", occurred_at=NOW)], policy=_policy(text))
    assert result.breakdown["total"] == 80.5 and result.score == 81


def test_the_shipped_policy_loads_and_scores():
    policy = load_policy()
    assert policy.path is not None and policy.path.name == "scoring.yaml"
    lead = LeadFacts(email="a@b.io", phone="1", industry="fintech", company_size=5000, source="referral")
    result = score_lead(lead=lead, activities=[], policy=policy, now=NOW)
    assert _points(result)["source"] == 30 and _points(result)["industry"] == 25
    # A perfect fit that never engaged is nurture (A4), not hot: hot needs fit and engagement.
    axes = result.breakdown["axes"]
    assert axes["fit"]["grade"] == "A" and axes["engagement"]["level"] == "4" and result.breakdown["cell"] == "A4"
    assert result.tier == "warm"
    engaged = [
        ActivityFacts(kind="meeting", occurred_at=NOW - timedelta(days=2), direction="outbound"),
        ActivityFacts(kind="form_submit", occurred_at=NOW - timedelta(days=3), detail="/demo-request"),
        ActivityFacts(kind="page_view", occurred_at=NOW - timedelta(days=3), detail="/pricing"),
    ]
    result = score_lead(lead=lead, activities=engaged, policy=policy, now=NOW)
    assert result.breakdown["cell"] in policy.grid.hot and result.tier == "hot"


def test_the_policy_setting_points_at_another_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from leadpilot.settings import get_settings

    path = tmp_path / "mine.yaml"
    path.write_text(POLICY.replace("hot: 70", "hot: 80"))
    monkeypatch.setenv("LEADPILOT_SCORING_POLICY", str(path))
    get_settings.cache_clear()
    assert load_policy().tiers.hot == 80
    assert PolicyHolder().get().tiers.hot == 80


def test_the_version_follows_content_not_comments():
    assert _policy(POLICY).version == _policy("# a comment\n" + POLICY).version
    assert _policy(POLICY).version != _policy(POLICY.replace("referral: 25", "referral: 20")).version


# --- a broken policy is refused with the file, the key and the fix ----------------------------


def test_bad_yaml_names_the_line_and_column():
    message = _problem(POLICY.replace("  source:\n", "  source\n"), name="/etc/leadpilot/scoring.yaml")
    assert "/etc/leadpilot/scoring.yaml" in message
    assert "YAML syntax error" in message and "line 11" in message and "column" in message


def test_unknown_keys_are_errors_with_a_suggestion():
    message = _problem(POLICY.replace("  engagement:", "  engagment:"))
    assert "scoring.yaml" in message
    assert "categories.engagment: unknown category 'engagment' — did you mean 'engagement'?" in message
    message = _problem(POLICY.replace("referral: 25,", "refferal: 25,"))
    assert "categories.source.points.refferal: unknown source 'refferal' — did you mean 'referral'?" in message
    message = _problem(POLICY.replace("total_cap: 100", "total_cap: 100\nsemantic: {cap: 10}"))
    assert "semantic: unknown key 'semantic'" in message


def test_negative_points_name_the_key_and_the_fix():
    message = _problem(POLICY.replace("referral: 25,", "referral: -5,"))
    assert "line 12: categories.source.points.referral: must be a whole number ≥ 0" in message
    assert "(got -5)" in message
    message = _problem(POLICY.replace("half_life_days: 14", "half_life_days: 0"))
    assert "categories.engagement.half_life_days: must be a number of days above 0" in message


def test_hot_must_be_above_warm():
    message = _problem(POLICY.replace("tiers: {hot: 70, warm: 40}", "tiers: {hot: 30, warm: 40}"))
    assert "tiers.hot: tiers.hot (30) must be above tiers.warm (40)" in message


def test_other_mistakes_are_named_precisely():
    assert "duplicate key 'email'" in _problem(POLICY.replace("{email: 10, phone: 10}", "{email: 10, email: 5}"))
    assert "categories.behaviour.rules[2].kind: unknown activity kind 'form_submitt' — did you mean 'form_submit'?" in _problem(
        POLICY.replace("kind: form_submit", "kind: form_submitt")
    )
    assert "categories.industry.groups[0].industries[1]: unknown industry 'sass' — did you mean 'saas'?" in _problem(
        POLICY.replace("[fintech, saas,", "[fintech, sass,")
    )
    assert "categories.source.cap: is missing" in _problem(POLICY.replace("    cap: 25\n    points: {referral", "    points: {referral"))
    assert "total_cap (60) is below tiers.hot (70)" in _problem(POLICY.replace("total_cap: 100", "total_cap: 60"))
    with pytest.raises(PolicyError, match="file not found"):
        load_policy(Path("/nonexistent/scoring.yaml"))


def test_several_problems_are_reported_together():
    text = POLICY.replace("referral: 25,", "referral: -5,").replace("organic: 15,", "organic: lots,")
    message = _problem(text)
    assert "(2 problems)" in message
    assert "categories.source.points.organic" in message and "categories.source.points.referral" in message


def test_holder_reloads_a_changed_file_and_keeps_the_old_policy_when_the_new_one_is_broken(tmp_path: Path):
    path = tmp_path / "scoring.yaml"
    path.write_text(POLICY)
    holder = PolicyHolder(path)
    first = holder.get()
    assert holder.get() is first  # unchanged file: same policy

    path.write_text(POLICY.replace("hot: 70", "hot: 75"))
    second = holder.get()
    assert second.tiers.hot == 75 and second.version != first.version and holder.error is None

    path.write_text(POLICY.replace("hot: 70", "hot: -1"))
    assert holder.get() is second  # the broken file does not replace the policy in force
    assert holder.error is not None and "tiers.hot" in str(holder.error) and str(path) in str(holder.error)
    assert holder.refresh() is holder.error

    path.write_text(POLICY)
    assert holder.get().version == first.version and holder.error is None

    path.unlink()
    assert holder.get().version == first.version
    assert "file not found" in str(holder.error)


def test_holder_raises_when_no_policy_ever_loaded(tmp_path: Path):
    path = tmp_path / "scoring.yaml"
    path.write_text("tiers: [")
    with pytest.raises(PolicyError, match="YAML syntax error"):
        PolicyHolder(path).get()


# --- the store: bulk re-scoring, audit, agent reads --------------------------------------------


def _add_leads(db, *raws: dict) -> list[int]:
    with db.transaction() as session:
        outcome = upsert_leads(session, records=[validate_lead(raw, now=NOW) for raw in raws], now=NOW)
    return [lead_id for _, lead_id in outcome.actions]


def _score_events(db) -> list[AuditEvent]:
    with db.session() as session:
        return session.scalars(select(AuditEvent).where(AuditEvent.field.in_(("score", "tier"))).order_by(AuditEvent.id)).all()


def _demo_leads(db) -> list[int]:
    """Three leads scoring 100 (hot), 55 (warm) and 25 (cold) under POLICY at NOW."""
    ids = _add_leads(
        db,
        # completeness 20 + profile 25 + referral 25 + fintech 20 + size 25 = 115, capped at 100
        {"company": "Acme Pay", "email": "ann@acmepay.io", "phone": "+1 415 555 0100", "industry": "fintech",
         "company_size": "5000", "source": "referral", "job_title": "CFO"},
        # completeness 10 + profile 15 + paid 10 + size 15 + page view 1 + pricing visit 4 = 55
        {"company": "Globex", "email": "gil@globex.com", "industry": "retail", "company_size": "120", "source": "paid"},
        # completeness 10 + profile 10 + other 5 = 25
        {"company": "Initech", "email": "ina@initech.com", "source": "other"},
    )
    with db.transaction() as session:
        add_activity(session, lead_id=ids[1], kind="page_view", occurred_at=NOW, detail="/pricing")
        add_activity(session, lead_id=ids[1], kind="email_sent", occurred_at=NOW - timedelta(days=3))  # scores nothing
    return ids


def test_rescore_stores_scores_and_audits_only_what_changed(db):
    acme, globex, initech = _demo_leads(db)
    policy = _policy()
    report = rescore_leads(db, policy=policy, now=NOW)
    assert (report.scored, report.changed, report.audit_events) == (3, 3, 6)
    assert report.tier_moves == {"unscored->cold": 1, "unscored->hot": 1, "unscored->warm": 1}

    with db.session() as session:
        stored = get_lead(session, lead_id=acme)
        assert (stored.score, stored.tier, stored.scored_at) == (100, "hot", NOW)
        assert stored.score_breakdown["policy_version"] == policy.version
        history = lead_history(session, lead_id=acme)
        assert [(e.field, e.old_value, e.new_value) for e in history] == [("score", None, "100"), ("tier", None, "hot")]
        assert policy.version in history[0].reason and history[0].actor == "rescore"

    later = NOW + timedelta(minutes=5)
    again = rescore_leads(db, policy=policy, now=later)
    assert (again.scored, again.changed, again.audit_events, again.tier_moves) == (3, 0, 0, {})
    assert len(_score_events(db)) == 6
    again = rescore_leads(db, policy=policy, now=later + timedelta(minutes=5), lead_ids=[acme, initech])  # not a contiguous range
    assert (again.scored, again.changed) == (2, 0)
    with db.session() as session:
        stamps = {lead_id: get_lead(session, lead_id=lead_id).scored_at for lead_id in (acme, globex, initech)}
    assert stamps == {acme: later + timedelta(minutes=5), globex: later, initech: later + timedelta(minutes=5)}

    # A new activity changes one lead: only that lead gets audit events.
    with db.transaction() as session:
        add_activity(session, lead_id=initech, kind="meeting", occurred_at=NOW - timedelta(hours=2))
    third = rescore_leads(db, policy=policy, now=NOW)
    assert third.changed == 1 and third.audit_events == 1  # score moved, tier stayed cold
    event = _score_events(db)[-1]
    assert (event.lead_id, event.field) == (initech, "score")
    assert "engagement 0→8" in event.reason


def test_rescore_matches_the_pure_scorer(db):
    ids = _demo_leads(db)
    policy = _policy()
    rescore_leads(db, policy=policy, now=NOW)
    with db.session() as session:
        for lead_id in ids:
            computed = score_lead_by_id(session, lead_id=lead_id, policy=policy, now=NOW)
            stored = get_lead(session, lead_id=lead_id)
            assert (computed.score, computed.tier, computed.breakdown) == (stored.score, stored.tier, stored.score_breakdown)


def test_bulk_and_pure_scores_agree_on_varied_activity(db):
    rng = random.Random(5)
    kinds = ["email_opened", "email_clicked", "page_view", "form_submit", "meeting", "call", "email_sent", "note"]
    details = ["/pricing", "/demo", "/blog", "Demo request", "Newsletter", None]
    ids = _add_leads(db, *({"company": f"Co {i}", "email": f"c{i}@co{i}.io", "source": rng.choice(["paid", "referral"])} for i in range(25)))
    with db.transaction() as session:
        for lead_id in ids:
            for _ in range(rng.randint(0, 12)):
                add_activity(
                    session, lead_id=lead_id, kind=rng.choice(kinds), detail=rng.choice(details),
                    direction=rng.choice(["inbound", "outbound"]), occurred_at=NOW - timedelta(days=rng.uniform(-2, 90)),
                )
    policy = _policy()
    rescore_leads(db, policy=policy, now=NOW, batch_size=7)  # several batches
    with db.session() as session:
        for lead_id in ids:
            computed = score_lead_by_id(session, lead_id=lead_id, policy=policy, now=NOW)
            stored = get_lead(session, lead_id=lead_id)
            assert (computed.score, computed.tier, computed.breakdown) == (stored.score, stored.tier, stored.score_breakdown)


def test_editing_the_policy_file_changes_scores_on_the_next_rescore(db, tmp_path: Path):
    acme, globex, initech = _demo_leads(db)
    path = tmp_path / "scoring.yaml"
    path.write_text(POLICY)
    holder = PolicyHolder(path)
    old_version = holder.get().version
    rescore_leads(db, policy=holder.get(), now=NOW)
    with db.session() as session:
        globex_before = get_lead(session, lead_id=globex).score

    path.write_text(POLICY.replace("other: 5", "other: 20"))
    new_policy = holder.get()
    report = rescore_leads(db, policy=new_policy, now=NOW, actor="revops")
    assert (report.changed, report.tier_moves) == (1, {"cold->warm": 1})

    with db.session() as session:
        initech_after = get_lead(session, lead_id=initech)
        assert (initech_after.score, initech_after.tier) == (40, "warm")
        history = lead_history(session, lead_id=initech)
        assert get_lead(session, lead_id=globex).score == globex_before
    score_change, tier_change = history[-2:]
    assert (score_change.field, score_change.old_value, score_change.new_value) == ("score", "25", "40")
    assert (tier_change.field, tier_change.old_value, tier_change.new_value) == ("tier", "cold", "warm")
    assert tier_change.reason == f"revops: policy {new_policy.version} (was {old_version}); source 5→20"
    assert tier_change.actor == "revops"


def test_rescore_of_some_leads_in_a_caller_session(db):
    acme, globex, initech = _demo_leads(db)
    with db.transaction() as session:
        lead = get_lead(session, lead_id=globex)
        assert lead.score is None
        report = rescore_leads(session, policy=_policy(), now=NOW, lead_ids=[globex])
        assert report.scored == 1
        assert lead.score is not None  # loaded objects see the new score
    with db.session() as session:
        scored = session.scalar(select(func.count()).select_from(type(lead)).where(type(lead).score.is_not(None)))
        assert scored == 1


def test_explain_score_reads_back_the_breakdown_and_its_history(db):
    acme, globex, initech = _demo_leads(db)
    with db.session() as session:
        unscored = explain_score(session, lead_id=acme)
        assert (unscored.score, unscored.summary, unscored.lines) == (None, "not scored yet", [])
    rescore_leads(db, policy=_policy(), now=NOW)
    with db.session() as session:
        explanation = explain_score(session, lead_id=globex)
        with pytest.raises(LookupError):
            explain_score(session, lead_id=999_999)
    assert explanation.score == 55 and explanation.tier == "warm"
    assert explanation.policy_version == _policy().version
    assert explanation.summary == f"55, warm (hot from 70, warm from 40), policy {_policy().version}"
    assert "source +10 (cap 25): paid source +10" in explanation.lines
    assert "behaviour +4 (cap 25): pricing page visit ×1 (decayed) +4" in explanation.lines
    assert [(c.field, c.old_value, c.new_value) for c in explanation.history] == [("score", None, "55"), ("tier", None, "warm")]
    json.dumps(explanation.breakdown)  # plain data


def test_rank_leads_orders_by_score_and_filters(db):
    acme, globex, initech = _demo_leads(db)
    rescore_leads(db, policy=_policy(), now=NOW)
    with db.session() as session:
        ranked = rank_leads(session)
        assert [(r.lead_id, r.score) for r in ranked] == [(acme, 100), (globex, 55), (initech, 25)]
        assert ranked[0].reasons[0] == "referral source +25"
        assert [r.lead_id for r in rank_leads(session, tier="warm")] == [globex]
        assert [r.lead_id for r in rank_leads(session, limit=1)] == [acme]
        with pytest.raises(ValueError, match="unknown tier"):
            rank_leads(session, tier="lukewarm")
    with db.transaction() as session:
        set_stage(session, lead=get_lead(session, lead_id=acme), stage="CUSTOMER", reason="won", at=NOW)
    with db.session() as session:
        assert [r.lead_id for r in rank_leads(session)] == [globex, initech]  # closed leads are not worked
        assert [r.lead_id for r in rank_leads(session, scope="all")][0] == acme


def test_a_rescore_in_several_batches_writes_what_one_session_writes(tmp_path: Path):
    """Several batches of an SQLite store are written by a second process (tools/scoring/writer.py)
    while the next batch is scored; the result is the one of a single in-process session."""
    from leadpilot.memory.db import open_database
    from leadpilot.tools.common.worker_process import start_method

    def store(name: str):
        database = open_database(f"sqlite:///{tmp_path / name}")
        rng = random.Random(3)
        ids = _add_leads(database, *({"company": f"Co {i}", "email": f"c{i}@co{i}.io", "source": rng.choice(["paid", "referral", "other"]),
                                      "company_size": str(rng.choice([5, 50, 500, 5000]))} for i in range(23)))
        with database.transaction() as session:
            for lead_id in ids[::2]:
                add_activity(session, lead_id=lead_id, kind="page_view", detail="/pricing", occurred_at=NOW - timedelta(days=lead_id))
        return database

    def stored(database) -> tuple[list, list]:
        with database.session() as session:
            leads = session.execute(select(Lead.id, Lead.score, Lead.tier, Lead.score_breakdown, Lead.scored_at).order_by(Lead.id)).all()
            events = session.execute(
                select(AuditEvent.lead_id, AuditEvent.field, AuditEvent.old_value, AuditEvent.new_value, AuditEvent.reason)
                .order_by(AuditEvent.lead_id, AuditEvent.field)
            ).all()
        return [tuple(row) for row in leads], [tuple(row) for row in events]

    batched, single = store("batched.db"), store("single.db")
    report = rescore_leads(batched, policy=_policy(), now=NOW, batch_size=4)  # 6 batches: the writer process
    with single.transaction() as session:
        rescore_leads(session, policy=_policy(), now=NOW, batch_size=4)
    assert (report.scored, report.changed, report.audit_events) == (23, 23, 46)
    assert report.background_writer == (start_method() == "fork")  # a process with threads writes in-process
    assert stored(batched) == stored(single)
    again = rescore_leads(batched, policy=_policy(), now=NOW + timedelta(hours=1), batch_size=4)
    assert (again.changed, again.audit_events) == (0, 0)
    with batched.session() as session:
        assert set(session.scalars(select(Lead.scored_at))) == {NOW + timedelta(hours=1)}  # unchanged leads are stamped
    batched.dispose()
    single.dispose()


def test_the_writer_process_reports_a_failed_write(tmp_path: Path):
    import sqlite3

    from leadpilot.memory.db import open_database
    from leadpilot.tools.scoring.writer import ScoreWriterProcess, WriteStatements

    path = tmp_path / "store.db"
    open_database(f"sqlite:///{path}").dispose()
    statements = WriteStatements(
        stamp_range="UPDATE leads SET scored_at = ? WHERE id BETWEEN ? AND ?", stamp_one="UPDATE leads SET scored_at = ? WHERE id = ?",
        scores="UPDATE leads SET score = ?, tier = ?, score_breakdown = ?, scored_at = ? WHERE id = ?",
        audit="INSERT INTO audit_events (lead_id, at, field, old_value, new_value, reason, actor) VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the database
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        with ScoreWriterProcess(path=str(path), statements=statements, busy_timeout_s=0.2) as writer:
            writer.submit((None, [("2026-11-20 12:00:00.000000", 1)], [], []))
            writer.finish()
    holder.rollback()
    holder.close()
