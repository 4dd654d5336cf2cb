"""A Pipedrive "Deals" list export (Deals → ... → Export, with the linked person's and organization's
fields) imports as a Pipedrive user means it: "Deal - Status" decides open, won or lost whatever the
pipeline stage (kept as written), "Deal - Deal created" is when it came in, the work email and phone
first, the owner's accented name resolves to a rep, "Deal - Title" is the deal's name and never a job
title, and Label, Lost reason, Value and Source origin are kept as written; export -> import -> export
is unchanged."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import select

from conftest import NOW
from crm_files import export_import_export, import_with_reps, write_crm_csv
from leadpilot.memory.db import Database
from leadpilot.memory.models import Lead
from leadpilot.tools.leads import import_leads_csv

# Pipedrive's own column names, in its export's order (deal fields, then the person's, then the organization's).
HEADERS = (
    "Deal - ID", "Deal - Title", "Deal - Creator", "Deal - Owner", "Deal - Value", "Deal - Currency", "Deal - Weighted value",
    "Deal - Organization", "Deal - Pipeline", "Deal - Contact person", "Deal - Stage", "Deal - Label", "Deal - Status",
    "Deal - Deal created", "Deal - Update time", "Deal - Last activity date", "Deal - Won time", "Deal - Lost time",
    "Deal - Deal closed on", "Deal - Lost reason", "Deal - Expected close date", "Deal - Source channel", "Deal - Source origin",
    "Person - Name", "Person - Job title", "Person - Email - Work", "Person - Email - Home", "Person - Phone - Work",
    "Person - Phone - Mobile", "Organization - Name", "Organization - Industry", "Organization - Number of employees",
    "Organization - Website", "Organization - Address - City/town/village/locality", "Organization - Address - State/county",
    "Organization - Address - Country",
)


def _at(days_ago: float) -> str:
    """As Pipedrive's export writes a date-time (yyyy-MM-dd HH:mm:ss, UTC)."""
    return (NOW - timedelta(days=days_ago)).strftime("%Y-%m-%d %H:%M:%S")


def _utc(days_ago: float) -> datetime:
    return datetime.strptime(_at(days_ago), "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)


BASE = {"Deal - Creator": "Raúl Ibáñez", "Deal - Owner": "Álvaro Núñez", "Deal - Currency": "EUR", "Deal - Pipeline": "New business",
        "Person - Job title": "Operations Manager", "Organization - Industry": "Hotels & Hostels",
        "Organization - Number of employees": "120", "Organization - Address - Country": "Spain"}
ROWS = (
    {"Deal - ID": "1841", "Deal - Title": "Grill Mirador deal", "Deal - Value": "950", "Deal - Organization": "Grill Mirador",
     "Organization - Name": "Grill Mirador", "Person - Name": "Grace Santos", "Deal - Contact person": "Grace Santos",
     "Deal - Stage": "Negotiations Started", "Deal - Status": "won", "Deal - Deal created": _at(120), "Deal - Won time": _at(30),
     "Deal - Deal closed on": _at(30), "Deal - Last activity date": _at(31)[:10], "Deal - Source channel": "Paid search",
     "Deal - Source origin": "Web forms", "Person - Email - Work": "grace@grillmirador.pt", "Person - Phone - Work": "+351 201 916 809",
     "Organization - Address - City/town/village/locality": "Málaga", "Organization - Address - State/county": "Andalusia"},
    {"Deal - ID": "1842", "Deal - Title": "Tejo Hostels deal", "Deal - Value": "650", "Deal - Organization": "Tejo Hostels",
     "Organization - Name": "Tejo Hostels", "Person - Name": "Carlos Lefèvre", "Deal - Stage": "Demo Scheduled",
     "Deal - Label": "Warm", "Deal - Status": "lost", "Deal - Deal created": _at(90), "Deal - Lost time": _at(10),
     "Deal - Deal closed on": _at(10), "Deal - Lost reason": "Timing – not now", "Deal - Source origin": "Import",
     "Person - Email - Home": "carlos.lefevre@gmail.com", "Person - Phone - Mobile": "+34 643 927 247"},
    {"Deal - ID": "1843", "Deal - Title": "Quijote Seguridad S.A. deal", "Deal - Value": "1550", "Deal - Weighted value": "1240",
     "Deal - Organization": "Quijote Seguridad S.A.", "Organization - Name": "", "Person - Name": "Daniela Rossi",
     "Deal - Stage": "Proposal Made", "Deal - Label": "Hot", "Deal - Status": "open", "Deal - Deal created": _at(20),
     "Deal - Last activity date": _at(2)[:10], "Deal - Expected close date": "2026-12-15", "Deal - Source channel": "Referral",
     "Deal - Owner": "Lucía Herrera", "Person - Email - Work": "daniela.rossi@quijoteseguridad.es",
     "Person - Phone - Work": "+34 534 359 542", "Person - Phone - Mobile": "+34 672 468 605", "Person - Job title": "",
     "Organization - Website": "https://www.quijoteseguridad.es"},
    {"Deal - ID": "1844", "Deal - Title": "Hostels Quijote deal", "Organization - Name": "Hostels Quijote", "Deal - Stage": "Qualified",
     "Deal - Status": "open", "Deal - Deal created": _at(1), "Person - Email - Work": "bram@hostelsquijote.es"},
)


def pipedrive_csv(path: Path) -> Path:
    return write_crm_csv(path, HEADERS, BASE, ROWS)


def _imported(db: Database, path: Path):
    return import_with_reps(db, path, {"alvaro.nunez@turnio.app": "Álvaro Núñez", "lucia.herrera@turnio.app": "Lucía Herrera"})


def _leads(db: Database) -> dict[str, tuple[Lead, str | None]]:
    with db.session() as session:
        return {lead.external_id: (lead, lead.owner.email if lead.owner else None) for lead in session.scalars(select(Lead))}


def _as_utc(moment: datetime | None) -> datetime | None:
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def test_pipedrive_columns_map_onto_the_lead_fields(db: Database, tmp_path: Path):
    report = _imported(db, pipedrive_csv(tmp_path / "deals-12345-67.csv"))
    assert (report.inserted, report.rejected, report.warnings) == (4, [], [])
    leads = _leads(db)
    (won, won_owner), (lost, _), (open_, open_owner) = leads["1841"], leads["1842"], leads["1843"]
    assert (won.company, won.contact_name, won.email, won.phone) == ("Grill Mirador", "Grace Santos", "grace@grillmirador.pt",
                                                                    "+351 201 916 809")
    assert open_.company == "Quijote Seguridad S.A."  # "Deal - Organization" when the organization's name is blank
    assert lost.email == "carlos.lefevre@gmail.com" and lost.phone == "+34 643 927 247"  # Home email, Mobile: the Work ones are blank
    assert open_.phone == "+34 534 359 542" and open_.extra["Person - Phone - Mobile"] == "+34 672 468 605"  # kept, not lost
    assert won.job_title == "Operations Manager" and open_.job_title is None  # "Deal - Title" is the deal's name, never a job title
    assert open_.extra["Deal - Title"] == "Quijote Seguridad S.A. deal"
    assert (won.industry, won.extra["industry_raw"], won.company_size, won.country) == ("hotels-and-hostels", "Hotels & Hostels", 120, "ES")
    assert (won.city, open_.website, open_.domain) == ("Málaga", "https://www.quijoteseguridad.es", "quijoteseguridad.es")
    assert (won_owner, open_owner) == ("alvaro.nunez@turnio.app", "lucia.herrera@turnio.app")  # accented names resolve
    assert _as_utc(won.created_at) == _utc(120) and _as_utc(leads["1844"][0].created_at) == _utc(1)  # Deal created, not the import
    assert _as_utc(open_.last_contacted_at) == datetime.fromisoformat(_at(2)[:10]).replace(tzinfo=timezone.utc)  # a date
    assert leads["1844"][0].last_contacted_at is None  # blank: never contacted
    assert (won.source, won.channel, won.extra["source_raw"]) == ("paid_search", "paid", "Paid search")
    assert (open_.source, open_.channel) == ("referral", "referral") and lost.source == "unknown"  # origin is not the source
    assert lost.extra["Deal - Source origin"] == "Import"
    assert {"Deal - ID", "Deal - Status", "Deal - Stage", "Person - Email - Work", "Deal - Deal created"}.isdisjoint(report.extra_columns)
    assert {"Deal - Label", "Deal - Lost reason", "Deal - Value", "Deal - Source origin", "Deal - Title"} <= set(report.extra_columns)
    assert any("'Deal - Status' decides open or closed" in note for note in report.notes), report.notes


def test_the_deal_status_decides_open_won_or_lost_and_the_stage_is_kept(db: Database, tmp_path: Path):
    _imported(db, pipedrive_csv(tmp_path / "deals.csv"))
    leads = {ext: lead for ext, (lead, _) in _leads(db).items()}
    read = {ext: (lead.stage, lead.converted, (lead.extra or {}).get("stage_raw")) for ext, lead in leads.items()}
    assert read == {"1841": ("CUSTOMER", True, "Negotiations Started"), "1842": ("LOST", False, "Demo Scheduled"),
                    "1843": ("OPPORTUNITY", None, "Proposal Made"), "1844": ("LEAD", None, "Qualified")}
    assert _as_utc(leads["1841"].converted_at) == _utc(30)  # Won time
    assert leads["1842"].converted_at is None and leads["1842"].extra["closed_lost_at"] == _utc(10).isoformat().replace("+00:00", "Z")
    assert leads["1842"].extra["Deal - Lost reason"] == "Timing – not now"  # the en dash, as written
    assert (leads["1843"].extra["Deal - Label"], leads["1843"].extra["Deal - Value"]) == ("Hot", "1550")


def test_an_unknown_deal_status_is_a_warning_and_the_stage_says_where_the_deal_is(db: Database, tmp_path: Path):
    path = tmp_path / "deals.csv"
    path.write_text("Deal - ID,Deal - Title,Organization - Name,Deal - Stage,Deal - Status\n"
                    "9,Odd deal,Oddco,Contact Made,deleted\n", encoding="utf-8")
    report = import_leads_csv(db, path=path, now=NOW, policy=None)
    assert report.inserted == 1 and [message for _, message in report.warnings] == [
        "deal_status: not open, won or lost; the stage alone says where the deal is (got 'deleted')"]
    assert _leads(db)["9"][0].stage == "PROSPECT"


def test_a_pipedrive_file_exports_and_imports_back_unchanged(db: Database, tmp_path: Path):
    _imported(db, pipedrive_csv(tmp_path / "deals.csv"))
    first, second = export_import_export(db, tmp_path, _imported)
    assert second == first
    rows = {row["external_id"]: row for row in csv.DictReader(io.StringIO(first))}
    assert (rows["1841"]["stage"], rows["1841"]["stage_raw"], rows["1841"]["converted"]) == ("CUSTOMER", "Negotiations Started", "true")
    assert (rows["1842"]["source"], rows["1842"]["Deal - Source origin"], rows["1843"]["Deal - Label"]) == ("", "Import", "Hot")


def test_the_teams_own_label_and_lost_reason_are_conditions_questions_can_use(db: Database, tmp_path: Path):
    from sqlalchemy import func

    from leadpilot.memory.crm_facets import crm_rating_condition, deal_value, lost_reason_condition, pipeline_condition

    path = pipedrive_csv(tmp_path / "deals.csv")
    text = path.read_text(encoding="utf-8").replace(",Warm,lost,", ",\"Hot, Big deal\",lost,")  # two labels on one deal
    text = text.replace("1844,Hostels Quijote deal,Raúl Ibáñez,Álvaro Núñez,,", "1844,Hostels Quijote deal,Raúl Ibáñez,Álvaro Núñez,\"€1,500\",")
    assert "€1,500" in text and "Big deal" in text
    path.write_text(text, encoding="utf-8")
    _imported(db, path)
    with db.session() as session:
        def ids(condition) -> set[str]:
            return set(session.scalars(select(Lead.external_id).where(condition)))

        assert ids(crm_rating_condition(["hot"])) == {"1842", "1843"} and ids(crm_rating_condition(["HOT", "warm"])) == {"1842", "1843"}
        assert ids(crm_rating_condition(["cold"])) == set() and ids(crm_rating_condition(["big deal"])) == {"1842"}
        assert ids(lost_reason_condition(["not now"])) == {"1842"} and ids(lost_reason_condition(["price"])) == set()
        assert ids(deal_value() > 900) == {"1841", "1843"} and ids(deal_value().is_(None)) == {"1844"}
        assert session.scalar(select(func.sum(deal_value())).where(Lead.stage.not_in(["CUSTOMER", "LOST"]))) == 1550
        assert ids(pipeline_condition(["new business"])) == {"1841", "1842", "1843", "1844"} and ids(pipeline_condition(["Expansion"])) == set()


def test_a_pipedrive_stage_means_the_open_deals_sitting_there_and_lost_deals_have_a_lost_date(db: Database, tmp_path: Path):
    from leadpilot.memory.lifecycle import lost_between, status_condition

    _imported(db, pipedrive_csv(tmp_path / "deals.csv"))
    with db.session() as session:
        def ids(condition) -> set[str]:
            return set(session.scalars(select(Lead.external_id).where(condition)))

        assert ids(status_condition(["negotiations started", "Proposal Made"])) == {"1843"}  # 1841 was won there: not sitting there
        assert ids(status_condition(["Negotiations Started"], closed_too=True)) == {"1841"}
        assert ids(status_condition(["demo scheduled"], closed_too=True) & (Lead.stage == "LOST")) == {"1842"}
        assert ids(lost_between(NOW - timedelta(days=14), NOW)) == {"1842"} and ids(lost_between(None, NOW - timedelta(days=11))) == set()
