"""Sales analytics over the leads a viewer may see: lead volume, conversion by tier, time to first
contact, rep performance and the score distribution (source attribution is in attribution.py).

Every report takes the same typed `LeadFilter` as the lead queries (so "this quarter", "fintech"
or "Maya's leads" narrow any of them), compiles it with the viewer's visibility to SQLAlchemy, and
returns rows of a name column and number columns — the `ask --json` `rows` contract — with the
definitions behind the numbers and a chart suggestion for the web chat.

Definitions (also returned with each report):
- conversion rate = won / closed (closed = won or lost; open leads do not count);
- first contact = the lead's first outbound email, call or meeting, else its last_contacted_at
  (imported leads carry only that); time to first contact = hours from created_at, 0 when the
  contact predates the lead's record; median and p90 by linear interpolation between ranks;
- open pipeline = open leads (DISCOVERY, LEAD, PROSPECT, OPPORTUNITY);
- source = the lead's source as its data gave it (normalised: website_form, linkedin_ads); channel
  = the source's group (paid, organic, referral, event, partner, outbound, owned media, other).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from leadpilot.memory.models import Activity, Lead, Rep
from leadpilot.memory.vocab import CONTACT_KINDS, OPEN_STAGES, Direction
from leadpilot.tools.leads import LeadFilter, ScopeName, Viewer, compile_filter, describe_filter, owner_lookup
from leadpilot.tools.leads import group_column

# source: the lead's own source value (website_form, linkedin_ads, ...); channel: its group
# (paid, organic, referral, event, partner, outbound, owned_media, other; memory.vocab.channel_of).
VolumeBy = Literal["source", "channel", "month", "source_by_month", "channel_by_month"]
ContactBy = Literal["all", "rep", "source", "channel"]  # all: one total over every lead in scope
ChartType = Literal["bar", "grouped", "stacked", "line"]
TIERS = ("hot", "warm", "cold")
CONVERSION = "conversion rate = won / closed (won or lost); open leads are not counted"
FIRST_CONTACT = (
    "time to first contact = hours from the lead's creation to its first outbound email, call or meeting "
    "(else its last contact date); median and p90 by linear interpolation"
)


class Chart(BaseModel):
    """How the web chat should draw the rows: `x` is the name column, `y` the number columns."""

    type: ChartType
    x: str
    y: list[str]
    title: str
    unit: Literal["count", "percent", "hours"] = "count"


class AnalyticsResult(BaseModel):
    """Rows (a name column, then number columns), what they mean and how to chart them."""

    report: str
    rows: list[dict[str, Any]]
    group_by: str  # the name column
    metric: str  # the headline number column
    chart: Chart | None
    definitions: list[str] = Field(default_factory=list)
    based_on: int = Field(0, description="Leads counted.")
    filters_applied: list[str] = Field(default_factory=list)
    problems: list[str] = Field(default_factory=list)


@dataclass(frozen=True)
class _Scope:
    conditions: list
    applied: list[str]
    problems: list[str]


def scope(
    session: Session, *, lead_filter: LeadFilter | None, viewer: Viewer, now: datetime, default_scope: ScopeName = "all"
) -> _Scope:
    """The filter's SQLAlchemy conditions, ANDed with what the viewer may see.

    Which leads when the filter sets no `scope`: the reports are history — volume, conversion by
    tier, time to first contact, rep performance and attribution read all leads, won and lost ones
    too (a conversion rate is won / closed) — except the score distribution, a picture of the
    pipeline as it stands: open leads (`default_scope="open"`)."""
    lead_filter = lead_filter or LeadFilter()
    compiled = compile_filter(lead_filter, now=now, viewer=viewer, owner_ids=owner_lookup(session), default_scope=default_scope)
    applied = describe_filter(lead_filter, default_scope=default_scope)
    if not viewer.sees_everything:
        applied.append("your leads and unassigned ones")
    return _Scope(compiled.conditions, applied, compiled.problems)


def _rate(won: int, closed: int) -> float | None:
    return round(won / closed, 4) if closed else None


def quantile(values: Sequence[float], q: float) -> float | None:
    """The q-quantile by linear interpolation between closest ranks (numpy's default); None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _hours(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


# ---------------------------------------------------------------------------------------------
# Lead volume


def lead_volume(
    session: Session, *, lead_filter: LeadFilter | None, by: VolumeBy, viewer: Viewer, now: datetime, row_cap: int
) -> AnalyticsResult:
    """New leads per source or channel (with each one's share), per month, or per month and source
    or channel."""
    where = scope(session, lead_filter=lead_filter, viewer=viewer, now=now)
    dialect = session.get_bind().dialect.name
    month = group_column("month", dialect)
    base = select().select_from(Lead).outerjoin(Rep, Lead.owner_id == Rep.id).where(*where.conditions)
    name = "channel" if by in ("channel", "channel_by_month") else "source"
    column = Lead.channel if name == "channel" else Lead.source
    if by in ("source", "channel"):
        rows = session.execute(base.add_columns(column, func.count(Lead.id)).group_by(column)).all()
        total = sum(count for _, count in rows)
        table = [{name: value, "count": count, "share": round(count / total, 4)} for value, count in rows]
        table.sort(key=lambda row: (-row["count"], row[name]))
        chart = Chart(type="bar", x=name, y=["count"], title=f"New leads by {name}")
    else:
        grouped = session.execute(base.add_columns(month, column, func.count(Lead.id)).group_by(month, column)).all()
        total = sum(count for *_, count in grouped)
        per_month: dict[str, dict[str, int]] = defaultdict(dict)
        for month_name, source, count in grouped:
            per_month[month_name][source] = count
        if by == "month":
            table = [{"month": key, "count": sum(counts.values())} for key, counts in sorted(per_month.items())]
            chart = Chart(type="line", x="month", y=["count"], title="New leads per month")
        else:
            sources = sorted({source for _, source, _ in grouped}, key=lambda s: -sum(c for _, src, c in grouped if src == s))
            table = [{"month": key, **{s: counts.get(s, 0) for s in sources}, "count": sum(counts.values())}
                     for key, counts in sorted(per_month.items())]
            chart = Chart(type="stacked", x="month", y=sources, title=f"New leads per month by {name}")
    definitions = ["volume = leads created, counted by created_at (UTC months)"]
    if name == "channel":
        definitions.append("channel = the group of the lead's source (paid, organic, referral, event, partner, outbound, owned media, other)")
    return AnalyticsResult(
        report="lead_volume", rows=table[:row_cap], group_by=name if by in ("source", "channel") else "month", metric="count",
        chart=chart if table else None, definitions=definitions,
        based_on=total, filters_applied=where.applied, problems=where.problems,
    )


# ---------------------------------------------------------------------------------------------
# Conversion by tier


def conversion_by_tier(session: Session, *, lead_filter: LeadFilter | None, viewer: Viewer, now: datetime) -> AnalyticsResult:
    """Per tier: conversion rate (won / closed), won, lost, still open, and all leads."""
    where = scope(session, lead_filter=lead_filter, viewer=viewer, now=now)
    won = func.sum(case((Lead.converted.is_(True), 1), else_=0))
    lost = func.sum(case((Lead.converted.is_(False), 1), else_=0))
    open_ = func.sum(case((Lead.stage.in_([s.value for s in OPEN_STAGES]), 1), else_=0))
    statement = (
        select(Lead.tier, won, lost, open_, func.count(Lead.id))
        .select_from(Lead).outerjoin(Rep, Lead.owner_id == Rep.id).where(*where.conditions).group_by(Lead.tier)
    )
    rows = []
    for tier, w, l, o, count in session.execute(statement):
        w, l = int(w or 0), int(l or 0)
        rows.append({"tier": tier or "unknown", "conversion_rate": _rate(w, w + l), "won": w, "lost": l, "open": int(o or 0), "count": count})
    order = {name: index for index, name in enumerate(TIERS)}
    rows.sort(key=lambda row: order.get(row["tier"], len(TIERS)))
    return AnalyticsResult(
        report="conversion_by_tier", rows=rows, group_by="tier", metric="conversion_rate",
        chart=Chart(type="bar", x="tier", y=["conversion_rate"], title="Conversion rate by tier", unit="percent") if rows else None,
        definitions=[CONVERSION, "tier = the lead's current score tier"], based_on=sum(r["count"] for r in rows),
        filters_applied=where.applied, problems=where.problems,
    )


# ---------------------------------------------------------------------------------------------
# Score distribution


def score_bucket(score: int, size: int) -> str:
    """'70-79'; the top score of a 0-100 scale joins the bucket below ('90-100')."""
    low = (min(score, 99) if score <= 100 else score) // size * size
    high = low + size - 1
    if score <= 100 and high >= 99:
        high = 100
    return f"{low}-{high}"


def score_distribution(
    session: Session, *, lead_filter: LeadFilter | None, bucket_size: int, viewer: Viewer, now: datetime
) -> AnalyticsResult:
    """A histogram of scores in `bucket_size`-point buckets, split by tier; unscored leads apart."""
    where = scope(session, lead_filter=lead_filter, viewer=viewer, now=now, default_scope="open")
    statement = (
        select(Lead.score, Lead.tier, func.count(Lead.id))
        .select_from(Lead).outerjoin(Rep, Lead.owner_id == Rep.id).where(*where.conditions).group_by(Lead.score, Lead.tier)
    )
    buckets: dict[tuple[int, str], dict[str, int]] = {}
    unscored = 0
    for score, tier, count in session.execute(statement):
        if score is None:
            unscored += count
            continue
        label = score_bucket(score, bucket_size)
        key = (int(label.split("-")[0]), label)
        row = buckets.setdefault(key, dict.fromkeys((*TIERS, "count"), 0))
        if tier in TIERS:
            row[tier] += count
        row["count"] += count
    rows = [{"score_bucket": label, **counts} for (_, label), counts in sorted(buckets.items())]
    if unscored:
        rows.append({"score_bucket": "unscored", **dict.fromkeys(TIERS, 0), "count": unscored})
    return AnalyticsResult(
        report="score_distribution", rows=rows, group_by="score_bucket", metric="count",
        chart=Chart(type="stacked", x="score_bucket", y=list(TIERS), title=f"Score distribution ({bucket_size}-point buckets) by tier") if rows else None,
        definitions=[f"buckets of {bucket_size} points by current score; columns count leads per tier"],
        based_on=sum(r["count"] for r in rows), filters_applied=where.applied, problems=where.problems,
    )


# ---------------------------------------------------------------------------------------------
# Time to first contact and rep performance: per-lead facts, summarised in Python (medians)


@dataclass(frozen=True)
class _LeadFact:
    owner: str  # rep email or "unassigned"
    source: str
    channel: str
    hours_to_contact: float | None
    converted: bool | None
    open: bool


def _lead_facts(session: Session, where: _Scope) -> list[_LeadFact]:
    first = (
        select(Activity.lead_id, func.min(Activity.occurred_at).label("first_at"))
        .where(Activity.direction == Direction.OUTBOUND.value, Activity.kind.in_([k.value for k in CONTACT_KINDS]))
        .group_by(Activity.lead_id)
        .subquery()
    )
    statement = (
        select(Rep.email, Lead.source, Lead.channel, Lead.created_at, first.c.first_at, Lead.last_contacted_at, Lead.converted, Lead.stage)
        .select_from(Lead).outerjoin(Rep, Lead.owner_id == Rep.id).outerjoin(first, first.c.lead_id == Lead.id)
        .where(*where.conditions)
    )
    open_stages = {s.value for s in OPEN_STAGES}
    facts = []
    for email, source, channel, created, first_at, last_contacted, converted, stage in session.execute(statement):
        contact = first_at or last_contacted
        hours = None if contact is None else max(0.0, (contact - created).total_seconds() / 3600)
        facts.append(_LeadFact(email or "unassigned", source, channel, hours, converted, stage in open_stages))
    return facts


def _grouped(facts: Sequence[_LeadFact], key: Callable[[_LeadFact], str]) -> dict[str, list[_LeadFact]]:
    groups: dict[str, list[_LeadFact]] = defaultdict(list)
    for fact in facts:
        groups[key(fact)].append(fact)
    return groups


def _median_first(rows: list[dict[str, Any]], column: str) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda row: (row[column] is None, row[column] or 0, str(next(iter(row.values())))))


def time_to_first_contact(
    session: Session, *, lead_filter: LeadFilter | None, by: ContactBy, viewer: Viewer, now: datetime
) -> AnalyticsResult:
    """Median and p90 hours from creation to first contact: one total (`by="all"`, a row named "all
    leads"), or per rep (owner), source or channel, fastest first."""
    where = scope(session, lead_filter=lead_filter, viewer=viewer, now=now)
    facts = _lead_facts(session, where)
    name = {"rep": "owner", "all": "leads"}.get(by, by)
    rows = []
    for group, members in _grouped(facts, lambda f: "all leads" if by == "all" else f.owner if by == "rep" else getattr(f, by)).items():
        hours = [f.hours_to_contact for f in members if f.hours_to_contact is not None]
        rows.append({
            name: group, "median_hours": _hours(quantile(hours, 0.5)), "p90_hours": _hours(quantile(hours, 0.9)),
            "contacted": len(hours), "not_contacted": len(members) - len(hours),
        })
    rows = _median_first(rows, "median_hours")
    title = "Hours to first contact" if by == "all" else f"Hours to first contact by {by}"
    return AnalyticsResult(
        report="time_to_first_contact", rows=rows, group_by=name, metric="median_hours",
        chart=Chart(type="grouped", x=name, y=["median_hours", "p90_hours"], title=title, unit="hours") if rows else None,
        definitions=[FIRST_CONTACT, "leads never contacted are counted apart (not_contacted)"],
        based_on=len(facts), filters_applied=where.applied, problems=where.problems,
    )


SLA_COLUMNS = ("first-touch SLA (routing policy `sla:`): sla_watched = leads assigned under an SLA, sla_met = first touch "
               "in time, sla_nudged = missed once (owner nudged), sla_reassigned = missed twice (routed to someone else)")


def _sla_by_rep(session: Session, where: _Scope) -> dict[str, dict[str, int]]:
    """Each rep's first-touch SLA record on the leads in scope (empty when no SLA was ever watched)."""
    from leadpilot.memory.routing_state import SlaWatch

    statement = (select(Rep.email, SlaWatch.status, SlaWatch.touched_at, SlaWatch.due_at, SlaWatch.nudged_at)
                 .select_from(SlaWatch).join(Rep, Rep.id == SlaWatch.rep_id).join(Lead, Lead.id == SlaWatch.lead_id)
                 .where(*where.conditions))
    found: dict[str, dict[str, int]] = {}
    for email, status, touched_at, due_at, nudged_at in session.execute(statement):
        record = found.setdefault(email, {"sla_watched": 0, "sla_met": 0, "sla_nudged": 0, "sla_reassigned": 0})
        record["sla_watched"] += 1
        record["sla_met"] += touched_at is not None and touched_at <= due_at
        record["sla_nudged"] += nudged_at is not None
        record["sla_reassigned"] += status == "reassigned"
    return found


def rep_performance(session: Session, *, lead_filter: LeadFilter | None, viewer: Viewer, now: datetime) -> AnalyticsResult:
    """Per rep (owned leads only): conversion rate, leads owned, contacted, won, lost, open
    pipeline and median hours to first contact, and — once the routing policy's first-touch SLA
    has watched their leads — sla_watched, sla_met, sla_nudged, sla_reassigned; best conversion first."""
    where = scope(session, lead_filter=lead_filter, viewer=viewer, now=now)
    facts = [fact for fact in _lead_facts(session, where) if fact.owner != "unassigned"]
    rows = []
    for owner, members in _grouped(facts, lambda f: f.owner).items():
        won = sum(1 for f in members if f.converted is True)
        lost = sum(1 for f in members if f.converted is False)
        hours = [f.hours_to_contact for f in members if f.hours_to_contact is not None]
        rows.append({
            "owner": owner, "conversion_rate": _rate(won, won + lost), "leads": len(members), "contacted": len(hours),
            "converted": won, "lost": lost, "open_pipeline": sum(1 for f in members if f.open),
            "median_hours_to_first_contact": _hours(quantile(hours, 0.5)),
        })
    rows.sort(key=lambda row: (row["conversion_rate"] is None, -(row["conversion_rate"] or 0), -row["leads"], row["owner"]))
    sla = _sla_by_rep(session, where)
    for row in rows:
        if row["owner"] in sla:
            row.update(sla.pop(row["owner"]))
    if viewer.sees_everything:  # reps whose leads were all taken away for missed SLAs still answer for them
        rows += [{"owner": owner, "conversion_rate": None, "leads": 0, "contacted": 0, "converted": 0, "lost": 0, "open_pipeline": 0,
                  "median_hours_to_first_contact": None, **record} for owner, record in sorted(sla.items())]
    return AnalyticsResult(
        report="rep_performance", rows=rows, group_by="owner", metric="conversion_rate",
        chart=Chart(type="bar", x="owner", y=["conversion_rate"], title="Conversion rate by rep", unit="percent") if rows else None,
        definitions=[CONVERSION, FIRST_CONTACT, "open pipeline = open leads (not won or lost)", "only reps who own leads in scope are listed",
                     *([SLA_COLUMNS] if sla else [])],
        based_on=len(facts), filters_applied=where.applied, problems=where.problems,
    )
