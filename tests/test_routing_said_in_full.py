"""What a fourth plain-language policy (Peoplewise, evals/datasets/routing_policy4_policy.md) said that
the policy file could not, now said one rule to one rule: a named account whose owner is out goes to a
named queue (`when_owner_unavailable`), a team "shared in proportion to capacity" (`weights:
capacity`), a `where:` key no rep has is said (not matched silently by nobody), sticky accounts that
count open leads only (`account_matching.count: open`), and ties said as they are broken."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from leadpilot.memory.models import Lead
from leadpilot.memory.reps import upsert_rep
from leadpilot.tools.routing.account_facts import declared_accounts
from leadpilot.tools.routing.engine import decide
from leadpilot.tools.routing.facts import AccountOwner, LeadFacts, PerformanceBook, RepRow, RoutingSnapshot, Workload, build_roster
from leadpilot.tools.routing.policy import RoutingPolicyError, parse_policy
from leadpilot.tools.routing.policy_roster import where_problems
from leadpilot.tools.routing.router import route_lead, route_leads
from leadpilot.tools.routing.store import roster_problems

NOW = datetime(2026, 12, 8, 15, tzinfo=timezone.utc)  # a Tuesday
HOURS = {"start": "00:00", "end": "24:00", "days": [0, 1, 2, 3, 4, 5, 6]}
POLICY = """\
constraints: {capacity: true, daily_cap: false, working_hours: ignored, language: ignored}
accounts:
  - {domain: globex.test, owner: ava@t.co}
  - {domain: initech.test, owner: ben@t.co, team: Mid, when_owner_unavailable: team}
  - {company: Hooli, owner: ben@t.co, team: Mid, when_owner_unavailable: rules}
account_matching: {match_on: [domain, company], when_owner_unavailable: queue:strategic}
queues:
  strategic: {description: Strategic Accounts queue.}
pools:
  mid: {strategy: weighted_today, weights: capacity, where: {team: [Mid], role: [rep]}}
  smb: {strategy: least_loaded, members: [cy@t.co, dee@t.co]}
rules:
  - {name: mid-market, when: {company_size: {gte: 200}}, route_to: {pool: mid}}
  - {name: small, when: {company_size: {lt: 200}}, route_to: {pool: smb}}
fallback: {queue: revops}
"""


def _row(rep_id: int, email: str, **fields) -> RepRow:
    return RepRow(id=rep_id, email=email, name=email.split("@")[0].title() + " Rep", working_hours=HOURS, **fields)


# Roster order is id order; emails sort differently on purpose (dee before eve, but eve is first on the roster).
TEAM = (
    _row(1, "ava@t.co", team="Enterprise", capacity=20),
    _row(2, "ben@t.co", team="Mid", capacity=20),
    _row(3, "maya@t.co", team="Mid", capacity=30, attributes={"seniority": "mid"}),
    _row(4, "leo@t.co", team="Mid", capacity=15, attributes={"seniority": "senior"}),
    _row(5, "fiona@t.co", team="Mid", role="manager", capacity=10),
    _row(6, "eve@t.co", team="Mid", capacity=15),
    _row(7, "cy@t.co", team="SMB", capacity=40),
    _row(8, "dee@t.co", team="SMB", capacity=40),
)


def _policy(text: str = POLICY):
    return parse_policy(text, path=Path("routing.yaml"))


def _decide(lead: dict, *, policy=None, open_leads=None, today=None, account: AccountOwner | None = None):
    policy = policy or _policy()
    recent = {rep_id: [NOW - timedelta(minutes=5 + i) for i in range(count)] for rep_id, count in (today or {}).items()}
    snapshot = RoutingSnapshot(reps=build_roster(TEAM, policy), workload=Workload(dict(open_leads or {}), recent),
                               performance_loader=lambda: PerformanceBook(()), accounts=declared_accounts(policy))
    return decide(lead=LeadFacts.of(lead), account=account, snapshot=snapshot, policy=policy, now=NOW)


def test_a_named_account_whose_owner_is_out_goes_to_the_named_queue():
    assert _decide({"domain": "globex.test", "company_size": 50}).owner == "ava@t.co"
    full = _decide({"domain": "uk.globex.test", "company_size": 5000}, open_leads={1: 20})  # a subdomain too
    assert (full.rule, full.queue, full.owner) == ("account-match", "strategic", None)
    assert "Ava Rep (domain uk.globex.test, a subdomain of globex.test (policy accounts[0])) is unavailable: at capacity" in full.reason
    assert "then the account's leads go to the strategic queue (account_matching's when_owner_unavailable)" in full.reason
    assert "it waits in the strategic queue" in full.explanation()
    assert not full.rules_checked  # the rules were not asked
    # An account's own setting wins: `team` -> the account's team (fewest open leads), as without the setting.
    team = _decide({"domain": "initech.test", "company_size": 50}, open_leads={2: 20, 3: 4, 4: 4, 6: 9})
    assert (team.rule, team.owner) == ("account-match", "maya@t.co") and "the account's team Mid takes it" in team.reason
    # `rules` -> straight to the rules (no team, no queue).
    rules = _decide({"company": "Hooli Inc", "company_size": 50}, open_leads={2: 20})
    assert rules.rule == "small" and "routed by the rules (when_owner_unavailable: rules)" in rules.reason
    # The default (no when_owner_unavailable anywhere) is unchanged: the rules decide.
    plain = _policy(POLICY.replace(", when_owner_unavailable: queue:strategic", ""))
    assert _decide({"domain": "globex.test", "company_size": 50}, policy=plain, open_leads={1: 20}).rule == "small"
    # An inferred owner (the store's) is not a named account: it never goes to the queue.
    inferred = AccountOwner(7, "company", "Umbrella", 99, "Umbrella", "PROSPECT")
    away = _decide({"company": "Umbrella", "company_size": 50}, open_leads={7: 40}, account=inferred)
    assert away.rule == "small" and away.queue is None


def test_a_declared_accounts_team_breaks_ties_as_pools_do_not_by_email():
    # Maya, Leo and Eve have 4 open leads each. `ties: roster_order` (the tie-break before session 10; the
    # default is the longest wait, test_routing_backups10.py): fewer new leads today first (Leo has 2), then
    # roster order — Maya before Eve (by email Eve would come first).
    by_roster = _policy(POLICY.replace("when_owner_unavailable: queue:strategic}", "when_owner_unavailable: queue:strategic, ties: roster_order}"))
    decision = _decide({"domain": "initech.test", "company_size": 50}, policy=by_roster, open_leads={2: 20, 3: 4, 4: 4, 6: 4}, today={4: 2})
    assert decision.owner == "maya@t.co", decision.reason
    assert "tied with Eve Rep, Leo Rep, broken by fewer new leads today, then Maya Rep is first on the roster" in decision.reason
    eve = _decide({"domain": "initech.test", "company_size": 50}, policy=by_roster, open_leads={2: 20, 3: 4, 4: 4, 6: 4}, today={3: 1, 4: 2})
    assert eve.owner == "eve@t.co" and eve.reason.endswith("broken by fewer new leads today")
    # The default: the longest wait — Leo's two leads today are his latest, Maya's one is later than nobody's: Eve never had one.
    waited = _decide({"domain": "initech.test", "company_size": 50}, open_leads={2: 20, 3: 4, 4: 4, 6: 4}, today={3: 1, 4: 2})
    assert waited.owner == "eve@t.co" and "broken by the longest wait since the last lead (Eve Rep: no lead yet;" in waited.reason


def test_least_loaded_ties_say_what_order_broke_them():
    # `ties: roster_order`: the tie-break before session 10 (the default, the longest wait: test_routing_backups10.py).
    ordered = _policy(POLICY.replace("smb: {strategy: least_loaded,", "smb: {strategy: least_loaded, ties: roster_order,"))
    listed = _decide({"company_size": 50}, policy=ordered)
    assert listed.owner == "cy@t.co"
    assert "tied with Dee Rep, broken by fewer new leads today, then Cy Rep is listed first in pool smb" in listed.reason
    by_roster = _policy(POLICY.replace("smb: {strategy: least_loaded, members: [cy@t.co, dee@t.co]}",
                                       "smb: {strategy: least_loaded, ties: roster_order, where: {team: [SMB]}}"))
    assert "then Cy Rep is first on the roster" in _decide({"company_size": 50}, policy=by_roster).reason
    assert "none has had a lead yet, so Cy Rep, listed first in pool smb" in _decide({"company_size": 50}).reason


def test_a_team_shared_in_proportion_to_capacity():
    # Maya (capacity 30), Leo 15, Eve 15 and Ben 20 (Fiona is a manager): weights come from the roster's capacity.
    first = _decide({"company_size": 500}, today={3: 3, 4: 1, 6: 1, 2: 2})
    assert first.rule == "mid-market" and first.owner == "leo@t.co", first.reason
    assert "(weights from capacity: Ben 20, Maya 30, Leo 15, Eve 15;" in first.reason
    # Maya furthest below her share once the others had theirs.
    assert _decide({"company_size": 500}, today={3: 2, 4: 2, 6: 2, 2: 2}).owner == "maya@t.co"
    # The policy's own capacity for a rep is the weight (reps: max_open_leads), not a number copied by hand.
    bigger = _policy(POLICY.replace("fallback:", "reps:\n  leo@t.co: {max_open_leads: 60}\nfallback:"))
    assert _decide({"company_size": 500}, policy=bigger, today={3: 2, 4: 2, 6: 2, 2: 2}).owner == "leo@t.co"


@pytest.mark.parametrize(("edit", "message"), [
    (("queue:strategic", "queue:vip"), "account_matching.when_owner_unavailable: unknown queue 'vip'"),
    (("when_owner_unavailable: team}", "when_owner_unavailable: queue:nope}"), "accounts.1.when_owner_unavailable: unknown queue 'nope'"),
    (("when_owner_unavailable: rules}", "when_owner_unavailable: later}"), "unknown choice 'later' — use team"),
    (("weights: capacity", "weights: capcity"), "pools.mid.weights: unknown weights 'capcity' — did you mean 'capacity'?"),
    (("strategy: least_loaded, members", "strategy: least_loaded, weights: capacity, members"),
     "pools.smb.weights: weights: capacity only applies to strategy weighted or weighted_today"),
    (("account_matching: {", "account_matching: {count: won, "), "account_matching.count: unknown count 'won' — use one of: open, open_or_won"),
])
def test_bad_new_settings_name_the_key_and_the_fix(edit, message):
    with pytest.raises(RoutingPolicyError) as error:
        _policy(POLICY.replace(*edit, 1))
    assert message in str(error.value).replace("accounts[1]", "accounts.1"), str(error.value)
    with pytest.raises(RoutingPolicyError, match="list the members without weights"):
        _policy(POLICY.replace("where: {team: [Mid], role: [rep]}", "members: {maya@t.co: 2, leo@t.co: 1}"))


def test_a_where_key_no_rep_has_is_said_with_the_keys_there_are():
    typo = _policy(POLICY.replace("where: {team: [Mid], role: [rep]}", "where: {team: [Mid], senority: [senior]}"))
    problems = where_problems(typo, build_roster(TEAM, typo))
    assert len(problems) == 1 and problems[0].startswith("pools.mid.where.senority: no rep in the roster has the attribute 'senority'")
    assert "did you mean 'seniority'?" in problems[0] and "Attributes in the roster: " in problems[0] and "team" in problems[0]
    decision = _decide({"company_size": 500}, policy=typo)
    assert decision.queue == "revops" and any("did you mean 'seniority'?" in note for note in decision.notes)
    # Keys the roster has (a custom attribute, a field, singular or plural) are not problems; nor in the shipped policy.
    fine = _policy(POLICY.replace("role: [rep]", "role: [rep], seniority: [mid], languages: [en]"))
    assert where_problems(fine, build_roster(TEAM, fine)) == [] and where_problems(_policy(), build_roster(TEAM, _policy())) == []


def test_sticky_accounts_can_count_open_leads_only(db):
    text = ("constraints: {capacity: true, daily_cap: false, working_hours: ignored, language: ignored}\n"
            "pools:\n  smb: {strategy: least_loaded, members: [cy@t.co, dee@t.co]}\n"
            "rules:\n  - {name: small, route_to: {pool: smb}}\nfallback: {queue: revops}\n")
    with db.transaction() as session:
        reps = {email: upsert_rep(session, email=email, now=NOW, name=email.split("@")[0].title(), capacity=40, timezone="UTC",
                                  working_hours=None).id for email in ("cy@t.co", "dee@t.co", "zed@t.co")}
        for company, domain, stage in (("Won Co", "won.test", "CUSTOMER"), ("Open Co", "open.test", "PROSPECT")):
            session.add(Lead(company=company, domain=domain, owner_id=reps["zed@t.co"], stage=stage, source="organic",
                             created_at=NOW - timedelta(days=30), updated_at=NOW))
        new = []
        for domain in ("won.test", "open.test"):
            lead = Lead(company="New", domain=domain, stage="LEAD", source="organic", created_at=NOW, updated_at=NOW)
            session.add(lead)
            session.flush()
            new.append(lead.id)
        assert roster_problems(session, _policy(text)) == []
    for count, won_owner in ((None, "zed@t.co"), ("open_or_won", "zed@t.co"), ("open", "cy@t.co")):
        policy = _policy(text if count is None else text.replace("pools:", f"account_matching: {{count: {count}}}\npools:"))
        with db.session() as session:
            one = [route_lead(session, lead=lead_id, policy=policy, now=NOW).owner for lead_id in new]
            batch = [d.owner for d in route_leads(session, lead_ids=new, policy=policy, now=NOW)]
        assert one == batch == [won_owner, "zed@t.co"], (count, one, batch)  # an open lead's owner holds the account either way
