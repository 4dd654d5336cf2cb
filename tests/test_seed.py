"""The demo dataset: deterministic, broad, internally consistent, with real signal; loads on both DBs."""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter, defaultdict
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pycountry
import pytest
from sqlalchemy import func, select

from leadpilot.memory.assignments import record_assignment
from leadpilot.memory.geo import MAIN_REGIONS, REGION_COUNTRIES, region_of
from leadpilot.memory.lead_record import CANONICAL_FIELDS, FREE_EMAIL_DOMAINS, validate_lead
from leadpilot.memory.leads import get_lead
from leadpilot.memory.models import Activity, Assignment, AuditEvent, Lead, Rep, RepTimeOff
from leadpilot.memory.reps import get_rep, is_out_of_office, list_reps, upsert_rep
from leadpilot.memory.seed import (
    CITIES,
    DemoDataset,
    SeedSummary,
    StoreNotEmptyError,
    build_demo_dataset,
    load_demo_dataset,
    seed_demo,
    summarize_dataset,
)
from leadpilot.memory.vocab import CONTACT_KINDS, INDUSTRIES, OPEN_STAGES, ActivityKind, Direction, Source, Stage, segment_of

from conftest import NOW

CONTACT_KIND_VALUES = {kind.value for kind in CONTACT_KINDS}
LANGUAGES = {"US": "en", "CA": "en", "GB": "en", "IE": "en", "AU": "en", "SG": "en", "IN": "en", "AE": "en",
             "DE": "de", "FR": "fr", "NL": "nl", "ES": "es", "MX": "es", "SE": "sv", "BR": "pt", "JP": "ja"}
CALLING_CODES = {"US": "+1 ", "CA": "+1 ", "GB": "+44 ", "IE": "+353 ", "DE": "+49 ", "FR": "+33 ", "NL": "+31 ",
                 "ES": "+34 ", "SE": "+46 ", "AE": "+971 ", "SG": "+65 ", "JP": "+81 ", "IN": "+91 ", "AU": "+61 ",
                 "BR": "+55 ", "MX": "+52 "}


@pytest.fixture(scope="module")
def dataset() -> DemoDataset:
    return build_demo_dataset(now=NOW)


@pytest.fixture(scope="module")
def activities_of(dataset: DemoDataset) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for activity in dataset.activities:
        grouped[activity["lead_external_id"]].append(activity)
    return grouped


@pytest.fixture(scope="module")
def closed(dataset: DemoDataset) -> list[dict[str, Any]]:
    return [lead for lead in dataset.leads if lead["converted"] is not None]


def _age_days(lead: dict[str, Any]) -> float:
    return (NOW - lead["created_at"]).total_seconds() / 86_400


def _rate(leads: list[dict[str, Any]]) -> float:
    assert leads, "empty group"
    return sum(1 for lead in leads if lead["converted"]) / len(leads)


def _newest_contact(activities: list[dict[str, Any]]):
    times = [a["occurred_at"] for a in activities if a["direction"] == "outbound" and a["kind"] in CONTACT_KIND_VALUES]
    return max(times, default=None)


# --- determinism ------------------------------------------------------------------------------


def test_same_seed_and_now_give_identical_data_and_another_seed_differs(dataset):
    assert build_demo_dataset(now=NOW) == dataset
    other = build_demo_dataset(seed=8, now=NOW)
    assert other.leads != dataset.leads
    assert [lead["company"] for lead in other.leads[:20]] != [lead["company"] for lead in dataset.leads[:20]]


def test_every_timestamp_is_an_offset_from_now():
    shift = timedelta(days=30, hours=5)
    before = build_demo_dataset(now=NOW, n_leads=300)
    after = build_demo_dataset(now=NOW + shift, n_leads=300)
    for old, new in zip(before.leads + before.activities, after.leads + after.activities, strict=True):
        for key, value in old.items():
            expected = value + shift if hasattr(value, "tzinfo") and value is not None else value
            assert new[key] == expected, key


def test_now_must_be_aware_and_n_leads_positive():
    with pytest.raises(ValueError, match="timezone-aware"):
        build_demo_dataset(now=NOW.replace(tzinfo=None))
    with pytest.raises(ValueError, match="n_leads"):
        build_demo_dataset(now=NOW, n_leads=0)
    assert len(build_demo_dataset(now=NOW, n_leads=3).leads) == 3


# --- coverage ---------------------------------------------------------------------------------


def test_coverage_of_industries_places_sizes_sources_and_stages(dataset):
    leads = dataset.leads
    assert len(leads) == 2400
    industries = {lead["industry"] for lead in leads}
    assert len(industries) >= 12 and industries <= set(INDUSTRIES)
    assert len({(lead["city"], lead["country"]) for lead in leads}) >= 20
    assert {region_of(lead["country"]) for lead in leads} == set(MAIN_REGIONS)
    assert len({city.continent for city in CITIES}) >= 3
    sizes = [lead["company_size"] for lead in leads]
    assert (min(sizes), max(sizes)) == (1, 50_000)
    assert {segment_of(size) for size in sizes} == {"micro", "smb", "mid-market", "enterprise"}
    assert {lead["source"] for lead in leads} == {s.value for s in Source}
    assert {lead["stage"] for lead in leads} == {s.value for s in Stage}
    assert len(dataset.reps) >= 12
    summary = summarize_dataset(dataset)
    assert summary == SeedSummary(
        leads=2400, reps=len(dataset.reps), activities=len(dataset.activities), industries=len(industries),
        cities=summary.cities, countries=len({lead["country"] for lead in leads}),
        converted=sum(1 for lead in leads if lead["converted"]),
    )
    assert "2,400 leads" in str(summary) and summary.as_dict()["leads"] == 2400


def test_leads_are_store_ready_and_survive_the_import_validator(dataset):
    external_ids = [lead["external_id"] for lead in dataset.leads]
    assert len(set(external_ids)) == len(external_ids)
    assert all(re.fullmatch(r"DEMO-\d{6}", e) for e in external_ids)
    emails = [lead["email"] for lead in dataset.leads]
    assert len(set(emails)) == len(emails)
    for lead in dataset.leads:
        for name in CANONICAL_FIELDS:
            if name not in ("last_contacted_at", "converted", "converted_at", "owner_email"):
                assert lead[name] not in (None, "") or (name, lead["country"]) == ("state", "SG"), lead["external_id"]
        for derived in ("score", "tier", "score_breakdown", "conversion_probability", "scored_at", "enrichment"):
            assert lead.get(derived) is None
        record = validate_lead(lead, now=NOW)
        assert not record.warnings, (lead["external_id"], record.warnings)
        for name in ("email", "domain", "industry", "country", "state", "source", "stage", "company_size", "language"):
            assert record.values[name] == lead[name], (lead["external_id"], name)
        assert record.owner_email == lead["owner_email"]
        if lead["country"] == "US":
            assert re.fullmatch(r"[A-Z]{2}", lead["state"])
        assert lead["language"] == LANGUAGES[lead["country"]]
        assert lead["phone"].startswith(CALLING_CODES[lead["country"]])
        assert lead["stage"] == lead["stage"].upper() and lead["source"] == lead["source"].lower()


def test_companies_repeat_with_consistent_details_and_realistic_contacts(dataset):
    by_company: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for lead in dataset.leads:
        by_company[lead["company"]].append(lead)
    for company, leads in by_company.items():
        details = {(l["domain"], l["website"], l["company_size"], l["industry"], l["city"], l["country"]) for l in leads}
        assert len(details) == 1, company
    assert len(by_company) < 0.7 * len(dataset.leads)
    assert sum(1 for leads in by_company.values() if len(leads) >= 3) >= 50
    assert len({lead["domain"] for lead in dataset.leads}) == len(by_company)

    free = [lead for lead in dataset.leads if lead["email"].split("@")[1] in FREE_EMAIL_DOMAINS]
    assert 0.05 <= len(free) / len(dataset.leads) <= 0.11
    for lead in dataset.leads:
        if lead not in free:
            assert lead["email"].endswith("@" + lead["domain"])
    assert len({lead["contact_name"].split()[0] for lead in dataset.leads}) >= 150
    assert any("ü" in lead["contact_name"] or "é" in lead["contact_name"] for lead in dataset.leads)

    titles = " | ".join(lead["job_title"] for lead in dataset.leads)
    for title in ("CEO", "CTO", "VP of Engineering", "Head of Finance", "Director of Operations", "IT Manager",
                  "Software Engineer", "Analyst"):
        assert title in titles


def test_notes_state_industry_needs_in_varied_wording(dataset):
    assert all(lead["notes"] for lead in dataset.leads)
    assert len({lead["notes"] for lead in dataset.leads}) >= 300
    by_id = {lead["external_id"]: lead for lead in dataset.leads}
    assert len(dataset.need_topics) >= 0.8 * len(dataset.leads)
    for external_id, topic in dataset.need_topics.items():
        assert topic.split("/")[0] == by_id[external_id]["industry"]
    card_issuing = [lead for lead in dataset.leads if "card issuing" in lead["notes"].lower()]
    assert len(card_issuing) >= 15 and {lead["industry"] for lead in card_issuing} == {"fintech"}
    assert any("virtual cards" in lead["notes"] for lead in dataset.leads)
    assert any("HIPAA" in lead["notes"] for lead in dataset.leads if lead["industry"] == "healthcare")
    assert any("fleet tracking" in lead["notes"].lower() for lead in dataset.leads if lead["industry"] == "logistics")


# --- reps -------------------------------------------------------------------------------------


def _territory_is_valid(code: str) -> bool:
    if code in REGION_COUNTRIES:
        return True
    if re.fullmatch(r"US-[A-Z]{2}", code):
        return pycountry.subdivisions.get(code=code) is not None
    return pycountry.countries.get(alpha_2=code) is not None


def test_rep_roster_supports_routing(dataset):
    reps = dataset.reps
    emails = [rep["email"] for rep in reps]
    assert len(set(emails)) == len(reps) >= 12 and all(e.endswith("@leadpilot.demo") for e in emails)
    slack_ids = [rep["slack_user_id"] for rep in reps]
    assert len(set(slack_ids)) == len(reps) and all(re.fullmatch(r"U0DEMO\d{2}", s) for s in slack_ids)
    assert len({rep["name"] for rep in reps}) == len(reps)
    assert sum(1 for rep in reps if not rep["active"]) == 1
    assert [rep["role"] for rep in reps].count("manager") == 1
    for rep in reps:
        ZoneInfo(rep["timezone"])
        assert all(_territory_is_valid(t) for t in rep["territories"]), rep["territories"]
        assert set(rep["segments"]) <= {"enterprise", "mid-market", "smb"} and rep["segments"]
        assert set(rep["industries"]) <= set(INDUSTRIES)
        assert all(re.fullmatch(r"[a-z]{2}", language) for language in rep["languages"])
        assert rep["working_hours"] == {"start": "09:00", "end": "17:00", "days": [0, 1, 2, 3, 4]}
        assert rep["daily_cap"] > 0 and rep["created_at"] < NOW
        if rep["role"] == "rep" and rep["active"]:
            assert 120 <= rep["capacity"] <= 250 and rep["routing_weight"] > 0
    covered_languages = {language for rep in reps for language in rep["languages"]}
    assert {"de", "fr", "es", "pt", "ja"} <= covered_languages
    covered = {t for rep in reps for t in rep["territories"]}
    assert {"NA", "EMEA", "APAC", "LATAM", "DE", "FR", "GB", "US-CA"} <= covered

    rep_emails = set(emails)
    assert all(p["rep_email"] in rep_emails and p["ends_at"] > p["starts_at"] for p in dataset.rep_time_off)
    away_now = [p for p in dataset.rep_time_off if p["starts_at"] <= NOW < p["ends_at"]]
    assert len(away_now) >= 1


def test_owners_cover_their_leads_and_history_respects_the_roster(dataset):
    reps = {rep["email"]: rep for rep in dataset.reps}
    for lead in dataset.leads:
        owner = lead["owner_email"]
        if owner is None:
            assert lead["stage"] in {s.value for s in OPEN_STAGES} and _age_days(lead) < 14
            continue
        rep = reps[owner]
        assert rep["role"] == "rep"
        places = {f"{lead['country']}-{lead['state']}", lead["country"], region_of(lead["country"])}
        assert places & set(rep["territories"]), (lead["external_id"], owner)
        if not rep["active"]:
            assert lead["converted"] is not None  # a rep who left owns only closed history
    open_owned = Counter(lead["owner_email"] for lead in dataset.leads if lead["converted"] is None)
    assert open_owned[None] >= 10
    for email, rep in reps.items():
        assert open_owned[email] <= rep["capacity"]


# --- history ----------------------------------------------------------------------------------


def test_timeline_is_consistent(dataset, activities_of):
    for lead in dataset.leads:
        created = lead["created_at"]
        assert created.utcoffset() == timedelta(0)
        assert NOW - timedelta(days=180) <= created <= NOW
        activities = activities_of[lead["external_id"]]
        assert all(created <= a["occurred_at"] <= NOW for a in activities)
        assert lead["updated_at"] == max([created] + [a["occurred_at"] for a in activities]
                                         + ([lead["converted_at"]] if lead["converted_at"] else []))
        assert lead["last_contacted_at"] == _newest_contact(activities), lead["external_id"]
        if lead["converted"] is True:
            assert lead["stage"] == "CUSTOMER"
            assert timedelta(days=10) <= lead["converted_at"] - created <= timedelta(days=90)
            assert all(a["occurred_at"] <= lead["converted_at"] for a in activities)
        elif lead["converted"] is False:
            assert lead["stage"] == "LOST" and lead["converted_at"] is None
        else:
            assert lead["stage"] in {s.value for s in OPEN_STAGES} and lead["converted_at"] is None


def test_old_leads_are_mostly_closed_and_recent_ones_open(dataset, closed):
    old = [lead for lead in dataset.leads if _age_days(lead) > 60]
    assert sum(1 for lead in old if lead["converted"] is not None) >= 0.9 * len(old)
    assert all(lead["converted"] is None for lead in dataset.leads if _age_days(lead) < 7)
    assert 0.2 <= _rate(closed) <= 0.3
    assert all(lead["owner_email"] for lead in closed)


def test_time_to_close_is_shorter_for_referrals_and_longer_for_enterprise(closed):
    def median_days(leads):
        return statistics.median((l["converted_at"] - l["created_at"]).days for l in leads if l["converted"])

    assert median_days([l for l in closed if l["source"] == "referral"]) < median_days(closed)
    enterprise = [l for l in closed if segment_of(l["company_size"]) == "enterprise"]
    smb = [l for l in closed if segment_of(l["company_size"]) in ("smb", "micro")]
    assert median_days(enterprise) > median_days(smb) + 5


def test_not_contacted_recently_is_a_meaningful_question(dataset):
    open_leads = [lead for lead in dataset.leads if lead["converted"] is None]
    never = [lead for lead in open_leads if lead["last_contacted_at"] is None]
    assert 0.1 <= len(never) / len(open_leads) <= 0.2
    fintech = [lead for lead in open_leads if lead["industry"] == "fintech"]
    stale = [l for l in fintech if l["last_contacted_at"] is None or NOW - l["last_contacted_at"] > timedelta(days=3)]
    assert len(stale) >= 20 and len(fintech) - len(stale) >= 10


def test_activities_use_the_vocabulary_and_belong_to_the_owner(dataset, activities_of):
    kinds = Counter(a["kind"] for a in dataset.activities)
    assert set(kinds) == {k.value for k in ActivityKind}
    assert {a["direction"] for a in dataset.activities} == {d.value for d in Direction}
    pages = {a["detail"] for a in dataset.activities if a["kind"] == "page_view"}
    assert {"/pricing", "/docs/api", "/careers"} <= pages
    owners = {lead["external_id"]: lead["owner_email"] for lead in dataset.leads}
    for activity in dataset.activities:
        if activity["direction"] == "outbound":
            assert activity["rep_email"] == owners[activity["lead_external_id"]]
        elif activity["kind"] != "call":
            assert activity["rep_email"] is None
    assert len(dataset.activities) / len(dataset.leads) >= 5


# --- signal -----------------------------------------------------------------------------------


def test_conversion_depends_on_source_industry_seniority_and_size(closed):
    by_source = {s.value: _rate([l for l in closed if l["source"] == s.value]) for s in Source}
    assert by_source["referral"] >= by_source["organic"] + 0.1
    assert by_source["organic"] > by_source["paid"]
    assert by_source["paid"] > _rate([l for l in closed if l["source"] in ("event", "other")])

    strong = [l for l in closed if l["industry"] in ("fintech", "saas", "healthcare")]
    weak = [l for l in closed if l["industry"] in ("government", "nonprofit", "education", "retail")]
    assert _rate(strong) > _rate(weak) + 0.08

    senior = [l for l in closed if re.search(r"\b(VP|Vice President|SVP|Head of|Director|CEO|CTO|CFO)\b", l["job_title"])]
    junior = [l for l in closed if re.search(r"Engineer|Analyst|Associate|Accountant|Specialist|Designer", l["job_title"])]
    assert _rate(senior) > _rate(junior) + 0.05

    micro = [l for l in closed if segment_of(l["company_size"]) == "micro"]
    mid = [l for l in closed if segment_of(l["company_size"]) == "mid-market"]
    assert _rate(mid) > _rate(micro)


def test_engagement_and_rep_move_conversion(closed, activities_of):
    def viewed_pricing(lead):
        return any(a["kind"] == "page_view" and a["detail"] == "/pricing" for a in activities_of[lead["external_id"]])

    def meetings(lead):
        return sum(1 for a in activities_of[lead["external_id"]] if a["kind"] == "meeting")

    pricing = [l for l in closed if viewed_pricing(l)]
    no_pricing = [l for l in closed if not viewed_pricing(l)]
    assert _rate(pricing) > 1.8 * _rate(no_pricing)
    assert _rate([l for l in closed if meetings(l) >= 2]) > _rate([l for l in closed if meetings(l) <= 1]) + 0.1

    by_rep = defaultdict(list)
    for lead in closed:
        by_rep[lead["owner_email"]].append(lead)
    rates = [_rate(leads) for leads in by_rep.values() if len(leads) >= 50]
    assert max(rates) - min(rates) >= 0.1


def _fit_logistic(X: np.ndarray, y: np.ndarray, *, ridge: float = 1.0, steps: int = 30) -> np.ndarray:
    """Ridge-regularised logistic regression by Newton's method (the one-hot columns are collinear)."""
    w = np.zeros(X.shape[1])
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-X @ w))
        gradient = X.T @ (p - y) + ridge * w
        hessian = (X.T * (p * (1.0 - p))) @ X + ridge * np.eye(X.shape[1])
        w -= np.linalg.solve(hessian, gradient)
    return w


def _auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """The chance that a converted lead outscores a lost one."""
    positives, negatives = scores[labels == 1], scores[labels == 0]
    wins = (positives[:, None] > negatives[None, :]).sum() + 0.5 * (positives[:, None] == negatives[None, :]).sum()
    return float(wins / (len(positives) * len(negatives)))


def test_a_simple_model_trained_on_older_leads_predicts_newer_ones(closed, activities_of):
    sources = [s.value for s in Source]
    industries = sorted({l["industry"] for l in closed})

    def features(lead):
        activities = activities_of[lead["external_id"]]
        return [
            1.0,
            *(lead["source"] == s for s in sources),
            *(lead["industry"] == i for i in industries),
            math.log(lead["company_size"]) / 5,
            min(sum(a["kind"] == "email_clicked" for a in activities), 4),
            any(a["detail"] == "/pricing" for a in activities),
            min(sum(a["kind"] == "meeting" for a in activities), 3),
        ]

    ordered = sorted(closed, key=lambda lead: lead["created_at"])
    X = np.array([features(lead) for lead in ordered], dtype=float)
    y = np.array([lead["converted"] for lead in ordered], dtype=float)
    split = int(0.7 * len(ordered))
    weights = _fit_logistic(X[:split], y[:split])
    assert _auc(X[split:] @ weights, y[split:]) >= 0.75


# --- loading ----------------------------------------------------------------------------------


def test_load_puts_everything_in_the_store_consistently(db, dataset):
    summary = load_demo_dataset(db, dataset=dataset)
    assert summary == summarize_dataset(dataset)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Lead)) == len(dataset.leads)
        assert session.scalar(select(func.count()).select_from(Rep)) == len(dataset.reps)
        assert session.scalar(select(func.count()).select_from(RepTimeOff)) == len(dataset.rep_time_off)
        assert session.scalar(select(func.count()).select_from(Activity)) == len(dataset.activities)
        assert session.scalar(select(func.count()).select_from(Lead).where(Lead.converted.is_(True))) == summary.converted
        assert session.scalar(select(func.count()).select_from(Lead).where(Lead.score.is_not(None))) == 0
        assert session.scalar(select(func.count()).select_from(Lead).where(Lead.extra.is_not(None))) == 0
        assert session.scalar(select(func.count()).select_from(Activity).where(Activity.meta.is_(None))) == sum(
            1 for a in dataset.activities if a["meta"] is None
        )

        newest_contact = dict(
            session.execute(
                select(Activity.lead_id, func.max(Activity.occurred_at))
                .where(Activity.direction == "outbound", Activity.kind.in_(sorted(CONTACT_KIND_VALUES)))
                .group_by(Activity.lead_id)
            ).all()
        )
        stored = session.execute(select(Lead.id, Lead.external_id, Lead.last_contacted_at, Lead.owner_id)).all()
        assert len(stored) == len(dataset.leads)
        for lead_id, _, last_contacted_at, _ in stored:
            expected = newest_contact.get(lead_id)
            assert (last_contacted_at.replace(tzinfo=None) if last_contacted_at else None) == (
                expected.replace(tzinfo=None) if expected else None
            )

        owner_emails = dict(session.execute(select(Rep.id, Rep.email)).all())
        by_external_id = {lead["external_id"]: lead for lead in dataset.leads}
        for _, external_id, _, owner_id in stored:
            assert (owner_emails[owner_id] if owner_id else None) == by_external_id[external_id]["owner_email"]

        first = dataset.leads[0]
        lead = get_lead(session, lead_id=next(i for i, e, _, _ in stored if e == first["external_id"]))
        assert lead.created_at == first["created_at"] and lead.notes == first["notes"]
        assert [a.occurred_at for a in lead.activities] == sorted(a.occurred_at for a in lead.activities)

        away = [rep.email for rep in list_reps(session) if is_out_of_office(rep, at=NOW)]
        assert away == ["oliver.bennett@leadpilot.demo"]
        assert get_rep(session, slack_user_id="U0DEMO02").name == "Maya Chen"


def test_seed_demo_refuses_a_non_empty_store_and_reset_reloads(db):
    first = seed_demo(db, now=NOW, n_leads=150)
    assert first.leads == 150
    with db.transaction() as session:
        lead = session.scalar(select(Lead).order_by(Lead.id).limit(1))
        rep = get_rep(session, email="maya.chen@leadpilot.demo")
        record_assignment(session, lead=lead, rep=rep, rule="manual", reason="test", candidates=[], at=NOW)

    with pytest.raises(StoreNotEmptyError, match="--reset") as refused:
        seed_demo(db, now=NOW, n_leads=150)
    assert refused.value.leads == 150
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Lead)) == 150

    again = seed_demo(db, now=NOW, seed=8, n_leads=120, reset=True)
    assert again.leads == 120
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Lead)) == 120
        assert session.scalar(select(func.count()).select_from(Rep)) == again.reps
        assert session.scalar(select(func.count()).select_from(Assignment)) == 0
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == 0
        external_ids = session.scalars(select(Lead.external_id).order_by(Lead.external_id)).all()
        assert external_ids == [f"DEMO-{n:06d}" for n in range(1, 121)]


def test_seed_demo_also_refuses_a_store_that_only_has_reps(db):
    with db.transaction() as session:
        upsert_rep(session, email="sam@team.io", name="Sam", now=NOW)
    with pytest.raises(StoreNotEmptyError, match="1 reps"):
        seed_demo(db, now=NOW, n_leads=20)
