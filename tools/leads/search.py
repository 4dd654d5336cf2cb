"""Read-only lead queries for the agent: search, aggregate, and one lead's full profile.

Each takes a validated query object, compiles it to a SQLAlchemy statement (never SQL text from a
model), runs it in a read-only session with a row cap and a statement timeout, and returns data.

Lists and counts are of open leads unless the filter says otherwise (`LeadFilter.scope`); when
that default left leads out, the result says how many (`closed_not_shown`). A search reads its page
first and counts only what the page cannot tell: a short page is every match; otherwise one COUNT
gives the matches and the closed ones left out together (an aggregate: one COUNT as well). A
conversion rate reads all leads by default: it is history (won / closed).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Select, String, and_, case, func, literal, or_, select, true, type_coerce
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import operators
from sqlalchemy.orm import Session

from leadpilot.memory.crm_facets import deal_value
from leadpilot.memory.models import Lead, Rep
from leadpilot.tools.leads.filter import LeadFilter, ScopeName, Viewer, closes
from leadpilot.tools.leads.filter_sql import CompiledFilter, compile_filter, no_close_date, owner_lookup, visibility_condition
from leadpilot.tools.leads.filter_words import describe_filter

SortKey = Literal["score", "probability", "created_at", "last_contacted_at", "company", "company_size", "deal_value"]
GroupKey = Literal[
    "tier", "industry", "source", "channel", "owner", "stage", "country", "state", "city", "month", "segment", "seniority", "department",
]
Metric = Literal["count", "conversion_rate", "avg_score"]

LEAD_FIELDS = (
    "id", "external_id", "company", "contact_name", "email", "job_title", "industry", "country", "state",
    "city", "company_size", "source", "stage", "score", "tier", "conversion_probability", "owner",
    "created_at", "last_contacted_at",
)


class SearchLeads(BaseModel):
    """Find leads matching a filter, sorted, optionally the top N."""

    model_config = ConfigDict(extra="forbid")

    filter: LeadFilter = Field(default_factory=LeadFilter, description="Which leads; open leads unless filter.scope says otherwise.")
    sort_by: SortKey = Field("score", description="score, probability, created_at, last_contacted_at, company, company_size, "
                             "deal_value (the CRM deal's value: 'biggest deals'; deals with none last)")
    descending: bool = Field(True, description="Largest / newest first.")
    limit: int | None = Field(None, ge=1, le=1000, description="Top N; omit for every match (up to the row cap).")
    offset: int | None = Field(
        None, ge=0, le=1_000_000, description="Skip this many matches first (in the same order): the next page of a list "
        "('next page', 'page 2', 'show more' = the same query with offset = what was shown).",
    )


class AggregateLeads(BaseModel):
    """Count leads (or conversion rate / average score) grouped by one field."""

    model_config = ConfigDict(extra="forbid")

    filter: LeadFilter = Field(
        default_factory=LeadFilter,
        description="Which leads: open ones for count and avg_score, all for conversion_rate, unless filter.scope says otherwise.",
    )
    group_by: GroupKey | None = Field(
        None, description="tier, industry, source, channel, owner, stage, country, state, city, month, segment, seniority, "
        "department; omit for one total"
    )
    metric: Metric = Field("count", description="count, conversion_rate (won / closed) or avg_score")

    def default_scope(self) -> ScopeName:
        """A conversion rate is history (won / closed): all leads; counts and averages: open ones."""
        return "all" if self.metric == "conversion_rate" else "open"


class SearchResult(BaseModel):
    leads: list[dict[str, Any]]
    total: int = Field(description="How many leads match (may exceed len(leads) when capped).")
    truncated: bool
    filters_applied: list[str]
    problems: list[str] = Field(default_factory=list)
    closed_not_shown: int | None = Field(
        None, description="Closed leads that matched everything else but were left out by the open-leads default (None: it did not apply)."
    )
    closed_instead: bool = Field(
        False, description="A name alone (company or contact) has no open lead: these are its closed ones (won or lost)."
    )
    offset: int = Field(0, description="How many matches were skipped before these (a later page of the list).")


class AggregateResult(BaseModel):
    rows: list[dict[str, Any]]
    group_by: str | None
    metric: str
    filters_applied: list[str]
    problems: list[str] = Field(default_factory=list)
    closed_not_shown: int | None = Field(
        None, description="Closed leads that matched everything else but were left out by the open-leads default (None: it did not apply)."
    )


def lead_row(lead: Lead) -> dict[str, Any]:
    """The lead fields every answer carries (the `ask --json` contract), JSON-ready."""
    row: dict[str, Any] = {}
    for name in LEAD_FIELDS:
        if name == "owner":
            row["owner"] = lead.owner.email if lead.owner is not None else None
            continue
        value = getattr(lead, name)
        row[name] = value.isoformat() if isinstance(value, datetime) else value
    return row


_SORT_COLUMNS = {
    "score": Lead.score,
    "probability": Lead.conversion_probability,
    "created_at": Lead.created_at,
    "last_contacted_at": Lead.last_contacted_at,
    "company": Lead.company,
    "company_size": Lead.company_size,
    "deal_value": deal_value(),  # memory.crm_facets: the kept Deal - Value / Amount as a number
}


def _order(sort_key, tie_break, descending: bool) -> tuple:
    # NULLs last either way (NULLS LAST: both dialects, and the sort keeps one column fewer than
    # `key IS NULL` first), and a stable tie-break on id.
    return (sort_key.desc() if descending else sort_key.asc()).nulls_last(), tie_break


_DATETIME_FIELDS = ("created_at", "last_contacted_at")
# Datetimes are read as the driver gives them — SQLite's stored text ("2026-11-20 12:00:00.000000",
# naive UTC), PostgreSQL's naive datetime — and written out once as ISO 8601 with "+00:00": the same
# text as the aware value's isoformat(), without parsing and re-formatting every value of a page.
_ROW_COLUMNS = tuple(
    Rep.email.label("owner") if name == "owner"
    else type_coerce(getattr(Lead, name), String()).label(name) if name in _DATETIME_FIELDS
    else getattr(Lead, name)
    for name in LEAD_FIELDS
)


def iso_text(value: str | datetime) -> str:
    """A stored naive-UTC datetime (SQLite's text or a datetime) as the aware value's isoformat()."""
    if isinstance(value, str):
        if len(value) == 26 and value[10] == " " and value[19] == ".":  # how SQLAlchemy stores a datetime in SQLite
            return value.replace(" ", "T", 1).removesuffix(".000000") + "+00:00"
        value = datetime.fromisoformat(value)  # any other spelling SQLite may hold
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc)
    return value.replace(tzinfo=None).isoformat() + "+00:00"


def _lead_dicts(rows) -> list[dict[str, Any]]:
    """Result rows (LEAD_FIELDS, in order) as the JSON-ready dicts of the `ask --json` contract."""
    return [_lead_dict(*row) for row in rows]


def _lead_dict(
    lead_id, external_id, company, contact_name, email, job_title, industry, country, state, city, company_size, source, stage,
    score, tier, conversion_probability, owner, created_at, last_contacted_at,
) -> dict[str, Any]:
    # One row as one dict display (LEAD_FIELDS' keys, in order: tests/test_lead_search.py checks):
    # a page is up to 1,000 rows, and this builds each in one step, where dict(zip(...)) and then a
    # pass over the datetimes took a fifth more.
    return {
        "id": lead_id, "external_id": external_id, "company": company, "contact_name": contact_name, "email": email,
        "job_title": job_title, "industry": industry, "country": country, "state": state, "city": city,
        "company_size": company_size, "source": source, "stage": stage, "score": score, "tier": tier,
        "conversion_probability": conversion_probability, "owner": owner,
        "created_at": None if created_at is None else iso_text(created_at),
        "last_contacted_at": None if last_contacted_at is None else iso_text(last_contacted_at),
    }


def _compiled(session: Session, lead_filter: LeadFilter, *, now: datetime, viewer: Viewer, default_scope: ScopeName = "open"):
    # Rep names are read only when the filter names an owner: most questions do not.
    named = lead_filter.owner or any(a.owner for a in lead_filter.any_of or [])
    owner_ids = owner_lookup(session) if named else {}
    compiled = compile_filter(lead_filter, now=now, viewer=viewer, owner_ids=owner_ids, default_scope=default_scope)
    if closes(lead_filter):  # "lost this quarter": say how many closed leads have no close date to place them by
        undated_filter = lead_filter.model_copy(update={"closed_after": None, "closed_before": None})
        rest = compile_filter(undated_filter, now=now, viewer=viewer, owner_ids=owner_ids, default_scope="all")
        undated = int(session.scalar(select(func.count()).select_from(Lead).where(*rest.conditions, no_close_date())) or 0)
        if undated:
            compiled.problems.append(
                f"{undated} closed {'lead' if undated == 1 else 'leads'} otherwise matching {'has' if undated == 1 else 'have'} no close date "
                "in your data (a won date, or an imported close date of a loss), so no period can include "
                f"{'it' if undated == 1 else 'them'}")
    return compiled


def closed_not_shown(session: Session, compiled: CompiledFilter, *, shown: int | None = None) -> int | None:
    """How many leads the open-leads default left out: the matches with it lifted minus those
    with it (`shown`, when the caller knows them already). None when the default did not apply.
    One COUNT; for the card's question it reads the ranking index only."""
    if compiled.widened is None:
        return None
    if shown is None:
        return match_counts(session, compiled)[1]
    return max(int(session.connection().scalar(select(func.count()).select_from(Lead).where(*compiled.widened)) or 0) - shown, 0)


def count_statement(compiled: CompiledFilter) -> Select:
    """One COUNT of the matches and, when the open-leads default applied, of the matches with it
    lifted: one pass with a conditional count (two scalar counts would read an unindexed filter's
    rows twice; for the card's question either reads the ranking index only)."""
    if compiled.widened is None:
        return select(func.count()).select_from(Lead).where(*compiled.conditions)
    # Every counted row meets the widened conditions already: the conditional count tests only the
    # parts they lack (the open-leads default), not the whole filter again (a third of the COUNT).
    return select(func.count(case((and_(*_beyond(compiled.conditions, compiled.widened)), 1))), func.count()).select_from(Lead).where(
        *compiled.widened
    )


def _parts(conditions: list) -> list:
    """`conditions` as the terms of one AND."""
    return [term for condition in conditions
            for term in (condition.clauses if getattr(condition, "operator", None) is operators.and_ else [condition])]


def _beyond(conditions: list, widened: list) -> list:
    """The terms of `conditions` that are not (the same objects as) terms of `widened`: ANDed with
    `widened`, they hold exactly where `conditions` hold. Always at least one term."""
    present = {id(term) for term in _parts(widened)}
    return [term for term in _parts(conditions) if id(term) not in present] or [true()]


def match_counts(session: Session, compiled: CompiledFilter) -> tuple[int, int | None]:
    """(matches, closed leads the open-leads default left out — None when it did not apply)."""
    counted = session.connection().execute(count_statement(compiled)).one()  # Core: no ORM layer for one row
    if compiled.widened is None:
        return int(counted[0] or 0), None
    kept, everything = int(counted[0] or 0), int(counted[1] or 0)
    return kept, everything - kept


def search_statement(query: SearchLeads, compiled: CompiledFilter, *, row_cap: int, ordered: bool = True) -> Select:
    """The page of `query`: its contract columns (LEAD_FIELDS), sorted (`ordered=False`: the rows
    as the join gives them, for a caller that checks their order itself: see `_page_rows`)."""
    # Rank first, on narrow rows (id and sort key), then fetch the wide rows of the page only:
    # sorting every match with all its columns costs more than the page's primary-key lookups, and
    # the ranking of a tier + industry question reads its index only (see migrations 0010, 0012).
    # No window count here: it would make the database keep every match to count it, where
    # ORDER BY + LIMIT keeps only the page's; the count is a separate COUNT, only when needed.
    sort_key = _SORT_COLUMNS[query.sort_by]
    page = (
        select(Lead.id.label("id"), sort_key.label("sort_key")).where(*compiled.conditions)
        .order_by(*_order(sort_key, Lead.id, query.descending)).limit(page_size(query, row_cap)).offset(query.offset or None)
        .subquery("page")
    )
    statement = select(*_ROW_COLUMNS).select_from(page).join(Lead, Lead.id == page.c.id).outerjoin(Rep, Lead.owner_id == Rep.id)
    return statement.order_by(*_order(page.c.sort_key, page.c.id, query.descending)) if ordered else statement


# Where each sort key sits in a page row (LEAD_FIELDS; the datetimes as stored, as SQLite sorts them).
_ROW_POSITIONS = {
    "score": LEAD_FIELDS.index("score"), "probability": LEAD_FIELDS.index("conversion_probability"),
    "created_at": LEAD_FIELDS.index("created_at"), "last_contacted_at": LEAD_FIELDS.index("last_contacted_at"),
    "company": LEAD_FIELDS.index("company"), "company_size": LEAD_FIELDS.index("company_size"),
}


def _page_rows(connection, query: SearchLeads, compiled: CompiledFilter, *, row_cap: int) -> list[tuple]:
    """The page's rows, in the query's order. On SQLite the page comes out of its ranking already
    sorted (it scans the materialized ranking in order), so the final ORDER BY — a sort of the
    page's wide rows, a tenth of the query — is left out and the order checked here instead (one
    pass); rows not in order, or keys Python cannot compare as SQLite does, run the sorted query."""
    position = _ROW_POSITIONS.get(query.sort_by) if connection.dialect.name == "sqlite" else None
    if position is not None:
        rows = _plain_rows(connection, search_statement(query, compiled, row_cap=row_cap, ordered=False))
        if _in_page_order(rows, position, descending=query.descending):
            return rows
    return _plain_rows(connection, search_statement(query, compiled, row_cap=row_cap))


def _in_page_order(rows: list[tuple], position: int, *, descending: bool) -> bool:
    """Whether `rows` are sorted as the page query sorts them: the key at `position` (descending or
    ascending, NULLs last), then id ascending. False when two keys do not compare in Python (a text
    among numbers), where SQLite's order of types would decide."""
    previous_key, previous_id = None, None
    try:
        for row in rows:
            key, lead_id = row[position], row[0]
            if previous_id is not None:
                if key is None:
                    if previous_key is None and previous_id >= lead_id:
                        return False
                elif previous_key is None:
                    return False
                elif key == previous_key:
                    if previous_id >= lead_id:
                        return False
                elif (key > previous_key) if descending else (key < previous_key):
                    return False
            previous_key, previous_id = key, lead_id
    except TypeError:
        return False
    return True


def _plain_rows(connection, statement: Select) -> list[tuple]:
    """All rows of `statement` as the driver's tuples (no column here has a result processor:
    SQLAlchemy's Row objects would only be unpacked again); errors as SQLAlchemy raises them."""
    result = connection.execute(statement)
    dbapi = connection.dialect.loaded_dbapi
    try:
        return result.cursor.fetchall()
    except dbapi.Error as error:
        raise DBAPIError.instance(None, None, error, dbapi.Error, dialect=connection.dialect) from error
    finally:
        result.close()


def page_size(query: SearchLeads, row_cap: int) -> int:
    return min(query.limit or row_cap, row_cap)


def search_leads(session: Session, *, query: SearchLeads, viewer: Viewer, now: datetime, row_cap: int) -> SearchResult:
    """Leads matching `query.filter` that the viewer may see, sorted, at most `limit` / `row_cap`."""
    compiled = _compiled(session, query.filter, now=now, viewer=viewer)
    rows = _page_rows(session.connection(), query, compiled, row_cap=row_cap)
    offset = query.offset or 0
    if len(rows) < page_size(query, row_cap) and (rows or not offset):
        # A short page holds every match from the offset on: that is the total, uncounted.
        total = offset + len(rows)
        hidden = closed_not_shown(session, compiled, shown=total)
    else:  # a full page (more may follow), or an empty one past the offset: count them
        total, hidden = match_counts(session, compiled)
        if rows:  # a write between the two statements must not make it say fewer than it shows
            total = max(total, offset + len(rows))
    leads = _lead_dicts(rows)
    left = max(total - (query.offset or 0), 0)
    wanted = min(left, query.limit) if query.limit else left
    if not total and hidden and _a_name_alone(query.filter):
        # The right lead: a company or person with no open lead is its closed ones, said as such.
        every = query.model_copy(update={"filter": query.filter.model_copy(update={"scope": "all"})})
        closed = search_leads(session, query=every, viewer=viewer, now=now, row_cap=row_cap)
        outcomes = ", ".join(f"{lead['company'] or lead['contact_name']} {_OUTCOMES.get(lead['stage'], str(lead['stage']).lower())}"
                             for lead in closed.leads[:3])
        said = f"no open lead for {_lead_name(query.filter)}: showing its closed {'one' if closed.total == 1 else 'ones'} ({outcomes})"
        return closed.model_copy(update={"closed_instead": True, "problems": [said, *closed.problems]})
    # Built here in the declared shape; validating would only copy 1,000 dicts.
    return SearchResult.model_construct(
        leads=leads,
        total=total,
        truncated=len(leads) < wanted,
        filters_applied=describe_filter(query.filter),
        problems=compiled.problems,
        closed_not_shown=hidden,
        closed_instead=False,
        offset=query.offset or 0,
    )


_OUTCOMES = {"CUSTOMER": "won (a customer)", "LOST": "lost"}


def _lead_name(lead_filter: LeadFilter) -> str:
    return " ".join(repr(name) for name in (lead_filter.company, lead_filter.contact) if name)


def _a_name_alone(lead_filter: LeadFilter) -> bool:
    """The filter only names a company or a person (no other condition, no scope)."""
    said = {key for key, value in lead_filter if value is not None}
    return bool(said) and said <= {"company", "contact"}


def group_column(group_by: GroupKey, dialect: str):
    if group_by == "owner":
        return func.coalesce(Rep.email, "unassigned")
    if group_by == "month":
        if dialect == "sqlite":
            return func.strftime("%Y-%m", Lead.created_at)
        return func.to_char(Lead.created_at, "YYYY-MM")
    if group_by == "segment":
        size = Lead.company_size
        return case(
            (size >= 1000, "enterprise"), (size >= 100, "mid-market"), (size >= 10, "smb"), (size >= 1, "micro"),
            else_="unknown",
        )
    return getattr(Lead, group_by)


def aggregate_leads(session: Session, *, query: AggregateLeads, viewer: Viewer, now: datetime, row_cap: int) -> AggregateResult:
    """One row per group: {group_by: value, metric: number}, largest first (months in order)."""
    compiled = _compiled(session, query.filter, now=now, viewer=viewer, default_scope=query.default_scope())
    if query.group_by is None:
        group = literal("all leads", literal_execute=True).label("total")
    else:
        group = group_column(query.group_by, session.get_bind().dialect.name).label(query.group_by)
    if query.metric == "count":
        value = func.count(Lead.id)
    elif query.metric == "avg_score":
        value = func.avg(Lead.score)
    else:
        # Closed = won or lost by outcome or stage: an import may say converted=false of a lead still open.
        won = func.sum(case((Lead.converted.is_(True), 1), else_=0))
        closed = func.sum(case((or_(Lead.converted.is_(True), Lead.stage.in_(("CUSTOMER", "LOST"))), 1), else_=0))
        value = won * 1.0 / func.nullif(closed, 0)
    value = value.label(query.metric)
    statement = select(group, value).select_from(Lead).outerjoin(Rep, Lead.owner_id == Rep.id).where(*compiled.conditions)
    if query.group_by == "month":
        statement = statement.group_by(group).order_by(group)
    elif query.group_by is not None:
        statement = statement.group_by(group).order_by(value.desc(), group)
    rows = []
    for name, number in session.execute(statement.limit(row_cap)):
        if number is not None and query.metric != "count":
            number = round(float(number), 4 if query.metric == "conversion_rate" else 1)
        rows.append({query.group_by or "total": name if name is not None else "unknown", query.metric: number})
    return AggregateResult(
        rows=rows, group_by=query.group_by, metric=query.metric,
        filters_applied=describe_filter(query.filter, default_scope=query.default_scope()), problems=compiled.problems,
        closed_not_shown=closed_not_shown(session, compiled),
    )


def get_lead_profile(session: Session, *, lead_id: int, viewer: Viewer) -> dict[str, Any] | None:
    """One lead with its activities, score breakdown, prediction and assignments; None if not visible."""
    from leadpilot.memory.activities import lead_activities
    from leadpilot.memory.assignments import lead_assignments

    lead = session.scalar(select(Lead).where(Lead.id == lead_id, visibility_condition(viewer)))
    if lead is None:
        return None
    profile = lead_row(lead)
    profile.update(
        website=lead.website,
        phone=lead.phone,
        notes=lead.notes,
        converted=lead.converted,
        converted_at=lead.converted_at.isoformat() if lead.converted_at else None,
        score_breakdown=lead.score_breakdown,
        enrichment=lead.enrichment,
        likely_duplicate_of=(lead.extra or {}).get("likely_duplicate_of") or [],  # memory.likely_duplicates
        activities=[
            {"kind": a.kind, "direction": a.direction, "occurred_at": a.occurred_at.isoformat(), "detail": a.detail}
            for a in lead_activities(session, lead_id=lead.id, limit=50)
        ],
        assignments=[
            {"rep": a.rep.email if a.rep else None, "at": a.assigned_at.isoformat(), "rule": a.rule, "reason": a.reason}
            for a in lead_assignments(session, lead_id=lead.id)
        ],
    )
    return profile
