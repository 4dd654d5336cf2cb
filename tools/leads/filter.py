"""The typed lead filter the agent fills in: who is asking (`Viewer`) and which leads (`LeadFilter`).

The model (an LLM or the offline planner) never writes SQL: it fills in this validated object,
and tools/leads/filter_sql.py turns each field into a SQLAlchemy expression. Values are normalised
on the way in ("FinTech" -> fintech, "USA" -> US, "Website Form" -> website_form, "dach" -> DACH),
so an LLM's spelling does not change the answer. Every field also explains itself in
tools/leads/filter_words.py (`describe_filter`), the "filters applied" line people see.

Open by default: lists, counts and "who should I call" are about open leads (not won, not lost)
unless the filter says otherwise — `scope`, or naming a `stage` or `converted`. The schema below is
the documentation an LLM reads, so the rule is written into the `scope` field itself.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from leadpilot.memory.geo import EUROPE, REGION_COUNTRIES, country_code
from leadpilot.memory.vocab import ActivityKind, Channel, Stage, industry_slug, normalise_source

TierName = Literal["hot", "warm", "cold"]
SegmentName = Literal["enterprise", "mid-market", "smb", "micro"]
RegionName = Literal["NA", "EMEA", "APAC", "LATAM", "EUROPE", "MEA", "IBERIA", "GCC", "DACH", "NORDICS", "BENELUX", "ANZ", "UKI"]
SeniorityName = Literal["c-level", "vp", "director", "manager", "individual"]
ScopeName = Literal["open", "closed", "all"]
QualificationName = Literal["mql", "sql", "subscriber", "evangelist"]  # memory.lifecycle.QUALIFICATIONS

SCOPE_HELP = (
    "Which leads by lifecycle: 'open' (not won or lost: DISCOVERY, LEAD, PROSPECT, OPPORTUNITY), "
    "'closed' (won or lost: CUSTOMER, LOST) or 'all'. Omit it for the default: OPEN leads only, unless the "
    "filter names `stage` or `converted` (those then decide; an any_of alternative that names them decides "
    "for itself). Use 'all' for 'including closed', 'all time', 'ever', 'all leads ever'; 'closed' for closed "
    "deals; 'all' for a count of arrivals ('how many came in last month'). The result's closed_not_shown says how many closed leads the default left out. Conversion rates "
    "and the history reports (lead volume, conversion by tier, time to first contact, rep performance, "
    "attribution) read all leads unless scope is set."
)

_REGION_ALIASES = {"EU": "EUROPE", "EUROPEAN": "EUROPE", "NORDIC": "NORDICS", "NORTH AMERICA": "NA", "AMER": "NA", "AUNZ": "ANZ", "UK&I": "UKI",
                   "UK AND IRELAND": "UKI", "UK & IRELAND": "UKI", "LATIN AMERICA": "LATAM", "ASIA PACIFIC": "APAC",
                   "MIDDLE EAST AND AFRICA": "MEA", "MIDDLE EAST & AFRICA": "MEA", "ME&A": "MEA",
                   "IBERIAN PENINSULA": "IBERIA", "SPAIN AND PORTUGAL": "IBERIA", "GULF": "GCC"}
# The filter's regions: memory.geo's sales regions (routing's too) and the ones a question names but no
# routing rule does: MEA, the Middle East and Africa (EMEA outside Europe), and IBERIA (Spain, Portugal, Andorra).
_FILTER_REGIONS: dict[str, frozenset[str]] = {**REGION_COUNTRIES, "MEA": REGION_COUNTRIES["EMEA"] - EUROPE,
                                              "IBERIA": frozenset({"ES", "PT", "AD"}),
                                              "GCC": frozenset({"AE", "SA", "QA", "KW", "BH", "OM"})}  # the Gulf Cooperation Council


def filter_region_countries(region: str) -> frozenset[str]:
    """The ISO countries of a filter region (RegionName)."""
    return _FILTER_REGIONS[region]


_SENIORITY_ALIASES = {"c-suite": "c-level", "c level": "c-level", "clevel": "c-level", "cxo": "c-level",
                      "executive": "c-level", "vice president": "vp", "svp": "vp", "evp": "vp", "head": "director",
                      "ic": "individual", "individual contributor": "individual"}


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
    about: str | None = Field(
        None, min_length=2, max_length=60, description="Text the activity's detail contains (any case): 'chat' for a chat on the "
        "website (stored as an inbound email_sent), a subject word.",
    )
    min_count: int | None = Field(None, ge=1, le=100_000, description="At least this many such activities: 'visited 5+ times'.")
    min_days: int | None = Field(
        None, ge=1, le=3650, description="On at least this many different days: 'came back to the site on 10 or more days'.",
    )


class KeptField(BaseModel):
    """A column of the imported file that the store keeps as written (not one of the filter's own fields):
    "rating Active" is {column: 'Rating', values: ['Active']}."""

    model_config = ConfigDict(extra="forbid")

    column: str = Field(min_length=1, max_length=60, pattern=r"^[\w .&()/+#-]+$", description="The column's header, as the file wrote it.")
    values: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        min_length=1, max_length=20, description="Any of these values (any case, spacing or punctuation)."
    )


def _upper_list(values: list[str] | None, aliases: dict[str, str]) -> list[str] | None:
    if values is None:
        return None
    return [aliases.get(" ".join(str(v).upper().split()), " ".join(str(v).upper().split())) for v in values]


MAX_EMPLOYEES = 10_000_000  # more than any company has: a bigger number is a slip, not a size
MAX_ID = 2**63 - 1  # the largest id a database integer holds


class LeadConditions(BaseModel):
    """Conditions on one lead, all of which must hold. Lists mean "any of these values"; `not_*`
    fields exclude. Also the shape of one `any_of` alternative (which has no scope of its own)."""

    model_config = ConfigDict(extra="forbid")

    tier: list[TierName] | None = Field(None, description="Score tiers: hot, warm, cold.")
    industry: list[str] | None = Field(None, description="Industries, e.g. fintech, healthcare, saas, ecommerce.")
    not_industry: list[str] | None = Field(None, description="Industries to exclude.")
    country: list[str] | None = Field(None, description="Countries (ISO code or name).")
    not_country: list[str] | None = Field(None, description="Countries to exclude, e.g. ['US'] for 'outside the US'.")
    region: list[RegionName] | None = Field(
        None, description="Sales regions: NA, EMEA, APAC, LATAM, and within them EUROPE (the European countries: what "
        "'Europe' means; EMEA also holds the Middle East and Africa), MEA (the Middle East and Africa: EMEA outside Europe), IBERIA (ES, PT, AD), DACH (DE, AT, CH), NORDICS (SE, NO, DK, "
        "FI, IS), BENELUX (BE, NL, LU), UKI (GB, IE), ANZ (AU, NZ).",
    )
    not_region: list[RegionName] | None = Field(None, description="Sales regions to exclude.")
    state: list[str] | None = Field(None, description="States or provinces (code or name), e.g. CA, New York.")
    city: list[str] | None = Field(None, description="Cities, e.g. San Francisco, London.")
    not_city: list[str] | None = None
    segment: list[SegmentName] | None = Field(
        None, description="Company size bands: enterprise 1000+, mid-market 100-999, smb 10-99, micro 1-9 employees."
    )
    min_employees: int | None = Field(None, ge=0, le=MAX_EMPLOYEES, description="Company size at least this many employees.")
    max_employees: int | None = Field(None, ge=0, le=MAX_EMPLOYEES, description="Company size at most this many employees.")
    source: list[str] | None = Field(
        None, description="Lead sources as the team records them, e.g. website_form, linkedin_ads, email_campaign, "
        "referral, webinar (case and spacing do not matter). For a group of sources ('paid', 'events') use channel.",
    )
    not_source: list[str] | None = Field(None, description="Lead sources to exclude.")
    channel: list[Channel] | None = Field(
        None, description="Channel groups of the source: paid, organic, referral, event, partner, outbound, owned_media, other."
    )
    not_channel: list[Channel] | None = Field(None, description="Channel groups to exclude.")
    stage: list[Stage] | None = Field(
        None, description="Lifecycle stages: DISCOVERY, LEAD, PROSPECT, OPPORTUNITY, CUSTOMER (won), LOST. Naming a stage "
        "lifts the open-leads default.",
    )
    not_stage: list[Stage] | None = None
    qualification: list[QualificationName] | None = Field(
        None, description="MQL/SQL as the CRM's kept lifecycle value; if none kept, mql = LEAD stage, sql = PROSPECT.",
    )
    status: list[Annotated[str, Field(min_length=1, max_length=60)]] | None = Field(
        None, max_length=10, description="The CRM's own lead status as the imported file wrote it (e.g. 'Junk Lead', "
        "'Pre-Qualified'; any case, spacing or punctuation). Naming a status lifts the open-leads default.",
    )
    owner: list[str] | None = Field(
        None, description="Owners: rep emails or names, 'me' for the person asking, 'my team' for the reps of the asker's "
        "team in the roster, 'unassigned' for no owner."
    )
    seniority: list[SeniorityName] | None = Field(
        None, description="The contact's seniority, from the job title: c-level, vp, director, manager, individual."
    )
    department: list[str] | None = Field(
        None, description="The contact's department, from the job title, e.g. engineering, sales, marketing, finance, "
        "product, data, security, it, hr, legal, operations, customer success, executive.",
    )
    title: list[Annotated[str, Field(min_length=2, max_length=60)]] | None = Field(
        None, max_length=10, description="The contact's job title contains one of these texts (any case), for roles narrower than "
        "a department: ['fleet'] with seniority manager = fleet managers.",
    )
    has_phone: bool | None = Field(None, description="True: has a phone number. False: has none.")
    has_email: bool | None = Field(None, description="True: has an email address. False: has none.")
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
    closed_after: date | datetime | None = Field(
        None, description="Closed (won or lost) on or after this date: 'deals won last month', 'lost this quarter'. The "
        "close date is the won date (converted_at) when the store has one, else the lead's last update (the store keeps no "
        "separate date for a loss). Naming it means closed leads.",
    )
    closed_before: date | datetime | None = Field(None, description="Closed (won or lost) before this date; see closed_after.")
    activity: list[ActivityCondition] | None = Field(None, description="Activity facts, all must hold.")
    company: str | None = Field(
        None, description="Company name contains this text. A list by name alone shows the company's open leads, or — when "
        "it has none — its closed ones (the result says closed_instead).",
    )
    contact: str | None = Field(None, description="Contact (person) name contains this text; like company for a name alone.")
    converted: bool | None = Field(
        None, description="Historical outcome: True won, False lost. Naming it lifts the open-leads default."
    )
    lead_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] | None = Field(None, description="Only these lead ids.")
    kept: list[KeptField] | None = Field(
        None, max_length=5, description="Columns of the imported CRM file the store keeps as written, e.g. Zoho's Rating: "
        "[{column: 'Rating', values: ['Active']}] (all must hold).",
    )
    # A deal's own facets as the CRM wrote them (memory.crm_facets: Pipedrive's Deal - Value / Label / Lost reason / Pipeline).
    crm_label: list[Annotated[str, Field(min_length=1, max_length=40)]] | None = Field(
        None, max_length=10, description="The team's own CRM label or rating (Pipedrive Deal - Label, Salesforce / Zoho Rating), e.g. "
        "['Hot']: NOT Leadpilot's score `tier`. 'hot deals' means it only where the team's data keeps such a label; "
        "'score tier hot' / 'scored hot' is always `tier`, 'labelled hot' / 'rated hot' always this.",
    )
    deal_value_min: float | None = Field(None, ge=0, description="The deal's value (Pipedrive Deal - Value, an Amount) is at least this: "
                                         "'20k+', 'at least 20k' = 20000. A deal with no value matches no deal_value bound.")
    deal_value_max: float | None = Field(None, ge=0, description="The deal's value is at most this: 'up to 500', '0 eur / no value set' = 0.")
    deal_value_over: float | None = Field(None, ge=0, description="The deal's value is more than this: 'over 20k', 'worth more than 10k'.")
    deal_value_under: float | None = Field(None, ge=0, description="The deal's value is less than this: 'under 500 euros', 'below 1k'.")
    lost_reason: list[Annotated[str, Field(min_length=2, max_length=60)]] | None = Field(
        None, max_length=10, description="Words the CRM's lost reason contains, any of them ('price', 'competitor', 'ghosted'); "
        "means lost deals (lifts the open-leads default).",
    )
    pipeline: list[Annotated[str, Field(min_length=2, max_length=60)]] | None = Field(
        None, max_length=10, description="The deal's pipeline as the CRM names it ('Expansion', 'New business'; any case or spacing).",
    )

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

    @field_validator("region", "not_region", mode="before")
    @classmethod
    def _regions(cls, values: Any) -> Any:
        return _upper_list(values, _REGION_ALIASES) if isinstance(values, list) else values

    @field_validator("city", "not_city")
    @classmethod
    def _cities(cls, values: list[str] | None) -> list[str] | None:
        if values is None:
            return None
        return [CITY_ALIASES.get(v.strip().lower(), v.strip()) for v in values if v.strip()]

    @field_validator("source", "not_source")
    @classmethod
    def _sources(cls, values: list[str] | None) -> list[str] | None:
        if values is None:
            return None
        return sorted({normalise_source(v) for v in values if v.strip()}) or None

    @field_validator("channel", "not_channel", mode="before")
    @classmethod
    def _channels(cls, values: Any) -> Any:
        if not isinstance(values, list):
            return values
        return [normalise_source(v) if isinstance(v, str) else v for v in values]

    @field_validator("seniority", mode="before")
    @classmethod
    def _seniorities(cls, values: Any) -> Any:
        if not isinstance(values, list):
            return values
        cleaned = [" ".join(v.lower().split()) if isinstance(v, str) else v for v in values]
        return [_SENIORITY_ALIASES.get(v, v) if isinstance(v, str) else v for v in cleaned]

    @field_validator("department")
    @classmethod
    def _departments(cls, values: list[str] | None) -> list[str] | None:
        if values is None:
            return None
        return sorted({" ".join(v.lower().replace("_", " ").split()) for v in values if v.strip()}) or None

    @field_validator("title")
    @classmethod
    def _titles(cls, values: list[str] | None) -> list[str] | None:
        if values is None:
            return None
        return sorted({" ".join(v.lower().split()) for v in values if v.strip()}) or None

    @field_validator("owner")
    @classmethod
    def _owners(cls, values: list[str] | None) -> list[str] | None:
        if values is None:
            return None
        return [v.strip().lower() if "@" in v or v.strip().lower() in ("me", "my team", "unassigned") else v.strip() for v in values]

    @model_validator(mode="after")
    def _consistent_ranges(self) -> LeadConditions:
        for low, high in (("min_employees", "max_employees"), ("min_score", "max_score"), ("min_probability", "max_probability"),
                         ("deal_value_min", "deal_value_max")):
            lo, hi = getattr(self, low), getattr(self, high)
            if lo is not None and hi is not None and lo > hi:
                raise ValueError(f"{low} ({lo}) is above {high} ({hi})")
        return self

    def is_empty(self) -> bool:
        return not self.model_dump(exclude_none=True)


class LeadFilter(LeadConditions):
    """Which leads: the conditions (all must hold), at least one `any_of` alternative, and the
    lifecycle `scope` (open leads by default)."""

    scope: ScopeName | None = Field(None, description=SCOPE_HELP)
    any_of: list[LeadConditions] | None = Field(
        None, description="Leads matching at least one of these alternatives (each a set of conditions that must all "
        "hold), ANDed with the other fields: 'fintech or anything in London' = [{industry: [fintech]}, {city: [London]}]. "
        "An alternative has no scope or any_of of its own.",
    )

    @field_validator("any_of", mode="before")
    @classmethod
    def _flat_alternatives(cls, values: Any) -> Any:
        if not isinstance(values, list):
            return values
        for alternative in values:
            nested = alternative.model_dump(exclude_none=True) if isinstance(alternative, BaseModel) else alternative
            if isinstance(nested, dict) and ({"scope", "any_of"} & {k for k, v in nested.items() if v is not None}):
                raise ValueError("an any_of alternative cannot have its own scope or any_of; set scope on the outer filter")
            if isinstance(nested, dict) and not {k for k, v in nested.items() if v is not None}:
                raise ValueError("an any_of alternative is empty (it would match every lead); drop it or give it a condition")
        return [
            LeadConditions.model_validate(a.model_dump(exclude_none=True)) if isinstance(a, LeadFilter) else a for a in values
        ]

    @field_validator("any_of")
    @classmethod
    def _no_empty_any_of(cls, values: list[LeadConditions] | None) -> list[LeadConditions] | None:
        return values or None


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


def names_lifecycle(conditions: LeadConditions) -> bool:
    """Whether these conditions say which lifecycle they want (a stage, won / lost, or a close date)."""
    return (bool(conditions.stage) or bool(conditions.qualification) or bool(conditions.status) or conditions.converted is not None
            or closes(conditions) or bool(conditions.lost_reason))


def closes(conditions: LeadConditions) -> bool:
    """Whether these conditions name a close date (so they are about closed leads)."""
    return conditions.closed_after is not None or conditions.closed_before is not None


def open_by_default(lead_filter: LeadFilter, default_scope: ScopeName = "open") -> bool:
    """Whether the open-leads default narrows this filter: no scope, the default is "open", the
    filter names no stage or outcome, and neither do all of its any_of alternatives."""
    if lead_filter.scope is not None or default_scope != "open" or names_lifecycle(lead_filter):
        return False
    return not lead_filter.any_of or not all(names_lifecycle(a) for a in lead_filter.any_of)

