"""The typed lead filter the agent fills in, and its compilation to SQLAlchemy conditions.

The model (an LLM or the offline planner) never writes SQL: it fills in this validated object,
and the code below turns each field into a SQLAlchemy expression. Values are normalised on the
way in ("FinTech" -> fintech, "USA" -> US, "California" -> CA), so an LLM's spelling does not
change the answer. Every field also explains itself in `describe_filter`, the "filters applied"
line people see next to the answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import ColumnElement, and_, exists, false, func, not_, or_, select, true

from leadpilot.memory.geo import REGION_COUNTRIES, country_code, state_code
from leadpilot.memory.models import Activity, Lead, Rep
from leadpilot.memory.vocab import OPEN_STAGES, SEGMENTS, ActivityKind, Source, Stage, industry_label, industry_slug

TierName = Literal["hot", "warm", "cold"]
SegmentName = Literal["enterprise", "mid-market", "smb", "micro"]
RegionName = Literal["NA", "EMEA", "APAC", "LATAM"]


class Viewer(BaseModel):
    """Who is asking. Travels in the deps of every run; the model cannot change it."""

    model_config = ConfigDict(frozen=True)

    email: str | None = None
    rep_id: int | None = None
    role: Literal["admin", "manager", "rep"] = "admin"
    name: str | None = None

    @property
    def sees_everything(self) -> bool:
        return self.role in ("admin", "manager")


class ActivityCondition(BaseModel):
    """A fact about a lead's activity: "opened an email", "visited pricing in the last 7 days"."""

    model_config = ConfigDict(extra="forbid")

    kind: ActivityKind = Field(description="Which activity: email_opened, email_clicked, page_view, form_submit, meeting, call, email_sent, note.")
    page: str | None = Field(
        None, description="For page views and forms: a path, or the word a path segment starts with, e.g. 'pricing' (/pricing)."
    )
    within_days: int | None = Field(None, ge=1, le=3650, description="Only activity in the last N days.")
    since: date | None = Field(None, description="Only activity on or after this date.")
    before: date | None = Field(None, description="Only activity before this date.")
    absent: bool = Field(False, description="True for 'did NOT ...' (no such activity).")


class LeadFilter(BaseModel):
    """Conditions on leads. Every field is optional; lists mean "any of"; `not_*` fields exclude."""

    model_config = ConfigDict(extra="forbid")

    tier: list[TierName] | None = Field(None, description="Score tiers: hot, warm, cold.")
    industry: list[str] | None = Field(None, description="Industries, e.g. fintech, healthcare, saas, ecommerce.")
    not_industry: list[str] | None = Field(None, description="Industries to exclude.")
    country: list[str] | None = Field(None, description="Countries (ISO code or name).")
    not_country: list[str] | None = Field(None, description="Countries to exclude, e.g. ['US'] for 'outside the US'.")
    region: list[RegionName] | None = Field(None, description="Sales regions: NA, EMEA, APAC, LATAM.")
    not_region: list[RegionName] | None = None
    state: list[str] | None = Field(None, description="States or provinces (code or name), e.g. CA, New York.")
    city: list[str] | None = Field(None, description="Cities, e.g. San Francisco, London.")
    not_city: list[str] | None = None
    segment: list[SegmentName] | None = Field(
        None, description="Company size bands: enterprise 1000+, mid-market 100-999, smb 10-99, micro 1-9 employees."
    )
    min_employees: int | None = Field(None, ge=0, description="Company size at least this many employees.")
    max_employees: int | None = Field(None, ge=0, description="Company size at most this many employees.")
    source: list[Source] | None = Field(None, description="Lead sources.")
    not_source: list[Source] | None = None
    stage: list[Stage] | None = Field(None, description="Lifecycle stages.")
    not_stage: list[Stage] | None = None
    open_only: bool | None = Field(None, description="Only open leads (not CUSTOMER or LOST).")
    owner: list[str] | None = Field(
        None, description="Owners: rep emails or names, 'me' for the person asking, 'unassigned' for no owner."
    )
    min_score: int | None = Field(None, ge=0, le=1000)
    max_score: int | None = Field(None, ge=0, le=1000)
    min_probability: float | None = Field(None, ge=0, le=1, description="Predicted conversion probability (0-1).")
    max_probability: float | None = Field(None, ge=0, le=1)
    created_within_days: int | None = Field(None, ge=0, le=3650, description="Created in the last N days.")
    created_after: date | datetime | None = Field(None, description="Created on or after this date.")
    created_before: date | datetime | None = Field(None, description="Created before this date.")
    not_contacted_in_days: int | None = Field(
        None, ge=0, le=3650, description="No outbound contact in the last N days; includes never contacted."
    )
    never_contacted: bool | None = Field(None, description="True: never contacted. False: contacted at least once.")
    contacted_within_days: int | None = Field(None, ge=0, le=3650, description="Contacted in the last N days.")
    not_contacted_since: date | datetime | None = Field(
        None, description="No outbound contact since this date (includes never contacted)."
    )
    contacted_since: date | datetime | None = Field(None, description="Contacted on or after this date.")
    activity: list[ActivityCondition] | None = Field(None, description="Activity facts, all must hold.")
    company: str | None = Field(None, description="Company name contains this text.")
    converted: bool | None = Field(None, description="Historical outcome: converted (won) or not.")
    lead_ids: list[int] | None = Field(None, description="Only these lead ids.")

    @field_validator("industry", "not_industry")
    @classmethod
    def _industries(cls, values: list[str] | None) -> list[str] | None:
        if values is None:
            return None
        return sorted({industry_slug(v) for v in values if v.strip()}) or None

    @field_validator("country", "not_country")
    @classmethod
    def _countries(cls, values: list[str] | None) -> list[str] | None:
        if values is None:
            return None
        codes = []
        for value in values:
            code = country_code(value)
            if code is None:
                raise ValueError(f"unknown country {value!r}; use an ISO code like US, GB, DE or a country name")
            codes.append(code)
        return sorted(set(codes))

    @field_validator("city", "not_city")
    @classmethod
    def _cities(cls, values: list[str] | None) -> list[str] | None:
        if values is None:
            return None
        return [CITY_ALIASES.get(v.strip().lower(), v.strip()) for v in values if v.strip()]

    @field_validator("owner")
    @classmethod
    def _owners(cls, values: list[str] | None) -> list[str] | None:
        if values is None:
            return None
        return [v.strip().lower() if "@" in v or v.strip().lower() in ("me", "unassigned") else v.strip() for v in values]

    @model_validator(mode="after")
    def _consistent_ranges(self) -> LeadFilter:
        for low, high in (("min_employees", "max_employees"), ("min_score", "max_score"), ("min_probability", "max_probability")):
            lo, hi = getattr(self, low), getattr(self, high)
            if lo is not None and hi is not None and lo > hi:
                raise ValueError(f"{low} ({lo}) is above {high} ({hi})")
        return self

    def is_empty(self) -> bool:
        return not self.model_dump(exclude_none=True)


# Short names people use for cities.
CITY_ALIASES: dict[str, str] = {
    "sf": "San Francisco",
    "san fran": "San Francisco",
    "bay area": "San Francisco",
    "nyc": "New York",
    "new york city": "New York",
    "ny": "New York",
    "la": "Los Angeles",
    "dc": "Washington",
    "cdmx": "Mexico City",
    "sao paulo": "São Paulo",
    "bengaluru": "Bangalore",
    "muenchen": "Munich",
    "münchen": "Munich",
}


def _as_datetime(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return datetime.combine(value, time.min, tzinfo=timezone.utc)


def _states(values: list[str], countries: list[str] | None) -> list[str]:
    """State codes for names, looked up in the filtered countries (default US, then CA, AU)."""
    result: set[str] = set()
    for value in values:
        result.add(value.strip())
        for country in countries or ["US", "CA", "AU"]:
            code = state_code(value, country)
            if code:
                result.add(code)
    return sorted(result)


def _size_condition(segments: list[str]) -> ColumnElement[bool]:
    bands = {name: (low, high) for name, low, high in SEGMENTS}
    parts = []
    for segment in segments:
        low, high = bands[segment]
        parts.append(Lead.company_size >= low if high is None else Lead.company_size.between(low, high))
    return or_(*parts)


def _activity_condition(condition: ActivityCondition, now: datetime) -> ColumnElement[bool]:
    clauses = [Activity.lead_id == Lead.id, Activity.kind == condition.kind.value]
    if condition.page:
        # The start of a path segment: "pricing" is /pricing, not /blog/usage-based-pricing-guide.
        page = condition.page.strip().lower().strip("/")
        detail = func.lower(Activity.detail)
        clauses.append(or_(detail == page, detail.contains("/" + page, autoescape=True)))
    if condition.within_days is not None:
        clauses.append(Activity.occurred_at >= now - timedelta(days=condition.within_days))
    if condition.since is not None:
        clauses.append(Activity.occurred_at >= _as_datetime(condition.since))
    if condition.before is not None:
        clauses.append(Activity.occurred_at < _as_datetime(condition.before))
    found = exists(select(Activity.id).where(*clauses))
    return not_(found) if condition.absent else found


@dataclass(frozen=True)
class CompiledFilter:
    conditions: list[ColumnElement[bool]]
    problems: list[str]  # things that could not be applied, said to the person, never silently ignored


def visibility_condition(viewer: Viewer) -> ColumnElement[bool]:
    """What a viewer may see: admins and managers everything; a rep their own and unassigned leads."""
    if viewer.sees_everything:
        return true()
    if viewer.rep_id is None:
        return false()
    return or_(Lead.owner_id == viewer.rep_id, Lead.owner_id.is_(None))


def compile_filter(lead_filter: LeadFilter, *, now: datetime, viewer: Viewer, owner_ids: dict[str, int]) -> CompiledFilter:
    """SQLAlchemy conditions for `lead_filter`, ANDed with what the viewer may see.

    `owner_ids` maps lower-case rep emails and names to rep ids (for the owner field).
    """
    f = lead_filter
    c: list[ColumnElement[bool]] = [visibility_condition(viewer)]
    problems: list[str] = []

    if f.tier:
        c.append(Lead.tier.in_(f.tier))
    if f.industry:
        c.append(Lead.industry.in_(f.industry))
    if f.not_industry:
        c.append(or_(Lead.industry.is_(None), Lead.industry.not_in(f.not_industry)))
    if f.country:
        c.append(Lead.country.in_(f.country))
    if f.not_country:
        c.append(or_(Lead.country.is_(None), Lead.country.not_in(f.not_country)))
    if f.region:
        c.append(Lead.country.in_(sorted(set().union(*(REGION_COUNTRIES[r] for r in f.region)))))
    if f.not_region:
        excluded = sorted(set().union(*(REGION_COUNTRIES[r] for r in f.not_region)))
        c.append(or_(Lead.country.is_(None), Lead.country.not_in(excluded)))
    if f.state:
        c.append(Lead.state.in_(_states(f.state, f.country)))
    if f.city:
        c.append(func.lower(Lead.city).in_([city.lower() for city in f.city]))
    if f.not_city:
        c.append(or_(Lead.city.is_(None), func.lower(Lead.city).not_in([city.lower() for city in f.not_city])))
    if f.segment:
        c.append(_size_condition(f.segment))
    if f.min_employees is not None:
        c.append(Lead.company_size >= f.min_employees)
    if f.max_employees is not None:
        c.append(Lead.company_size <= f.max_employees)
    if f.source:
        c.append(Lead.source.in_([s.value for s in f.source]))
    if f.not_source:
        c.append(Lead.source.not_in([s.value for s in f.not_source]))
    if f.stage:
        c.append(Lead.stage.in_([s.value for s in f.stage]))
    if f.not_stage:
        c.append(Lead.stage.not_in([s.value for s in f.not_stage]))
    if f.open_only:
        c.append(Lead.stage.in_([s.value for s in OPEN_STAGES]))
    if f.owner:
        owner_parts: list[ColumnElement[bool]] = []
        for owner in f.owner:
            if owner == "me":
                if viewer.rep_id is None:
                    problems.append("'my leads' needs to know which rep you are, and you are not linked to a rep")
                    owner_parts.append(false())
                else:
                    owner_parts.append(Lead.owner_id == viewer.rep_id)
            elif owner == "unassigned":
                owner_parts.append(Lead.owner_id.is_(None))
            elif (rep_id := owner_ids.get(owner.lower())) is not None:
                owner_parts.append(Lead.owner_id == rep_id)
            else:
                problems.append(f"there is no rep called {owner!r}")
                owner_parts.append(false())
        c.append(or_(*owner_parts))
    if f.min_score is not None:
        c.append(Lead.score >= f.min_score)
    if f.max_score is not None:
        c.append(Lead.score <= f.max_score)
    if f.min_probability is not None:
        c.append(Lead.conversion_probability >= f.min_probability)
    if f.max_probability is not None:
        c.append(Lead.conversion_probability <= f.max_probability)
    if f.created_within_days is not None:
        c.append(Lead.created_at >= now - timedelta(days=f.created_within_days))
    if f.created_after is not None:
        c.append(Lead.created_at >= _as_datetime(f.created_after))
    if f.created_before is not None:
        c.append(Lead.created_at < _as_datetime(f.created_before))
    if f.not_contacted_in_days is not None:
        cutoff = now - timedelta(days=f.not_contacted_in_days)
        c.append(or_(Lead.last_contacted_at.is_(None), Lead.last_contacted_at < cutoff))
    if f.never_contacted is True:
        c.append(Lead.last_contacted_at.is_(None))
    elif f.never_contacted is False:
        c.append(Lead.last_contacted_at.is_not(None))
    if f.contacted_within_days is not None:
        c.append(Lead.last_contacted_at >= now - timedelta(days=f.contacted_within_days))
    if f.not_contacted_since is not None:
        c.append(or_(Lead.last_contacted_at.is_(None), Lead.last_contacted_at < _as_datetime(f.not_contacted_since)))
    if f.contacted_since is not None:
        c.append(Lead.last_contacted_at >= _as_datetime(f.contacted_since))
    for condition in f.activity or []:
        c.append(_activity_condition(condition, now))
    if f.company:
        c.append(func.lower(Lead.company).contains(f.company.strip().lower(), autoescape=True))
    if f.converted is not None:
        c.append(Lead.converted.is_(f.converted))
    if f.lead_ids is not None:
        c.append(Lead.id.in_(f.lead_ids))
    return CompiledFilter(conditions=[and_(*c)], problems=problems)


def owner_lookup(session) -> dict[str, int]:
    """Lower-case rep emails, full names and first names -> rep id (first names only when unique)."""
    lookup: dict[str, int] = {}
    first_names: dict[str, list[int]] = {}
    for rep_id, email, name in session.execute(select(Rep.id, Rep.email, Rep.name)):
        lookup[email.lower()] = rep_id
        lookup[name.lower()] = rep_id
        first_names.setdefault(name.split()[0].lower(), []).append(rep_id)
    for first, ids in first_names.items():
        if len(ids) == 1:
            lookup.setdefault(first, ids[0])
    return lookup


def describe_filter(lead_filter: LeadFilter) -> list[str]:
    """Plain-language lines for each condition applied, e.g. "tier: hot", "not contacted in 3 days"."""
    f = lead_filter
    lines: list[str] = []

    def names(values) -> str:
        return " or ".join(str(getattr(v, "value", v)) for v in values)

    if f.tier:
        lines.append(f"tier: {names(f.tier)}")
    if f.industry:
        lines.append("industry: " + " or ".join(industry_label(i) for i in f.industry))
    if f.not_industry:
        lines.append("industry not " + " or ".join(industry_label(i) for i in f.not_industry))
    if f.country:
        lines.append(f"country: {names(f.country)}")
    if f.not_country:
        lines.append(f"country not {names(f.not_country)}")
    if f.region:
        lines.append(f"region: {names(f.region)}")
    if f.not_region:
        lines.append(f"region not {names(f.not_region)}")
    if f.state:
        lines.append(f"state: {names(f.state)}")
    if f.city:
        lines.append(f"city: {names(f.city)}")
    if f.not_city:
        lines.append(f"city not {names(f.not_city)}")
    if f.segment:
        lines.append(f"company size: {names(f.segment)}")
    if f.min_employees is not None:
        lines.append(f"at least {f.min_employees:,} employees")
    if f.max_employees is not None:
        lines.append(f"at most {f.max_employees:,} employees")
    if f.source:
        lines.append(f"source: {names(f.source)}")
    if f.not_source:
        lines.append(f"source not {names(f.not_source)}")
    if f.stage:
        lines.append(f"stage: {names(f.stage)}")
    if f.not_stage:
        lines.append(f"stage not {names(f.not_stage)}")
    if f.open_only:
        lines.append("open leads only")
    if f.owner:
        lines.append(f"owner: {names(f.owner)}")
    if f.min_score is not None:
        lines.append(f"score ≥ {f.min_score}")
    if f.max_score is not None:
        lines.append(f"score ≤ {f.max_score}")
    if f.min_probability is not None:
        lines.append(f"conversion probability ≥ {f.min_probability:.0%}")
    if f.max_probability is not None:
        lines.append(f"conversion probability ≤ {f.max_probability:.0%}")
    if f.created_within_days is not None:
        lines.append(f"created in the last {f.created_within_days} days")
    if f.created_after is not None:
        lines.append(f"created since {f.created_after.isoformat()[:10]}")
    if f.created_before is not None:
        lines.append(f"created before {f.created_before.isoformat()[:10]}")
    if f.not_contacted_in_days is not None:
        lines.append(f"not contacted in {f.not_contacted_in_days} days (including never)")
    if f.never_contacted is True:
        lines.append("never contacted")
    elif f.never_contacted is False:
        lines.append("contacted at least once")
    if f.contacted_within_days is not None:
        lines.append(f"contacted in the last {f.contacted_within_days} days")
    if f.not_contacted_since is not None:
        lines.append(f"not contacted since {f.not_contacted_since.isoformat()[:10]} (including never)")
    if f.contacted_since is not None:
        lines.append(f"contacted since {f.contacted_since.isoformat()[:10]}")
    for condition in f.activity or []:
        what = condition.kind.value.replace("_", " ")
        if condition.page:
            what += f" of {condition.page}"
        when = f" in the last {condition.within_days} days" if condition.within_days else ""
        if condition.since:
            when += f" since {condition.since.isoformat()}"
        if condition.before:
            when += f" before {condition.before.isoformat()}"
        lines.append(("no " if condition.absent else "") + what + when)
    if f.company:
        lines.append(f"company contains {f.company!r}")
    if f.converted is not None:
        lines.append("converted" if f.converted else "not converted")
    if f.lead_ids is not None:
        lines.append(f"leads {', '.join(map(str, f.lead_ids[:10]))}{'...' if len(f.lead_ids) > 10 else ''}")
    return lines
