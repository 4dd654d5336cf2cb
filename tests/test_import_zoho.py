"""A Zoho CRM Leads module export imports as a Zoho user means it: "Created Time" is when the lead came in,
"Last Activity Time" the last touch, "Mobile" the phone when "Phone" is blank, and the SalesIQ visit columns
(Days Visited, Number Of Chats, First Visit, Most Recent Visit) become dated inbound activities scoring reads;
re-importing replaces them, and export -> import -> export is unchanged."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import select

from conftest import NOW
from crm_files import export_import_export, import_with_reps, write_crm_csv
from leadpilot.evals.nlq_fresh4_data import HEADERS
from leadpilot.memory.db import Database
from leadpilot.memory.models import Activity, Lead


def _at(days_ago: float) -> str:
    """As Zoho's export writes a date-time (the exporting user's zone, GMT here)."""
    return (NOW - timedelta(days=days_ago)).strftime("%Y-%m-%d %H:%M:%S")


def _utc(days_ago: float) -> datetime:
    return datetime.strptime(_at(days_ago), "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)


# The same fit for every row (a CTO at a 400-person ERP company from a web download): only the columns under test differ.
BASE = {"Lead Owner": "Rahul Mehta", "First Name": "Ana", "Last Name": "Ruiz", "Title": "CTO", "Lead Source": "Web Download",
        "Lead Status": "Contacted", "Industry": "ERP", "No. of Employees": "400", "Country": "India", "City": "Pune",
        "Email Opt Out": "false", "Converted": "false", "Created By": "Web Leads", "Modified By": "Rahul Mehta"}
ROWS = (
    {"Record Id": "zcrm_1", "Company": "Chattyco", "Email": "ana@chattyco.in", "Phone": "", "Mobile": "+91 98450 12345",
     "Created Time": _at(20), "Modified Time": _at(1), "Last Activity Time": _at(6), "Visitor Score": "120",
     "Days Visited": "4", "Number Of Chats": "2", "First Visit": _at(21), "Most Recent Visit": _at(1),
     "Average Time Spent (Minutes)": "6.50", "First Page Visited": "/pricing"},
    {"Record Id": "zcrm_2", "Company": "Quietco", "Email": "ana@quietco.in", "Phone": "+91 80 4000 1000", "Mobile": "+91 99000 00000",
     "Created Time": _at(20), "Modified Time": _at(3), "Last Activity Time": ""},
    {"Record Id": "zcrm_3", "Company": "Queueco", "Email": "ana@queueco.in", "Lead Owner": "Web Leads", "Lead Status": "Not Contacted",
     "Created Time": _at(0.5), "Modified Time": _at(0.5), "Days Visited": "1", "Number Of Chats": "0", "First Visit": _at(0.6),
     "Most Recent Visit": _at(0.6)},
    {"Record Id": "zcrm_4", "Company": "Wonco", "Lead Status": "Pre-Qualified", "Converted": "true", "Created Time": _at(90)},
    {"Record Id": "zcrm_5", "Company": "Junkco", "Lead Status": "Junk Lead", "Created Time": _at(30)},
    {"Record Id": "zcrm_6", "Company": "Budgetco", "Lead Status": "Waiting on Budget", "Created Time": _at(40)},
    {"Record Id": "zcrm_7", "Company": "Budget Two", "Lead Status": "Waiting on Budget", "Created Time": _at(41)},
)


def _zoho_csv(path: Path) -> Path:
    return write_crm_csv(path, HEADERS, BASE, ROWS, quoting=csv.QUOTE_ALL)  # Zoho quotes every field


def _imported(db: Database, path: Path):
    return import_with_reps(db, path, {"rahul.mehta@kestrelnet.io": "Rahul Mehta"})


def _leads(db: Database) -> dict[str, Lead]:
    with db.session() as session:
        return {lead.external_id: lead for lead in session.scalars(select(Lead))}


def _activities(db: Database) -> dict[str, list[tuple[str, str, datetime, str]]]:
    with db.session() as session:
        rows = session.execute(select(Lead.external_id, Activity.kind, Activity.direction, Activity.occurred_at, Activity.detail)
                               .join(Activity, Activity.lead_id == Lead.id).order_by(Activity.occurred_at, Activity.id)).all()
    found: dict[str, list] = {}
    for ext, kind, direction, at, detail in rows:
        found.setdefault(ext, []).append((kind, direction, at if at.tzinfo else at.replace(tzinfo=timezone.utc), detail))
    return found


def test_zoho_columns_map_onto_the_lead_fields(db: Database, tmp_path: Path):
    report = _imported(db, _zoho_csv(tmp_path / "Leads_2027.csv"))
    assert (report.inserted, report.rejected) == (7, [])
    leads = _leads(db)
    chatty, quiet, queued = leads["zcrm_1"], leads["zcrm_2"], leads["zcrm_3"]
    as_utc = lambda moment: moment if moment is None or moment.tzinfo else moment.replace(tzinfo=timezone.utc)  # noqa: E731
    assert as_utc(chatty.created_at) == _utc(20) and as_utc(queued.created_at) == _utc(0.5)  # Created Time, not the import time
    assert as_utc(chatty.last_contacted_at) == _utc(6) and quiet.last_contacted_at is None  # Last Activity Time
    assert chatty.phone == "+91 98450 12345" and quiet.phone == "+91 80 4000 1000"  # Mobile only when Phone is blank
    assert quiet.extra["Mobile"] == "+91 99000 00000"  # a different mobile is kept, not lost
    assert chatty.owner_id is not None and queued.owner_id is None  # "Web Leads" is a shared CRM user, not a rep
    assert [message for _, message in report.warnings if "Web Leads" in message] == [
        next(message for _, message in report.warnings if "Web Leads" in message)]  # one warning for the name
    assert {"Created Time", "Last Activity Time", "Mobile"}.isdisjoint(report.extra_columns)
    assert {"Visitor Score", "Modified Time", "Created By", "Email Opt Out"} <= set(report.extra_columns)  # kept as written


def test_salesiq_visits_and_chats_become_dated_inbound_activities(db: Database, tmp_path: Path):
    path = _zoho_csv(tmp_path / "Leads_2027.csv")
    report = _imported(db, path)
    assert any("'Number Of Chats' (inbound email_sent ×N (chats))" in note for note in report.notes), report.notes
    found = _activities(db)
    chatty = found["zcrm_1"]
    assert Counter(kind for kind, *_ in chatty) == Counter(page_view=4, email_sent=2)
    assert all(direction == "inbound" for _, direction, *_ in chatty)  # the lead's doing: no "last contacted" from it
    views = [at for kind, _, at, _ in chatty if kind == "page_view"]
    assert views[0] == _utc(21) and views[-1] == _utc(1)  # from First Visit to Most Recent Visit
    chats = [(at, detail) for kind, _, at, detail in chatty if kind == "email_sent"]
    assert chats[-1][0] == _utc(1) and all(_utc(21) <= at <= _utc(1) for at, _ in chats) and "chat" in chats[0][1]
    assert "zcrm_2" not in found  # no SalesIQ data, no activities
    assert Counter(kind for kind, *_ in found["zcrm_3"]) == Counter(page_view=1)  # 0 chats make none
    leads = _leads(db)
    engagement = {ext: leads[ext].score_breakdown["axes"]["engagement"]["score"] for ext in ("zcrm_1", "zcrm_2")}
    assert engagement["zcrm_1"] > engagement["zcrm_2"] == 0, engagement
    again = _imported(db, path)
    assert (again.inserted, again.updated) == (0, 7) and _activities(db) == found  # replaced, never duplicated


def test_zoho_statuses_are_stages_and_a_converted_lead_is_won(db: Database, tmp_path: Path):
    report = _imported(db, _zoho_csv(tmp_path / "Leads_2027.csv"))
    leads = _leads(db)
    read = {ext: (lead.stage, lead.converted, (lead.extra or {}).get("stage_raw")) for ext, lead in leads.items()}
    assert read["zcrm_1"] == ("PROSPECT", None, "Contacted")  # open: undecided, whatever Converted = false says
    assert read["zcrm_3"] == ("LEAD", None, "Not Contacted")
    assert read["zcrm_4"] == ("CUSTOMER", True, "Pre-Qualified")  # Zoho keeps a converted lead's last status
    assert read["zcrm_5"] == ("LOST", False, "Junk Lead")
    assert read["zcrm_6"][::2] == read["zcrm_7"][::2] == ("LEAD", "Waiting on Budget")  # the team's own status: kept
    stage_warnings = [(line, message) for line, message in report.warnings if message.startswith("stage:")]
    assert stage_warnings == [(7, "stage: 2 rows have the status 'Waiting on Budget', which is no known stage: stored as LEAD "
                                  "(the status kept as written in extra.stage_raw)")]  # one per status, not one per row


def test_a_zoho_file_exports_and_imports_back_unchanged(db: Database, tmp_path: Path):
    _imported(db, _zoho_csv(tmp_path / "Leads_2027.csv"))
    activities = _activities(db)

    def same_activities(fresh: Database) -> None:
        assert _activities(fresh) == activities

    first, second = export_import_export(db, tmp_path, _imported, check=same_activities)
    assert second == first
    rows = {row["external_id"]: row for row in csv.DictReader(io.StringIO(first))}
    written = {ext: (rows[ext]["stage"], rows[ext]["stage_raw"], rows[ext]["converted"]) for ext in ("zcrm_4", "zcrm_5")}
    assert written == {"zcrm_4": ("CUSTOMER", "Pre-Qualified", "true"), "zcrm_5": ("LOST", "Junk Lead", "false")}  # the file's status
    assert rows["zcrm_1"]["created_at"] == _at(20).replace(" ", "T") + "Z"
