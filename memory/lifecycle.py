"""The lifecycle values CRMs export, what the store keeps of them, and MQL/SQL as a facet.

A lead's `stage` is one of the store's stages (memory.vocab.Stage; a spelling is read by
memory.vocab.parse_stage). When the team's own value differs from the stage's name, the value is
kept as given in `extra.stage_raw` (memory.lead_record.STAGE_RAW_KEY) and export writes it back,
so "Marketing Qualified Lead" survives export -> import -> export. The table below is the
documented mapping (tests/test_user_values.py checks parse_stage agrees with it):

| CRM value (HubSpot lifecycle stage, internal name / label; Salesforce lead status) | stage | qualification |
|---|---|---|
| subscriber / Subscriber                                  | LEAD        | subscriber |
| lead / Lead; Salesforce Open - Not Contacted             | LEAD        |            |
| marketingqualifiedlead / Marketing Qualified Lead, MQL   | LEAD        | mql        |
| salesqualifiedlead / Sales Qualified Lead, SQL           | PROSPECT    | sql        |
| Salesforce Working - Contacted                           | PROSPECT    |            |
| opportunity / Opportunity; Qualified                     | OPPORTUNITY |            |
| customer / Customer; Closed Won; Salesforce Closed - Converted | CUSTOMER (converted=True) | |
| evangelist / Evangelist                                  | CUSTOMER (converted=True) | evangelist |
| Closed Lost; Salesforce Closed - Not Converted, Unqualified | LOST (converted=False) | |
| Zoho CRM Not Contacted, Attempted to Contact, Contact in Future | LEAD      |            |
| Zoho CRM Contacted, Pre-Qualified                        | PROSPECT    |            |
| Zoho CRM Junk Lead, Lost Lead, Not Qualified             | LOST (converted=False) | |
| other / Other, anything else                             | LEAD, with a warning | |

A Zoho CRM lead keeps its last status when it is converted: a record with Converted = true on an
open status is won (CUSTOMER; memory.lead_record), its status kept as written.

A deal export (Pipedrive "Deals": a `deal_status` beside the pipeline stage) says open or closed in
its status and where the deal is (or closed) in its stage. The status decides: won is CUSTOMER
(converted, at "Won time"), lost is LOST (closed at "Lost time"), whatever stage it closed in; an
open deal's stage is read from Pipedrive's default pipeline, the stage kept as written either way:

| Pipedrive deal (status / stage)                          | stage       |
|---|---|
| won, any stage                                           | CUSTOMER (converted=True) |
| lost, any stage                                          | LOST (converted=False) |
| open: Lead In, Qualified                                 | LEAD        |
| open: Contact Made, Needs Defined, Demo Scheduled        | PROSPECT    |
| open: Proposal Made, Negotiations Started                | OPPORTUNITY |
| open: another stage (a team's own pipeline)              | as any stage spelling, else LEAD with a warning |

A contact export with a status within each lifecycle stage (Freshsales: "Lifecycle stage" Lead /
Sales Qualified Lead / Customer, and "Status" within it) reads the lifecycle stage as above; the
status closes the contact whatever its stage, and an open status that says a deal is on the table
moves it forward (never back). The status is kept as written in `extra.stage_raw` (the team's finer
word), the lifecycle stage in `extra.lifecycle_raw`:

| Freshsales lifecycle stage / status                      | stage       |
|---|---|
| any / Won (a closed-won spelling: Closed Won, Converted)  | CUSTOMER (converted=True) |
| any / Lost, Unqualified (Disqualified, Junk Lead, Closed Lost, ...) | LOST (converted=False) |
| Lead / New, Contacted, Interested, any open status       | LEAD        |
| Sales Qualified Lead / Qualified, Demo Done, any open status | PROSPECT |
| Lead or Sales Qualified Lead / Negotiation, Proposal     | OPPORTUNITY |
| Customer / an open status                                | CUSTOMER (converted=True) |
| no lifecycle stage / an open status                      | as any stage spelling, else LEAD with a warning |

"MQLs" are the leads whose `qualification_condition("mql")` holds: stage LEAD and a kept
spelling (extra.stage_raw) that says marketing-qualified, or an open lead whose lifecycle_raw says
so (compared letters-only, any case).
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.orm import aliased

from leadpilot.memory.models import Lead
from leadpilot.memory.vocab import OPEN_STAGES, Stage

# Qualification -> (the store's stage, the kept spellings that say it, letters only, lower case).
QUALIFICATIONS: dict[str, tuple[Stage, tuple[str, ...]]] = {
    "subscriber": (Stage.LEAD, ("subscriber",)),
    "mql": (Stage.LEAD, ("marketingqualifiedlead", "mql")),
    "sql": (Stage.PROSPECT, ("salesqualifiedlead", "sql")),
    "evangelist": (Stage.CUSTOMER, ("evangelist",)),
}
# The HubSpot lifecycle stages' internal names and the store stage each is read as.
HUBSPOT_LIFECYCLE: dict[str, Stage] = {
    "subscriber": Stage.LEAD, "lead": Stage.LEAD, "marketingqualifiedlead": Stage.LEAD,
    "salesqualifiedlead": Stage.PROSPECT, "opportunity": Stage.OPPORTUNITY, "customer": Stage.CUSTOMER,
    "evangelist": Stage.CUSTOMER, "other": Stage.LEAD,
}
# Salesforce's default lead statuses.
SALESFORCE_LEAD_STATUS: dict[str, Stage] = {
    "Open - Not Contacted": Stage.LEAD, "Working - Contacted": Stage.PROSPECT,
    "Closed - Converted": Stage.CUSTOMER, "Closed - Not Converted": Stage.LOST,
}
# Zoho CRM's default Lead Status picklist.
ZOHO_LEAD_STATUS: dict[str, Stage] = {
    "Not Contacted": Stage.LEAD, "Attempted to Contact": Stage.LEAD, "Contact in Future": Stage.LEAD,
    "Contacted": Stage.PROSPECT, "Pre-Qualified": Stage.PROSPECT,
    "Not Qualified": Stage.LOST, "Junk Lead": Stage.LOST, "Lost Lead": Stage.LOST,
}


# Pipedrive's default pipeline stages, for an open deal (a won or lost deal's status decides).
PIPEDRIVE_DEAL_STAGES: dict[str, Stage] = {
    "Lead In": Stage.LEAD, "Qualified": Stage.LEAD, "Contact Made": Stage.PROSPECT, "Needs Defined": Stage.PROSPECT,
    "Demo Scheduled": Stage.PROSPECT, "Proposal Made": Stage.OPPORTUNITY, "Negotiations Started": Stage.OPPORTUNITY,
}
# A deal's status as the store reads it: closed (CUSTOMER, LOST) or open (None: the stage says where).
DEAL_STATUSES: dict[str, Stage | None] = {"open": None, "won": Stage.CUSTOMER, "lost": Stage.LOST}
# A contact's open status that moves it past its lifecycle stage (a deal on the table); closing statuses: `contact_status_stage`.
CONTACT_STATUS_FORWARD: dict[str, Stage] = {
    "Negotiation": Stage.OPPORTUNITY, "In Negotiation": Stage.OPPORTUNITY, "Proposal": Stage.OPPORTUNITY,
    "Proposal Sent": Stage.OPPORTUNITY,
}
_ORDER = {stage: rank for rank, stage in enumerate((Stage.DISCOVERY, Stage.LEAD, Stage.PROSPECT, Stage.OPPORTUNITY))}


def lifecycle_key(raw: str) -> str:
    """A lifecycle spelling compared letters-only: "Marketing Qualified Lead" -> marketingqualifiedlead."""
    return "".join(char for char in raw.lower() if char.isalnum())


_CRM_STATUS: dict[str, Stage] = {
    lifecycle_key(raw): stage for table in (SALESFORCE_LEAD_STATUS, ZOHO_LEAD_STATUS) for raw, stage in table.items()
}


_DEAL_STAGE: dict[str, Stage] = {lifecycle_key(raw): stage for raw, stage in PIPEDRIVE_DEAL_STAGES.items()}
_CONTACT_FORWARD: dict[str, Stage] = {lifecycle_key(raw): stage for raw, stage in CONTACT_STATUS_FORWARD.items()}


def deal_pipeline_stage(raw: str) -> Stage | None:
    """The stage an open deal at this pipeline stage is in (Pipedrive's default pipeline), or None."""
    return _DEAL_STAGE.get(lifecycle_key(raw))


def contact_status_stage(status: str, lifecycle: str | None) -> Stage | None:
    """The stage of a contact at `lifecycle` (its lifecycle stage, any spelling) with `status` within it
    (the module's Freshsales table); None when neither says a stage."""
    from leadpilot.memory.vocab import parse_stage

    said = parse_stage(status) or crm_status_stage(status) or deal_pipeline_stage(status)
    if said in (Stage.CUSTOMER, Stage.LOST):
        return said  # a closing status decides
    base = (parse_stage(lifecycle) or crm_status_stage(lifecycle)) if lifecycle else None
    forward = _CONTACT_FORWARD.get(lifecycle_key(status))
    if forward is not None and (base is None or _ORDER.get(base, 99) < _ORDER[forward]):
        return forward
    return base if lifecycle else said


def crm_status_stage(raw: str) -> Stage | None:
    """The stage a CRM's default lead status stands for (Salesforce, Zoho CRM; any case, spacing or
    punctuation: "Pre-Qualified", "pre qualified"), or None."""
    return _CRM_STATUS.get(lifecycle_key(raw))


def qualification_of(stage: str | None, stage_raw: str | None) -> str | None:
    """subscriber | mql | sql | evangelist for a lead's stage and kept spelling, else None."""
    if not stage_raw:
        return None
    key = lifecycle_key(stage_raw)
    for name, (wanted, spellings) in QUALIFICATIONS.items():
        if stage == wanted.value and key in spellings:
            return name
    return None


def qualification_condition(name: str) -> ColumnElement[bool]:
    """SQL for "the lead is an MQL" (name: a QUALIFICATIONS key), on SQLite and PostgreSQL."""
    stage, spellings = QUALIFICATIONS[name]
    # Beside a contact status the lifecycle stage is kept apart: an SQL in negotiation (OPPORTUNITY) is still an SQL.
    at_stage = Lead.stage.in_([s.value for s in OPEN_STAGES]) if stage in OPEN_STAGES else Lead.stage == stage.value
    return or_(and_(Lead.stage == stage.value, _kept_key().in_(spellings)), and_(at_stage, _kept_key("lifecycle_raw").in_(spellings)))


def _kept_key(key: str = "stage_raw") -> ColumnElement[str]:
    """The lead's kept lifecycle spelling (extra.stage_raw; extra.lifecycle_raw beside a contact status), lower
    case without spaces, dashes or underscores."""
    kept = func.lower(Lead.extra[key].as_string())
    for separator in (" ", "-", "_"):
        kept = func.replace(kept, separator, "")
    return kept


def status_condition(statuses: list[str], *, closed_too: bool = False) -> ColumnElement[bool]:
    """SQL for "the CRM's own status is one of these" ("Junk Lead", "pre-qualified"): the kept
    spelling compared letters-only, any case, on SQLite and PostgreSQL — and, for a status a CRM's
    table knows, the stage it stands for: a converted lead that kept "Pre-Qualified" is a customer now.
    A deal pipeline stage ("Proposal Made") means the open deals sitting there: a deal won or lost at
    that stage kept it as written, but is closed now — unless `closed_too` ("deals lost at Proposal
    Made": the question names a closed stage as well)."""
    kept, alternatives = _kept_key(), []
    for status in sorted(set(statuses)):
        key = status.lower().replace(" ", "").replace("-", "").replace("_", "")  # as _kept_key
        stage = crm_status_stage(status)
        if stage is not None:
            alternatives.append(and_(kept == key, Lead.stage == stage.value))
        elif deal_pipeline_stage(status) is not None and not closed_too:
            alternatives.append(and_(kept == key, Lead.stage.not_in((Stage.CUSTOMER.value, Stage.LOST.value))))
        else:
            alternatives.append(kept == key)
    return or_(*alternatives)


def lost_between(start: datetime | None, end: datetime | None) -> ColumnElement[bool]:
    """SQL for "lost in this window" (start inclusive, end exclusive; None: open-ended): a lost lead's
    close date is kept in extra.closed_lost_at as ISO 8601 UTC ("2026-01-19T13:26:43Z"), compared as
    that text, so "lost last week" counts by when it was lost as "won last week" does by converted_at."""
    def iso(moment: datetime) -> str:
        return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    closed = Lead.extra["closed_lost_at"].as_string()
    conditions = [Lead.stage == Stage.LOST.value, closed.is_not(None)]
    if start is not None:
        conditions.append(closed >= iso(start))
    if end is not None:
        conditions.append(closed < iso(end))
    return and_(*conditions)


# Qualifications a store that kept no lifecycle spelling (the demo, a plain CSV) still has: their stage.
_STAGE_STANDS_FOR = frozenset({"mql", "sql"})


def qualification_or_stage_condition(name: str) -> ColumnElement[bool]:
    """SQL for "the lead is an MQL" as a filter means it: the kept lifecycle spelling says so, or — in
    a store where no lead kept a spelling — the stage MQLs and SQLs are read as (LEAD, PROSPECT)."""
    kept = qualification_condition(name)
    if name not in _STAGE_STANDS_FOR:
        return kept
    other = aliased(Lead)
    none_kept = ~exists(select(other.id).where(other.extra["stage_raw"].as_string().is_not(None)))
    return or_(kept, and_(Lead.stage == QUALIFICATIONS[name][0].value, none_kept))
