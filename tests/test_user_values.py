"""Keep the user's values (#15 part 4): sources as given with a channel group, people fields from the
job title, export -> import -> export byte-identical, and records with different external ids never
merged because they share an email. On SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from conftest import NOW, _drop_postgres_database, _fresh_postgres_database
from leadpilot.memory.audit import lead_history
from leadpilot.memory.db import migrate, open_database
from leadpilot.memory.lead_record import derived_columns, validate_lead
from leadpilot.memory.leads import upsert_leads
from leadpilot.memory.models import Activity, Lead
from leadpilot.memory.reps import upsert_rep
from leadpilot.memory.seed import build_demo_dataset
from leadpilot.memory.lifecycle import HUBSPOT_LIFECYCLE, SALESFORCE_LEAD_STATUS, qualification_condition, qualification_of
from leadpilot.memory.vocab import Channel, Source, Stage, channel_of, industry_group, industry_value, industry_values, normalise_source, parse_stage
from leadpilot.settings import get_settings
from leadpilot.tools.analytics.attribution import source_attribution
from leadpilot.tools.analytics.reports import conversion_by_tier, lead_volume, time_to_first_contact
from leadpilot.tools.leads import LeadFilter, Viewer
from leadpilot.tools.leads.dedup import find_duplicates
from leadpilot.tools.leads.export import export_leads
from leadpilot.tools.leads.importer import import_leads_csv
from leadpilot.tools.leads.search import get_lead_profile
from leadpilot.tools.pipeline.capture import body_digest, capture_lead
from leadpilot.tools.scoring import PolicyError, load_policy
from leadpilot.tools.scoring.facts import LeadFacts
from leadpilot.tools.scoring.policy import parse_policy
from leadpilot.tools.scoring.rules import score_lead

ADMIN = Viewer(role="admin")


@pytest.fixture
def fresh_url(db_url: str, tmp_path: Path) -> Iterator[str]:
    """A second empty database on the same backend as `db_url`."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    url = _fresh_postgres_database()
    try:
        yield url
    finally:
        _drop_postgres_database(url)


def _write(path: Path, body: str) -> Path:
    path.write_text(body, encoding="utf-8")
    return path


def _leads(db) -> list[Lead]:
    with db.session() as session:
        return list(session.scalars(select(Lead).order_by(Lead.id)))


# --- sources as given, and their channel groups -----------------------------------------------


@pytest.mark.parametrize(
    ("raw", "source", "channel"),
    [
        ("Website Form", "website_form", "organic"), ("social", "social", "organic"), ("SEO", "seo", "organic"),
        ("Direct Traffic", "direct_traffic", "organic"), ("Organic Search", "organic_search", "organic"),
        ("LinkedIn Ads", "linkedin_ads", "paid"), ("google_ads", "google_ads", "paid"), ("PPC", "ppc", "paid"),
        ("Paid-Social", "paid_social", "paid"), ("AdWords", "adwords", "paid"),
        ("Email Campaign", "email_campaign", "owned_media"), ("newsletter", "newsletter", "owned_media"),
        ("Webinar", "webinar", "owned_media"), ("EMAIL_MARKETING", "email_marketing", "owned_media"),
        ("Referrals", "referrals", "referral"), ("word of mouth", "word_of_mouth", "referral"),
        ("Trade Show", "trade_show", "event"), ("Conference", "conference", "event"), ("Partner", "partner", "partner"),
        ("Seminar - Partner", "seminar_partner", "partner"), ("Cold Email", "cold_email", "outbound"),
        ("cold  call", "cold_call", "outbound"), ("Purchased List", "purchased_list", "outbound"),
        ("Carrier pigeon", "carrier_pigeon", "other"), ("inbound leads", "inbound_leads", "organic"), ("  ", "other", "other"),
    ],
)
def test_a_source_is_kept_as_given_and_grouped_by_its_words(raw, source, channel):
    assert (normalise_source(raw), channel_of(raw)) == (source, Channel(channel))
    record = validate_lead({"company": "Acme", "source": raw}, now=NOW)
    stored = source if raw.strip() else "unknown"  # a blank cell is no source, not the team's own "Other" (H-G)
    assert (record.values["source"], record.values["channel"], record.warnings) == (stored, channel, [])


def test_the_demo_sources_are_their_own_channels_but_webinar_is_owned_media():
    assert {s.value: channel_of(s.value).value for s in Source} == {
        "referral": "referral", "organic": "organic", "paid": "paid", "event": "event", "partner": "partner",
        "outbound": "outbound", "webinar": "owned_media", "other": "other",
    }


def test_people_fields_come_from_the_title_and_an_update_without_a_title_keeps_them(db):
    record = validate_lead({"company": "Acme", "email": "ann@acme.io", "job_title": "VP of Engineering"}, now=NOW)
    assert (record.values["seniority"], record.values["department"]) == ("vp", "engineering")
    assert {"seniority", "department", "channel"} <= set(record.values) and "seniority" in record.provided
    with db.transaction() as session:
        upsert_leads(session, records=[record], now=NOW)
    with db.transaction() as session:  # no title in this record: seniority and department stay
        upsert_leads(session, records=[validate_lead({"email": "ann@acme.io", "city": "Paris", "seniority": "x"}, now=NOW)], now=NOW)
    (lead,) = _leads(db)
    assert (lead.city, lead.seniority, lead.department, lead.channel) == ("Paris", "vp", "engineering", "other")
    with db.transaction() as session:  # a new title and source: derived again
        upsert_leads(session, records=[validate_lead({"email": "ann@acme.io", "job_title": "CFO", "source": "LinkedIn Ads"}, now=NOW)], now=NOW)
    (lead,) = _leads(db)
    assert (lead.seniority, lead.department, lead.source, lead.channel) == ("c-level", "finance", "linkedin_ads", "paid")


def test_an_orm_write_derives_them_too(db):
    with db.transaction() as session:
        lead = Lead(company="Acme", source="LinkedIn Ads", job_title="CTO", created_at=NOW, updated_at=NOW)
        session.add(lead)
    with db.transaction() as session:
        lead = session.get(Lead, lead.id)
        assert (lead.source, lead.channel, lead.seniority, lead.department) == ("linkedin_ads", "paid", "c-level", "engineering")
        lead.job_title = "Marketing Manager"  # e.g. a merge filling the title
    with db.session() as session:
        assert (session.get(Lead, lead.id).seniority, session.get(Lead, lead.id).department) == ("manager", "marketing")


def test_a_source_longer_than_the_column_is_rejected_not_cut():
    with pytest.raises(ValueError, match="source: longer than 64 characters"):
        validate_lead({"company": "Acme", "source": "x" * 65}, now=NOW)


def test_the_demo_seed_fills_the_derived_columns():
    dataset = build_demo_dataset(seed=7, now=NOW, n_leads=300)
    for lead in dataset.leads:
        assert {k: lead[k] for k in ("channel", "seniority", "department")} == derived_columns(source=lead["source"], job_title=lead["job_title"])
    assert {lead["seniority"] for lead in dataset.leads} == {"c-level", "vp", "director", "manager", "individual"}


# --- volume and attribution by the stored source, or by channel -------------------------------

USER_SOURCES = (
    "external_id,company,email,job_title,source,created_at,converted,converted_at\n"
    "S-1,Ant,a@ant.io,Head of Growth,Website Form,2026-10-01,true,2026-10-20\n"
    "S-2,Bee,b@bee.io,Engineer,social,2026-10-02,,\n"
    "S-3,Cat,c@cat.io,CEO,email_campaign,2026-10-03,true,2026-10-25\n"
    "S-4,Dog,d@dog.io,VP Sales,LinkedIn Ads,2026-10-04,,\n"
    "S-5,Eel,e@eel.io,,Email Campaign,2026-10-05,,\n"
)


def test_volume_and_attribution_count_the_users_sources_and_their_channels(db, tmp_path):
    report = import_leads_csv(db, path=_write(tmp_path / "leads.csv", USER_SOURCES), now=NOW)
    assert (report.inserted, report.warnings) == (5, [])
    with db.session() as session:
        by_source = lead_volume(session, lead_filter=None, by="source", viewer=ADMIN, now=NOW, row_cap=100)
        by_channel = lead_volume(session, lead_filter=None, by="channel", viewer=ADMIN, now=NOW, row_cap=100)
        per_month = lead_volume(session, lead_filter=None, by="channel_by_month", viewer=ADMIN, now=NOW, row_cap=100)
        speed = time_to_first_contact(session, lead_filter=None, by="channel", viewer=ADMIN, now=NOW)
        first_by_source = source_attribution(session, lead_filter=None, viewer=ADMIN, now=NOW)
        first_by_channel = source_attribution(session, lead_filter=None, viewer=ADMIN, now=NOW, by="channel")
    assert {row["source"]: row["count"] for row in by_source.rows} == {"email_campaign": 2, "website_form": 1, "social": 1, "linkedin_ads": 1}
    assert {row["channel"]: row["count"] for row in by_channel.rows} == {"owned_media": 2, "organic": 2, "paid": 1}
    assert by_channel.group_by == "channel" and any("channel =" in d for d in by_channel.definitions)
    assert per_month.rows == [{"month": "2026-10", "owned_media": 2, "organic": 2, "paid": 1, "count": 5}]
    assert {row["channel"] for row in speed.rows} == {"owned_media", "organic", "paid"} and speed.group_by == "channel"
    assert {row["channel"]: row["first_touch"] for row in first_by_source.rows} == {"website_form": 1, "email_campaign": 1}
    assert {row["channel"]: row["first_touch"] for row in first_by_channel.rows} == {"organic": 1, "owned_media": 1}
    assert [(lead.seniority, lead.department) for lead in _leads(db)] == [
        ("director", "marketing"), ("individual", "engineering"), ("c-level", "executive"), ("vp", "sales"), (None, None)]


# --- scoring by source value and by channel ----------------------------------------------------

SOURCE_POLICY = """
tiers: {hot: 70, warm: 40}
categories:
  source:
    cap: 100
    points: {Website Form: 30, other: 0}
    channels: {paid: 20, owned media: 10, other: 3}
"""


def test_a_policy_gives_points_by_source_value_then_by_channel(tmp_path):
    policy = parse_policy(SOURCE_POLICY, path=tmp_path / "scoring.yaml")

    def source_rule(source: str) -> list[dict]:
        return score_lead(lead=LeadFacts(source=source), activities=[], policy=policy, now=NOW).breakdown["categories"]["source"]["rules"]

    assert source_rule("website_form") == [{"label": "website_form source", "points": 30}]  # listed: its own points
    assert source_rule("linkedin_ads") == [{"label": "linkedin_ads source (paid channel)", "points": 20}]
    assert source_rule("email_campaign") == [{"label": "email_campaign source (owned media channel)", "points": 10}]
    assert source_rule("carrier_pigeon") == [{"label": "carrier_pigeon source (other channel)", "points": 3}]
    assert source_rule("other") == []  # listed with 0: no channel points either
    with pytest.raises(PolicyError, match=r"categories\.source\.channels\.payd: unknown channel 'payd' — did you mean 'paid'\?"):
        parse_policy(SOURCE_POLICY.replace("paid: 20", "payd: 20"), path=tmp_path / "scoring.yaml")
    with pytest.raises(PolicyError, match=r"categories\.source\.points\.webinr: unknown source 'webinr' — did you mean 'webinar'\?"):
        parse_policy(SOURCE_POLICY.replace("Website Form: 30", "webinr: 30"), path=tmp_path / "scoring.yaml")


def test_the_shipped_policy_scores_the_demo_sources_by_name_and_groups_the_rest():
    """Every demo source is listed in the shipped policy and earns its own points (labelled with its
    name); a source the policy does not list earns its channel group's points."""
    import yaml

    from leadpilot.tools.scoring.policy import default_policy_path

    shipped = yaml.safe_load(default_policy_path().read_text())
    source_section = next(v for v in _sections(shipped) if isinstance(v, dict) and "points" in v and "channels" in v)
    listed, channels = source_section["points"], source_section["channels"]
    policy = load_policy()

    def scored(source: str) -> dict:
        return score_lead(lead=LeadFacts(source=source), activities=[], policy=policy, now=NOW).breakdown["categories"]["source"]

    for source in Source:
        assert source.value in listed
        result = scored(source.value)
        assert result["points"] == listed[source.value]
        assert not listed[source.value] or result["rules"][0]["label"] == f"{source.value} source"
    for unlisted in ("linkedin_ads", "email_campaign", "website_form", "word_of_mouth"):
        assert unlisted not in listed
        assert scored(unlisted)["points"] == channels[channel_of(unlisted).value], unlisted


def _sections(tree):
    """Every mapping inside a YAML tree (to find the source category wherever the file nests it)."""
    if isinstance(tree, dict):
        yield tree
        for value in tree.values():
            yield from _sections(value)
    elif isinstance(tree, list):
        for value in tree:
            yield from _sections(value)


# --- export -> import -> export is byte-identical ------------------------------------------------


def _cli(monkeypatch: pytest.MonkeyPatch, url: str, *args: str) -> str:
    from leadpilot.interfaces.cli import app

    monkeypatch.setenv("LEADPILOT_DATABASE_URL", url)
    get_settings.cache_clear()
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_the_demo_exported_imported_into_a_fresh_store_and_exported_again_is_byte_identical(db_url, fresh_url, tmp_path, monkeypatch):
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    _cli(monkeypatch, db_url, "seed")
    _cli(monkeypatch, db_url, "export", "-o", str(first))
    imported = _cli(monkeypatch, fresh_url, "import", "--quiet", str(first))
    _cli(monkeypatch, fresh_url, "export", "-o", str(second))
    assert "2,400 rows read, 2,400 inserted, 0 updated, 0 rejected" in imported
    assert first.read_bytes() == second.read_bytes()
    header = first.read_text(encoding="utf-8").splitlines()[0]
    assert header == ("external_id,company,website,contact_name,email,phone,job_title,industry,company_size,country,state,city,"
                      "source,stage,owner_email,created_at,last_contacted_at,notes,converted,converted_at,language")
    scored = tmp_path / "scored.csv"
    _cli(monkeypatch, db_url, "export", "--with-scores", "-o", str(scored))
    assert scored.read_text(encoding="utf-8").splitlines()[0] == header + ",id,score,tier,owner"


HUBSPOT = (
    "Record ID,First Name,Last Name,Company Name,Email,Phone Number,Job Title,Industry,Number of Employees,Country/Region,"
    "State/Region,City,Original Source,Latest Source,Lifecycle Stage,Lead Status,Contact owner,Create Date,Last Contacted,"
    "Website URL,Annual Revenue,Notes,Close Date\n"
    "1051,Jane,Doe,Acme Corp,Jane@Acme.com,+1 415 555 0101,VP Sales,Financial Services,51-200,United States,California,"
    'San Francisco,Website Form,Email Campaign,marketingqualifiedlead,In Progress,Rita Moreno,2026-03-05 14:22,03/07/2026 09:15 AM,'
    'https://acme.com,5000000,"Asked about ""pricing"", twice",\n'
    "1052,Li,,Globex,li@globex.com,,Chief Technology Officer,Biotech & Pharma,\"1,200\",Canada,Ontario,,LinkedIn Ads,,customer,,"
    "rita@team.io,03/01/2026,,,,,\n"
    "1053,,Solo,,solo@example.org,,,,,,,,social,,Subscriber,,Someone Else,,,,,,\n"
    "1054,Jay,Doe,Acme Corp,jane@acme.com,,Head of Data,Computer Software,10000+,USA,NY,New York,PAID_SEARCH,,"
    "salesqualifiedlead,New,,2026-02-01T10:00:00+01:00,,acme.com,,,\n"
    "1055,Ann,Lee,Hooli,ann@hooli.com,,Marketing Manager,Widget Making,1.2k,Germany,Bavaria,Munich,Trade Show,,Closed Won,,,"
    "1740000000,,,,,2026-03-20\n"
    # The team's own industry labels and lifecycle spellings, a lost deal's close date, a customer without one.
    "1056,Kim,Park,Lumen Schools,kim@lumenschools.edu,,Office Manager,EdTech,40,United States,Texas,Austin,Webinar,,"
    "Marketing Qualified Lead,,,2026-04-01,,,,,\n"
    "1057,Raf,Ortiz,Torque Motors,raf@torquemotors.com,,COO,Automotive,900,Mexico,,Monterrey,Cold Outbound,,Closed Lost,,,"
    "2026-02-10,,,,,2026-05-02\n"
    "1058,Eve,Stone,Helix Pharma,eve@helixpharma.com,,Fleet Manager,Pharmaceuticals,300,Germany,,Berlin,Partner Referral,,"
    "Sales Qualified Lead,,,2026-01-15,,,,,\n"
    "1059,Tom,Hart,Hart & Vale LLP,tom@hartvale.com,,Logistics Coordinator,Legal Services,25,United Kingdom,,London,G2,,"
    "Evangelist,,,2026-01-20,,,,,\n"
)


def test_a_hubspot_file_exported_imported_and_exported_again_is_byte_identical(db, fresh_url, tmp_path):
    with db.transaction() as session:
        upsert_rep(session, email="rita@team.io", name="Rita Moreno", now=NOW)
    original = import_leads_csv(db, path=_write(tmp_path / "hubspot.csv", HUBSPOT), now=NOW)
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    export_leads(db, output=first)
    fresh = open_database(fresh_url)
    try:
        report = import_leads_csv(fresh, path=first, now=NOW)
        export_leads(fresh, output=second)
    finally:
        fresh.dispose()
    assert (original.inserted, original.rejected, report.inserted, report.rejected) == (9, [], 9, [])
    assert first.read_bytes() == second.read_bytes()
    rows = list(csv.DictReader(first.open(encoding="utf-8", newline="")))
    # sources and industries as the file wrote them (extra.source_raw / industry_raw; H-G, issue 15 item 4)
    assert [(r["source"], r["stage"], r["stage_raw"], r["industry"]) for r in rows] == [
        ("Website Form", "LEAD", "marketingqualifiedlead", "Financial Services"), ("LinkedIn Ads", "CUSTOMER", "", "Biotech & Pharma"),
        ("social", "LEAD", "Subscriber", ""), ("PAID_SEARCH", "PROSPECT", "salesqualifiedlead", "Computer Software"),
        ("Trade Show", "CUSTOMER", "Closed Won", "Widget Making"), ("Webinar", "LEAD", "Marketing Qualified Lead", "EdTech"),
        ("Cold Outbound", "LOST", "Closed Lost", "Automotive"), ("Partner Referral", "PROSPECT", "Sales Qualified Lead", "Pharmaceuticals"),
        ("G2", "CUSTOMER", "Evangelist", "Legal Services"),
    ]
    assert [(r["converted"], r["converted_at"], r["closed_lost_at"]) for r in rows] == [
        ("", "", ""), ("true", "", ""), ("", "", ""), ("", "", ""), ("true", "2026-03-20T00:00:00Z", ""), ("", "", ""),
        ("false", "", "2026-05-02T00:00:00Z"), ("", "", ""), ("true", "", ""),
    ]
    assert (original.closed_without_date, report.closed_without_date) == (2, 2)  # Globex and Hart & Vale
    assert "2 closed leads have no close date" in original.summary()
    assert (rows[0]["owner_email"], rows[0]["Latest Source"], rows[0]["Lead Status"]) == ("rita@team.io", "Email Campaign", "In Progress")
    assert rows[2]["Contact owner"] == "Someone Else" and "likely_duplicate_of" not in rows[0]


def test_json_export_carries_the_derived_columns_and_the_flags(db, tmp_path):
    import_leads_csv(db, path=_write(tmp_path / "hubspot.csv", HUBSPOT), now=NOW)
    out = tmp_path / "leads.json"
    export_leads(db, output=out, format="json")
    leads = {lead["external_id"]: lead for lead in json.loads(out.read_text(encoding="utf-8"))}
    assert (leads["1051"]["channel"], leads["1051"]["seniority"], leads["1051"]["department"]) == ("organic", "vp", "sales")
    assert (leads["1051"]["likely_duplicate_of"], leads["1054"]["likely_duplicate_of"]) == ([leads["1054"]["id"]], [leads["1051"]["id"]])


# --- what a HubSpot import keeps: closed outcomes, industry groups, lifecycle, departments ------------


def test_closed_stages_set_converted_and_the_close_date_from_any_close_date_column(db, tmp_path):
    body = (
        "Id,Company,Status,IsConverted,ConvertedDate,Became a Customer Date,Close Date\n"
        "S1,Won By Flag,Closed - Converted,true,2026-10-03,,\n"  # Salesforce's API columns
        "S2,Won By Stage,Customer,,,2026-10-05,\n"  # HubSpot: no converted column at all
        "S3,Won Late,Closed Won,,,,11/02/2026\n"
        "S4,Lost,Closed Lost,,,,2026-11-04\n"
        "S5,Won Undated,Customer,,,,\n"
        "S6,Still Open,Opportunity,,,,\n"
    )
    report = import_leads_csv(db, path=_write(tmp_path / "closed.csv", body), now=NOW)
    leads = {lead.external_id: lead for lead in _leads(db)}
    closed = {key: (lead.converted, lead.converted_at and lead.converted_at.date().isoformat()) for key, lead in leads.items()}
    assert closed == {"S1": (True, "2026-10-03"), "S2": (True, "2026-10-05"), "S3": (True, "2026-11-02"), "S4": (False, None),
                      "S5": (True, None), "S6": (None, None)}
    assert leads["S4"].extra["closed_lost_at"] == "2026-11-04T00:00:00Z"  # a lost deal is never "won last month"
    assert report.closed_without_date == 1 and "1 closed lead has no close date" in report.summary()
    with db.session() as session:
        by_tier = conversion_by_tier(session, lead_filter=None, viewer=ADMIN, now=NOW)
    assert (sum(row["won"] for row in by_tier.rows), sum(row["lost"] for row in by_tier.rows)) == (4, 1)


@pytest.mark.parametrize(
    ("label", "stored", "group"),
    [("EdTech", "edtech", "education"), ("Automotive", "automotive", "manufacturing"), ("Pharmaceuticals", "pharmaceuticals", "biotech"),
     ("Legal Services", "legal-services", "professional-services"), ("Hospital & Health Care", "hospital-and-health-care", "healthcare"),
     ("  fintech ", "fintech", "fintech"), ("Biotech & Pharma", "biotech", "biotech"), ("AgTech", "agtech", "agtech")],
)
def test_an_industry_is_kept_as_the_team_wrote_it_with_its_canonical_group(label, stored, group):
    assert (industry_value(label), industry_group(label), industry_group(stored)) == (stored, group, group)
    assert stored in industry_values([group])


def test_scoring_filters_and_lifecycle_read_the_kept_values_by_their_group(db, tmp_path):
    import_leads_csv(db, path=_write(tmp_path / "hubspot.csv", HUBSPOT), now=NOW)
    policy = load_policy()

    def industry_points(industry: str) -> int:
        return score_lead(lead=LeadFacts(industry=industry), activities=[], policy=policy, now=NOW).breakdown["categories"]["industry"]["points"]

    assert [industry_points(value) for value in ("computer-software", "saas", "pharmaceuticals", "biotech", "automotive")] == [25, 25, 12, 12, 0]
    with db.session() as session:
        def companies(**conditions) -> list[str]:
            result = conversion_by_tier(session, lead_filter=LeadFilter(scope="all", **conditions), viewer=ADMIN, now=NOW)
            return [result.based_on]

        assert companies(industry=["manufacturing"]) == companies(industry=["Automotive"]) == [1]  # the group holds the label
        assert companies(industry=["education"]) == [1] and companies(not_industry=["education"]) == [8]
        qualified = {name: sorted(session.scalars(select(Lead.external_id).where(qualification_condition(name))))
                     for name in ("subscriber", "mql", "sql", "evangelist")}
    assert qualified == {"subscriber": ["1053"], "mql": ["1051", "1056"], "sql": ["1054", "1058"], "evangelist": ["1059"]}
    departments = {lead.job_title: lead.department for lead in _leads(db) if lead.job_title}
    assert [departments[title] for title in ("Office Manager", "COO", "Fleet Manager", "Logistics Coordinator")] == ["operations"] * 4
    assert departments["Head of Data"] == "data"


def test_the_documented_lifecycle_mapping_is_the_one_imports_use():
    for table in (HUBSPOT_LIFECYCLE, SALESFORCE_LEAD_STATUS):
        for value, stage in table.items():
            assert (parse_stage(value) or Stage.LEAD) == stage, value
    assert [qualification_of("LEAD", raw) for raw in ("Marketing Qualified Lead", "MQL", "marketingqualifiedlead", "Lead")] == ["mql"] * 3 + [None]
    assert qualification_of("PROSPECT", "Sales Qualified Lead") == "sql" and qualification_of("LEAD", "Sales Qualified Lead") is None


# --- different external ids, same email: two leads, flagged ---------------------------------------

TWINS = (
    "external_id,company,email,contact_name\n"
    "CRM-1,Acme,ann@acme.com,Ann Lee\n"
    "CRM-2,Acme Holdings,ann@acme.com,Ann Lee\n"
    ",Acme,ANN@acme.com,Ann Lee\n"  # no external id: updates the first as before
    "CRM-1,Acme Corp,ann@acme.com,Ann Lee\n"  # the same external id: updates it
)


def test_rows_with_different_external_ids_are_stored_apart_and_flagged(db, tmp_path):
    report = import_leads_csv(db, path=_write(tmp_path / "twins.csv", TWINS), now=NOW)
    assert (report.inserted, report.updated, report.rejected) == (2, 2, [])
    first, second = _leads(db)
    assert (first.external_id, first.company, second.external_id, second.company) == ("CRM-1", "Acme Corp", "CRM-2", "Acme Holdings")
    assert (first.extra, second.extra) == ({"likely_duplicate_of": [second.id]}, {"likely_duplicate_of": [first.id]})
    assert report.likely_duplicates == [(3, second.id, first.id)]
    assert ("2 rows share an email with another record that has a different external id: stored separately, "
            "flagged as likely duplicates") in report.summary()
    assert any(line == 3 and "also on lead" in message for line, message in report.warnings)
    with db.session() as session:
        history = lead_history(session, lead_id=second.id, field="likely_duplicate")
        assert [(event.new_value, event.actor) for event in history] == [(str(first.id), "import")]
        assert "kept as separate leads" in history[0].reason
        matches = find_duplicates(session, lead_id=first.id)
        profile = get_lead_profile(session, lead_id=second.id, viewer=ADMIN)
    assert [(m.lead_id, m.flagged, m.relation) for m in matches] == [(second.id, True, "same_person")]
    assert profile["likely_duplicate_of"] == [first.id]

    again = import_leads_csv(db, path=_write(tmp_path / "twins.csv", TWINS), now=NOW)  # re-import: updates, no new flags
    assert (again.inserted, again.updated, again.likely_duplicates) == (0, 4, [])
    assert [lead.extra for lead in _leads(db)] == [{"likely_duplicate_of": [second.id]}, {"likely_duplicate_of": [first.id]}]


def test_a_posted_lead_with_another_external_id_is_not_a_repeat_of_the_same_email(db):
    def post(payload: dict) -> dict:
        return dict(payload=payload, body_sha256=body_digest(json.dumps(payload).encode()), idempotency_key=None, now=NOW, received_at=NOW)

    first = capture_lead(db, **post({"external_id": "F-1", "company": "Acme", "email": "ann@acme.com", "source": "Website Form"}))
    other = capture_lead(db, **post({"external_id": "F-2", "company": "Acme", "email": "ann@acme.com", "job_title": "Head of IT"}))
    plain = capture_lead(db, **post({"company": "Acme", "email": "ann@acme.com", "city": "Paris"}))
    assert (other.repeat, other.lead_id != first.lead_id) == (False, True)
    assert (plain.repeat, plain.lead_id) == (True, first.lead_id)  # no external id: the email says who it is
    a, b = _leads(db)
    assert (a.source, a.channel, b.seniority, b.department) == ("website_form", "organic", "director", "it")
    assert (a.extra, b.extra) == ({"source_raw": "Website Form", "likely_duplicate_of": [b.id]}, {"likely_duplicate_of": [a.id]})


# --- migration 0011: widen, add, backfill; nothing else touched ----------------------------------


def test_migration_0011_restores_collapsed_sources_and_backfills_channel_and_people(db_url):
    database = open_database(db_url, upgrade=False)
    try:
        migrate(database.engine, "0010")
        with database.engine.begin() as connection:
            for source, title, extra in (
                ("other", "VP of Engineering", '{"source_raw": "Website Form", "Budget": "5"}'),  # collapsed by the old import
                ("webinar", None, None),
                ("other", "Account Executive", '{"source_raw": "LinkedIn Ads"}'),
            ):
                connection.execute(
                    text("INSERT INTO leads (company, source, stage, job_title, extra, created_at, updated_at) "
                         "VALUES ('Acme', :source, 'LEAD', :title, :extra, :at, :at)"),
                    {"source": source, "title": title, "extra": extra, "at": NOW.replace(tzinfo=None)},
                )
            connection.execute(text("INSERT INTO activities (lead_id, kind, direction, occurred_at) "
                                    "SELECT min(id), 'call', 'outbound', :at FROM leads"), {"at": NOW.replace(tzinfo=None)})
        migrate(database.engine)
        rows = [(l.source, l.channel, l.seniority, l.department, l.extra) for l in _leads(database)]
        assert rows == [
            ("website_form", "organic", "vp", "engineering", {"Budget": "5"}),
            ("webinar", "owned_media", None, None, None),
            ("linkedin_ads", "paid", "individual", "sales", None),
        ]
        with database.session() as session:
            assert len(session.scalars(select(Activity)).all()) == 1  # leads were altered in place, not dropped
        with database.transaction() as session:  # sources up to 64 characters fit now
            upsert_leads(session, records=[validate_lead({"company": "Wide", "source": "s" * 64}, now=NOW)], now=NOW)
    finally:
        database.dispose()


def test_migration_0019_backfills_closed_outcomes_and_operations_departments(db_url):
    database = open_database(db_url, upgrade=False)
    try:
        migrate(database.engine, "0018")
        with database.engine.begin() as connection:
            for stage, converted, title, department in (
                ("CUSTOMER", None, "Fleet Manager", None), ("LOST", None, "Chief Operating Officer", None),
                ("LOST", True, "VP Sales", "sales"), ("LEAD", None, None, None),
            ):
                connection.execute(
                    text("INSERT INTO leads (company, source, channel, stage, converted, job_title, department, created_at, updated_at) "
                         "VALUES ('Acme', 'other', 'other', :stage, :converted, :title, :department, :at, :at)"),
                    {"stage": stage, "converted": converted, "title": title, "department": department, "at": NOW.replace(tzinfo=None)},
                )
        migrate(database.engine)
        assert [(lead.converted, lead.department) for lead in _leads(database)] == [
            (True, "operations"), (False, "operations"), (True, "sales"), (None, None),  # a stated outcome is kept
        ]
    finally:
        database.dispose()


# --- routing sees the source as given, and its channel group ---------------------------------------

ROUTING_POLICY = """\
constraints: {capacity: false, daily_cap: false, working_hours: ignored, language: ignored}
rules:
  - name: web-forms
    description: Website forms go to Ana.
    when: {source: [Website Form]}
    route_to: {rep: ana@t.co}
  - name: paid
    description: Anything from a paid channel goes to Ben.
    when: {source: [paid]}
    route_to: {rep: ben@t.co}
fallback: {rep: max@t.co}
"""


def test_routing_reads_the_source_as_given_and_its_channel_group():
    from datetime import datetime, timezone

    from leadpilot.tools.routing.engine import decide
    from leadpilot.tools.routing.facts import LeadFacts, PerformanceBook, RepRow, RoutingSnapshot, Workload, build_roster
    from leadpilot.tools.routing.policy import parse_policy

    policy = parse_policy(ROUTING_POLICY, path=Path("routing.yaml"))
    hours = {"start": "00:00", "end": "24:00", "days": list(range(7))}
    team = tuple(RepRow(id=n, email=email, name=email, working_hours=hours) for n, email in enumerate(("ana@t.co", "ben@t.co", "max@t.co"), 1))
    snapshot = RoutingSnapshot(reps=build_roster(team, policy), workload=Workload({}, {}), performance_loader=lambda: PerformanceBook(()))

    def routed(source: str):
        facts = LeadFacts.of({"country": "US", "source": source})
        return facts, decide(lead=facts, account=None, snapshot=snapshot, policy=policy, now=datetime(2026, 11, 20, tzinfo=timezone.utc))

    facts, decision = routed("website_form")
    assert facts.source == "website_form" and decision.rule == "web-forms"  # not collapsed to "organic"
    facts, decision = routed("Email Marketing")
    assert facts.source == "email_marketing" and decision.rule == "fallback"  # as given, not "other"
    assert "email_marketing" in decision.explanation()
    assert routed("LinkedIn Ads")[1].rule == "paid"  # linkedin_ads is in the paid channel group
    with pytest.raises(Exception, match=r"unknown source 'refferal': did you mean referral\?"):
        parse_policy(ROUTING_POLICY.replace("[paid]", "[refferal]"), path=Path("routing.yaml"))
    assert parse_policy(ROUTING_POLICY.replace("[paid]", "[tiktok_ads]"), path=Path("routing.yaml"))  # the team's own value


def test_source_facets_for_every_reader():
    from leadpilot.memory.vocab import describe_source, policy_source, source_facet

    assert source_facet("Website Form") == ("website_form", Channel.ORGANIC)
    assert source_facet("  ") is None
    assert describe_source("email_marketing") == "email_marketing (owned media)" and describe_source("referral") == "referral"
    assert policy_source("LinkedIn Ads") == "linkedin_ads" and policy_source("paid") == "paid"
    with pytest.raises(ValueError, match="did you mean referral"):
        policy_source("refferal")
