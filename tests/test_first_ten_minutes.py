"""What a new user meets in the first ten minutes (issue #21), short of the browser: the score card
for "why is X hot?" in the web chat and in Slack, the CLI's flags, JSON errors, a busy port, a tidy
`status`, and `seed` announcing itself around the clock it seeds at."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from slack_sdk.models.blocks import Block

from leadpilot.agent.runner import run_agent
from leadpilot.interfaces.deps_factory import make_deps, viewer_for
from leadpilot.interfaces.score_card import bar, from_explanation
from leadpilot.interfaces.slack import blocks as slack_blocks
from leadpilot.interfaces.web import render
from leadpilot.memory.db import open_database
from leadpilot.memory.seed import seed_demo

from conftest import NOW

LEADPILOT = [str(Path(sys.executable).with_name("leadpilot"))]


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    from leadpilot.tools.scoring import load_policy, rescore_leads

    db = open_database(f"sqlite:///{tmp_path_factory.mktemp('card') / 'demo.db'}")
    seed_demo(db, now=NOW, n_leads=300)
    rescore_leads(db, policy=load_policy(), now=NOW)
    yield db
    db.dispose()


def _hot_open_company(db) -> str:
    from sqlalchemy import select

    from leadpilot.memory.models import Lead

    with db.session() as session:
        return session.scalars(select(Lead.company).where(Lead.tier == "hot", Lead.stage.not_in(("CUSTOMER", "LOST")))
                               .order_by(Lead.score.desc(), Lead.id)).first()


def test_why_is_x_hot_is_a_score_card_in_words_without_internal_ids(demo_db):
    company = _hot_open_company(demo_db)
    answer = run_agent(f"why is {company} hot?", deps=replace(make_deps(demo_db, viewer=viewer_for(demo_db)), now=NOW))
    assert answer.tool_calls[0]["name"] == "explain_score" and answer.score_explanation is not None
    breakdown = answer.score_explanation["breakdown"]
    policy = breakdown["policy_version"]
    # The answer a rep reads: tier, score, thresholds, top reasons and points per category; no ids.
    axes = breakdown["axes"]
    assert breakdown["cell"] in breakdown["grid"]["hot"]  # hot: fit and engagement both high enough
    assert (f"): {answer.score_explanation['score']}, hot (fit {axes['fit']['score']} ({axes['fit']['grade']}), engagement "
            f"{axes['engagement']['score']} (level {axes['engagement']['level']}): cell {breakdown['cell']}). Top reasons: ") in answer.answer
    assert "Points by category: " in answer.answer
    for text in (answer.answer, json.dumps(slack_blocks.answer_blocks(answer)), render.score_card(from_explanation(answer.score_explanation))):
        assert policy not in text and "capped at" not in text and "earned" not in text

    card = from_explanation(answer.score_explanation)
    assert card.tier == "hot" and card.score == answer.score_explanation["score"] and len(card.reasons) == 3
    assert {c.label for c in card.categories} == {name.replace("_", " ") for name in breakdown["categories"]}
    assert [c.points for c in card.categories] == sorted((c.points for c in card.categories), reverse=True)

    web = render.score_card(card)
    assert web.startswith(f"### {render.md(card.title)} — hot, {card.score}")
    assert "| category | points | of its cap |" in web and "**Top reasons**" in web and "1. " in web
    slack = slack_blocks.answer_blocks(answer)
    assert [b.get("block_id") for b in slack][:4] == ["answer", "score", "score:categories", "score:reasons"]
    assert f"Why *{slack_blocks.escape(card.title)}* is hot:" in slack[0]["text"]["text"]
    assert "█" in slack[2]["text"]["text"] and "Top reasons" in slack[3]["text"]["text"]
    for block in slack:
        Block.parse(block).to_dict()  # within Slack's limits
    assert answer.answer in slack_blocks.answer_text(answer)  # the notification keeps the whole answer


def test_bars_and_a_lead_card_without_an_empty_header_row():
    assert bar(1.0) == "█" * 10 and bar(0.35) == "████░░░░░░" and bar(0) == "░" * 10
    card = render.lead_card({"id": 7, "company": "Acme", "tier": "warm", "score": 55})
    table = [line for line in card.splitlines() if line.startswith("|")]
    assert table[0] == "| Industry | Where | Stage | Owner | Last contact | Source |"
    assert not re.search(r"\|\s*\|", table[0])


# -- the command line ------------------------------------------------------------------------------


def _cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*LEADPILOT, *args], capture_output=True, text=True, timeout=300, cwd=cwd,
                          env={**os.environ, "COLUMNS": "200", **(env or {})})


def test_flags_show_as_flags_in_help():
    for command in (["ask", "--help"], ["seed", "--help"], ["feedback", "--help"], ["--help"]):
        shown = _cli(*command).stdout
        assert "<bool>" not in shown, command
    assert re.search(r"--json\s+Print one JSON object", _cli("ask", "--help").stdout)
    assert "<bool>" not in subprocess.run([str(Path(sys.executable).with_name("evals")), "nlq", "--help"],
                                          capture_output=True, text=True, timeout=60).stdout


def test_json_commands_report_errors_as_json(tmp_path):
    seed_demo(open_database(f"sqlite:///{tmp_path / 'data' / 'leadpilot.db'}"), now=NOW, n_leads=100)
    for args, code in ((["predict", "999999", "--json"], 1), (["predict", "abc", "--json"], 2),
                       (["enrich", "lead 999999", "--json"], 1), (["campaign", "status", "999", "--json"], 1),
                       (["ask", "show hot leads", "--as", "nobody@example.com", "--json"], 2),
                       (["feedback", "--lead", "3", "--json"], 2)):
        done = _cli(*args)
        assert done.returncode == code, (args, done.stdout, done.stderr)
        assert set(json.loads(done.stdout)) == {"error"}, args
    bad_setting = _cli("predict", "1", "--json", env={"LEADPILOT_QUERY_ROW_CAP": "lots"})
    assert bad_setting.returncode == 2 and "LEADPILOT_QUERY_ROW_CAP" in json.loads(bad_setting.stdout)["error"]


def test_a_busy_port_stops_a_server_before_it_says_it_is_available(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        for args in (["demo"], ["ui"], ["serve"]):
            done = _cli(*args, "--port", str(port), env={"LEADPILOT_WEBHOOK_SECRET": "x" * 32})
            assert done.returncode == 1, (args, done.stdout, done.stderr)
            assert f"port {port} is in use — pass --port N" in done.stderr
            assert "available" not in done.stdout + done.stderr and "Loading" not in done.stderr  # stopped before loading


def test_seed_announces_itself_around_the_clock_and_status_is_tidy(tmp_path):
    done = _cli("seed", "--leads", "120")
    assert done.returncode == 0, done.stderr
    assert "Loading the demo data around 2026-11-20 12:00 UTC (LEADPILOT_NOW): 120 leads" in done.stderr
    status = _cli("status").stdout.splitlines()
    values = {line.split(":", 1)[0]: line for line in status}
    assert re.fullmatch(r"activities: +[\d,]+", values["activities"]) and re.fullmatch(r"leads: +120", values["leads"])
    assert len({line.index(line.split(":", 1)[1].strip()) for line in status}) == 1  # one column of values
    with open_database(f"sqlite:///{tmp_path / 'data' / 'leadpilot.db'}").session() as session:
        from sqlalchemy import func, select

        from leadpilot.memory.models import Lead

        newest = session.scalar(select(func.max(Lead.created_at)))
    assert newest is not None and newest.replace(tzinfo=NOW.tzinfo) <= NOW  # seeded around the pinned clock, not today


def test_a_plain_ask_is_read_as_typer_reads_it_and_answers_the_same(tmp_path):
    """#21: `leadpilot ask` with a question and its declared options is answered without importing
    Typer; anything else (help, a usage error) still goes to the Typer command."""
    from typer.testing import CliRunner

    from leadpilot.interfaces.cli import app
    from leadpilot.interfaces.cli.one_question import plain_ask_args
    from leadpilot.settings import get_settings

    assert plain_ask_args(["hot leads", "--json"]) == {"question": "hot leads", "as_json": True, "user": None, "conversation": None}
    assert plain_ask_args(["--as=a@b.io", "hot leads", "--conversation", "c1"]) == {
        "question": "hot leads", "as_json": False, "user": "a@b.io", "conversation": "c1"}
    for typer_reads in ([], ["--help"], ["q", "--help"], ["q", "r"], ["q", "--as"], ["q", "--as", "--json"],
                        ["q", "--json", "--json"], ["q", "--", "x"], ["-q"], ["q", "--jsn"]):
        assert plain_ask_args(typer_reads) is None, typer_reads
    data = tmp_path / "data"
    seed_demo(open_database(f"sqlite:///{data / 'leadpilot.db'}"), now=NOW, n_leads=60)
    env = {"LEADPILOT_DATA_DIR": str(data), "LEADPILOT_NOW": NOW.isoformat()}
    for args in (["ask", "show hot leads in fintech", "--json"], ["ask", "hot leads", "--as", "nobody@example.com", "--json"]):
        plain = _cli(*args, env=env)
        get_settings.cache_clear()
        try:
            typer_run = CliRunner().invoke(app, args, env=env)
        finally:
            get_settings.cache_clear()
        assert plain.returncode == typer_run.exit_code, (args, plain.stderr)
        assert json.loads(plain.stdout) == json.loads(typer_run.stdout), args
    shown = _cli("ask", "show hot leads in fintech", env=env)
    assert shown.returncode == 0 and "open leads" in shown.stdout and "tool calls: search_leads" in shown.stdout
    bad_setting = _cli("ask", "hot leads", "--json", env={**env, "LEADPILOT_QUERY_ROW_CAP": "lots"})
    assert bad_setting.returncode == 2 and "LEADPILOT_QUERY_ROW_CAP" in json.loads(bad_setting.stdout)["error"]
