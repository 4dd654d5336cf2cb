"""Features of a lead, as of a moment: who they are, what they did, when, and how they engage.

Four families: demographic (firmographics and the contact's role), behavioural (what the lead did),
temporal (recency with decay, bursts, weekday and business-hours rhythm, age) and engagement (how
they answer our outreach). Every feature is computed "as of" one instant from the activities
before it, so a closed lead is described as it looked when its outcome was decided and an open
lead as it looks now: no activity after that instant can leak into training.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, Literal, NamedTuple, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from leadpilot.clock import utc
from leadpilot.memory.geo import region_of
from leadpilot.memory.lead_record import FREE_EMAIL_DOMAINS
from leadpilot.memory.models import Activity, AuditEvent, Lead
from leadpilot.memory.vocab import ActivityKind, Direction, Stage, segment_of

Family = Literal["demographic", "behavioural", "temporal", "engagement"]
FeatureValue = float | str | None

RECENCY_HALF_LIFE_DAYS = 7.0  # a week-old last visit counts half as much as one today
HEAT_HALF_LIFE_DAYS = 14.0
BUSINESS_HOURS = range(9, 18)  # local 09:00-17:59
_IN_CHUNK = 900


@dataclass(frozen=True)
class FeatureSpec:
    name: str
    family: Family
    kind: Literal["numeric", "categorical"]
    label: str  # for people: "pricing page visits"
    group: str  # explanations move features of one group together (size and segment, ...)


def _spec(name: str, family: Family, label: str, group: str, kind: Literal["numeric", "categorical"] = "numeric") -> FeatureSpec:
    return FeatureSpec(name=name, family=family, kind=kind, label=label, group=group)


FEATURES: tuple[FeatureSpec, ...] = (
    _spec("industry", "demographic", "industry", "industry", "categorical"),
    _spec("company_size", "demographic", "employees", "company size"),
    _spec("segment", "demographic", "segment", "company size", "categorical"),
    _spec("country", "demographic", "country", "location", "categorical"),
    _spec("region", "demographic", "region", "location", "categorical"),
    _spec("seniority", "demographic", "seniority", "seniority", "categorical"),
    _spec("department", "demographic", "department", "department", "categorical"),
    _spec("source", "demographic", "source", "source", "categorical"),
    _spec("free_email", "demographic", "free email domain", "email domain"),
    _spec("has_phone", "demographic", "has phone", "contact details"),
    _spec("has_title", "demographic", "has job title", "contact details"),
    _spec("has_company", "demographic", "has company", "contact details"),
    _spec("email_opens", "behavioural", "email opens", "email engagement"),
    _spec("email_clicks", "behavioural", "email clicks", "email engagement"),
    _spec("page_views", "behavioural", "page views", "website visits"),
    _spec("pricing_views", "behavioural", "pricing page visits", "pricing page visits"),
    _spec("pricing_views_7d", "behavioural", "pricing page visits in the last 7 days", "pricing page visits"),
    _spec("demo_views", "behavioural", "demo page visits", "demo interest"),
    _spec("demo_views_7d", "behavioural", "demo page visits in the last 7 days", "demo interest"),
    _spec("form_submits", "behavioural", "form submissions", "form submissions"),
    _spec("form_submits_7d", "behavioural", "form submissions in the last 7 days", "form submissions"),
    _spec("meetings", "behavioural", "meetings", "meetings"),
    _spec("calls", "behavioural", "calls", "calls"),
    _spec("days_since_created", "temporal", "days since created", "lead age"),
    _spec("days_since_last_inbound", "temporal", "days since the lead's last activity", "recent activity"),
    _spec("inbound_recency", "temporal", "recency of the lead's last activity (decayed)", "recent activity"),
    _spec("activity_heat", "temporal", "decayed sum of the lead's activities", "recent activity"),
    _spec("inbound_7d", "temporal", "lead activities in the last 7 days", "recent activity"),
    _spec("inbound_30d", "temporal", "lead activities in the last 30 days", "recent activity"),
    _spec("burst_7d", "temporal", "most lead activities in any 7 days", "recent activity"),
    _spec("weekday_share", "temporal", "share of activity on weekdays", "activity rhythm"),
    _spec("business_hours_share", "temporal", "share of activity in business hours", "activity rhythm"),
    _spec("days_since_last_touch", "temporal", "days since our last touch", "last touch"),
    _spec("emails_sent", "engagement", "emails sent", "outreach"),
    _spec("outbound_touches", "engagement", "outbound touches (sequence progress)", "outreach"),
    _spec("open_rate", "engagement", "open rate", "email engagement"),
    _spec("click_rate", "engagement", "click rate", "email engagement"),
)
FEATURE_NAMES: tuple[str, ...] = tuple(spec.name for spec in FEATURES)
SPECS: dict[str, FeatureSpec] = {spec.name: spec for spec in FEATURES}


class ActivityEvent(NamedTuple):
    kind: str
    direction: str
    occurred_at: datetime
    detail: str | None = None


class LeadFacts(Protocol):
    """What features read from a lead: a `Lead` row or any object with these attributes."""

    id: int
    company: str | None
    email: str | None
    phone: str | None
    job_title: str | None
    industry: str | None
    company_size: int | None
    country: str | None
    state: str | None
    source: str
    stage: str
    created_at: datetime
    updated_at: datetime
    converted: bool | None
    converted_at: datetime | None


@dataclass(frozen=True)
class LeadSnapshot:
    """A lead's features as of one instant, with what training and explanations need beside them."""

    lead_id: int
    as_of: datetime
    features: dict[str, FeatureValue]
    converted: bool | None  # None while the lead is open
    created_at: datetime
    converted_at: datetime | None
    score: int | None  # the rule score stored on the lead (for comparison in evals)


# --- the contact's role, from the job title ------------------------------------------------------

_SENIORITY: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("c-level", re.compile(r"\b(ceo|cto|cfo|coo|cmo|cio|ciso|cro|cpo|cdo|chief|founder|co-?founder|owner|president|managing director|general manager)\b")),
    ("vp", re.compile(r"\b(vp|svp|evp|avp|vice[- ]president|head of)\b")),
    ("director", re.compile(r"\bdirector\b")),
    ("manager", re.compile(r"\b(manager|lead|supervisor|principal)\b")),
)
_DEPARTMENTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("sales", re.compile(r"\b(sales|account executive|account manager|business development|bdr|sdr|revenue|cro)\b")),
    ("marketing", re.compile(r"\b(marketing|growth|brand|demand|content|seo|communications|cmo)\b")),
    ("engineering", re.compile(r"\b(engineer\w*|developer|software|devops|architect|cto|technology|r&d)\b")),
    ("it", re.compile(r"\b(it|information|cio|ciso|systems|infrastructure|security|network)\b")),
    ("finance", re.compile(r"\b(finance|financial|cfo|accounting|accountant|controller|treasur\w*)\b")),
    ("operations", re.compile(r"\b(operations|coo|supply|logistics|procurement|purchasing)\b")),
    ("product", re.compile(r"\b(product|cpo|ux|design\w*)\b")),
    ("people", re.compile(r"\b(hr|human resources|people|talent|recruit\w*)\b")),
    ("legal", re.compile(r"\b(legal|counsel|compliance|attorney)\b")),
    ("executive", re.compile(r"\b(ceo|founder|co-?founder|owner|president|managing director|general manager)\b")),
)


def seniority_of(job_title: str | None) -> str:
    """c-level, vp, director, manager or individual (a title without a rank keyword); unknown without title."""
    title = (job_title or "").strip().lower()
    if not title:
        return "unknown"
    for level, pattern in _SENIORITY:
        if pattern.search(title):
            return level
    return "individual"


def department_of(job_title: str | None) -> str:
    title = (job_title or "").strip().lower()
    if not title:
        return "unknown"
    for department, pattern in _DEPARTMENTS:
        if pattern.search(title):
            return department
    return "other"


def is_free_email(email: str | None) -> bool:
    domain = (email or "").rpartition("@")[2].strip().lower()
    return domain in FREE_EMAIL_DOMAINS


# --- local time, for the business-hours rhythm ---------------------------------------------------

# Multi-zone countries: the zone most of their business happens in. Others: zone.tab's first entry.
_MAIN_ZONE = {
    "US": "America/Chicago", "CA": "America/Toronto", "AU": "Australia/Sydney", "BR": "America/Sao_Paulo",
    "RU": "Europe/Moscow", "MX": "America/Mexico_City", "ID": "Asia/Jakarta", "CN": "Asia/Shanghai",
    "AR": "America/Argentina/Buenos_Aires", "CL": "America/Santiago", "ES": "Europe/Madrid",
    "PT": "Europe/Lisbon", "NZ": "Pacific/Auckland", "DE": "Europe/Berlin", "MY": "Asia/Kuala_Lumpur",
    "UA": "Europe/Kyiv", "KZ": "Asia/Almaty",
}
_US_STATE_ZONE = {
    **dict.fromkeys(("CA", "WA", "OR", "NV"), "America/Los_Angeles"),
    **dict.fromkeys(("AZ",), "America/Phoenix"),
    **dict.fromkeys(("CO", "UT", "NM", "ID", "MT", "WY"), "America/Denver"),
    **dict.fromkeys(("NY", "NJ", "MA", "PA", "FL", "GA", "NC", "VA", "OH", "MI", "MD", "DC", "CT", "SC"), "America/New_York"),
    **dict.fromkeys(("HI",), "Pacific/Honolulu"),
    **dict.fromkeys(("AK",), "America/Anchorage"),
}


@lru_cache(maxsize=1)
def _first_zone_by_country() -> dict[str, str]:
    from importlib.resources import files

    zones: dict[str, str] = {}
    table = (files("tzdata") / "zoneinfo" / "zone.tab").read_text(encoding="utf-8")
    for line in table.splitlines():
        if line and not line.startswith("#"):
            country, _coords, zone, *_ = line.split("\t")
            zones.setdefault(country, zone)
    return zones


@lru_cache(maxsize=512)
def local_zone(country: str | None, state: str | None) -> ZoneInfo | None:
    """The lead's likely time zone from its country (and US state); None when unknown."""
    if not country:
        return None
    country = country.upper()
    name = (_US_STATE_ZONE.get((state or "").upper()) if country == "US" else None) or _MAIN_ZONE.get(country)
    name = name or _first_zone_by_country().get(country)
    try:
        return ZoneInfo(name) if name else None
    except ZoneInfoNotFoundError:
        return None


# --- the features ------------------------------------------------------------------------------


def _is(event: ActivityEvent, kind: ActivityKind) -> bool:
    return event.kind == kind.value


def _page_mentions(event: ActivityEvent, word: str) -> bool:
    return event.kind in (ActivityKind.PAGE_VIEW.value, ActivityKind.FORM_SUBMIT.value) and word in (event.detail or "").lower()


def _days(delta: timedelta) -> float:
    return delta.total_seconds() / 86400.0


def _max_in_window(times: Sequence[datetime], window: timedelta) -> int:
    """Most events inside any window of this length (times sorted)."""
    best, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


def compute_features(lead: LeadFacts, activities: Iterable[ActivityEvent], *, as_of: datetime) -> dict[str, FeatureValue]:
    """Every feature in FEATURES for `lead`, from the activities strictly before `as_of`."""
    as_of = utc(as_of)
    events = sorted((e for e in activities if utc(e.occurred_at) < as_of), key=lambda e: e.occurred_at)
    inbound = [e for e in events if e.direction == Direction.INBOUND.value and e.kind != ActivityKind.NOTE.value]
    outbound = [e for e in events if e.direction == Direction.OUTBOUND.value and e.kind != ActivityKind.NOTE.value]
    week_ago, month_ago = as_of - timedelta(days=7), as_of - timedelta(days=30)
    recent = [e for e in events if utc(e.occurred_at) >= week_ago]

    def count(kind: ActivityKind, within: Sequence[ActivityEvent] = events) -> int:
        return sum(1 for e in within if _is(e, kind))

    emails_sent = sum(1 for e in outbound if _is(e, ActivityKind.EMAIL_SENT))
    opens, clicks = count(ActivityKind.EMAIL_OPENED), count(ActivityKind.EMAIL_CLICKED)
    inbound_times = [utc(e.occurred_at) for e in inbound]
    last_inbound = inbound_times[-1] if inbound_times else None
    contacts = [utc(e.occurred_at) for e in outbound if e.kind in (ActivityKind.EMAIL_SENT, ActivityKind.CALL, ActivityKind.MEETING)]
    zone = local_zone(lead.country, lead.state)
    local_times = [t.astimezone(zone) if zone else t for t in inbound_times]
    days_since_last_inbound = _days(as_of - last_inbound) if last_inbound else None

    title, company, email = (lead.job_title or "").strip(), (lead.company or "").strip(), (lead.email or "").strip()
    return {
        "industry": lead.industry or None,
        "company_size": float(lead.company_size) if lead.company_size is not None else None,
        "segment": segment_of(lead.company_size),
        "country": lead.country or None,
        "region": region_of(lead.country),
        "seniority": seniority_of(title),
        "department": department_of(title),
        "source": lead.source or None,
        "free_email": float(is_free_email(email)) if email else None,
        "has_phone": float(bool((lead.phone or "").strip())),
        "has_title": float(bool(title)),
        "has_company": float(bool(company)),
        "email_opens": float(opens),
        "email_clicks": float(clicks),
        "page_views": float(count(ActivityKind.PAGE_VIEW)),
        "pricing_views": float(sum(1 for e in events if _page_mentions(e, "pricing"))),
        "pricing_views_7d": float(sum(1 for e in recent if _page_mentions(e, "pricing"))),
        "demo_views": float(sum(1 for e in events if _page_mentions(e, "demo"))),
        "demo_views_7d": float(sum(1 for e in recent if _page_mentions(e, "demo"))),
        "form_submits": float(count(ActivityKind.FORM_SUBMIT)),
        "form_submits_7d": float(count(ActivityKind.FORM_SUBMIT, recent)),
        "meetings": float(count(ActivityKind.MEETING)),
        "calls": float(count(ActivityKind.CALL)),
        "days_since_created": max(0.0, _days(as_of - utc(lead.created_at))),
        "days_since_last_inbound": days_since_last_inbound,
        "inbound_recency": _decay(days_since_last_inbound, RECENCY_HALF_LIFE_DAYS) if last_inbound else 0.0,
        "activity_heat": sum(_decay(_days(as_of - t), HEAT_HALF_LIFE_DAYS) for t in inbound_times),
        "inbound_7d": float(sum(1 for t in inbound_times if t >= week_ago)),
        "inbound_30d": float(sum(1 for t in inbound_times if t >= month_ago)),
        "burst_7d": float(_max_in_window(inbound_times, timedelta(days=7))),
        "weekday_share": sum(1 for t in local_times if t.weekday() < 5) / len(local_times) if local_times else None,
        "business_hours_share": (
            sum(1 for t in local_times if t.weekday() < 5 and t.hour in BUSINESS_HOURS) / len(local_times) if local_times else None
        ),
        "days_since_last_touch": _days(as_of - max(contacts)) if contacts else None,
        "emails_sent": float(emails_sent),
        "outbound_touches": float(len(outbound)),
        "open_rate": min(1.0, opens / emails_sent) if emails_sent else None,
        "click_rate": min(1.0, clicks / emails_sent) if emails_sent else None,
    }


def _decay(days: float, half_life: float) -> float:
    return math.exp(-math.log(2) * max(0.0, days) / half_life)


# --- "as of" when: the outcome date for closed leads, now for open ones ---------------------------


def snapshot_time(
    lead: LeadFacts, activities: Sequence[ActivityEvent], *, now: datetime, closed_at: datetime | None = None
) -> datetime:
    """The instant a lead's features are taken at; only activities strictly before it count.

    Open leads: `now`. Converted leads: `converted_at` (an activity at that instant is the
    conversion itself, not a signal). Closed leads without that date, and lost leads: when the
    audit saw the stage become CUSTOMER or LOST (`closed_at`) if it did, otherwise just after the
    last activity — the outcome was decided after it, so it counts — and failing both,
    `updated_at`. Never later than `now`.
    """
    now = utc(now)
    if lead.converted is None:
        return now
    if lead.converted and lead.converted_at is not None:
        return min(utc(lead.converted_at), now)
    if closed_at is not None:
        return min(utc(closed_at), now)
    if activities:
        last = max(utc(e.occurred_at) for e in activities)
        return min(last + timedelta(seconds=1), now)
    return min(utc(lead.updated_at), now)


# --- reading leads and activities from the store ------------------------------------------------

_LEAD_COLUMNS = (
    Lead.id, Lead.company, Lead.email, Lead.phone, Lead.job_title, Lead.industry, Lead.company_size,
    Lead.country, Lead.state, Lead.source, Lead.stage, Lead.created_at, Lead.updated_at, Lead.converted,
    Lead.converted_at, Lead.score,
)


def _chunks(values: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(values), _IN_CHUNK):
        yield values[start : start + _IN_CHUNK]


def _activities_by_lead(session: Session, lead_ids: Sequence[int] | None) -> dict[int, list[ActivityEvent]]:
    columns = (Activity.lead_id, Activity.kind, Activity.direction, Activity.occurred_at, Activity.detail)
    found: dict[int, list[ActivityEvent]] = defaultdict(list)
    queries = (
        [select(*columns)]
        if lead_ids is None
        else [select(*columns).where(Activity.lead_id.in_(chunk)) for chunk in _chunks(lead_ids)]
    )
    for query in queries:
        for lead_id, kind, direction, occurred_at, detail in session.execute(query.order_by(Activity.lead_id, Activity.occurred_at)):
            found[lead_id].append(ActivityEvent(kind, direction, occurred_at, detail))
    return found


def _closed_at_by_lead(session: Session, lead_ids: Sequence[int] | None) -> dict[int, datetime]:
    """When each lead's stage last became CUSTOMER or LOST, from the audit."""
    query = select(AuditEvent.lead_id, AuditEvent.at).where(
        and_(AuditEvent.field == "stage", AuditEvent.new_value.in_([Stage.CUSTOMER.value, Stage.LOST.value]))
    )
    found: dict[int, datetime] = {}
    queries = [query] if lead_ids is None else [query.where(AuditEvent.lead_id.in_(chunk)) for chunk in _chunks(lead_ids)]
    for q in queries:
        for lead_id, at in session.execute(q):
            if lead_id not in found or at > found[lead_id]:
                found[lead_id] = at
    return found


def lead_snapshots(
    session: Session,
    *,
    now: datetime,
    which: Literal["closed", "open", "all"] = "closed",
    lead_ids: Sequence[int] | None = None,
) -> list[LeadSnapshot]:
    """Snapshots of the store's leads (closed: converted is true or false), in id order."""
    query = select(*_LEAD_COLUMNS).order_by(Lead.id)
    if which == "closed":
        query = query.where(Lead.converted.is_not(None))
    elif which == "open":
        query = query.where(Lead.converted.is_(None))
    rows: list[Any] = []
    if lead_ids is None:
        rows = list(session.execute(query))
    else:
        for chunk in _chunks(sorted(set(lead_ids))):
            rows.extend(session.execute(query.where(Lead.id.in_(chunk))))
    # A few hundred ids are cheaper to fetch by id than a whole activity table.
    ids = [row.id for row in rows] if lead_ids is not None or len(rows) < 1000 else None
    activities = _activities_by_lead(session, ids)
    closed_at = _closed_at_by_lead(session, ids)
    snapshots = []
    for row in rows:
        events = activities.get(row.id, [])
        as_of = snapshot_time(row, events, now=now, closed_at=closed_at.get(row.id))
        snapshots.append(
            LeadSnapshot(
                lead_id=row.id,
                as_of=as_of,
                features=compute_features(row, events, as_of=as_of),
                converted=row.converted,
                created_at=row.created_at,
                converted_at=row.converted_at,
                score=row.score,
            )
        )
    return snapshots


def outcome_times(session: Session, *, now: datetime) -> dict[int, datetime]:
    """When each closed lead's outcome was decided (`snapshot_time`), without computing features."""
    rows = list(session.execute(select(*_LEAD_COLUMNS).where(Lead.converted.is_not(None))))
    last_activity = dict(
        session.execute(select(Activity.lead_id, func.max(Activity.occurred_at)).join(Lead, Lead.id == Activity.lead_id)
                        .where(Lead.converted.is_not(None)).group_by(Activity.lead_id)).all()
    )
    closed_at = _closed_at_by_lead(session, None)
    times = {}
    for row in rows:
        last = last_activity.get(row.id)
        events = [ActivityEvent("note", "outbound", last, None)] if last is not None else []
        times[row.id] = snapshot_time(row, events, now=now, closed_at=closed_at.get(row.id))
    return times


def lead_snapshot(session: Session, *, lead_id: int, now: datetime) -> LeadSnapshot:
    """One lead's snapshot (as of its outcome when closed, as of `now` when open)."""
    found = lead_snapshots(session, now=now, which="all", lead_ids=[lead_id])
    if not found:
        raise LookupError(f"no lead with id {lead_id}")
    return found[0]
