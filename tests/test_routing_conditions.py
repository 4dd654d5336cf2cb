"""Routing conditions and outcomes RevOps can say in full: comparisons on numbers and dates,
`missing`, any/all/not over any lead field (custom fields from an import included), errors naming
the key and the fix; `when_unavailable`, named queues, pools filtered on rep attributes; and the
explanation (descriptions, no "next rule" when none is left, "+N more")."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from leadpilot.memory.models import Lead
from leadpilot.memory.reps import upsert_rep
from leadpilot.tools.routing.engine import decide
from leadpilot.tools.routing.facts import LeadFacts, PerformanceBook, RepRow, RoutingSnapshot, Workload, build_roster
from leadpilot.tools.routing.policy import RoutingPolicyError, load_policy, parse_policy
from leadpilot.tools.routing.explain import explain_assignment
from leadpilot.tools.routing.router import route_lead, route_leads

NOW = datetime(2026, 11, 20, 12, tzinfo=timezone.utc)
HOURS = {"start": "00:00", "end": "24:00", "days": [0, 1, 2, 3, 4, 5, 6]}
POLICY = """\
constraints: {capacity: true, daily_cap: false, working_hours: ignored, language: ignored}
queues:
  revops: {description: RevOps triages what the AEs cannot take., owner: max@t.co}
  waiting: {description: Nobody holds these yet.}
pools:
  german-emea:
    description: EMEA reps who speak German, whoever they are today.
    strategy: least_loaded
    where: {language: [de], territory: [EMEA]}
  seniors:
    description: Senior closers.
    strategy: round_robin
    members: [ana@t.co, ben@t.co, cy@t.co]
    where: {seniority: [senior]}
rules:
  - name: dach-small
    description: DE under 1,000 employees, or any AT or CH lead, go to the German speakers.
    when:
      any:
        - {country: [DE], company_size: {lt: 1000}}
        - {country: [AT, CH]}
    route_to: {pool: german-emea}
  - name: enterprise-na
    description: Enterprise North America goes to Ana, else the RevOps queue.
    when: {region: [NA], company_size: {gte: 1000}}
    route_to: {rep: ana@t.co}
    when_unavailable: queue:revops
  - name: gold-partners
    when: {partner_tier: [gold, platinum], not: {source: [paid]}}
    route_to: {pool: seniors}
    when_unavailable: fallback
  - name: unknown-size
    when: {company_size: {missing: true}, created_at: {after: 2026-11-01}}
    route_to: {queue: waiting}
  - name: us
    when: {country: [US]}
    route_to: {rep: cy@t.co}
fallback: {rep: max@t.co, queue: triage}
"""


def _row(rep_id: int, email: str, **fields) -> RepRow:
    return RepRow(id=rep_id, email=email, name=email.split("@")[0].title() + " Rep", working_hours=HOURS, **fields)


TEAM = (
    _row(1, "ana@t.co", languages=("en",), territories=("NA",), capacity=5, attributes={"seniority": "senior"}),
    _row(2, "ben@t.co", languages=("en", "de"), territories=("EMEA",), attributes={"seniority": "junior", "tags": ["payments"]}),
    _row(3, "cy@t.co", languages=("en", "de"), territories=("EMEA", "NA"), attributes={"seniority": ["senior"]}),
    _row(4, "max@t.co", role="manager", routing_weight=0.0),
    _row(5, "dora@t.co", languages=("de",), territories=("APAC",)),
)


def _policy(text: str = POLICY):
    return parse_policy(text, path=Path("routing.yaml"))


def _decide(lead: dict, *, policy=None, open_leads=None, now=NOW):
    policy = policy or _policy()
    snapshot = RoutingSnapshot(reps=build_roster(TEAM, policy), workload=Workload(dict(open_leads or {}), {}),
                               performance_loader=lambda: PerformanceBook(()))
    return decide(lead=LeadFacts.of(lead), account=None, snapshot=snapshot, policy=policy, now=now)


def test_any_of_different_fields_with_a_number_comparison():
    small_de = _decide({"country": "DE", "company_size": 400})
    assert (small_de.rule, small_de.pool) == ("dach-small", "german-emea")
    assert "one of the alternatives: country DE in [DE]; company size 400: below 1,000 employees" in small_de.rules_checked[0].detail
    assert _decide({"country": "CH", "company_size": 5000}).rule == "dach-small"
    big_de = _decide({"country": "DE", "company_size": 5000})
    assert big_de.rule == "fallback" and "company size 5,000 is not below 1,000 employees" in big_de.explanation()
    # A lead with no size is not "under 1,000": the comparison needs a value.
    assert _decide({"country": "DE"}).rule == "fallback"


def test_pool_where_filters_on_rep_attributes_at_decision_time():
    decision = _decide({"country": "AT"})
    # German speakers in EMEA: Ben and Cy (Dora speaks German but covers APAC; Ana speaks no German).
    assert {v.rep for v in decision.candidates} == {"ben@t.co", "cy@t.co"}
    assert decision.owner == "ben@t.co"  # both have 0 open leads: the list order (by email) breaks the tie
    assert "Pool german-emea: EMEA reps who speak German, whoever they are today." in decision.explanation()
    assert decision.rule_description.startswith("DE under 1,000 employees")
    seniors = _decide({"country": "FR", "extra": {"Partner_Tier": "Gold"}, "source": "organic"})
    assert seniors.rule == "gold-partners" and seniors.owner == "ana@t.co"
    ben = next(v for v in seniors.candidates if v.rep == "ben@t.co")
    assert ben.codes == ["where"] and "seniority senior (has junior)" in ben.reasons[0]


def test_a_pool_can_leave_managers_out_by_role():
    # "any rep in EMEA or with no territory, not the manager": without role, Max (manager, no territory) would be in it.
    text = POLICY.replace("pools:\n", "pools:\n  reps-only:\n    strategy: least_loaded\n    where: {role: [rep]}\n", 1).replace(
        "  - name: us\n", "  - name: japan\n    when: {country: [JP], company_size: {gte: 1}}\n    route_to: {pool: reps-only}\n  - name: us\n", 1)
    decision = _decide({"country": "JP", "company_size": 50}, policy=_policy(text), open_leads={1: 1, 2: 1, 3: 1, 5: 1})
    assert decision.rule == "japan" and "max@t.co" not in {v.rep for v in decision.candidates}, decision.explanation()
    assert {v.rep for v in decision.candidates} == {"ana@t.co", "ben@t.co", "cy@t.co", "dora@t.co"}
    roster = build_roster(TEAM, _policy(text))
    assert roster["max@t.co"].trait("role") == frozenset({"manager"}) == roster["max@t.co"].trait("roles")


def test_when_unavailable_queue_and_fallback_and_named_queues():
    free = _decide({"country": "US", "company_size": 2000})
    assert (free.owner, free.rule) == ("ana@t.co", "enterprise-na")
    full = _decide({"country": "US", "company_size": 2000}, open_leads={1: 5})
    # Nobody in the rule can take it: straight to the RevOps queue (not the next rule, 'us'); its owner holds it.
    assert (full.queue, full.owner, full.rule) == ("revops", "max@t.co", "enterprise-na")
    assert "sends leads to the revops queue" in full.reason and "tried the next" not in full.explanation()
    assert all(c.rule != "us" for c in full.rules_checked)
    # gold-partners: nobody senior is available -> the fallback, without trying later rules.
    busy = _decide({"country": "US", "extra": {"partner_tier": "platinum"}}, open_leads={1: 5, 3: 150})
    assert busy.rule == "fallback" and busy.owner == "max@t.co"
    assert "rule 'gold-partners' had nobody available and sends such leads to the fallback" in busy.reason
    assert _decide({"country": "US", "source": "paid", "extra": {"partner_tier": "gold"}}).rule == "us"  # not: {source: [paid]}
    # A queue as the target; a queue with no owner leaves the lead unassigned in it.
    waiting = _decide({"country": "JP", "created_at": "2026-11-10T00:00:00Z"})
    assert (waiting.queue, waiting.owner, waiting.rule) == ("waiting", None, "unknown-size")
    assert _decide({"country": "JP", "created_at": "2026-10-10T00:00:00Z"}).rule == "fallback"  # created before the date


def test_no_next_rule_when_none_is_left_and_every_skipped_rule_is_available():
    policy = _policy(POLICY.replace("when_unavailable: fallback", "when_unavailable: next_rule"))
    last = _decide({"country": "FR", "extra": {"partner_tier": "gold"}}, policy=policy, open_leads={1: 5, 3: 150})
    check = next(c for c in last.rules_checked if c.rule == "gold-partners")
    assert check.outcome.endswith("— no matching rule left") and "next" not in check.outcome
    rules = "\n".join(f"  - name: r{i}\n    when: {{country: [BR]}}\n    route_to: {{rep: ana@t.co}}" for i in range(9))
    many = _policy(POLICY.replace("rules:\n", "rules:\n" + rules + "\n", 1))
    decision = _decide({"country": "US"}, policy=many)
    assert "+7 more" in decision.explanation()  # 13 rules did not match: six shown, the rest counted
    assert len([c for c in decision.to_dict()["rules_checked"] if not c["matched"]]) == 13


@pytest.mark.parametrize(("when", "fix"), [
    ("{company_size: {lt: big}}", "rules[0].when.company_size.lt: must be a number"),
    ("{created_at: {lt: 2026-01-01}}", "rules[0].when.created_at.lt: created_at is a date: use after/before"),
    ("{company_size: {gte: 10, missing: true}}", "rules[0].when.company_size: `missing` stands alone"),
    ("{company_sise: {lt: 10}}", "rules[0].when.company_sise: unknown condition 'company_sise' — did you mean 'company_size'?"),
    ("{industry: {not_in: [fintek]}}", "rules[0].when.industry.not_in[0]: unknown industry 'fintek'"),
    ("{company_size: {below: 10}}", "rules[0].when.company_size.below: unknown test 'below'"),
    ("{any: {country: [DE]}}", "rules[0].when.any: `any` takes a list of conditions"),
    ("{not: {territory: [nowhere]}}", "unknown territory 'nowhere'"),
    # hg9 (tests/test_routing_gaps9.py): contains:, and an industry near-miss says both ways to write one
    ("{industry: [Educaton]}", "rules[0].when.industry[0]: unknown industry 'Educaton' — did you mean 'education'? "
                               "Write an industry by its label (e.g. 'Education') or as leads store it (e.g. education)"),
    ("{job_title: {contains: []}}", "rules[0].when.job_title.contains: must be a word or phrase, or a list of them"),
    ("{job_title: {contains: ' - '}}", "rules[0].when.job_title.contains: must be a word or phrase"),
    ("{company_size: {contains: big}}", "rules[0].when.company_size.contains: company_size is not text: contains is for text fields"),
    ("{industry: {contains: school}}", "rules[0].when.industry.contains: industry takes in, not_in or missing; contains is for free text"),
    ("{job_title: {contain: student}}", "rules[0].when.job_title.contain: unknown test 'contain' — did you mean 'contains'?"),
])
def test_condition_errors_name_the_file_the_key_and_the_fix(tmp_path: Path, when: str, fix: str):
    path = tmp_path / "routing.yaml"
    path.write_text(f"rules:\n  - name: r\n    when: {when}\n    route_to: {{rep: a@t.co}}\nfallback: {{queue: triage}}\n", encoding="utf-8")
    with pytest.raises(RoutingPolicyError) as error:
        load_policy(path)
    assert str(path) in str(error.value) and fix in str(error.value)


def test_outcome_errors_and_unchanged_policies(tmp_path: Path):
    path = tmp_path / "routing.yaml"
    path.write_text("rules:\n  - name: r\n    route_to: {rep: a@t.co}\n    when_unavailable: queue:nope\nfallback: {queue: t}\n", encoding="utf-8")
    assert "rules[0].when_unavailable: unknown queue 'nope' — add it under queues" in str(pytest.raises(RoutingPolicyError, load_policy, path).value)
    path.write_text("pools:\n  p: {strategy: round_robin}\nrules:\n  - name: r\n    route_to: {pool: p}\nfallback: {queue: t}\n", encoding="utf-8")
    assert "pools.p.members: a pool needs at least one member — list them, or give where:" in str(pytest.raises(RoutingPolicyError, load_policy, path).value)
    # The shipped policy still loads, and its data reads back as the same policy (what-if edits rely on it).
    shipped = load_policy()
    assert shipped.with_changes(lambda data: None).version == shipped.version
    policy = _policy()
    assert policy.with_changes(lambda data: None).version == policy.version


def test_custom_import_fields_and_dates_route_from_the_store(db):
    policy = _policy()
    with db.transaction() as session:
        for row in TEAM:
            upsert_rep(session, email=row.email, name=row.name, now=NOW, role=row.role, languages=list(row.languages),
                       territories=list(row.territories), attributes=row.attributes, working_hours=HOURS, capacity=row.capacity)
        gold = Lead(company="Goldco", country="FR", source="organic", stage="LEAD", extra={"Partner Tier": "x", "partner_tier": "Gold"},
                    created_at=NOW, updated_at=NOW)
        fresh = Lead(company="Freshco", country="JP", stage="LEAD", created_at=NOW - timedelta(days=2), updated_at=NOW)
        session.add_all([gold, fresh])
        session.flush()
        decisions = route_leads(session, lead_ids=[gold.id, fresh.id], policy=policy, now=NOW)
        assert [(d.rule, d.owner, d.queue) for d in decisions] == [("gold-partners", "ana@t.co", None), ("unknown-size", None, "waiting")]
        single = route_lead(session, lead=gold.id, policy=policy, now=NOW)
        assert single.rule == "gold-partners" and "partner tier Gold" in single.rules_checked[-1].detail
        small = Lead(company="Kleinco", country="DE", company_size=300, stage="LEAD", created_at=NOW, updated_at=NOW)
        session.add(small)
        session.flush()
        routed = route_lead(session, lead=small.id, policy=policy, now=NOW, dry_run=False)
        answer = explain_assignment(session, lead_id=small.id)["answer"]
    assert routed.pool == "german-emea" and routed.owner in ("ben@t.co", "cy@t.co")
    assert "The rule says: DE under 1,000 employees, or any AT or CH lead, go to the German speakers." in answer
    assert "The pool says: EMEA reps who speak German, whoever they are today." in answer


def test_the_readme_routing_example_is_a_valid_policy():
    import re

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("\n## Routing\n"):]
    block = re.search(r"```yaml\n(.*?)```", section, re.DOTALL).group(1)
    policy = parse_policy(block, path=Path("README-routing.yaml"))
    assert [r.name for r in policy.rules] == ["dach-small", "unknown-size"] and policy.sla.for_tier("hot") is not None
    assert policy.rule("dach-small").when_unavailable == "queue:revops" and policy.pools["german-speakers"].where == {"language": ("de",)}


@pytest.mark.parametrize(("section", "fix"), [
    ("sla: {hot: {first_touch: soon}}", "sla.hot.first_touch: must be a duration such as 15m, 2h, 1d or 1h30m (got 'soon')"),
    ("sla: {hot: {first_touch: 15m, clock: office}}", "sla.hot.clock: unknown clock 'office'"),
    ("sla: {lukewarm: {first_touch: 15m}}", "sla.lukewarm: unknown tier 'lukewarm'"),
    ("accounts: [{owner: a@t.co}]", "accounts[0]: give the account's domain (acme.com) or company"),
    ("accounts: [{domain: 'acme com', owner: a@t.co}]", "accounts[0].domain: 'acme com' is not a web domain"),
    ("pools: {p: {strategy: least_loaded, where: {language: [klingon]}}}", "pools.p.where: unknown language 'klingon'"),
])
def test_section_errors_name_the_key_and_the_fix(tmp_path: Path, section: str, fix: str):
    path = tmp_path / "routing.yaml"
    path.write_text(f"rules:\n  - name: r\n    route_to: {{rep: a@t.co}}\nfallback: {{queue: triage}}\n{section}\n", encoding="utf-8")
    with pytest.raises(RoutingPolicyError) as error:
        load_policy(path)
    assert fix in str(error.value)


def test_condition_outcomes_shared_across_leads_say_what_each_lead_alone_gets():
    # A batch keeps one memo of condition outcomes per policy: leads with the same values share them.
    # Each lead's outcome and words must be what matching it alone gives (True and 1 are not the same value).
    from leadpilot.tools.routing.matching import match_rule

    policy = _policy(POLICY.replace("  - name: us\n", "  - name: vip\n    when: {vip: {eq: true}, region: [EMEA, NA]}\n"
                                    "    route_to: {queue: waiting}\n  - name: us\n"))
    leads = [LeadFacts.of(lead) for lead in (
        {"country": "DE", "company_size": 400}, {"country": "DE", "company_size": 5000}, {"country": "CH"}, {"country": "DE"},
        {"country": "US", "state": "CA", "company_size": 2000}, {"country": "US", "company_size": 2000},
        {"country": "FR", "extra": {"partner_tier": "Gold"}, "source": "paid"}, {"country": "FR", "extra": {"partner_tier": "gold"}},
        {"country": "GB", "extra": {"vip": True}}, {"country": "GB", "extra": {"vip": 1}}, {"country": "GB", "extra": {"vip": "1"}},
        {"country": "JP", "created_at": NOW - timedelta(days=30)}, {"country": "JP", "created_at": NOW}, {},
    )] * 2
    memo: dict = {}
    for lead in leads:
        for rule in policy.rules:
            assert match_rule(rule, lead, policy, NOW, memo) == match_rule(rule, lead, policy, NOW)
    assert 0 < len(memo) < len(leads) * len(policy.rules)
    shown = {match_rule(policy.rule("vip"), lead, policy, NOW, memo)[1] for lead in leads[8:11]}
    assert any("vip True" in text for text in shown) and any("vip 1" in text for text in shown)
