"""The `leadpilot` command as a person uses it: real processes, a real data dir, the pinned clock."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from importlib.resources import files
from pathlib import Path

import pytest
from sqlalchemy import select

from leadpilot.memory.db import open_database
from leadpilot.memory.models import AuditEvent, Lead

LEADPILOT = str(Path(sys.executable).with_name("leadpilot"))
CARD = "show hot leads in fintech not contacted in 3 days"


def run(*args: str, env: dict[str, str] | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([LEADPILOT, *args], capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})})
    if check and result.returncode != 0:
        raise AssertionError(f"leadpilot {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> Path:
    """A data dir with the demo data, scored by the shipped policy (seeded once for the module)."""
    data_dir = tmp_path_factory.mktemp("cli-data")
    env = {"LEADPILOT_DATA_DIR": str(data_dir), "LEADPILOT_NOW": "2026-11-20T12:00:00Z"}
    run("seed", "--leads", "800", env=env)
    return data_dir


@pytest.fixture
def data_dir(seeded: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    copy = tmp_path / "data"
    shutil.copytree(seeded, copy)
    monkeypatch.setenv("LEADPILOT_DATA_DIR", str(copy))
    return copy


def db_of(data_dir: Path):
    return open_database(f"sqlite:///{data_dir / 'leadpilot.db'}")


def test_seed_scores_every_lead_and_refuses_to_mix(data_dir):
    db = db_of(data_dir)
    with db.session() as session:
        tiers = session.scalars(select(Lead.tier)).all()
    db.dispose()
    assert len(tiers) == 800 and None not in tiers and {"hot", "warm", "cold"} <= set(tiers)
    again = run("seed", check=False)
    assert again.returncode == 1 and "--reset" in again.stderr


def test_ask_json_contract_for_the_card_question(data_dir):
    output = json.loads(run("ask", CARD, "--json").stdout)
    assert set(output) == {"question", "answer", "tool_calls", "leads", "rows"}
    assert output["tool_calls"] == [
        {"name": "search_leads", "args": {"filter": {"not_contacted_in_days": 3, "tier": ["hot"], "industry": ["fintech"]}}}
    ]
    db = db_of(data_dir)
    with db.session() as session:
        from datetime import datetime, timedelta, timezone

        cutoff = datetime(2026, 11, 17, 12, tzinfo=timezone.utc)
        expected = {
            lead.id for lead in session.scalars(select(Lead).where(Lead.tier == "hot", Lead.industry == "fintech"))
            if (lead.last_contacted_at is None or lead.last_contacted_at < cutoff) and lead.stage not in ("CUSTOMER", "LOST")
        }  # open leads: the default (issue #15)
    db.dispose()
    assert expected and {lead["id"] for lead in output["leads"]} == expected
    assert "not contacted in 3 days" in output["answer"]


def test_export_then_import_round_trips_without_duplicates(data_dir, tmp_path):
    exported = tmp_path / "leads.csv"
    run("export", "--output", str(exported))
    result = run("import", str(exported), "--quiet")
    assert "0 inserted, 800 updated, 0 rejected" in result.stdout
    as_json = json.loads(run("export", "--format", "json").stdout)
    assert len(as_json) == 800 and {"id", "score", "tier", "owner", "stage", "external_id"} <= set(as_json[0])


def test_import_with_bad_rows_reports_lines_keeps_good_rows_and_scores_them(data_dir, tmp_path):
    source = tmp_path / "new.csv"
    source.write_text(
        "external_id,company,email,company_size,created_at,source,industry\n"
        "N-1,Newco,ceo@newco.io,1200,2026-11-01,referral,fintech\n"
        "N-2,Badmail,not-an-email,10,2026-11-01,organic,saas\n"
        "N-3,Sizeless,cfo@sizeless.io,lots,2026-11-01,paid,saas\n"
        "N-4,Oldco,cto@oldco.io,50,yesterday-ish,event,retail\n"
        "N-5,Goodco,vp@goodco.io,80,2026-10-01,webinar,retail\n"
    )
    result = run("import", str(source), "--quiet", check=False)
    assert result.returncode == 3  # some rows need fixing; the good ones are stored
    assert "2 inserted" in result.stdout and "3 rejected" in result.stdout
    rejects = (tmp_path / "new.rejects.csv").read_text()
    assert "3,not-an-email" not in rejects  # the rejects file keeps the original columns after _line/_errors
    lines = rejects.splitlines()
    assert [line.split(",")[0] for line in lines[1:]] == ["3", "4", "5"]
    assert "email" in lines[1] and "company_size" in lines[2] and "created_at" in lines[3]
    db = db_of(data_dir)
    with db.session() as session:
        newco = session.scalar(select(Lead).where(Lead.external_id == "N-1"))
        assert newco.score is not None and newco.score_breakdown
    db.dispose()


def test_editing_the_policy_changes_tiers_on_rescore_with_audit_and_a_broken_one_changes_nothing(data_dir, tmp_path, monkeypatch):
    policy = tmp_path / "scoring.yaml"
    text = files("leadpilot.config").joinpath("scoring.yaml").read_text()
    assert "  hot: [A1, A2, B1, B2]" in text and "  warm: [A3," in text
    policy.write_text(text.replace("  hot: [A1, A2, B1, B2]", "  hot: [A1]").replace("  warm: [A3,", "  warm: [A2, B1, B2, A3,"))
    monkeypatch.setenv("LEADPILOT_SCORING_POLICY", str(policy))
    result = run("rescore")
    assert "hot->warm" in result.stdout
    db = db_of(data_dir)
    with db.session() as session:
        assert {breakdown["cell"] for breakdown in session.scalars(select(Lead.score_breakdown).where(Lead.tier == "hot"))} == {"A1"}
        event = session.scalar(select(AuditEvent).where(AuditEvent.field == "tier", AuditEvent.new_value == "warm", AuditEvent.old_value == "hot"))
        assert event is not None and "policy" in event.reason
        before = session.execute(select(Lead.id, Lead.score, Lead.tier).order_by(Lead.id)).all()
    policy.write_text(text.replace("    A: 65", "    A: 20"))  # grade A below B: invalid
    broken = run("rescore", check=False)
    assert broken.returncode == 2
    assert str(policy) in broken.stderr and "grid.fit" in broken.stderr
    with db.session() as session:
        assert session.execute(select(Lead.id, Lead.score, Lead.tier).order_by(Lead.id)).all() == before
    db.dispose()


def test_train_predict_and_feedback(data_dir):
    trained = run("train")
    assert "held-out AUC" in trained.stdout and "Probabilities written for" in trained.stdout
    db = db_of(data_dir)
    with db.session() as session:
        open_lead = session.scalar(select(Lead).where(Lead.converted.is_(None), Lead.conversion_probability.is_not(None)).order_by(Lead.id))
    db.dispose()
    prediction = json.loads(run("predict", str(open_lead.id), "--json").stdout)
    assert 0 <= prediction["probability"] <= 1 and prediction["model_version"].startswith("conv-")
    assert prediction["tier"] in {"top", "high", "medium", "low"}
    assert {"raising", "lowering", "risks", "recommendations", "time_to_close", "confidence"} <= set(prediction)
    feedback = json.loads(run("feedback", "--lead", str(open_lead.id), "--lost", "--json").stdout)
    assert feedback["validated"] == 1 and feedback["predictions"] == 1
    assert feedback["correct"] == (1 if prediction["probability"] < 0.5 else 0)


def test_ask_json_carries_every_part_of_a_comparison_and_the_table_shows_both(data_dir):
    output = json.loads(run("ask", "hot leads US vs Europe", "--json").stdout)
    assert {"question", "answer", "tool_calls", "leads", "rows"} <= set(output)
    assert [part["label"] for part in output["parts"]] == ["country US", "region EUROPE"]
    assert [row["part"] for row in output["rows"]] == ["country US", "region EUROPE"]  # both sides, not the last one only
    assert [row["count"] for row in output["rows"]] == [part["rows"][0]["count"] for part in output["parts"]]
    assert [part["args"]["filter"] for part in output["parts"]] == [call["args"]["filter"] for call in output["tool_calls"]]
    shown = run("ask", "hot leads US vs Europe").stdout
    # the comparison is one terminal table with both sides (not Markdown pipes, not the parts again)
    header = next(line for line in shown.splitlines() if "US" in line and "Europe" in line and "┃" in line)
    counts = next(line for line in shown.splitlines() if line.startswith("│ Lead count"))
    assert [cell.strip() for cell in counts.strip("│").split("│")][1:] == [str(row["count"]) for row in output["rows"]], header
    assert "|---" not in shown and "| US |" not in shown and "Part 1" not in shown
    several = json.loads(run("ask", "how many leads came in this week and show me hot leads in fintech", "--json").stdout)
    counted, listed = several["parts"]
    assert counted["tool"] == "aggregate_leads" and listed["tool"] == "search_leads"
    assert listed["leads"] and {lead["id"] for lead in several["leads"]} == {lead["id"] for lead in listed["leads"]}
    assert several["rows"] == [{"part": counted["label"], **counted["rows"][0]}]


def test_ask_with_numbers_no_store_can_hold_answers_in_words(data_dir):
    for question, said in (
        ("show lead 99999999999999999999999999", "No lead 99999999999999999999999999"),
        ("top 99999999999999999999999 leads", "as a top N"),
        ("leads with more than 99999999999999999999999 employees", "as a company size"),
    ):
        result = run("ask", question, "--json")
        assert "Traceback" not in result.stderr
        assert said in json.loads(result.stdout)["answer"]
