"""Routing gaps found by the fifth held-out policy (hg9, Ledgerline): `contains:` on text fields,
industries named by their label or as leads store them, a declared account whose team is exhausted
going to a named queue (`when_team_unavailable`), rules tried before account matching
(`before_accounts`), and eval labels that allow any of several owners (`expect_owner_any_of`).
Condition errors for these are in test_routing_conditions.py."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from leadpilot.evals.routing import CaseResult, DatasetError, load_cases
from leadpilot.memory.lead_record import validate_lead
from leadpilot.memory.models import Lead
from leadpilot.tools.routing.account_facts import declared_accounts
from leadpilot.tools.routing.engine import decide
from leadpilot.tools.routing.facts import LeadFacts, PerformanceBook, RepRow, RoutingSnapshot, Workload, build_roster
from leadpilot.tools.routing.policy import RoutingPolicyError, parse_policy
from leadpilot.tools.routing.router import route_lead

NOW = datetime(2026, 11, 20, 12, tzinfo=timezone.utc)
HOURS = {"start": "00:00", "end": "24:00", "days": [0, 1, 2, 3, 4, 5, 6]}
POLICY = """\
constraints: {capacity: true, daily_cap: false, working_hours: ignored, language: ignored}
queues:
  lead-review: {description: Students and the like.}
  public-sector: {description: Public sector.}
rules:
  - name: students
    when:
      any:
        - {job_title: {contains: student}}
        - {extra.role_text: {contains: [research assistant, intern]}}
    route_to: {queue: lead-review}
  - name: public-sector
    when: {industry: [Government, K-12 Education]}
    route_to: {queue: public-sector}
  - name: schools-by-slug
    when: {industry: {in: [k-12-education]}, country: [CA]}
    route_to: {rep: ana@t.co}
fallback: {rep: ana@t.co}
"""


def _stored(raw: dict) -> dict:
    """A lead's columns as the import stores them (industry "K-12 Education" -> k-12-education)."""
    return {"stage": "LEAD", "created_at": NOW, "updated_at": NOW, **validate_lead(raw, now=NOW).values}


def _policy():
    return parse_policy(POLICY, path=Path("routing.yaml"))


def _decide(lead: dict):
    policy = _policy()
    team = (RepRow(id=1, email="ana@t.co", name="Ana Rep", working_hours=HOURS),)
    snapshot = RoutingSnapshot(reps=build_roster(team, policy), workload=Workload({}, {}), performance_loader=lambda: PerformanceBook(()))
    return decide(lead=LeadFacts.of(lead), account=None, snapshot=snapshot, policy=policy, now=NOW)


@pytest.mark.parametrize(("title", "rule"), [
    ("Graduate student researcher", "students"), ("Student Success Manager", "students"), ("PhD-STUDENT", "students"),
    ("Studentship officer", "fallback"), ("Head of Sales", "fallback"),
])
def test_contains_matches_whole_words_in_any_case(title: str, rule: str):
    decision = _decide({"country": "US", "job_title": title})
    assert decision.rule == rule
    if rule == "fallback":
        assert f'job title {title} does not contain "student"' in decision.rules_checked[0].detail
    else:
        assert 'contains "student"' in decision.rules_checked[0].detail


def test_contains_on_a_custom_field_takes_any_of_several_phrases():
    assert _decide({"extra": {"Role_Text": "Summer Intern, marketing"}}).rule == "students"
    assert _decide({"extra": {"role_text": "Research  Assistant"}}).rule == "students"
    assert _decide({"extra": {"role_text": "Research lead, assistant to CTO"}}).rule == "fallback"
    assert _decide({}).rule == "fallback"  # no title: no match, no error


@pytest.mark.parametrize("written", ["K-12 Education", "k-12-education", "  k-12 EDUCATION "])
def test_an_industry_by_its_label_or_its_stored_slug_matches_what_the_import_stores(written: str):
    policy = parse_policy(POLICY.replace("K-12 Education", written), path=Path("routing.yaml"))
    stored = _stored({"company": "Elm School", "industry": "K-12 Education"})["industry"]  # as the import keeps it
    assert stored == "k-12-education" and dict(policy.rules[1].when.present())["industry"] == ("government", "k-12-education")
    assert dict(policy.rules[2].when.present())["industry"].ops == (("in", ("k-12-education",)),)
    assert _decide({"industry": stored, "country": "US"}).rule == "public-sector"
    assert _decide({"industry": "Higher Education", "country": "US"}).rule == "fallback"  # education, not K-12


def test_contains_and_industry_labels_route_stored_leads(db):
    policy = _policy()
    with db.transaction() as session:
        student = Lead(**_stored({"company": "Uni", "job_title": "MBA Student", "country": "US"}))
        school = Lead(**_stored({"company": "Elm", "industry": "K-12 Education", "country": "CA"}))
        session.add_all([student, school])
        session.flush()
        got = [route_lead(session, lead=lead.id, policy=policy, now=NOW) for lead in (student, school)]
    assert [(d.rule, d.queue) for d in got] == [("students", "lead-review"), ("public-sector", "public-sector")]


CASES = """\
- id: rr
  lead: {company: A, country: US}
  expect_owner_any_of: [maya.chen, ben.ortiz]
  rule: us
  why: round robin between Maya and Ben; either is right.
- id: seq
  sequence: [{company: B, country: US}, {company: C, country: US}]
  expect_owner_any_of: [[maya.chen, ben.ortiz], queue:triage]
  rule: us
  why: the first to either, the second to triage.
"""


class _Decision:
    rule = "us"

    def explanation(self) -> str:
        return "why"


def test_eval_cases_may_allow_any_of_several_owners(tmp_path: Path):
    path = tmp_path / "cases.yaml"
    path.write_text(CASES, encoding="utf-8")
    single, sequence = load_cases(path)
    assert single.expect == ("maya.chen",) and single.any_of == (("maya.chen", "ben.ortiz"),)
    assert CaseResult(single, ["ben.ortiz"], [_Decision()], 0.0).correct
    miss = CaseResult(single, ["cy.park"], [_Decision()], 0.0)
    assert not miss.correct and miss.miss()["expected_any_of"] == [["maya.chen", "ben.ortiz"]]
    assert CaseResult(sequence, ["maya.chen", "queue:triage"], [_Decision()] * 2, 0.0).correct
    assert not CaseResult(sequence, ["maya.chen", "ben.ortiz"], [_Decision()] * 2, 0.0).correct


@pytest.mark.parametrize(("edit", "fix"), [
    (("  rule: us\n  why: round", "  expect: maya.chen\n  rule: us\n  why: round"), "give `expect` (one owner) or `expect_owner_any_of`"),
    (("[[maya.chen, ben.ortiz], queue:triage]", "[maya.chen]"), "for a sequence, one entry per lead"),
    (("[maya.chen, ben.ortiz]\n  rule", "[maya.chen, '']\n  rule"), "`expect_owner_any_of` entries are rep handles or queue:<name>"),
])
def test_eval_any_of_errors_name_the_case_and_the_fix(tmp_path: Path, edit: tuple[str, str], fix: str):
    path = tmp_path / "cases.yaml"
    path.write_text(CASES.replace(*edit, 1), encoding="utf-8")
    with pytest.raises(DatasetError) as error:
        load_cases(path)
    assert fix in str(error.value)


ACCOUNTS = """\
constraints: {capacity: true, daily_cap: false, working_hours: ignored, language: ignored}
accounts:
  - {domain: initech.test, owner: ben@t.co, team: Mid}
  - {domain: globex.test, owner: ben@t.co}
account_matching: {match_on: [domain], when_team_unavailable: queue:revops}
queues:
  revops: {description: Dana triages it every morning.}
rules:
  - {name: everyone, route_to: {rep: cy@t.co}}
fallback: {queue: triage}
"""


def _decide_account(domain: str, open_leads: dict, text: str = ACCOUNTS):
    policy = parse_policy(text, path=Path("routing.yaml"))
    team = (RepRow(id=1, email="ben@t.co", name="Ben Rep", team="Mid", capacity=5, working_hours=HOURS),
            RepRow(id=2, email="maya@t.co", name="Maya Rep", team="Mid", capacity=5, working_hours=HOURS),
            RepRow(id=3, email="cy@t.co", name="Cy Rep", team="SMB", working_hours=HOURS))
    snapshot = RoutingSnapshot(reps=build_roster(team, policy), workload=Workload(open_leads, {}),
                               performance_loader=lambda: PerformanceBook(()), accounts=declared_accounts(policy))
    return decide(lead=LeadFacts.of({"domain": domain}), account=None, snapshot=snapshot, policy=policy, now=NOW)


def test_a_declared_account_whose_owner_and_team_are_unavailable_goes_to_the_named_queue():
    assert _decide_account("initech.test", {1: 5, 2: 1}).owner == "maya@t.co"  # the team first, as before
    full = _decide_account("initech.test", {1: 5, 2: 5})
    assert (full.rule, full.queue, full.owner) == ("account-match", "revops", None) and not full.rules_checked
    assert ("nobody on the account's team Mid can take it either; then the account's leads go to the revops queue "
            "(account_matching's when_team_unavailable)") in full.reason
    no_team = _decide_account("globex.test", {1: 5})
    assert no_team.queue == "revops" and "the account has no team" in no_team.reason
    # Without the setting, unchanged: the rules decide.
    assert _decide_account("initech.test", {1: 5, 2: 5}, ACCOUNTS.replace(", when_team_unavailable: queue:revops", "")).rule == "everyone"


@pytest.mark.parametrize(("value", "fix"), [
    ("queue:nope", "account_matching.when_team_unavailable: unknown queue 'nope'"),
    ("team", "account_matching.when_team_unavailable: unknown choice 'team' — use rules"),
])
def test_when_team_unavailable_errors_name_the_key_and_the_fix(value: str, fix: str):
    with pytest.raises(RoutingPolicyError) as error:
        parse_policy(ACCOUNTS.replace("queue:revops}", f"{value}}}", 1), path=Path("routing.yaml"))
    assert fix in str(error.value)


BEFORE = ACCOUNTS.replace("rules:\n", """rules:
  - {name: customers, when: {account_status: [Customer]}, route_to: {queue: revops}, before_accounts: true}
""")


def test_rules_marked_before_accounts_decide_before_account_matching():
    assert _decide_account("initech.test", {}, BEFORE).owner == "ben@t.co"  # not a customer: the account owner, as before
    policy = parse_policy(BEFORE, path=Path("routing.yaml"))
    team = (RepRow(id=1, email="ben@t.co", name="Ben Rep", team="Mid", working_hours=HOURS),
            RepRow(id=3, email="cy@t.co", name="Cy Rep", team="SMB", working_hours=HOURS))
    snapshot = RoutingSnapshot(reps=build_roster(team, policy), workload=Workload({}, {}),
                               performance_loader=lambda: PerformanceBook(()), accounts=declared_accounts(policy))
    lead = LeadFacts.of({"domain": "initech.test", "extra": {"account_status": "Customer"}})
    first = decide(lead=lead, account=None, snapshot=snapshot, policy=policy, now=NOW)
    assert (first.rule, first.queue) == ("customers", "revops")
    # Without the mark the account owner comes first, as before.
    plain = parse_policy(BEFORE.replace(", before_accounts: true", ""), path=Path("routing.yaml"))
    snapshot = RoutingSnapshot(reps=build_roster(team, plain), workload=Workload({}, {}),
                               performance_loader=lambda: PerformanceBook(()), accounts=declared_accounts(plain))
    assert decide(lead=lead, account=None, snapshot=snapshot, policy=plain, now=NOW).rule == "account-match"


def test_rules_before_accounts_must_be_listed_first():
    text = BEFORE.replace("  - {name: customers", "  - {name: first, when: {country: [JP]}, route_to: {queue: revops}}\n  - {name: customers")
    with pytest.raises(RoutingPolicyError) as error:
        parse_policy(text, path=Path("routing.yaml"))
    assert "rules[1].before_accounts: rules tried before account matching are listed first — move 'customers' above 'first'" in str(error.value)
