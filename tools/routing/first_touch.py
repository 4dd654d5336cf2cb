"""Time to first touch: how long a new lead waits for its first outbound contact (an email sent, a
call or a meeting), before and after Leadpilot started routing, and for leads it routed against
leads it did not (hand-assigned, claimed, or owned on import).

Agent-facing functions (typed, docstring, plain-data return): `first_touch_change` (median before
and after a cut-over: by default the first lead the routing engine assigned) and
`first_touch_by_routing` (routed vs not, over the same window). A median counts the leads not
touched yet as still waiting (a Kaplan-Meier median), so recent leads whose slow first touches have
not happened yet cannot make a period look fast; touched and untouched leads are counted beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadpilot.memory.models import Activity, Assignment, Lead
from leadpilot.memory.routing_state import SlaWatch
from leadpilot.memory.vocab import CONTACT_KINDS, Direction
from leadpilot.tools.routing.policy_outcomes import duration_text

# Assignments a person made (Slack/web "Assign to me", an admin's reassignment); every other rule is the engine's.
MANUAL_RULES = ("manual",)


def _minutes(delta: timedelta) -> float:
    return round(delta.total_seconds() / 60, 1)


def _text(minutes: float | None) -> str:
    return duration_text(timedelta(minutes=minutes)) if minutes is not None else "n/a"


def _engine_assignments():
    return select(Assignment.lead_id, func.min(Assignment.assigned_at).label("at")).where(
        Assignment.rule.is_not(None), Assignment.rule.not_in(MANUAL_RULES)).group_by(Assignment.lead_id)


def _first_contact():
    return (select(Activity.lead_id, func.min(Activity.occurred_at).label("at"))
            .where(Activity.direction == Direction.OUTBOUND.value, Activity.kind.in_([k.value for k in CONTACT_KINDS]))
            .group_by(Activity.lead_id).subquery())


def _waits(session: Session, *, start: datetime, end: datetime) -> list[tuple[int, datetime, datetime | None, datetime | None]]:
    """(lead id, created, first touch or None, first engine assignment or None) for leads created in [start, end)."""
    touch, routed = _first_contact(), _engine_assignments().subquery()
    query = (select(Lead.id, Lead.created_at, touch.c.at, routed.c.at)
             .outerjoin(touch, touch.c.lead_id == Lead.id).outerjoin(routed, routed.c.lead_id == Lead.id)
             .where(Lead.created_at >= start, Lead.created_at < end))
    return [tuple(row) for row in session.execute(query)]


def _median_wait(touched: Sequence[float], waiting: Sequence[float]) -> float | None:
    """The median wait for a first touch, counting leads not touched yet as waiting so far
    (Kaplan-Meier): recent leads whose slow first touches have not happened yet cannot make a
    period look fast. None when fewer than half are known to be touched."""
    events = sorted([(t, 1) for t in touched] + [(w, 0) for w in waiting])
    at_risk, still_waiting, index = len(events), 1.0, 0
    while index < len(events):
        moment, done, left = events[index][0], 0, 0
        while index < len(events) and events[index][0] == moment:
            done += events[index][1]
            left += 1
            index += 1
        if done:
            still_waiting *= 1 - done / at_risk
            if still_waiting <= 0.5:
                return moment
        at_risk -= left
    return None


def _group(rows: Sequence[tuple[int, datetime, datetime | None, datetime | None]], *, now: datetime) -> dict[str, Any]:
    touched = [_minutes(at - created) for _, created, at, _ in rows if at is not None and at >= created]
    waiting = [_minutes(now - created) for _, created, at, _ in rows if at is None]
    return {"leads": len(rows), "touched": len(touched), "not_touched": len(waiting), "median_minutes": _median_wait(touched, waiting)}


def _change(before: float | None, after: float | None) -> float | None:
    return round(100 * (after - before) / before, 1) if after is not None and before else None


def routing_started(session: Session) -> datetime | None:
    """When Leadpilot started routing: its first engine assignment, else the first SLA watch."""
    first = session.scalar(select(func.min(Assignment.assigned_at)).where(Assignment.rule.is_not(None),
                                                                         Assignment.rule.not_in(MANUAL_RULES)))
    return first or session.scalar(select(func.min(SlaWatch.assigned_at)))


def first_touch_change(session: Session, *, now: datetime, since: datetime | None = None, window_days: int = 90) -> dict[str, Any]:
    """Median time to first touch (creation to first outbound email, call or meeting) for leads
    created in the `window_days` before `since` and after it (default `since`: when Leadpilot
    started routing). Returns {"since", "before", "after" (leads, touched, not_touched,
    median_minutes), "change_pct", "answer"}."""
    since = since or routing_started(session)
    if since is None:
        return {"since": None, "before": None, "after": None, "change_pct": None,
                "answer": "Leadpilot has not routed a lead yet, so there is no before and after to compare "
                          "(give a cut-over date with --since)."}
    before = _group(_waits(session, start=since - timedelta(days=window_days), end=since), now=now)
    after = _group(_waits(session, start=since, end=min(now, since + timedelta(days=window_days)) + timedelta(seconds=1)), now=now)
    b, a = before["median_minutes"], after["median_minutes"]
    change = _change(b, a)
    answer = (f"Median time to first touch: {_text(b)} before {since:%Y-%m-%d} ({before['touched']} of {before['leads']} leads "
              f"touched), {_text(a)} after ({after['touched']} of {after['leads']} touched)"
              + (f": {change:+.1f}%." if change is not None else "."))
    return {"since": since.isoformat(), "before": before, "after": after, "change_pct": change, "answer": answer}


def first_touch_by_routing(session: Session, *, now: datetime, days: int = 90) -> dict[str, Any]:
    """Median time to first touch over leads created in the last `days`: those the routing engine
    assigned against the rest (assigned by hand, claimed, owned on import, or never assigned).
    Returns {"days", "routed", "not_routed" (leads, touched, not_touched, median_minutes),
    "change_pct" (routed against not routed), "answer"}."""
    rows = _waits(session, start=now - timedelta(days=days), end=now + timedelta(seconds=1))
    routed = _group([r for r in rows if r[3] is not None], now=now)
    other = _group([r for r in rows if r[3] is None], now=now)
    change = _change(other["median_minutes"], routed["median_minutes"])
    if not routed["leads"]:
        answer = (f"None of the {other['leads']} leads created in the last {days} days was routed by Leadpilot "
                  f"(median time to first touch {_text(other['median_minutes'])}, {other['touched']} touched).")
    else:
        answer = (f"Leads created in the last {days} days: routed by Leadpilot {_text(routed['median_minutes'])} to first touch "
                  f"({routed['touched']} of {routed['leads']} touched), others {_text(other['median_minutes'])} "
                  f"({other['touched']} of {other['leads']} touched)" + (f": {change:+.1f}%." if change is not None else "."))
    return {"days": days, "routed": routed, "not_routed": other, "change_pct": change, "answer": answer}
