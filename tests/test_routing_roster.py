"""The rep roster from RevOps' spreadsheet: `leadpilot reps import roster.csv [--dry-run]` and `reps
list`. Bad lines name the line, the column and the fix while good lines load; a pool's `where:` sees
the imported attributes at the next decision."""

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
from leadpilot.tools.routing.roster import RosterImportError, import_roster
from leadpilot.tools.routing.router import route_lead

from conftest import NOW

HOURS = {"start": "00:00", "end": "24:00", "days": [0, 1, 2, 3, 4, 5, 6]}
POLICY = """\
constraints: {capacity: true, daily_cap: false, working_hours: ignored, language: ignored}
pools:
  german-emea:
    description: EMEA reps who speak German.
    strategy: least_loaded
    where: {team: [emea], language: [de]}
rules:
  - name: german-speakers
    when: {language: [de]}
    route_to: {pool: german-emea}
    when_unavailable: fallback
  - name: everyone-else
    route_to: {rep: ana@t.co}
fallback: {queue: triage}
"""
ROSTER = (
    "Email,Name,Team,Role,Languages,Territory,Skills,Seniority,Tags,Capacity,Working Hours,Timezone,Active\n"
    'greta.vogel@t.co,Greta Vogel,emea,rep,"de, en",EMEA,payments;banking,senior,ae,120,08:00-16:30 Mon-Fri,Europe/Berlin,yes\n'
    "ben@t.co,,,,,,,principal,,,,,\n"
    "zed@t.co,Zed,emea,boss,Klingon,Atlantis,,,,lots,9-5,Mars/Base,maybe\n"
    ",No Email,,,,,,,,,,,\n"
    "ben@t.co,,,,,,,,,3,,,\n"
)


def _team(db) -> None:
    with db.transaction() as session:
        upsert_rep(session, email="ana@t.co", name="Ana Rep", now=NOW, team="na", languages=["en"], working_hours=HOURS)
        upsert_rep(session, email="ben@t.co", name="Ben Rep", now=NOW, team="emea", languages=["en", "fr"], working_hours=HOURS)


def _german_lead(db) -> int:
    with db.transaction() as session:
        lead = Lead(company="Kaffee GmbH", country="DE", language="de", stage="LEAD", source="other", created_at=NOW, updated_at=NOW)
        session.add(lead)
        session.flush()
        return lead.id


def _route(db, lead_id: int):
    with db.session() as session:
        return route_lead(session, lead=lead_id, policy=parse_policy(POLICY, path=Path("routing.yaml")), now=NOW)


def test_imported_german_speaker_takes_the_german_emea_lead_at_the_next_decision(db, db_url: str, tmp_path: Path,
                                                                                  monkeypatch: pytest.MonkeyPatch):
    _team(db)
    lead_id = _german_lead(db)
    before = _route(db, lead_id)
    assert (before.rule, before.owner, before.queue) == ("fallback", None, "triage")
    assert any("german-emea has nobody matching where team emea, language de" in note for note in before.notes)

    monkeypatch.setenv("LEADPILOT_DATABASE_URL", db_url)
    get_settings.cache_clear()
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    dry = CliRunner().invoke(app, ["reps", "import", str(roster), "--dry-run", "--json"])
    assert dry.exit_code == 0, dry.output
    preview = json.loads(dry.stdout)
    assert (preview["dry_run"], preview["added"], preview["updated"], preview["rejected"]) == (True, ["greta.vogel@t.co"], ["ben@t.co"], 3)
    assert _route(db, lead_id).queue == "triage"  # a dry run writes nothing

    result = CliRunner().invoke(app, ["reps", "import", str(roster), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["added"], report["updated"], report["rejected"]) == (["greta.vogel@t.co"], ["ben@t.co"], 3)
    assert report["changes"]["ben@t.co"] == ["seniority: (none) -> principal"]
    assert "languages: (none) -> de, en" in report["changes"]["greta.vogel@t.co"]
    problems = report["problems"]
    assert problems[:2] == [
        "line 4, column Role: unknown role 'boss' — use rep, manager or admin (what the person may see); a job title such as AE "
        "or SDR goes in the tags column",
        "line 4, column Languages: unknown language 'Klingon' — use a two-letter ISO 639-1 code such as en, de or es",
    ]
    assert {p.split(":")[0] for p in problems[2:]} == {
        "line 4, column Territory", "line 4, column Capacity", "line 4, column Working Hours", "line 4, column Timezone",
        "line 4, column Active", "line 5, column Email", "line 6"}
    assert "line 6: ben@t.co is also on line 3 — keep one line per rep" in problems

    after = _route(db, lead_id)  # the next decision reads the imported roster
    assert (after.rule, after.owner) == ("german-speakers", "greta.vogel@t.co")
    why = after.explanation()
    assert "Pool german-emea: EMEA reps who speak German." in why and "chose Greta Vogel" in why
    assert "pool german-emea is every rep with team emea, language de: Greta Vogel" in after.notes

    listed = json.loads(CliRunner().invoke(app, ["reps", "list", "--json"]).stdout)
    greta = next(r for r in listed if r["email"] == "greta.vogel@t.co")
    assert (greta["team"], greta["languages"], greta["capacity"], greta["timezone"], greta["working_hours"]) == (
        "emea", ["de", "en"], 120, "Europe/Berlin", "08:00-16:30 Mon-Fri")
    assert greta["attributes"] == {"skills": ["payments", "banking"], "seniority": ["senior"], "tags": ["ae"]}
    again = json.loads(CliRunner().invoke(app, ["reps", "import", str(roster), "--json"]).stdout)
    assert (again["added"], again["updated"], again["unchanged"]) == ([], [], 2)


def test_roster_cells_clear_extra_columns_and_file_errors(sqlite_db, tmp_path: Path):
    _team(sqlite_db)
    roster = tmp_path / "roster.csv"
    policy = parse_policy(POLICY + "reps:\n  ben@t.co: {max_open_leads: 10}\n", path=Path("routing.yaml"))
    roster.write_text("email,languages,working hours,capacity,certification,active\n"
                      "BEN@t.co,-,07:30 to 15:00 mon-wed sat,40,SOC2 ; ISO27001,false\n", encoding="utf-8")
    with sqlite_db.transaction() as session:
        report = import_roster(session, path=roster, now=NOW, policy_reps=policy.reps)
    assert report.updated == ["ben@t.co"] and report.changes["ben@t.co"] == [
        "languages: en, fr -> (none)", "working_hours: 00:00-24:00 Mon-Sun -> 07:30-15:00 Mon-Wed,Sat",
        "capacity: 150 -> 40", "certification: (none) -> soc2, iso27001", "active: True -> False"]
    assert any("certification are not roster fields: kept as rep attributes" in n for n in report.notes)
    assert any("ben@t.co: the routing policy's reps: section sets max_open_leads" in n for n in report.notes)
    with sqlite_db.session() as session:
        from leadpilot.memory.reps import get_rep

        ben = get_rep(session, email="ben@t.co")
        assert (ben.languages, ben.working_hours["days"], ben.active, ben.attributes) == ([], [0, 1, 2, 5], False,
                                                                                         {"certification": ["soc2", "iso27001"]})
    for text, message in (
        ("name,team\nAna,na\n", "the header needs an email column"),
        ("email,skills,skill\nana@t.co,a,b\n", "more than one column fills attributes.skills"),
        ("email,%weird\nana@t.co,x\n", "'%weird' cannot be a roster field"),
    ):
        roster.write_text(text, encoding="utf-8")
        with sqlite_db.session() as session, pytest.raises(RosterImportError, match=message):
            import_roster(session, path=roster, now=NOW)
    with sqlite_db.session() as session, pytest.raises(RosterImportError, match="no such file"):
        import_roster(session, path=tmp_path / "missing.csv", now=NOW)
