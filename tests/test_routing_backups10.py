"""Session 10's routing constructs (#20 E, F and after): an ordered backup inside one rule ("Maya,
else Ben, else the RevOps queue": `backups:`), least-loaded ties by the longest wait (`ties:`, the
default; `roster_order` keeps the tie-break before), a declared account's own `when_team_unavailable`,
`contains:` in either number, and email/website/job_title in an eval case. Pure engine, no store."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from typer.testing import CliRunner

from leadpilot.evals.routing import DatasetError, load_cases
from leadpilot.interfaces.cli import app
from leadpilot.memory.reps import upsert_rep
from leadpilot.settings import get_settings
from leadpilot.tools.routing.account_facts import declared_accounts
from leadpilot.tools.routing.engine import decide
from leadpilot.tools.routing.facts import LeadFacts, PerformanceBook, RepRow, RoutingSnapshot, TimeOff, Workload, build_roster
from leadpilot.tools.routing.policy import RoutingPolicyError, parse_policy
from leadpilot.tools.routing.policy_check import check_policy

NOW = datetime(2026, 12, 8, 15, tzinfo=timezone.utc)  # a Tuesday
HOURS = {"start": "00:00", "end": "24:00", "days": [0, 1, 2, 3, 4, 5, 6]}
POLICY = """\
constraints: {capacity: true, daily_cap: false, working_hours: ignored, language: ignored}
queues: {revops: {description: RevOps triage.}}
accounts:
  - {domain: acme.test, owner: maya@t.co, team: AE, when_team_unavailable: queue:revops}
  - {domain: globex.test, owner: maya@t.co, team: AE}
pools:
  pair: {strategy: least_loaded, members: [cy@t.co, dee@t.co]}
  night: {strategy: least_loaded, members: [owl@t.co]}
rules:
  - name: students
    when: {job_title: {contains: student}}
    route_to: {queue: revops}
    before_accounts: true
  - name: enterprise
    when: {company_size: {gte: 1000}}
    route_to: {rep: maya@t.co}
    backups: [ben@t.co, pool:pair, queue:revops]
  - name: overnight
    when: {country: [CA]}
    route_to: {rep: ben@t.co}
    backups: [{pool: night, constraints: {working_hours: required}}]
    when_unavailable: queue:revops
  - name: small
    when: {company_size: {lt: 1000}}
    route_to: {pool: pair}
fallback: {queue: revops}
"""


def _row(rep_id: int, email: str, **fields) -> RepRow:
    return RepRow(id=rep_id, email=email, name=email.split("@")[0].title() + " Rep", working_hours=fields.pop("hours", HOURS),
                  capacity=10, **fields)


TEAM = (_row(1, "maya@t.co", team="AE"), _row(2, "ben@t.co", team="AE"), _row(3, "cy@t.co", team="AE"), _row(4, "dee@t.co", team="AE"),
        _row(5, "owl@t.co", hours={"start": "01:00", "end": "05:00"}))


def _policy(text: str = POLICY):
    return parse_policy(text, path=Path("routing.yaml"))


def _decide(lead: dict, *, policy=None, full=(), out=(), last: dict[int, timedelta] | None = None):
    policy = policy or _policy()
    away = {rep_id: (TimeOff(NOW - timedelta(days=1), NOW + timedelta(days=1), "vacation", "roster"),) for rep_id in out}
    team = tuple(RepRow(**{**row.__dict__, "time_off": away.get(row.id, ())}) for row in TEAM)
    snapshot = RoutingSnapshot(reps=build_roster(team, policy), workload=Workload({rep_id: 10 for rep_id in full}, {}),
                               performance_loader=lambda: PerformanceBook(()), accounts=declared_accounts(policy),
                               last_leads_loader=lambda: {rep_id: NOW - ago for rep_id, ago in (last or {}).items()})
    return decide(lead=LeadFacts.of(lead), account=None, snapshot=snapshot, policy=policy, now=NOW)


def test_an_ordered_backup_tries_each_step_in_order_and_says_who_could_not():
    big = {"company_size": 5000}
    first = _decide(big)
    assert (first.owner, first.rule) == ("maya@t.co", "enterprise")
    ben = _decide(big, out=[1])
    assert ben.owner == "ben@t.co" and ben.rule == "enterprise" and ben.pool is None
    assert ben.reason.startswith("Maya Rep is out of office; Ben Rep took it as the first backup (0 of 10 open leads")
    assert ben.rules_checked[-1].outcome == "Maya Rep is out of office — backup 1: chose Ben Rep"
    pooled = _decide(big, out=[1], full=[2, 3])
    assert (pooled.owner, pooled.pool, pooled.strategy) == ("dee@t.co", "pair", "least_loaded")
    assert pooled.reason.startswith("Maya Rep is out of office; Ben Rep is at capacity; Dee Rep took it as the second backup — fewest open leads")
    queued = _decide(big, out=[1, 3], full=[2, 4])
    assert (queued.owner, queued.queue, queued.rule) == (None, "revops", "enterprise")
    assert ("rule 'enterprise': Maya Rep is out of office; Ben Rep is at capacity; nobody in pool pair can take it "
            "(Cy Rep: out of office; Dee Rep: at capacity); its third backup is the revops queue") in queued.reason
    assert [v.status for v in queued.candidates] == ["excluded"] * 4  # every step's candidates, under the one rule
    again = _policy().with_changes(lambda data: None)  # as what-if rebuilds it: the backups read back in
    assert again.version == _policy().version and again.rules[1].backups == _policy().rules[1].backups


def test_a_backup_has_constraints_of_its_own_and_then_the_rules_when_unavailable():
    # Owl works 01:00-05:00 UTC; the backup needs someone on shift (15:00): nobody, so the rule's queue.
    late = _decide({"country": "CA"}, out=[2])
    assert (late.queue, late.rule) == ("revops", "overnight")
    assert "Owl Rep: after_hours" in late.rules_checked[-1].outcome and "this rule then sends leads to the revops queue" in late.rules_checked[-1].outcome
    # The same pool as a rule's own target takes Owl off shift (working hours ignored in this policy).
    anytime = _policy(POLICY.replace("{pool: night, constraints: {working_hours: required}}", "pool:night"))
    assert _decide({"country": "CA"}, out=[2], policy=anytime).owner == "owl@t.co"


@pytest.mark.parametrize(("edit", "message"), [
    (("backups: [ben@t.co, pool:pair, queue:revops]", "backups: [queue:revops, ben@t.co]"),
     "line 17: rules[1].backups[0]: the revops queue always takes the lead, so the backups after it never run — make the queue the last backup"),
    (("backups: [ben@t.co, pool:pair, queue:revops]", "backups: [ben@t.co, pool:pairs]"), "rules[1].backups[1].pool: unknown pool 'pairs' — did you mean 'pair'?"),
    (("backups: [ben@t.co, pool:pair, queue:revops]", "backups: [ben@t.co, queue:ops]"), "rules[1].backups[1].queue: unknown queue 'ops'"),
    (("backups: [ben@t.co, pool:pair, queue:revops]", "backups: [ben@t.co, queue:revops]\n    when_unavailable: fallback"),
     "the backups end in the revops queue, so when_unavailable is never used"),
    (("route_to: {queue: revops}\n    before_accounts", "route_to: {queue: revops}\n    backups: [ben@t.co]\n    before_accounts"),
     "a queue always takes the lead, so backups after it never run"),
    (("backups: [ben@t.co, pool:pair, queue:revops]", "backups: [{rep: ben@t.co, pool: pair}]"), "give one of rep: <email>, pool: <pool name> or queue"),
    (("pair: {strategy: least_loaded,", "pair: {strategy: round_robin, ties: longest_wait,"), "ties: longest_wait only applies to strategy least_loaded"),
    (("pair: {strategy: least_loaded,", "pair: {strategy: least_loaded, ties: oldest,"), "unknown ties 'oldest'"),
    (("when_team_unavailable: queue:revops}", "when_team_unavailable: queue:vip}"), "accounts[0].when_team_unavailable: unknown queue 'vip'"),
])
def test_policy_errors_name_the_key_and_the_fix(edit: tuple[str, str], message: str):
    with pytest.raises(RoutingPolicyError) as error:
        _policy(POLICY.replace(*edit))
    assert message in str(error.value)


def test_least_loaded_ties_go_to_the_longest_wait_unless_the_policy_asks_for_roster_order():
    small = {"company_size": 50}
    # Cy and Dee both have 0 open leads: Cy's last lead 1h ago, Dee's 3h ago -> Dee, said with both waits.
    waited = _decide(small, last={3: timedelta(hours=1), 4: timedelta(hours=3)})
    assert waited.owner == "dee@t.co"
    assert waited.reason.endswith("broken by the longest wait since the last lead (Dee Rep: last lead 3h ago; Cy Rep: last lead 1h ago)")
    assert _decide(small, last={3: timedelta(hours=1)}).owner == "dee@t.co"  # never assigned first
    same = _decide(small)
    assert same.owner == "cy@t.co" and same.reason.endswith("none has had a lead yet, so Cy Rep, listed first in pool pair")
    ordered = _policy(POLICY.replace("pair: {strategy: least_loaded,", "pair: {strategy: least_loaded, ties: roster_order,"))
    listed = _decide(small, policy=ordered, last={3: timedelta(hours=1), 4: timedelta(hours=3)})
    assert listed.owner == "cy@t.co" and "broken by fewer new leads today, then Cy Rep is listed first in pool pair" in listed.reason


def test_a_declared_account_has_its_own_when_team_unavailable():
    # Maya owns both; her team AE (Ben, Cy, Dee) all away: Acme waits in revops, Globex goes on to the rules.
    acme = _decide({"domain": "acme.test", "company_size": 50}, out=[1, 2, 3, 4])
    assert (acme.rule, acme.queue) == ("account-match", "revops")
    assert "nobody on the account's team AE can take it either; then the account's leads go to the revops queue (the account's when_team_unavailable)" in acme.reason
    globex = _decide({"domain": "globex.test", "company_size": 50}, out=[1, 2, 3, 4])
    assert (globex.rule, globex.queue) == ("fallback", "revops")  # the rules: pool pair has nobody, then the fallback
    assert "routed by the rules instead" in globex.reason and globex.rules_checked[-1].rule == "small"
    # The team's tie goes to the longest wait as well: Cy and Dee at 0, Ben full.
    tie = _decide({"domain": "acme.test", "company_size": 50}, out=[1], full=[2], last={3: timedelta(minutes=5), 4: timedelta(days=2)})
    assert tie.owner == "dee@t.co" and "broken by the longest wait since the last lead (Dee Rep: last lead 2d ago; Cy Rep: last lead 5m ago)" in tie.reason


@pytest.mark.parametrize(("title", "rule"), [
    ("Students' Union treasurer", "students"), ("STUDENT", "students"), ("Graduate students", "students"),
    ("Studentship officer", "small"), ("Head of Student Companies", "students"),
])
def test_contains_matches_a_word_in_either_number(title: str, rule: str):
    assert _decide({"company_size": 50, "job_title": title}).rule == rule
    companies = _policy(POLICY.replace("contains: student", "contains: companies"))
    assert _decide({"company_size": 50, "job_title": "Company secretary"}, policy=companies).rule == "students"


def test_an_eval_case_takes_email_website_and_job_title(tmp_path: Path):
    path = tmp_path / "cases.yaml"
    path.write_text("- id: a\n  lead: {email: ana@acme.test, website: acme.test, job_title: CFO, country: US}\n  expect: queue:revops\n"
                    "  rule: fallback\n  why: test\n", encoding="utf-8")
    assert load_cases(path)[0].leads[0]["email"] == "ana@acme.test"
    path.write_text("- id: a\n  lead: {mail: ana@acme.test}\n  expect: queue:revops\n  rule: fallback\n  why: test\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="mail"):
        load_cases(path)


def test_weighted_today_by_capacity_shares_in_proportion_for_four_members():
    policy = _policy(POLICY.replace("night: {strategy: least_loaded, members: [owl@t.co]}",
                                    "night: {strategy: least_loaded, members: [owl@t.co]}\n  all: {strategy: weighted_today, weights: capacity, "
                                    "members: [maya@t.co, ben@t.co, cy@t.co, dee@t.co]}").replace("route_to: {pool: pair}", "route_to: {pool: all}"))
    policy = policy.with_changes(lambda data: data["reps"].update({"maya@t.co": {"max_open_leads": 60}, "ben@t.co": {"max_open_leads": 40},
                                                                   "cy@t.co": {"max_open_leads": 30}, "dee@t.co": {"max_open_leads": 30}}))
    snapshot = RoutingSnapshot(reps=build_roster(TEAM, policy), workload=Workload({}, {}), performance_loader=lambda: PerformanceBook(()),
                               last_leads_loader=lambda: {})
    dealt: dict[str, int] = {}
    for minute in range(32):  # capacities 60:40:30:30 -> 12, 8, 6, 6 of 32
        decision = decide(lead=LeadFacts.of({"company_size": 50}), account=None, snapshot=snapshot, policy=policy,
                          now=NOW - timedelta(hours=3) + timedelta(minutes=minute))
        snapshot.record(decision)
        dealt[decision.owner] = dealt.get(decision.owner, 0) + 1
    assert dealt == {"maya@t.co": 12, "ben@t.co": 8, "cy@t.co": 6, "dee@t.co": 6}


CHECKED = """\
queues: {revops: {description: x}}
pools:
  seniors: {strategy: least_loaded, where: {senority: [senior]}}
  emea: {strategy: least_loaded, where: {team: [AE, EMEA]}}
  ghosts: {strategy: least_loaded, where: {team: [Nobody]}}
  pair: {strategy: round_robin, members: [maya@t.co, maya.chan@t.co]}
rules:
  - {name: de, when: {country: [DE]}, route_to: {pool: pair}, when_unavailable: queue:revops}
  - {name: de-again, when: {country: [DE]}, route_to: {pool: emea}}
  - {name: everyone, route_to: {rep: ben@t.co}, backups: [queue:revops]}
  - {name: never, when: {country: [FR]}, route_to: {pool: seniors}}
  - {name: nor-this, when: {country: [IT]}, route_to: {pool: ghosts}}
fallback: {rep: zed@t.co}
"""


def test_the_policy_check_names_each_problem_against_the_roster():
    policy = _policy(CHECKED)
    found = {(p.level, p.at): p.message for p in check_policy(policy, build_roster(TEAM, policy))}
    assert found[("error", "pools.pair.members")].startswith("maya.chan@t.co is not in the roster")
    assert found[("error", "fallback.rep")].startswith("zed@t.co is not in the roster")
    assert "no rep in the roster has the attribute 'senority'" in found[("error", "pools.seniors.where.senority")]
    assert found[("warning", "pools.emea.where.team")] == "no rep has team emea; the roster has: ae"
    assert found[("error", "pools.ghosts.where.team")] == "no rep has team nobody — the pool matches nobody; the roster has: ae"
    assert "rule 'de' above has the same conditions" in found[("error", "rules[1] (de-again)")]
    assert "rule 'everyone' above matches every lead" in found[("error", "rules[3] (never)")]
    assert "rule 'everyone' above matches every lead" in found[("error", "rules[4] (nor-this)")]
    assert len(found) == 9
    assert check_policy(_policy(), build_roster(TEAM, _policy())) == []


def test_routing_check_cli_exits_1_on_errors_and_0_on_a_clean_policy(db, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    with db.transaction() as session:
        for row in TEAM:
            upsert_rep(session, email=row.email, name=row.name, now=NOW, team=row.team, working_hours=row.working_hours)
    monkeypatch.setenv("LEADPILOT_DATABASE_URL", db_url)
    get_settings.cache_clear()
    (tmp_path / "bad.yaml").write_text(CHECKED, encoding="utf-8")
    (tmp_path / "good.yaml").write_text(POLICY, encoding="utf-8")
    bad = CliRunner().invoke(app, ["routing", "check", "--policy", str(tmp_path / "bad.yaml")])
    assert bad.exit_code == 1 and "error: pools.pair.members: maya.chan@t.co is not in the roster" in " ".join(bad.output.split())
    good = CliRunner().invoke(app, ["routing", "check", "--policy", str(tmp_path / "good.yaml"), "--json"])
    assert good.exit_code == 0 and json.loads(good.stdout)["problems"] == []
    missing = CliRunner().invoke(app, ["routing", "check", "--policy", str(tmp_path / "none.yaml")])
    assert missing.exit_code == 2 and "file not found" in missing.output


def test_a_teams_tie_behind_a_blocked_member_still_goes_to_the_longest_wait():
    # Ben (0 open) is out; Cy and Dee are tied at 3 behind him: Dee waited longer (never assigned).
    policy = _policy()
    away = (TimeOff(NOW - timedelta(days=1), NOW + timedelta(days=1), "vacation", "roster"),)
    team = tuple(RepRow(**{**row.__dict__, "time_off": away if row.id in (1, 2) else ()}) for row in TEAM)
    snapshot = RoutingSnapshot(reps=build_roster(team, policy), workload=Workload({3: 3, 4: 3}, {}), performance_loader=lambda: PerformanceBook(()),
                               accounts=declared_accounts(policy), last_leads_loader=lambda: {3: NOW - timedelta(hours=1)})
    decision = decide(lead=LeadFacts.of({"domain": "acme.test", "company_size": 50}), account=None, snapshot=snapshot, policy=policy, now=NOW)
    assert decision.owner == "dee@t.co" and "broken by the longest wait since the last lead (Dee Rep: no lead yet; Cy Rep: last lead 1h ago)" in decision.reason
