"""Routing as RevOps says it: "fewest new leads today, a tie to whoever waited longest" (fewest_today),
"Dana takes two for every one Eli takes" by today's counts (weighted_today), `where:` pools in roster
order, personal mail domains that never make an account, declared accounts matched by subdomain, and
the owner of the company's open lead tried when the declared owner cannot take it."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from leadpilot.memory.models import Assignment, Lead
from leadpilot.memory.reps import upsert_rep
from leadpilot.tools.routing.policy import RoutingPolicyError, parse_policy
from leadpilot.tools.routing.router import route_lead, route_leads

from conftest import NOW  # Friday 20 Nov 2026, 12:00 UTC

POLICY = """\
constraints: {capacity: true, daily_cap: false, working_hours: ignored, language: ignored}
account_matching: {match_on: [domain, company]}
accounts:
  - {domain: northwind.test, owner: ines@t.co}
  - {domain: tidewater.test, owner: hugo@t.co}
pools:
  aes: {strategy: fewest_today, where: {team: [AEs]}}
  sdrs: {strategy: weighted_today, members: {dana@t.co: 2, eli@t.co: 1}}
rules:
  - {name: small, when: {company_size: {lt: 200}}, route_to: {pool: sdrs}}
  - {name: big, when: {company_size: {gte: 200}}, route_to: {pool: aes}}
fallback: {queue: triage}
"""
# Roster order (import order): Hugo, Grace, Ines (AEs), then Dana, Eli (SDRs) — not email order.
ROSTER = (("hugo@t.co", "AEs", 20), ("grace@t.co", "AEs", 20), ("ines@t.co", "AEs", 1), ("dana@t.co", "SDRs", 40), ("eli@t.co", "SDRs", 40))


def _policy(text: str = POLICY):
    return parse_policy(text, path=Path("routing.yaml"))


def _roster(session) -> dict[str, int]:
    return {email: upsert_rep(session, email=email, now=NOW, name=email.split("@")[0].title() + " Rep", team=team, capacity=cap,
                              timezone="UTC", working_hours=None).id for email, team, cap in ROSTER}


def _lead(session, **fields) -> int:
    lead = Lead(stage=fields.pop("stage", "LEAD"), source="organic", created_at=NOW - timedelta(days=1), updated_at=NOW, **fields)
    session.add(lead)
    session.flush()
    return lead.id


def _dealt(session, rep_id: int, *ago: timedelta) -> None:
    """Earlier leads the rep got, `ago` before NOW."""
    lead_id = _lead(session, company="Earlier", owner_id=rep_id, stage="LOST")
    session.add_all(Assignment(lead_id=lead_id, rep_id=rep_id, assigned_at=NOW - a, rule="earlier", reason="earlier", candidates=[])
                    for a in ago)
    session.flush()


def test_fewest_today_goes_by_todays_count_then_longest_wait_then_the_roster(db):
    policy = _policy()
    with db.transaction() as session:
        reps = _roster(session)
        first = _lead(session, company="Big One", company_size=500)
    with db.session() as session:
        decision = route_lead(session, lead=first, policy=policy, now=NOW)
    # Nobody has had a lead: the first on the roster (Hugo), though Grace comes first by email.
    assert decision.owner == "hugo@t.co" and decision.rule == "big"
    assert "none has had a lead yet" in decision.reason and "first on the roster" in decision.reason
    with db.transaction() as session:
        _dealt(session, reps["hugo@t.co"], timedelta(hours=1))
        _dealt(session, reps["grace@t.co"], timedelta(days=3))  # beyond today's window: read from the store
        _dealt(session, reps["ines@t.co"], timedelta(days=2))
        batch = [_lead(session, company=f"Big {i}", company_size=500) for i in range(3)]
    with db.session() as session:
        one = route_lead(session, lead=batch[0], policy=policy, now=NOW)
        decisions = route_leads(session, lead_ids=batch, policy=policy, now=NOW)
    assert one.owner == "grace@t.co"
    assert "fewest new leads today: Grace Rep has 0" in one.reason
    assert "broken by the longest wait since the last lead" in one.reason and "Grace Rep: last lead 3d ago" in one.reason
    # Grace and Ines have none today (Grace waited longer), then all have one and Hugo waited longest.
    # Ines' cap is 1 open lead: her Lost lead is closed, so she is available.
    assert [d.owner for d in decisions] == ["grace@t.co", "ines@t.co", "hugo@t.co"]
    assert {d.strategy for d in decisions} == {"fewest_today"}


def test_weighted_today_deals_by_each_reps_share_of_todays_leads(db):
    policy = _policy()
    with db.transaction() as session:
        reps = _roster(session)
        ids = [_lead(session, company=f"Small {i}", company_size=20) for i in range(6)]
    with db.session() as session:
        owners = [d.owner for d in route_leads(session, lead_ids=ids, policy=policy, now=NOW)]
    assert owners == ["dana@t.co", "eli@t.co", "dana@t.co", "dana@t.co", "eli@t.co", "dana@t.co"]
    assert Counter(owners) == {"dana@t.co": 4, "eli@t.co": 2}
    # Eli was away this morning: Dana 3, Eli 1 today -> Eli is furthest below his share (a cycle would say Dana).
    with db.transaction() as session:
        _dealt(session, reps["dana@t.co"], timedelta(hours=3), timedelta(hours=2), timedelta(hours=1))
        _dealt(session, reps["eli@t.co"], timedelta(minutes=30))
    with db.session() as session:
        decision = route_lead(session, lead=ids[0], policy=policy, now=NOW)
    assert decision.owner == "eli@t.co"
    assert "furthest below their share today" in decision.reason and "Eli Rep's share is 1.3, has 1" in decision.reason


def test_accounts_personal_domains_subdomains_and_the_open_lead_owner(db):
    policy = _policy()
    with db.transaction() as session:
        reps = _roster(session)
        _lead(session, company="Jo's Bakery", domain="gmail.com", owner_id=reps["dana@t.co"], stage="PROSPECT")
        _lead(session, company="Acme Robotics Inc.", domain="gmail.com", owner_id=reps["eli@t.co"], stage="PROSPECT")
        _lead(session, company="Northwind", domain="northwind.test", owner_id=reps["grace@t.co"], stage="PROSPECT")
        _lead(session, company="Filler", owner_id=reps["ines@t.co"])  # Ines (cap 1) is full
        gmail = _lead(session, company="Kettle & Co", domain="gmail.com", company_size=20)
        same_company = _lead(session, company="Acme Robotics", domain="gmail.com", company_size=20)
        northwind_id = _lead(session, company="Northwind Freight", domain="northwind.test", company_size=500)
        sub = _lead(session, company="Tidewater EU", domain="eu.tidewater.test", company_size=500)
    with db.session() as session:
        kettle = route_lead(session, lead=gmail, policy=policy, now=NOW)
        acme = route_lead(session, lead=same_company, policy=policy, now=NOW)
        northwind = route_lead(session, lead=northwind_id, policy=policy, now=NOW)
        tidewater = route_lead(session, lead=sub, policy=policy, now=NOW)
        sticky_gmail = route_lead(session, lead=gmail, policy=_policy(POLICY.replace("match_on: [domain, company]",
                                                                                      "match_on: [domain, company], personal_domains: []")), now=NOW)
        strict = route_lead(session, lead=sub, policy=_policy(POLICY.replace("match_on: [domain, company]",
                                                                              "match_on: [domain, company], subdomains: false")), now=NOW)
    assert kettle.rule == "small"  # gmail.com is nobody's account
    assert sticky_gmail.rule == "account-match" and sticky_gmail.owner == "eli@t.co"  # personal_domains: [] -> a company domain
    assert acme.rule == "account-match" and acme.owner == "eli@t.co" and "company Acme Robotics" in acme.reason  # matched by name
    # northwind.test is declared Ines' (full): the owner of the open Northwind lead (Grace) is tried
    # next, before the rules, and the Why says both.
    assert northwind.rule == "account-match" and northwind.owner == "grace@t.co"
    assert "Ines Rep (domain northwind.test (policy accounts[0])) is unavailable: at capacity" in northwind.reason
    assert "the owner of the company's open lead is tried next; account match: Grace Rep owns the account" in northwind.reason
    assert tidewater.rule == "account-match" and tidewater.owner == "hugo@t.co"  # eu.tidewater.test is under tidewater.test
    assert "domain eu.tidewater.test, a subdomain of tidewater.test (policy accounts[1])" in tidewater.reason
    assert strict.rule == "big"  # subdomains: false -> no declared match, and no lead at eu.tidewater.test


@pytest.mark.parametrize(("edit", "message"), [
    ("strategy: fewest_today", "strategy: fewest-todays"),
    ("personal_domains: [gmail]", "account_matching.personal_domains[0]: 'gmail' is not a mail domain — write it like gmail.com"),
    ("domain: gmail.com", "accounts[0].domain: gmail.com is a personal mail domain"),
    ("subdomains: maybe", "account_matching.subdomains"),
])
def test_bad_settings_name_the_key_and_the_fix(edit, message):
    text = {
        "strategy: fewest_today": POLICY.replace("strategy: fewest_today", "strategy: fewest-todays"),
        "personal_domains: [gmail]": POLICY.replace("match_on: [domain, company]", "match_on: [domain], personal_domains: [gmail]"),
        "domain: gmail.com": POLICY.replace("domain: northwind.test", "domain: gmail.com"),
        "subdomains: maybe": POLICY.replace("match_on: [domain, company]", "match_on: [domain], subdomains: maybe"),
    }[edit]
    with pytest.raises(RoutingPolicyError) as error:
        _policy(text)
    shown = str(error.value)
    if edit.startswith("strategy"):
        assert "pools.aes.strategy: unknown strategy 'fewest-todays' — did you mean 'fewest_today'?" in shown
    else:
        assert message in shown


def test_the_readme_names_the_builtin_personal_domains():
    from leadpilot.memory.lead_record import FREE_EMAIL_DOMAINS

    readme = " ".join((Path(__file__).parents[1] / "README.md").read_text().split())
    listed = readme.split("(`builtin` = ", 1)[1].split(" — the list import", 1)[0]
    assert {d.strip() for d in listed.split(",")} == set(FREE_EMAIL_DOMAINS)
