"""A CRM file's email opt-out column (Zoho/Salesforce "Email Opt Out", HubSpot "Unsubscribed from all
email") puts the checked addresses on the suppression list; an unchecked cell lifts nothing."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from conftest import NOW
from leadpilot.memory.db import Database
from leadpilot.memory.email_consent import opt_out_column
from leadpilot.memory.outbox import EmailSuppression
from leadpilot.tools.leads import import_leads_csv


def _suppressed(db: Database) -> dict[str, tuple[str, str]]:
    with db.session() as session:
        return {row.email: (row.reason, row.detail) for row in session.scalars(select(EmailSuppression))}


def test_checked_opt_out_cells_suppress_those_addresses_and_the_report_says_so(db: Database, tmp_path: Path):
    path = tmp_path / "zoho.csv"
    path.write_text("Record Id,Company,Last Name,Email,Email Opt Out\n"
                    "zcrm_1,Optco,Ruiz,Ana@Optco.com,true\nzcrm_2,Stayco,Lee,bo@stayco.com,false\nzcrm_3,Blankco,Kim,cy@blankco.com,\n",
                    encoding="utf-8")
    report = import_leads_csv(db, path=path, now=NOW, policy=None)
    assert (report.inserted, report.rejected, report.opted_out) == (3, [], 1)
    assert "1 address is marked as opted out of email in the file" in report.summary()
    assert _suppressed(db) == {"ana@optco.com": ("unsubscribed", "'Email Opt Out' checked in zoho.csv")}
    # A later export where the box is unchecked does not re-subscribe the person.
    path.write_text("Record Id,Company,Last Name,Email,Email Opt Out\nzcrm_1,Optco,Ruiz,ana@optco.com,false\n", encoding="utf-8")
    assert import_leads_csv(db, path=path, now=NOW, policy=None).opted_out == 0
    assert set(_suppressed(db)) == {"ana@optco.com"}


def test_each_crms_opt_out_column_and_checked_spelling_is_read():
    assert opt_out_column({"Unsubscribed from all email": "Yes"}) == "Unsubscribed from all email"
    assert opt_out_column({"HasOptedOutOfEmail": "1"}) == "HasOptedOutOfEmail"
    assert opt_out_column({"Email Opt-Out": " TRUE "}) == "Email Opt-Out"
    assert opt_out_column({"Email Opt Out": "no"}) is None and opt_out_column({"Notes": "true"}) is None
