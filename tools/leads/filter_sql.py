"""The lead filter compiled to SQLAlchemy conditions, ANDed with what the viewer may see.

Each field of `LeadConditions` becomes one expression; the conditions of an `any_of` alternative
are ANDed, and the alternatives ORed (an OR of ANDs, from typed values only: nothing a model writes
reaches SQL as text). The lifecycle comes last: the filter's `scope`, or the open-leads default
(`open_by_default`), which an alternative naming a stage or outcome does not get.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import ColumnElement, and_, exists, false, func, not_, or_, select, true

from leadpilot.memory.geo import city_match_values, state_code
from leadpilot.tools.leads.filter_deals import deal_conditions
from leadpilot.memory.lifecycle import qualification_or_stage_condition, status_condition
from leadpilot.memory.models import Activity, Lead, Rep
from leadpilot.memory.vocab import OPEN_STAGES, SEGMENTS, Stage, industry_values
from leadpilot.tools.leads.filter import (
    filter_region_countries,
    ActivityCondition,
    LeadConditions,
    LeadFilter,
    ScopeName,
    Viewer,
    names_lifecycle,
    open_by_default,
)

OPEN_STAGE_VALUES = tuple(stage.value for stage in OPEN_STAGES)
CLOSED_STAGE_VALUES = (Stage.CUSTOMER.value, Stage.LOST.value)


@dataclass(frozen=True)
class CompiledFilter:
    conditions: list[ColumnElement[bool]]
    problems: list[str]  # things that could not be applied, said to the person, never silently ignored
    # The same conditions with the open-leads default lifted (as if scope were "all"), to count
    # the closed leads it left out; None when the default did not narrow this filter.
    widened: list[ColumnElement[bool]] | None = None


def visibility_condition(viewer: Viewer) -> ColumnElement[bool]:
    """What a viewer may see: the one rule in memory.visibility (admins and managers everything; a
    rep their own and unassigned leads; nobody behind the person, nothing)."""
    from leadpilot.memory.visibility import lead_visibility

    return lead_visibility(viewer)


def lifecycle_condition(scope: ScopeName) -> ColumnElement[bool]:
    """Open leads (not CUSTOMER or LOST), closed ones (CUSTOMER or LOST), or all."""
    if scope == "open":
        return Lead.stage.in_(OPEN_STAGE_VALUES)
    if scope == "closed":
        return Lead.stage.in_(CLOSED_STAGE_VALUES)
    return true()


def compile_filter(
    lead_filter: LeadFilter, *, now: datetime, viewer: Viewer, owner_ids: dict[str, int], default_scope: ScopeName = "open",
) -> CompiledFilter:
    """SQLAlchemy conditions for `lead_filter`, ANDed with what the viewer may see.

    `owner_ids` maps lower-case rep emails and names to rep ids (for the owner field).
    `default_scope` is the lifecycle when the filter sets no scope and names no stage or outcome:
    "open" for lists and counts, "all" for history (conversion rates, reports).
    """
    f = lead_filter
    problems: list[str] = []
    base = [visibility_condition(viewer), *_field_conditions(f, now=now, viewer=viewer, owner_ids=owner_ids, problems=problems)]
    if f.scope is not None and f.scope != "all":
        base.append(lifecycle_condition(f.scope))
    alternatives = [
        (and_(*_field_conditions(a, now=now, viewer=viewer, owner_ids=owner_ids, problems=problems)), names_lifecycle(a))
        for a in f.any_of or []
    ]
    defaulted = open_by_default(f, default_scope)

    def assemble(open_default: bool) -> list[ColumnElement[bool]]:
        parts = list(base)
        if alternatives:
            parts.append(or_(*(
                and_(condition, lifecycle_condition("open")) if open_default and not named else condition
                for condition, named in alternatives
            )))
        elif open_default:
            parts.append(lifecycle_condition("open"))
        return [and_(*parts)]

    unique_problems = list(dict.fromkeys(problems))
    return CompiledFilter(conditions=assemble(defaulted), problems=unique_problems, widened=assemble(False) if defaulted else None)


def _field_conditions(
    f: LeadConditions, *, now: datetime, viewer: Viewer, owner_ids: dict[str, int], problems: list[str],
) -> list[ColumnElement[bool]]:
    """One expression per field set in `f` (all must hold)."""
    c: list[ColumnElement[bool]] = []
    if f.tier:
        c.append(Lead.tier.in_(f.tier))
    if f.industry:
        c.append(Lead.industry.in_(industry_values(f.industry)))  # a group's stored values: manufacturing -> automotive too
    if f.not_industry:
        c.append(or_(Lead.industry.is_(None), Lead.industry.not_in(industry_values(f.not_industry))))
    if f.country:
        c.append(Lead.country.in_(f.country))
    if f.not_country:
        c.append(or_(Lead.country.is_(None), Lead.country.not_in(f.not_country)))
    if f.region:
        c.append(Lead.country.in_(sorted(set().union(*(filter_region_countries(r) for r in f.region)))))
    if f.not_region:
        excluded = sorted(set().union(*(filter_region_countries(r) for r in f.not_region)))
        c.append(or_(Lead.country.is_(None), Lead.country.not_in(excluded)))
    if f.state:
        c.append(Lead.state.in_(_states(f.state, f.country)))
    if f.city:  # any spelling of the city: "Munich" is also the store's "München" (memory.geo.CITY_SPELLINGS)
        c.append(func.lower(Lead.city).in_([value for city in f.city for value in city_match_values(city)]))
    if f.not_city:
        c.append(or_(Lead.city.is_(None), func.lower(Lead.city).not_in([value for city in f.not_city for value in city_match_values(city)])))
    if f.segment:
        c.append(_size_condition(f.segment))
    if f.min_employees is not None:
        c.append(Lead.company_size >= f.min_employees)
    if f.max_employees is not None:
        c.append(Lead.company_size <= f.max_employees)
    c.extend(_source_conditions(f))
    c.extend(_people_conditions(f))
    if f.stage:
        c.append(Lead.stage.in_([s.value for s in f.stage]))
    if f.not_stage:
        c.append(Lead.stage.not_in([s.value for s in f.not_stage]))
    if f.qualification:
        c.append(or_(*(qualification_or_stage_condition(name) for name in f.qualification)))
    if f.status:  # the kept status, compared letters-only: bound values, never SQL text
        c.append(status_condition(f.status))
    if f.owner:
        c.append(_owner_condition(f.owner, viewer=viewer, owner_ids=owner_ids, problems=problems))
    if f.min_score is not None:
        c.append(Lead.score >= f.min_score)
    if f.max_score is not None:
        c.append(Lead.score <= f.max_score)
    if f.min_probability is not None:
        c.append(Lead.conversion_probability >= f.min_probability)
    if f.max_probability is not None:
        c.append(Lead.conversion_probability <= f.max_probability)
    c.extend(_time_conditions(f, now))
    for condition in f.activity or []:
        c.append(_activity_condition(condition, now))
    if f.company:
        c.append(func.lower(Lead.company).contains(f.company.strip().lower(), autoescape=True))
    if f.contact:
        c.append(func.lower(Lead.contact_name).contains(f.contact.strip().lower(), autoescape=True))
    if f.converted is not None:
        c.append(Lead.converted.is_(f.converted))
    if f.lead_ids is not None:
        c.append(Lead.id.in_(f.lead_ids))
    c.extend(deal_conditions(f))  # the deal's value, lost reason and pipeline (tools/leads/filter_deals.py)
    for kept in f.kept or ():  # the file's own column, compared letters-only: a bound key and bound values
        c.append(_letters(Lead.extra[kept.column].as_string()).in_(sorted({_letters_of(v) for v in kept.values})))
    return c


def _source_conditions(f: LeadConditions) -> list[ColumnElement[bool]]:
    c: list[ColumnElement[bool]] = []
    if f.source:
        c.append(Lead.source.in_(f.source))
    if f.not_source:
        c.append(Lead.source.not_in(f.not_source))
    if f.channel:
        c.append(Lead.channel.in_([channel.value for channel in f.channel]))
    if f.not_channel:
        c.append(Lead.channel.not_in([channel.value for channel in f.not_channel]))
    return c


def _present(column) -> ColumnElement[bool]:
    return and_(column.is_not(None), func.trim(column) != "")


def _people_conditions(f: LeadConditions) -> list[ColumnElement[bool]]:
    c: list[ColumnElement[bool]] = []
    if f.seniority:
        c.append(Lead.seniority.in_(f.seniority))
    if f.department:
        c.append(func.lower(Lead.department).in_(f.department))
    if f.title:  # bound text, never SQL: "fleet" is LIKE '%fleet%' with its wildcards escaped
        c.append(or_(*(func.lower(Lead.job_title).contains(text, autoescape=True) for text in f.title)))
    for wanted, column in ((f.has_phone, Lead.phone), (f.has_email, Lead.email)):
        if wanted is not None:
            c.append(_present(column) if wanted else not_(_present(column)))
    return c


def _time_conditions(f: LeadConditions, now: datetime) -> list[ColumnElement[bool]]:
    c: list[ColumnElement[bool]] = []
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
    if f.closed_after is not None or f.closed_before is not None:
        c.append(closed_in(f.closed_after, f.closed_before))
    if f.contacted_since is not None:
        c.append(Lead.last_contacted_at >= _as_datetime(f.contacted_since))
    return c


def closed_in(after: date | datetime | None, before: date | datetime | None) -> ColumnElement[bool]:
    """Closed leads whose close date falls in [after, before). The close date is what the store
    records: a won lead's converted_at (the import's Converted / Close Date column, or when its stage
    moved to CUSTOMER); a lost lead's extra.closed_lost_at (an imported close date of a loss), or its
    converted_at when an import gave one with converted=false. A closed lead with neither has no
    close date and is in no window (`no_close_date` counts them, so the answer can say so)."""
    def window(column, as_text: bool) -> list[ColumnElement[bool]]:
        bounds = []
        for bound, compare in ((after, "ge"), (before, "lt")):
            if bound is not None:
                value = _as_datetime(bound)
                if as_text:  # stored as "2026-10-05T09:30:00Z" (or with a fraction): compared to the second
                    column_text, value = func.substr(column, 1, 19), value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
                    bounds.append(column_text >= value if compare == "ge" else column_text < value)
                else:
                    bounds.append(column >= value if compare == "ge" else column < value)
        return bounds

    lost_at = _lost_at()
    return or_(
        and_(Lead.stage == Stage.CUSTOMER.value, *window(Lead.converted_at, False)),
        and_(Lead.stage == Stage.LOST.value, or_(and_(*window(Lead.converted_at, False)), and_(lost_at.is_not(None), *window(lost_at, True)))),
    )


def no_close_date() -> ColumnElement[bool]:
    """Closed leads the store has no close date for (see closed_in)."""
    return and_(Lead.stage.in_(CLOSED_STAGE_VALUES), Lead.converted_at.is_(None), _lost_at().is_(None))


def _lost_at() -> ColumnElement[str]:
    """The imported close date of a loss, as kept in extra. The SQL compiler imports memory.lead_record
    (the import's record and its CRM engagement readers) only for a question about closing (#21)."""
    from leadpilot.memory.lead_record import CLOSED_LOST_KEY

    return Lead.extra[CLOSED_LOST_KEY].as_string()


def _owner_condition(owners: list[str], *, viewer: Viewer, owner_ids: dict[str, int], problems: list[str]) -> ColumnElement[bool]:
    parts: list[ColumnElement[bool]] = []
    for owner in owners:
        if owner == "me":
            if viewer.rep_id is None:
                problems.append("'my leads' needs to know which rep you are, and you are not linked to a rep")
                parts.append(false())
            else:
                parts.append(Lead.owner_id == viewer.rep_id)
        elif owner == "my team":
            parts.append(_my_team(viewer, problems))
        elif owner == "unassigned":
            parts.append(Lead.owner_id.is_(None))
        elif (rep_id := owner_ids.get(owner.lower())) is not None:
            parts.append(Lead.owner_id == rep_id)
        else:
            problems.append(f"there is no rep called {owner!r}")
            parts.append(false())
    return or_(*parts)


def _my_team(viewer: Viewer, problems: list[str]) -> ColumnElement[bool]:
    """Leads owned by the reps of the asker's roster team. A manager whose team holds no rep (a
    leadership team) manages the whole sales team: every lead, the ones waiting in a queue unassigned too."""
    if viewer.rep_id is None:
        problems.append("'my team' needs to know which rep you are, and you are not linked to a rep")
        return false()
    team = select(Rep.team).where(Rep.id == viewer.rep_id).scalar_subquery()
    in_team = Lead.owner_id.in_(select(Rep.id).where(Rep.team == team))
    if viewer.role != "manager":
        return in_team
    team_has_reps = exists().where(Rep.team == team, Rep.role == "rep")
    return or_(and_(team_has_reps, in_team), not_(team_has_reps))


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
    if condition.about:
        clauses.append(func.lower(Activity.detail).contains(condition.about.strip().lower(), autoescape=True))
    if condition.min_days or condition.min_count:  # how many (days): a bound count, compared with a bound number
        counted = func.count(func.distinct(_visit_day())) if condition.min_days else func.count(Activity.id)
        found = select(counted).where(*clauses).scalar_subquery() >= (condition.min_days or condition.min_count)
    else:
        found = exists(select(Activity.id).where(*clauses))
    return not_(found) if condition.absent else found


def _letters(column: ColumnElement[str]) -> ColumnElement[str]:
    """A text column in lower case without spaces, dashes, underscores or dots (as `_letters_of`)."""
    kept = func.lower(column)
    for separator in (" ", "-", "_", "."):
        kept = func.replace(kept, separator, "")
    return kept


def _letters_of(value: str) -> str:
    return "".join(char for char in value.lower() if char not in " -_.")


def _visit_day() -> ColumnElement[str]:
    """The day an activity stands for: its date, or — for one a CRM's "Days Visited" count made (one per day
    of visits, memory.crm_engagement) — a day of its own, whatever date it was spread to."""
    from sqlalchemy import String, case, cast

    from leadpilot.memory.crm_engagement import IMPORTED_KEY

    return case((Activity.meta[IMPORTED_KEY].as_string() == "days_visited", cast(Activity.id, String)),
                else_=cast(func.date(Activity.occurred_at), String))


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
