"""A Freshsales (Freshworks CRM) Contacts list export imports as a Freshsales user means it: "Sales
accounts" is the company, "Emails" the email, "Work" the phone before "Mobile", "Sales owner" a rep
by name, "Industry type" the industry, "Last contacted time" the last touch (its +0530 offset read);
"Status" within "Lifecycle stage" decides closed (Won a customer; Lost, Unqualified lost), an open
status is kept as written and Negotiation is an opportunity; "Subscription status" Unsubscribed goes
on the suppression list; export -> import -> export is unchanged. A file with no company or email
column is refused as a whole, naming the columns that look like them."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from conftest import NOW
from crm_files import export_import_export, import_with_reps, write_crm_csv
from leadpilot.memory.db import Database
from leadpilot.memory.models import Lead
from leadpilot.memory.outbox import EmailSuppression
from leadpilot.tools.leads import ImportFileError, import_leads_csv

# Freshsales' own column names, in a Contacts list view export's order.
HEADERS = (
    "First name", "Last name", "Job title", "Emails", "Work", "Mobile", "Sales accounts", "Industry type", "Number of employees",
    "City", "State", "Zipcode", "Country", "Territory", "Sales owner", "Lifecycle stage", "Status", "Lost reason", "Lead source",
    "Campaign", "Lead score", "Subscription status", "Last contacted time", "Last contacted mode", "Created at", "Updated at",
    "Open deals amount", "Won deals amount", "Tags", "Time zone",
)
BASE = {"Country": "India", "Territory": "India - South", "Time zone": "Chennai", "Subscription status": "Subscribed",
        "Created at": "2026-09-01 10:00:00 +0530", "Updated at": "2026-11-01 10:00:00 +0530"}
ROWS = (
    {"First name": "Meghna", "Last name": "Khan", "Emails": "meghna@thistle.in", "Work": "+91 44 2345 6789", "Mobile": "+91 93164 29938",
     "Sales accounts": "Thistle Retail Pvt Ltd", "Industry type": "Retail", "Number of employees": "51-200", "City": "Hyderabad",
     "Sales owner": "Priya Raman", "Lifecycle stage": "Customer", "Status": "Won", "Lead source": "Web Form", "Won deals amount": "20500",
     "Last contacted time": "2026-11-10 16:42:09 +0530", "Last contacted mode": "WhatsApp", "Tags": "webinar-apr, budget-approved"},
    {"First name": "Pooja", "Last name": "Chatterjee", "Emails": "pooja@vedanta.ae", "Mobile": "+971 50 636 1655",
     "Sales accounts": "Vedanta Talent LLC", "Industry type": "Staffing and Recruiting", "Number of employees": "5000+",
     "Country": "United Arab Emirates", "Territory": "Middle East", "Sales owner": "Aisha Rahman", "Lifecycle stage": "Sales Qualified Lead",
     "Status": "Lost", "Lost reason": "Went with competitor", "Lead source": "Partner", "Subscription status": "Unsubscribed"},
    {"First name": "Ravi", "Emails": "ravi@kochi.example, ravi.k@gmail.com", "Sales accounts": "Kochi Freight", "Lifecycle stage": "Lead", "Status": "Unqualified",
     "Lost reason": "Not a fit", "Sales owner": "Former Rep", "Subscription status": "Not subscribed"},
    {"First name": "Anil", "Last name": "Gupta", "Emails": "anil@granite.example", "Sales accounts": "Granite Finance Ltd",
     "Industry type": "Financial Services", "Sales owner": "Priya Raman", "Lifecycle stage": "Sales Qualified Lead", "Status": "Negotiation",
     "Open deals amount": "38500", "Last contacted time": "2026-11-18 09:00:00 +0530"},
    {"First name": "Sara", "Last name": "Iyer", "Emails": "sara@marina.example", "Sales accounts": "Marina Hospitals Ltd",
     "Industry type": "Hospital & Health Care", "Lifecycle stage": "Lead", "Status": "Interested", "Lead source": "Organic Search"},
    {"First name": "Dev", "Emails": "dev@willow.example", "Sales accounts": "Willow Digital", "Lifecycle stage": "Sales Qualified Lead",
     "Status": "Demo Done"},
)
REPS = {"priya.raman@rosterly.io": "Priya Raman", "aisha.rahman@rosterly.io": "Aisha Rahman"}


@pytest.fixture
def freshsales(db: Database, tmp_path: Path):
    report = import_with_reps(db, write_crm_csv(tmp_path / "contacts.csv", HEADERS, BASE, ROWS, quoting=csv.QUOTE_ALL), REPS)
    with db.session() as session:
        leads = {lead.email: (lead, lead.owner.email if lead.owner else None) for lead in session.scalars(select(Lead))}
    return report, leads


def test_freshsales_columns_map_onto_the_lead_fields(freshsales):
    report, leads = freshsales
    assert (report.inserted, report.rejected) == (6, [])
    won, won_owner = leads["meghna@thistle.in"]
    assert (won.company, won.contact_name, won.phone, won.extra["Mobile"]) == ("Thistle Retail Pvt Ltd", "Meghna Khan", "+91 44 2345 6789",
                                                                          "+91 93164 29938")  # Work first, Mobile kept
    assert leads["pooja@vedanta.ae"][0].phone == "+971 50 636 1655"  # no Work number: the Mobile one
    assert (won.industry, won.company_size, won.country, won_owner) == ("retail", 51, "IN", "priya.raman@rosterly.io")
    assert leads["pooja@vedanta.ae"][0].company_size == 5000 and leads["pooja@vedanta.ae"][0].country == "AE"
    assert won.last_contacted_at.replace(tzinfo=timezone.utc) == datetime(2026, 11, 10, 11, 12, 9, tzinfo=timezone.utc)  # +0530 read
    assert won.created_at.replace(tzinfo=timezone.utc) == datetime(2026, 9, 1, 4, 30, tzinfo=timezone.utc)
    assert leads["sara@marina.example"][0].last_contacted_at is None  # blank: never contacted
    ravi, ravi_owner = leads["ravi@kochi.example"]  # "Emails" with two addresses: the first (the primary), the cell kept
    assert ravi.extra["emails_raw"] == "ravi@kochi.example, ravi.k@gmail.com"
    assert ravi_owner is None and ravi.extra["Sales owner"] == "Former Rep"  # a name that is no rep: kept, unassigned
    assert any("'Former Rep', which is not a rep" in message for _, message in report.warnings), report.warnings
    assert {"Territory", "Lost reason", "Tags", "Subscription status", "Last contacted mode"} <= set(report.extra_columns)
    assert {"Emails", "Work", "Sales accounts", "Sales owner", "Industry type", "Status", "Last contacted time"}.isdisjoint(report.extra_columns)
    assert any("'Status' decides closed within the lifecycle stage" in note for note in report.notes), report.notes


def test_the_status_decides_closed_and_is_kept_as_written(db: Database, freshsales):
    from leadpilot.memory.crm_facets import deal_value, lost_reason_condition
    from leadpilot.memory.lifecycle import qualification_condition, status_condition

    _, leads = freshsales
    read = {email: (lead.stage, lead.converted, (lead.extra or {}).get("stage_raw"), (lead.extra or {}).get("lifecycle_raw"))
            for email, (lead, _) in leads.items()}
    assert read == {
        "meghna@thistle.in": ("CUSTOMER", True, "Won", "Customer"), "pooja@vedanta.ae": ("LOST", False, None, "Sales Qualified Lead"),
        "ravi@kochi.example": ("LOST", False, "Unqualified", "Lead"), "anil@granite.example": ("OPPORTUNITY", None, "Negotiation", "Sales Qualified Lead"),
        "sara@marina.example": ("LEAD", None, "Interested", "Lead"), "dev@willow.example": ("PROSPECT", None, "Demo Done", "Sales Qualified Lead"),
    }
    with db.session() as session:
        def emails(condition) -> set[str]:
            return set(session.scalars(select(Lead.email).where(condition)))

        assert emails(qualification_condition("sql")) == {"anil@granite.example", "dev@willow.example"}  # open SQLs, in negotiation too
        assert emails(status_condition(["negotiation", "Demo Done"])) == {"anil@granite.example", "dev@willow.example"}
        assert emails(lost_reason_condition(["competitor"])) == {"pooja@vedanta.ae"}
        assert emails(deal_value() > 30000) == {"anil@granite.example"} and emails(deal_value() == 20500) == {"meghna@thistle.in"}
        suppressed = set(session.scalars(select(EmailSuppression.email)))
    assert suppressed == {"pooja@vedanta.ae"}  # Unsubscribed only; "Not subscribed" never opted in, which is no opt-out


def test_a_freshsales_file_exports_and_imports_back_unchanged(db: Database, freshsales, tmp_path: Path):
    first, second = export_import_export(db, tmp_path, lambda fresh, path: import_with_reps(fresh, path, REPS))
    assert second == first
    rows = {row["email"]: row for row in csv.DictReader(io.StringIO(first))}
    assert (rows["anil@granite.example"]["stage"], rows["anil@granite.example"]["stage_raw"]) == ("OPPORTUNITY", "Negotiation")
    assert (rows["pooja@vedanta.ae"]["lifecycle_raw"], rows["pooja@vedanta.ae"]["Lost reason"]) == ("Sales Qualified Lead", "Went with competitor")
    assert rows["meghna@thistle.in"]["Tags"] == "webinar-apr, budget-approved"


def test_a_file_with_no_company_or_email_column_is_refused_as_a_whole(db: Database, tmp_path: Path):
    path = tmp_path / "contacts.csv"
    path.write_text("First name,Last name,Contact emails,Account\nAna,Ruiz,ana@x.example,X Ltd\n", encoding="utf-8")
    with pytest.raises(ImportFileError) as refused:
        import_leads_csv(db, path=path, now=NOW, policy=None)
    message = str(refused.value)
    assert "no column read as company or email" in message
    assert "'Contact emails' to 'email'" in message and "'Account' to 'company'" in message
