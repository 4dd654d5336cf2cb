"""Fit × engagement scoring and its calibration on history: the grid in the policy, `leadpilot
calibrate` (tiers with Wilson intervals, AUC, proposed thresholds, learned weights, --write through
the audited re-score), the week-by-week drift, the tool functions the agent calls, and one story
when the rule tier and the model disagree."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from importlib.resources import files
from pathlib import Path

import pytest
from sqlalchemy import select

from leadpilot.memory.models import AuditEvent, Lead, Rep
from leadpilot.memory.seed import seed_demo
from leadpilot.settings import get_settings
from leadpilot.tools.scoring import calibrate_policy, rules_and_model, score_drift, write_thresholds
from leadpilot.tools.scoring.calibrate import Thresholds, wilson_interval
from leadpilot.tools.scoring.facts import ActivityFacts, LeadFacts
from leadpilot.tools.scoring.policy import PolicyError, load_policy, parse_policy
from leadpilot.tools.scoring.rescore import rescore_leads
from leadpilot.tools.scoring.rules import score_lead

from conftest import NOW

SHIPPED = files("leadpilot.config").joinpath("scoring.yaml").read_text()
LEADPILOT = str(Path(sys.executable).with_name("leadpilot"))


def _problem(text: str) -> str:
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, path=Path("scoring.yaml"))
    return str(caught.value)


# --- the grid in the policy -------------------------------------------------------------------


def test_grid_mistakes_name_the_file_the_key_and_the_fix():
    message = _problem(SHIPPED.replace("hot: [A1, A2, B1, B2]", "hot: [A1, E2]"))
    assert "scoring.yaml" in message and "grid.hot" in message and "unknown grid cell 'E2'" in message
    assert "cell A1 is in hot and in warm" in _problem(SHIPPED.replace("warm: [A3,", "warm: [A1, A3,"))
    assert "grades must go down: A (40) > B (45)" in _problem(SHIPPED.replace("    A: 65", "    A: 40"))
    assert "grid.engagement.1: must be a whole number from 0 to 100" in _problem(SHIPPED.replace("    1: 65", "    1: 165"))
    assert "must add up to 100" in _problem(SHIPPED.replace("    fit: 40\n", "    fit: 45\n"))
    assert "give either grid" in _problem(SHIPPED.replace("grid:\n", "tiers: {hot: 70, warm: 40}\ngrid:\n", 1))
    assert "unknown engagement level '4'" in _problem(SHIPPED.replace("    3: 15", "    3: 15\n    4: 5"))
    assert "calibration.hot_share: must be a share above 0 and below 1" in _problem(SHIPPED.replace("hot_share: 0.15", "hot_share: 15"))
    assert "no lead could be hot" in _problem(SHIPPED.replace("    cap: 60\n    half_life_days: 30", "    cap: 1\n    half_life_days: 30")
                                              .replace("    cap: 40\n    half_life_days: 30", "    cap: 1\n    half_life_days: 30"))


def test_calibration_targets_do_not_change_the_policy_version():
    shipped = parse_policy(SHIPPED, path=Path("a.yaml"))
    assert parse_policy(SHIPPED.replace("hot_share: 0.15", "hot_share: 0.2"), path=Path("a.yaml")).version == shipped.version
    assert parse_policy(SHIPPED.replace("    B: 45", "    B: 50"), path=Path("a.yaml")).version != shipped.version


def test_hot_needs_fit_and_engagement_and_the_combined_score_is_their_weighted_mean():
    policy = load_policy()
    perfect = LeadFacts(email="a@b.io", company="Acme", job_title="CFO", industry="fintech", company_size=5000, source="referral")
    idle = score_lead(lead=perfect, activities=[], policy=policy, now=NOW)
    fit, engagement = idle.breakdown["axes"]["fit"], idle.breakdown["axes"]["engagement"]
    assert (fit["score"], fit["grade"], engagement["score"], engagement["level"]) == (90, "A", 0, "4")
    assert (idle.breakdown["cell"], idle.tier, idle.score) == ("A4", "warm", round(0.4 * 90))
    busy = [ActivityFacts(kind="meeting", occurred_at=NOW - timedelta(days=1), direction="outbound"),
            ActivityFacts(kind="page_view", occurred_at=NOW - timedelta(days=1), detail="/pricing"),
            ActivityFacts(kind="form_submit", occurred_at=NOW - timedelta(days=2), detail="/demo-request")]
    engaged = score_lead(lead=perfect, activities=busy, policy=policy, now=NOW)
    level = engaged.breakdown["axes"]["engagement"]
    assert engaged.tier == "hot" and engaged.breakdown["cell"] == f"A{level['level']}" and level["level"] in ("1", "2")
    assert engaged.score == (40 * 90 + 60 * level["score"] + 50) // 100
    # A busy lead that does not fit (no company, micro, unlisted source) is not hot either.
    nobody = score_lead(lead=LeadFacts(email="x@y.io", source="other", company_size=3), activities=busy, policy=policy, now=NOW)
    assert nobody.breakdown["axes"]["fit"]["grade"] == "D" and nobody.tier == "cold"


def test_the_readme_webhook_lead_with_no_engagement_is_not_hot():
    """README Capture API: a referral CEO at a 50-person SaaS company, captured by one webhook form."""
    lead = LeadFacts(company="ACME Corp", contact_name="Wile Coyote", email="wile@acmecorp.example", job_title="CEO",
                     industry="saas", company_size=50, source="referral")
    captured = [ActivityFacts(kind="form_submit", occurred_at=NOW, detail="captured by webhook")]
    result = score_lead(lead=lead, activities=captured, policy=load_policy(), now=NOW)
    assert result.breakdown["axes"]["engagement"]["level"] == "4" and result.tier != "hot"


def test_one_story_when_rules_and_model_disagree():
    idle = {"axes": {"fit": {"score": 90, "grade": "A"}, "engagement": {"score": 0, "level": "4"}}, "cell": "A4"}
    hot = {"axes": {"fit": {"score": 90, "grade": "A"}, "engagement": {"score": 50, "level": "2"}}, "cell": "A2"}
    assert rules_and_model(tier="hot", breakdown=hot, probability=0.06, priority="low").startswith(
        "hot on rules, 6% by the model (low priority): fit A and engagement level 2")
    assert rules_and_model(tier="hot", breakdown=hot, probability=0.6, priority="top") is None
    assert rules_and_model(tier="cold", breakdown=idle, probability=0.5, priority="high").startswith(
        "cold on rules, but 50% by the model (high priority): no engagement yet")
    assert rules_and_model(tier="hot", breakdown=hot, probability=None, priority=None) is None


# --- calibration on history -----------------------------------------------------------------


def test_wilson_interval():
    low, high = wilson_interval(5, 10)
    assert round(low, 4) == 0.2366 and round(high, 4) == 0.7634
    assert wilson_interval(0, 0) is None
    low, high = wilson_interval(0, 20)
    assert low == 0.0 and 0.15 < high < 0.17


@pytest.fixture
def demo(db):
    seed_demo(db, now=NOW, n_leads=600)
    rescore_leads(db, policy=load_policy(), now=NOW)
    return db


def test_calibrate_reports_tiers_auc_and_a_proposal_that_meets_its_targets(demo):
    policy = load_policy()
    with demo.session() as session:
        report = calibrate_policy(session, policy=policy, now=NOW)
        open_count = session.query(Lead).filter(Lead.converted.is_(None)).count()
    assert report.open_leads == open_count and report.closed_leads + report.open_leads == 600
    assert sum(row.open_leads for row in report.tiers) == report.open_leads
    assert sum(row.closed_leads for row in report.tiers) == report.closed_leads
    assert sum(row.converted for row in report.tiers) == report.converted
    for row in report.tiers:
        if row.closed_leads:
            assert row.interval[0] <= row.conversion <= row.interval[1]
    hot, warm, cold = report.tiers
    assert hot.conversion > warm.conversion > cold.conversion  # the tiers separate
    assert report.auc is not None and report.auc > 0.7
    proposal = report.proposal
    assert proposal is not None and proposal.meets_targets and proposal.hot_lift >= policy.calibration.hot_lift
    assert abs(proposal.hot_share - policy.calibration.hot_share) <= 0.08
    assert report.weights is not None and {c["category"] for c in report.weights.categories} >= {"engagement", "source"}
    table = report.as_aggregate()
    assert [row["tier"] for row in table["rows"]] == ["hot", "warm", "cold"] and table["chart"]["x"] == "tier"


def test_write_applies_thresholds_keeps_comments_and_the_rescore_audits_the_move(demo, tmp_path, monkeypatch):
    path = tmp_path / "scoring.yaml"
    path.write_text(SHIPPED.replace("hot_share: 0.15", "hot_share: 0.05"))
    monkeypatch.setenv("LEADPILOT_SCORING_POLICY", str(path))
    get_settings.cache_clear()
    policy = load_policy()
    assert policy.calibration.hot_share == 0.05
    with demo.session() as session:
        report = calibrate_policy(session, policy=policy, now=NOW, weights=False)
    proposed = report.proposal.thresholds
    assert proposed != Thresholds.of(policy.grid) and report.proposal.hot_share < report.current.hot_share
    before, after = write_thresholds(path, proposed)
    assert Thresholds.of(after.grid) == proposed and before.version != after.version
    text = path.read_text()
    assert "# Fit grades: the lowest fit score of each grade" in text and f"    B: {proposed.fit[1]}\n" in text
    moved = rescore_leads(demo, policy=load_policy(), now=NOW, actor="calibrate")
    assert sum(count for move, count in moved.tier_moves.items() if move.startswith("hot->")) > 0
    with demo.session() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.field == "tier", AuditEvent.actor == "calibrate"))
        assert event is not None and f"policy {after.version} (was {before.version})" in event.reason
        again = calibrate_policy(session, policy=load_policy(), now=NOW, weights=False)
    # What was proposed is now in force: the hot tier's share is the one the proposal reported.
    assert again.current.thresholds == proposed and again.tiers[0].open_share == pytest.approx(report.proposal.hot_share)


def test_calibrate_write_then_rescore_moves_tiers_as_proposed_with_a_policy_audit_entry(demo, tmp_path, monkeypatch):
    """As RevOps runs it: `calibrate` (the report), `calibrate --write` (the policy file changes, one
    policy-level audit entry: who, when, thresholds and version before → after, the numbers behind
    it), `rescore`; the open leads' tier shares are then the ones the report proposed, and
    `score-drift` (where the team reads the audit) shows the change."""
    from typer.testing import CliRunner

    from leadpilot.interfaces.cli import app

    path = tmp_path / "scoring.yaml"
    path.write_text(SHIPPED.replace("hot_share: 0.15", "hot_share: 0.08"))
    for name, value in (("LEADPILOT_DATABASE_URL", demo.engine.url.render_as_string(hide_password=False)),
                        ("LEADPILOT_SCORING_POLICY", str(path)), ("LEADPILOT_NOW", NOW.isoformat())):
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    runner = CliRunner()
    before = load_policy(path)

    shown = runner.invoke(app, ["calibrate", "--json"])
    assert shown.exit_code == 0, shown.output
    report = json.loads(shown.stdout)
    proposal, current = report["proposal"], report["current"]
    assert proposal["thresholds"] != current["thresholds"] and proposal["meets_targets"]
    written = runner.invoke(app, ["calibrate", "--write"])
    assert written.exit_code == 0, written.output
    after = load_policy(path)
    assert after.version != before.version and [list(t) for t in Thresholds.of(after.grid).__dict__.values()] == [
        proposal["thresholds"]["fit"], proposal["thresholds"]["engagement"]]
    rescored = runner.invoke(app, ["rescore"])
    assert rescored.exit_code == 0 and "no changes" in rescored.output  # --write re-scored already: nothing left to move

    with demo.session() as session:
        tiers = session.scalars(select(Lead.tier).where(Lead.stage.not_in(("CUSTOMER", "LOST")))).all()
        policy_events = session.scalars(select(AuditEvent).where(AuditEvent.field == "policy")).all()
        moved = session.scalars(select(AuditEvent.reason).where(AuditEvent.field == "tier", AuditEvent.actor == "calibrate")).all()
    assert len(tiers) == report["open_leads"]
    for tier in ("hot", "warm", "cold"):
        assert tiers.count(tier) / len(tiers) == pytest.approx(proposal["shares"][tier]), tier
    assert moved and all(f"policy {after.version} (was {before.version})" in reason for reason in moved)
    (event,) = policy_events
    assert event.lead_id is None and event.actor.startswith("cli:") and event.at.replace(tzinfo=None) == NOW.replace(tzinfo=None)
    assert event.old_value == f"scoring {before.version}: {Thresholds.of(before.grid).describe()}"
    assert event.new_value == f"scoring {after.version}: {Thresholds.of(after.grid).describe()}"
    for number in (f"{current['hot_share']:.1%}", f"{proposal['hot_share']:.1%}", f"{proposal['hot_lift']:.2f}×",
                   f"{report['base_rate']:.1%}", f"AUC {report['auc']:.3f}", f"{report['closed_leads']:,} closed leads"):
        assert number in event.reason, number

    drift = runner.invoke(app, ["score-drift", "--weeks", "2", "--json"])
    assert drift.exit_code == 0, drift.output
    (change,) = json.loads(drift.stdout)["policy_changes"]
    assert change["new"] == event.new_value and change["actor"] == event.actor and change["reason"] == event.reason
    assert "policy change: " in runner.invoke(app, ["score-drift", "--weeks", "2"]).output
    get_settings.cache_clear()


def test_a_grid_written_in_flow_style_is_refused_with_the_values_to_set(tmp_path):
    path = tmp_path / "scoring.yaml"
    path.write_text(SHIPPED.replace("  fit:\n    A: 65\n    B: 45\n    C: 25\n", "  fit: {A: 65, B: 45, C: 25}\n"))
    with pytest.raises(PolicyError, match="set them by hand: fit A 70, B 50, C 30"):
        write_thresholds(path, Thresholds((70, 50, 30), (65, 45, 15)))


def test_score_drift_rebuilds_tiers_week_by_week_from_the_audit(demo, tmp_path, monkeypatch):
    # A stricter policy two weeks later moves leads out of hot; the drift shows both weeks and both versions.
    first = load_policy()
    path = tmp_path / "strict.yaml"
    path.write_text(SHIPPED.replace("hot: [A1, A2, B1, B2]", "hot: [A1]").replace("warm: [A3,", "warm: [A2, B1, B2, A3,"))
    strict = load_policy(path)
    later = NOW + timedelta(days=14)
    rescore_leads(demo, policy=strict, now=later)
    with demo.session() as session:
        drift = score_drift(session, now=later, weeks=3)
    weeks = drift.weeks
    assert len(weeks) == 3 and weeks[-1].week_ending.startswith(later.date().isoformat())
    week_of_first = next(w for w in weeks if first.version in w.policies)
    assert strict.version in weeks[-1].policies and weeks[-1].tiers["hot"] < week_of_first.tiers["hot"]
    assert any(move.startswith("hot->") for move in weeks[-1].tier_moves)
    table = drift.as_aggregate()
    assert table["chart"]["y"] == ["hot", "warm", "cold"] and len(table["rows"]) == 3
    with pytest.raises(ValueError, match="weeks must be from 1 to 104"):
        score_drift(session, now=later, weeks=0)


def test_the_agent_tools_return_tables_with_charts(demo):
    from leadpilot.agent.toolbox.scoring import score_drift_tool, tier_calibration_tool
    from leadpilot.interfaces.deps_factory import make_deps, viewer_for

    deps = make_deps(demo, viewer=viewer_for(demo, email=None))
    content, artifact = tier_calibration_tool.run({}, context=deps)
    assert artifact["kind"] == "aggregate" and artifact["report"] == "tier_calibration"
    assert "conversion_rate" in json.loads(content)["rows"][0]
    content, artifact = score_drift_tool.run({"weeks": 2}, context=deps)
    assert artifact["report"] == "score_drift" and len(artifact["rows"]) == 2
    # Counts over every lead: a rep (who sees their own leads only) is refused, not given them.
    with demo.session() as session:
        rep_email = session.scalar(select(Rep.email).where(Rep.role == "rep").order_by(Rep.id))
    rep = make_deps(demo, viewer=viewer_for(demo, email=rep_email))
    content, artifact = tier_calibration_tool.run({}, context=rep)
    assert artifact["kind"] == "error" and "manager" in artifact["problems"][0] and "rows" not in json.loads(content)


@pytest.mark.parametrize("args", [("calibrate", "--json"), ("score-drift", "--weeks", "2", "--json")])
def test_the_commands_print_json(sqlite_db, tmp_path, args):
    seed_demo(sqlite_db, now=NOW, n_leads=400)
    env = {**os.environ, "LEADPILOT_DATABASE_URL": str(sqlite_db.engine.url)}
    result = subprocess.run([LEADPILOT, *args], capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)
    assert ("tiers" in output and "auc" in output) if args[0] == "calibrate" else len(output["weeks"]) == 2


def test_hot_alerts_can_require_the_model_to_agree(monkeypatch):
    from types import SimpleNamespace

    from leadpilot.interfaces.slack.blocks import hot_lead_alert_blocks
    from leadpilot.tools.pipeline import PipelineWorker

    story = "hot on rules, 6% by the model (low priority): fit A and engagement level 2 on the rules, but ..."
    job = SimpleNamespace(result={"score": {"tier": "hot"}, "summarize": {"conversion_priority": "low", "score_story": story}})

    def worker(needs_model: bool):
        monkeypatch.setenv("LEADPILOT_HOT_ALERT_NEEDS_MODEL", "true" if needs_model else "false")
        get_settings.cache_clear()
        context = SimpleNamespace(settings=get_settings(), pipeline_policy=lambda: SimpleNamespace(hot=SimpleNamespace(alert=True)))
        return SimpleNamespace(context=context, alert=object())

    assert PipelineWorker._no_alert_because(worker(False), job) is None  # the default: the rules decide
    assert PipelineWorker._no_alert_because(worker(True), job).startswith("hot on rules, 6% by the model")
    agreeing = SimpleNamespace(result={"score": {"tier": "hot"}, "summarize": {"conversion_priority": "top"}})
    assert PipelineWorker._no_alert_because(worker(True), agreeing) is None
    # The alert itself tells one story: the model's probability beside the score, and the disagreement.
    blocks = hot_lead_alert_blocks({"id": 7, "company": "Acme", "score": 61, "conversion_probability": 0.06, "score_story": story})
    text = json.dumps(blocks)
    assert "score 61" in text and "model 6%" in text and "hot on rules, 6% by the model" in text
