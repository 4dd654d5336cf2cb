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

"MQLs" are the leads whose `qualification_condition("mql")` holds: stage LEAD and a kept
spelling that says marketing-qualified (compared letters-only, any case).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.orm import aliased

from leadpilot.memory.models import Lead
from leadpilot.memory.vocab import Stage

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


def lifecycle_key(raw: str) -> str:
    """A lifecycle spelling compared letters-only: "Marketing Qualified Lead" -> marketingqualifiedlead."""
    return "".join(char for char in raw.lower() if char.isalnum())


_CRM_STATUS: dict[str, Stage] = {
    lifecycle_key(raw): stage for table in (SALESFORCE_LEAD_STATUS, ZOHO_LEAD_STATUS) for raw, stage in table.items()
}


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
    return and_(Lead.stage == stage.value, _kept_key().in_(spellings))


def _kept_key() -> ColumnElement[str]:
    """The lead's kept lifecycle spelling (extra.stage_raw), lower case without spaces, dashes or underscores."""
    kept = func.lower(Lead.extra["stage_raw"].as_string())
    for separator in (" ", "-", "_"):
        kept = func.replace(kept, separator, "")
    return kept


def status_condition(statuses: list[str]) -> ColumnElement[bool]:
    """SQL for "the CRM's own status is one of these" ("Junk Lead", "pre-qualified"): the kept
    spelling compared letters-only, any case, on SQLite and PostgreSQL — and, for a status a CRM's
    table knows, the stage it stands for: a converted lead that kept "Pre-Qualified" is a customer now."""
    kept, alternatives = _kept_key(), []
    for status in sorted(set(statuses)):
        key = status.lower().replace(" ", "").replace("-", "").replace("_", "")  # as _kept_key
        stage = crm_status_stage(status)
        alternatives.append(and_(kept == key, Lead.stage == stage.value) if stage is not None else kept == key)
    return or_(*alternatives)


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
