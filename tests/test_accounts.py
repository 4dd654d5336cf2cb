"""Declared accounts: the policy's `accounts:` section and `leadpilot accounts import FILE.csv`, next
to ownership inferred from owned leads; at capacity is an unavailability reason by default, and the
unavailable account owner is said in the Why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from leadpilot.interfaces.cli import app
from leadpilot.memory.models import Lead
from leadpilot.memory.reps import upsert_rep
from leadpilot.settings import get_settings
from leadpilot.tools.routing.policy import parse_policy
from leadpilot.tools.routing.router import route_lead, route_leads

from conftest import NOW

HOURS = {"start": "00:00", "end": "24:00", "days": [0, 1, 2, 3, 4, 5, 6]}
POLICY = """\
constraints: {capacity: true, daily_cap: false, working_hours: ignored, language: ignored}
accounts:
  - {domain: acme.com, owner: ana@t.co}
  - {company: "Globex Corporation", owner: ben@t.co, team: emea}
rules:
  - name: everyone
    route_to: {rep: cy@t.co}
fallback: {queue: triage}
"""


def _team(db):
    with db.transaction() as session:
        for email, team, capacity in (("ana@t.co", "na", 2), ("ben@t.co", "emea", 50), ("cy@t.co", "na", 50), ("dee@t.co", "emea", 50)):
            upsert_rep(session, email=email, name=email.split("@")[0].title() + " Rep", now=NOW, team=team, working_hours=HOURS,
                       capacity=capacity)


def _lead(session, **fields) -> int:
    lead = Lead(stage="LEAD", source="other", created_at=NOW, updated_at=NOW, **fields)
    session.add(lead)
    session.flush()
    return lead.id


def test_policy_accounts_win_over_the_store_and_a_team_covers_an_unavailable_owner(db):
    _team(db)
    policy = parse_policy(POLICY, path=Path("routing.yaml"))
    with db.transaction() as session:
        # The store says Cy owns acme.com (an open lead); the policy declares Ana.
        owned = _lead(session, company="Acme", domain="acme.com")
        session.get(Lead, owned).owner_id = session.scalar(__import__("sqlalchemy").text("select id from reps where email='cy@t.co'"))
        acme = _lead(session, company="Acme Inc", domain="acme.com")
        globex = _lead(session, company="GLOBEX corp.", domain="globex.io")
        decisions = route_leads(session, lead_ids=[acme, globex], policy=policy, now=NOW)
    assert [(d.rule, d.owner) for d in decisions] == [("account-match", "ana@t.co"), ("account-match", "ben@t.co")]
    assert "policy accounts[0]" in decisions[0].reason and decisions[0].account.origin == "policy accounts[0]"
    with db.transaction() as session:
        ana = session.scalar(__import__("sqlalchemy").text("select id from reps where email='ana@t.co'"))
        for _ in range(2):  # Ana at capacity (2 open leads): at_capacity is a reason by default
            _lead(session, company="Filler", owner_id=ana)
        full = route_lead(session, lead=acme, policy=policy, now=NOW)
        ben = session.scalar(__import__("sqlalchemy").text("select id from reps where email='ben@t.co'"))
        session.execute(__import__("sqlalchemy").text("update reps set active = false where id = :id"), {"id": ben})
        team = route_lead(session, lead=globex, policy=policy, now=NOW)
    # Ana (declared) is full: the owner of the company's open lead (Cy) is tried before the rules.
    assert (full.rule, full.owner) == ("account-match", "cy@t.co")
    assert full.reason.startswith("the account owner Ana Rep (domain acme.com (policy accounts[0])) is unavailable: at capacity")
    assert "the owner of the company's open lead is tried next; account match: Cy Rep owns the account" in full.reason
    assert "Why: the account owner Ana Rep" in full.explanation()
    # Ben (declared owner, team emea) is inactive: the account's team takes it, not the rules.
    assert (team.rule, team.owner) == ("account-match", "dee@t.co") and "the account's team emea takes it" in team.reason


def test_accounts_import_cli_reports_bad_rows_and_routes_by_them(db, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    _team(db)
    monkeypatch.setenv("LEADPILOT_DATABASE_URL", db_url)
    get_settings.cache_clear()
    csv_file = tmp_path / "accounts.csv"
    csv_file.write_text(
        "Domain,Company,Owner Email,Team\n"
        "https://www.initech.com/,Initech,ben@t.co,emea\n"
        ",Hooli,cy@t.co,\n"
        "not a domain,Bad Co,ben@t.co,\n"
        "umbrella.com,Umbrella,nobody@t.co,\n"
        ",,ben@t.co,\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["accounts", "import", str(csv_file), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["added"], report["updated"]) == (2, 0)
    assert report["problems"] == [
        "line 4: 'not a domain' is not a web domain — write it like acme.com",
        "line 5: owner 'nobody@t.co' is not a rep — use a rep's email (see the roster)",
        "line 6: no domain or company — give one",
    ]
    csv_file.write_text("domain,owner\ninitech.com,dee@t.co\n", encoding="utf-8")
    again = json.loads(CliRunner().invoke(app, ["accounts", "import", str(csv_file), "--json"]).stdout)
    assert (again["added"], again["updated"]) == (0, 1)
    listed = json.loads(CliRunner().invoke(app, ["accounts", "list", "--json"]).stdout)
    assert {(r["domain"], r["company"], r["owner"]) for r in listed} == {("initech.com", "Initech", "dee@t.co"), (None, "Hooli", "cy@t.co")}
    bad = CliRunner().invoke(app, ["accounts", "import", str(tmp_path / "missing.csv"), "--json"])
    assert bad.exit_code == 1 and json.loads(bad.stdout)["error"].endswith("missing.csv: no such file")
    (tmp_path / "wrong.csv").write_text("name,email\nx,y\n", encoding="utf-8")
    wrong = CliRunner().invoke(app, ["accounts", "import", str(tmp_path / "wrong.csv"), "--json"])
    assert wrong.exit_code == 1 and "the header needs owner and domain or company" in json.loads(wrong.stdout)["error"]

    policy = parse_policy(POLICY.replace("accounts:\n  - {domain: acme.com, owner: ana@t.co}\n  - {company: \"Globex Corporation\", owner: ben@t.co, team: emea}\n", ""),
                          path=Path("routing.yaml"))
    with db.transaction() as session:
        initech = _lead(session, company="Initech LLC", domain="initech.com")
        hooli = _lead(session, company="Hooli, Inc.", domain="hooli.xyz")
        other = _lead(session, company="Nobody", domain="nobody.org")
        decisions = route_leads(session, lead_ids=[initech, hooli, other], policy=policy, now=NOW)
    assert [(d.rule, d.owner) for d in decisions] == [("account-match", "dee@t.co"), ("account-match", "cy@t.co"), ("everyone", "cy@t.co")]
    assert "imported from accounts.csv" in decisions[0].reason
