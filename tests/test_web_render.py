"""The web chat's pure parts: tables, charts, CSV, its Chainlit files under the data dir (logins: test_web_logins.py)."""

from __future__ import annotations

import csv
import io
import os
import tomllib

from leadpilot.interfaces.web import launch, render
from leadpilot.settings import load_settings

LEAD = {"id": 7, "external_id": "X-7", "company": "Pipe | Co *Bold*", "contact_name": "Ana <b>Lima</b>", "industry": "fintech",
        "city": "San Francisco", "tier": "hot", "score": 91, "owner": None, "last_contacted_at": None, "email": "ana@pipe.co"}


def test_leads_table_is_markdown_that_cannot_be_broken_by_lead_data():
    table = render.leads_table([LEAD, {**LEAD, "id": 8, "owner": "ben@team.io", "last_contacted_at": "2026-11-10T09:00:00+00:00"}])
    header, rule, first, second = table.splitlines()
    assert header == "| id | company | contact | industry | city | tier | score | owner | last contact |"
    assert rule.count("|") == 10
    assert first.count("|") - first.count("\\|") == 10  # the company's | is escaped, not a new column
    assert "Pipe \\| Co \\*Bold\\*" in first and "\\<b\\>" in first and "unassigned" in first and "never" in first
    assert "ben@team.io" in second and "10 Nov 2026" in second  # no name known for ben: the email; a day as the answers write it
    named = render.leads_table([{**LEAD, "owner": "ben@team.io"}], names={"ben@team.io": "Ben Weber"})
    assert "| Ben Weber |" in named and "ben@team.io" not in named
    many = [{**LEAD, "id": i} for i in range(60)]
    assert len(render.leads_table(many, start=50).splitlines()) == 2 + 10
    assert render.page_note(start=25, shown=25, returned=60, total=60) == "Showing 26–50 of 60."
    assert "first 1000 were returned" in render.page_note(start=0, shown=25, returned=1000, total=1200)
    assert render.page_note(start=0, shown=7, returned=7, total=17, offset=10) == "Showing 11–17 of 17."  # a typed "next page"
    from leadpilot.interfaces.answer_view import list_offset
    assert list_offset([{"name": "search_leads", "args": {"filter": {}, "offset": 10}}]) == 10
    assert list_offset([{"name": "aggregate_leads", "args": {"offset": 5}}]) == 0


def test_aggregates_become_a_table_and_a_chart():
    rows = [{"source": "referral", "conversion_rate": 0.4567}, {"source": "paid", "conversion_rate": 0.2}]
    assert render.aggregate_table(rows).splitlines() == ["| source | conversion rate |", "|---|---:|", "| referral | 45.7% |", "| paid | 20.0% |"]
    png = render.chart_png(rows)
    assert png is not None and png.startswith(b"\x89PNG")
    assert render.chart_png([{"total": "all leads", "count": 3}]) is None  # one number needs no chart
    months = render.chart_png([{"month": "2026-09", "count": 3}, {"month": "2026-10", "count": 5}])
    assert months is not None


def test_steps_context_and_csv():
    assert render.tool_output({"kind": "search", "total": 3, "leads": [], "truncated": False, "filters_applied": ["tier: hot"]}) == "3 leads matched (tier: hot)"
    assert render.tool_output({"kind": "lead", "lead": None, "problems": ["No lead 9 that you can see."]}) == "no lead found — No lead 9 that you can see."
    assert '"not_contacted_in_days": 3' in render.call_input({"filter": {"not_contacted_in_days": 3}})
    line = render.context_line(["tier: hot", "industry: Fintech"], [{"name": "search_leads", "args": {}}])
    assert line == "Filters: tier: hot; industry: Fintech · Tools: `search_leads`"
    rows = list(csv.DictReader(io.StringIO(render.leads_csv([LEAD]).decode())))
    assert rows[0]["company"] == "Pipe | Co *Bold*" and rows[0]["id"] == "7" and rows[0]["owner"] == ""
    assert render.starters(["show hot leads?", "conversion rate by source"]) == [("Show hot leads", "show hot leads?"), ("Conversion rate by source", "conversion rate by source")]


def test_chainlit_files_live_under_the_data_dir(tmp_path):
    settings = load_settings(data_dir=tmp_path / "data")
    root = launch.prepare_app_root(settings)
    assert root == (tmp_path / "data" / "chainlit").resolve()
    config = tomllib.loads((root / ".chainlit" / "config.toml").read_text())
    assert config["UI"]["name"] == "Leadpilot" and config["features"]["spontaneous_file_upload"]["enabled"] is False
    # Leadpilot's logo in the header of every page (the browser test checks it is drawn in each screenshot).
    css = (root / "public" / config["UI"]["custom_css"].removeprefix("/public/")).read_text()
    assert "#header::after" in css and "/public/logo_dark.svg" in css and (root / "public" / "logo_dark.svg").exists()
    (root / "chainlit.md").write_text("edited")
    launch.prepare_app_root(settings)
    assert (root / "chainlit.md").read_text() == "edited"  # kept once edited
    secret = launch.auth_secret(root)
    assert len(secret) >= 48 and launch.auth_secret(root) == secret
    assert (root / ".auth-secret").stat().st_mode & 0o777 == 0o600
    assert not (tmp_path / ".chainlit").exists() and not (tmp_path / "chainlit.md").exists()


def test_each_web_chat_process_keeps_its_files_in_its_own_folder(tmp_path):
    """Chainlit deletes its files folder at shutdown: two web chats on one data dir must not share it."""
    import subprocess
    import sys

    root = tmp_path / "chainlit"
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    stale = root / ".files" / gone.stdout.strip()
    (stale / "session").mkdir(parents=True)
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]) as other:
        try:
            running = root / ".files" / str(other.pid)
            (running / "session").mkdir(parents=True)
            mine = launch.own_files_dir(root)
            assert mine == root / ".files" / str(os.getpid()) and mine.is_dir()
            assert running.is_dir()  # another live web chat's files stay
            assert not stale.exists()  # a process that has ended leaves nothing behind
        finally:
            other.kill()


def test_an_analytics_chart_spec_draws_every_series():
    rows = [{"score_bucket": "30-39", "hot": 0, "warm": 0, "cold": 125}, {"score_bucket": "40-49", "hot": 0, "warm": 308, "cold": 0},
            {"score_bucket": "70-79", "hot": 210, "warm": 0, "cold": 0}]
    spec = {"type": "stacked", "x": "score_bucket", "y": ["hot", "warm", "cold"], "title": "Score distribution", "unit": "count"}
    stacked = render.chart_png(rows, chart=spec)
    assert stacked is not None and stacked.startswith(b"\x89PNG")
    grouped = render.chart_png(rows, chart={**spec, "type": "grouped"})
    assert grouped is not None and grouped != stacked  # the spec decides the drawing
