"""A CRM file's engagement columns become the activities scoring reads (memory/crm_engagement.py):
imported leads that engaged recently can be hot, with the breakdown naming what they did; Last
Contacted feeds "not contacted in N days"; re-importing never duplicates; bad cells are named by
line and the good lines load; a HubSpot pull maps the same properties the same way."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from conftest import NOW
from leadpilot.memory.crm_engagement import MAX_PER_KIND
from leadpilot.memory.db import Database
from leadpilot.memory.models import Activity, Lead
from leadpilot.tools.leads import LeadFilter, SearchLeads, Viewer, import_leads_csv, search_leads
from leadpilot.tools.scoring import breakdown_lines, load_policy

HEADER = ("Record ID,First Name,Last Name,Company Name,Email,Phone Number,Job Title,Industry,Number of Employees,"
          "Original Source,Lifecycle Stage,Create Date,Last Contacted,Number of Form Submissions,Recent Conversion Date,"
          "Number of Pageviews,Last Engagement Date,Marketing emails opened,Marketing emails clicked,Number of Sales Activities\n")


def _day(days_ago: float) -> str:
    return (NOW - timedelta(days=days_ago)).strftime("%Y-%m-%d %H:%M")


def _row(ext: str, company: str, *, created: float = 120, contacted: str = "", forms: str = "", conversion: str = "",
         views: str = "", engaged: str = "", opens: str = "", clicks: str = "") -> str:
    # The same strong fit for every row (referral, fintech, 500 people, a VP with email and phone): only engagement differs.
    return (f"{ext},Ana,Ruiz,{company},ana@{company.lower()}.com,+1 415 555 0101,VP Finance,FinTech,500,Referral,Lead,"
            f"{_day(created)},{contacted},{forms},{conversion},{views},{engaged},{opens},{clicks},7\n")


ENGAGED = HEADER + "".join((
    _row("3001", "Recentco", created=14, forms="3", conversion=_day(2), views="12", engaged=_day(1), opens="4", clicks="2"),
    _row("3002", "Oldco", forms="3", conversion=_day(200), views="12", engaged=_day(200), opens="4", clicks="2"),
    _row("3003", "Quietco"),
    _row("3004", "Datelessco", forms="2", views="90"),  # counts without dates: dated from creation, so long decayed
    _row("3005", "Touchedco", contacted=_day(2), engaged=_day(5)),  # a date alone: one engagement of no known kind
    _row("3006", "Coldcallco", contacted=_day(10)),
))


@pytest.fixture
def imported(db: Database, tmp_path: Path) -> tuple[Database, Path]:
    path = tmp_path / "hubspot.csv"
    path.write_text(ENGAGED, encoding="utf-8")
    report = import_leads_csv(db, path=path, now=NOW, policy=load_policy())
    assert (report.inserted, report.rejected) == (6, [])
    assert any(note.startswith("engagement columns") and "'Number of Form Submissions' (form_submit ×N)" in note for note in report.notes)
    return db, path


def _leads(db: Database) -> dict[str, Lead]:
    with db.session() as session:
        return {lead.external_id: lead for lead in session.scalars(select(Lead))}


def _activities(db: Database) -> dict[str, Counter]:
    with db.session() as session:
        rows = session.execute(select(Lead.external_id, Activity.kind).join(Activity, Activity.lead_id == Lead.id)).all()
    found: dict[str, Counter] = {}
    for ext, kind in rows:
        found.setdefault(ext, Counter())[kind] += 1
    return found


def test_engagement_columns_become_dated_activities_and_recent_engagers_are_hot(imported):
    db, _ = imported
    leads = _leads(db)
    assert _activities(db)["3001"] == Counter(page_view=12, email_opened=4, form_submit=3, email_clicked=2)
    assert "3003" not in _activities(db) and "3006" not in _activities(db)  # Last Contacted and Sales Activities are not engagement
    assert _activities(db)["3005"] == Counter(page_view=1)
    with db.session() as session:
        forms = session.execute(select(Activity.occurred_at, Activity.meta).join(Lead).where(
            Lead.external_id == "3001", Activity.kind == "form_submit").order_by(Activity.occurred_at)).all()
        undated = session.scalars(select(func.max(Activity.occurred_at)).join(Lead).where(Lead.external_id == "3004")).one()
    # The newest at the Recent Conversion Date, the oldest at creation, the file's count in meta.
    assert [at for at, _ in forms] == [NOW - timedelta(days=days) for days in (14, 8, 2)]
    assert forms[-1][1] == {"imported": "form_submissions", "count": 3, "dated": "given"}
    assert undated == NOW - timedelta(days=120)  # no date in the file: never more recent than its creation
    # Same fit everywhere; only the lead that engaged recently is hot, and its breakdown says why.
    tiers = {ext: lead.tier for ext, lead in leads.items()}
    assert tiers["3001"] == "hot" and {tiers[e] for e in ("3002", "3003", "3004", "3006")} == {"warm"}
    lines = "\n".join(breakdown_lines(leads["3001"].score_breakdown))
    assert "form submit ×3" in lines and "page view ×12" in lines, lines
    assert leads["3001"].score > leads["3002"].score > 0


def test_not_contacted_in_n_days_reads_last_contacted(imported):
    db, _ = imported
    with db.session() as session:
        found = search_leads(session, query=SearchLeads(filter=LeadFilter(not_contacted_in_days=3), limit=50),
                             viewer=Viewer(), now=NOW, row_cap=50)
    names = {lead["external_id"] for lead in found.leads}
    assert "3005" not in names and {"3006", "3001"} <= names  # contacted 2 days ago / 10 days ago / never


def test_importing_the_same_file_again_does_not_duplicate_activities(imported):
    db, path = imported
    before, scores = _activities(db), {ext: lead.score for ext, lead in _leads(db).items()}
    report = import_leads_csv(db, path=path, now=NOW, policy=load_policy())
    assert (report.updated, report.inserted) == (6, 0)
    assert _activities(db) == before and {ext: lead.score for ext, lead in _leads(db).items()} == scores
    # A newer export's counts replace the older ones (the lead's other activities stay).
    path.write_text(HEADER + _row("3001", "Recentco", created=14, forms="1", conversion=_day(1), views="500"), encoding="utf-8")
    import_leads_csv(db, path=path, now=NOW)
    assert _activities(db)["3001"] == Counter(page_view=MAX_PER_KIND, form_submit=1)


def test_bad_engagement_cells_are_named_by_line_and_every_good_line_loads(db, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + _row("4001", "Goodco", forms="2", conversion=_day(3))
                    + _row("4002", "Badcountco", forms="lots", views="-3", engaged="yesterday")
                    + _row("4003", "Baddateco").replace(_day(120), "31/31/2026"), encoding="utf-8")
    report = import_leads_csv(db, path=path, now=NOW)
    assert (report.inserted, [line for line, _ in report.rejected]) == (2, [4])  # a bad Create Date rejects its row
    warned = [message for line, message in report.warnings if line == 3]
    assert any(m.startswith("Number of Form Submissions: not a whole number") and "kept in extra" in m for m in warned), warned
    assert any(m.startswith("Number of Pageviews:") for m in warned) and any(m.startswith("Last Engagement Date: not a date") for m in warned)
    assert _activities(db) == {"4001": Counter(form_submit=2)}
    assert _leads(db)["4002"].extra["Number of Form Submissions"] == "lots"  # nothing lost


def test_a_hubspot_pull_maps_the_same_engagement_properties(db, tmp_path):
    from fake_hubspot import TOKEN, FakeHubSpot
    from leadpilot.settings import load_settings
    from leadpilot.tools.crm import load_policy as crm_policy, require_connector
    from leadpilot.tools.pipeline import sync_crm

    fake = FakeHubSpot().start()
    try:
        fake.add_contact(email="lee@pulled.io", firstname="Lee", lastname="Ng", company="Pulled Inc", num_conversion_events="2",
                         recent_conversion_date=(NOW - timedelta(days=3)).isoformat().replace("+00:00", "Z"),
                         hs_analytics_num_page_views="5", hs_email_open="not a number")
        settings = load_settings(hubspot_token=TOKEN, hubspot_base_url=fake.url, data_dir=tmp_path / "data")
        connector = require_connector(settings, "hubspot")
        for backfill in (False, True):  # the second pull updates the linked lead: no duplicates
            sync_crm(db, connector, policy=crm_policy(), now=NOW, backfill=backfill)
            with db.session() as session:
                kinds = Counter(session.scalars(select(Activity.kind).where(Activity.meta.is_not(None), Activity.kind != "note")))
            imported = {kind: count for kind, count in kinds.items() if kind in ("page_view", "form_submit")}
            assert imported == {"form_submit": 2, "page_view": 5}, kinds
            with db.session() as session:  # a pull is not a form someone just submitted: only the CRM's two
                forms = list(session.scalars(select(Activity.detail).where(Activity.kind == "form_submit")))
            assert len(forms) == 2 and not any("captured by" in (detail or "") for detail in forms), forms
    finally:
        fake.stop()


def test_a_webhook_capture_is_a_form_submit_and_a_crm_pull_is_not(db):
    from leadpilot.memory.lead_record import validate_lead
    from leadpilot.tools.pipeline.capture import PendingCapture, capture_lead, identity_keys, store_captures

    capture_lead(db, payload={"company": "Formco", "email": "a@formco.io"}, body_sha256="a", idempotency_key=None, now=NOW,
                 received_at=NOW)
    pulled = validate_lead({"company": "Pullco", "email": "b@pullco.io", "external_id": "77", "source": "hubspot"}, now=NOW)
    store_captures(db, [PendingCapture(pulled, identity_keys(pulled, idempotency_key=None), "b", None, NOW, NOW)],
                   actor="hubspot", form_submit=False)
    with db.session() as session:
        found = dict(session.execute(select(Lead.company, Activity.detail).outerjoin(Activity, Activity.lead_id == Lead.id)).all())
    assert found == {"Formco": "captured by webhook", "Pullco": None}


def test_dates_without_counts_and_a_reply_each_become_one_activity():
    from leadpilot.memory.crm_engagement import engagement_activities

    created = datetime(2026, 1, 1, tzinfo=timezone.utc)
    at = datetime(2026, 3, 1, tzinfo=timezone.utc)
    made = engagement_activities({"recent_conversion_at": at, "email_replied_at": at, "last_open_at": at}, created_at=created)
    assert sorted((a.kind, a.direction, a.occurred_at) for a in made) == [
        ("email_opened", "inbound", at), ("email_sent", "inbound", at), ("form_submit", "inbound", at)]


def test_a_batch_part_keeps_each_records_engagement():
    from leadpilot.memory.lead_batch import LeadEncoder
    from leadpilot.memory.lead_record import validate_lead

    raws = [{"company": "A"}, {"company": "B", "created_at": "2026-01-01", "engagement": {"Number of Form Submissions": "2"}}]
    batch = LeadEncoder.for_driver("sqlite+pysqlite").encode([validate_lead(raw, now=NOW) for raw in raws], now=NOW)
    assert sorted(batch.engagement) == [1] and [a.kind for a in batch.part(1, 2).engagement[0]] == ["form_submit"] * 2


def test_a_recent_reply_to_a_sales_email_earns_engagement_points(db: Database, tmp_path: Path):
    # The shipped policy counts a reply (an inbound email_sent) like an inbound call: the lead wrote to us.
    path = tmp_path / "replies.csv"
    path.write_text("Record ID,Company Name,Email,Create Date,Recent Sales Email Replied Date\n"
                    f"4001,Replyco,ana@replyco.com,{_day(30)},{_day(1)}\n4002,Silentco,bo@silentco.com,{_day(30)},\n",
                    encoding="utf-8")
    policy = load_policy()
    assert policy.categories.engagement.points.email_sent_inbound == 12
    import_leads_csv(db, path=path, now=NOW, policy=policy)
    leads = _leads(db)
    lines = "\n".join(breakdown_lines(leads["4001"].score_breakdown))
    assert "email sent" in lines and "inbound" in lines, lines
    engagement = {ext: leads[ext].score_breakdown["axes"]["engagement"]["score"] for ext in ("4001", "4002")}
    assert engagement["4001"] >= 10 > engagement["4002"], engagement
