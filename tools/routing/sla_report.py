"""How reps keep the first-touch SLA, and time to first touch before and after SLAs started.

Agent-facing functions (typed, docstring, plain-data return): `sla_performance` ("how are reps
doing on SLAs?", "who missed their first-touch SLA?") and `first_touch_change` (median time to
first touch before/after a date, by default the day the SLA watch started).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from statistics import median
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadpilot.memory.models import Activity, Lead, Rep
from leadpilot.memory.routing_state import SlaWatch
from leadpilot.memory.vocab import CONTACT_KINDS, Direction
from leadpilot.tools.routing.policy_outcomes import duration_text


def _minutes(delta: timedelta) -> float:
    return round(delta.total_seconds() / 60, 1)


def sla_performance(session: Session, *, now: datetime, days: int = 30) -> dict[str, Any]:
    """Each rep's first-touch SLA record over the last `days`: leads watched, touched in time, nudged
    (first breach), reassigned away (second breach), still waiting, and the median minutes from
    assignment to first touch. Returns {"days", "reps": [...], "answer"}."""
    since = now - timedelta(days=days)
    rows = session.execute(
        select(SlaWatch.rep_id, SlaWatch.status, SlaWatch.assigned_at, SlaWatch.touched_at, SlaWatch.nudged_at, SlaWatch.due_at)
        .where(SlaWatch.assigned_at >= since)
    ).all()
    names = dict(session.execute(select(Rep.id, Rep.name)).all())
    emails = dict(session.execute(select(Rep.id, Rep.email)).all())
    per: dict[int, dict[str, Any]] = defaultdict(lambda: {"watched": 0, "met": 0, "nudged": 0, "reassigned": 0, "waiting": 0, "touch": []})
    for rep_id, status, assigned_at, touched_at, nudged_at, due_at in rows:
        if rep_id is None:
            continue
        record = per[rep_id]
        record["watched"] += 1
        record["nudged"] += nudged_at is not None
        record["reassigned"] += status == "reassigned"
        record["waiting"] += status in ("watching", "nudged")
        if touched_at is not None:
            record["touch"].append(_minutes(touched_at - assigned_at))
            record["met"] += touched_at <= due_at
    reps = []
    for rep_id, record in per.items():
        touch = record.pop("touch")
        met_rate = record["met"] / record["watched"] if record["watched"] else 0.0
        reps.append({"rep": emails.get(rep_id), "name": names.get(rep_id), **record, "met_rate": round(met_rate, 4),
                     "median_first_touch_minutes": median(touch) if touch else None})
    reps.sort(key=lambda r: (r["met_rate"], -r["reassigned"], r["name"] or ""))
    if not reps:
        answer = f"No leads were under a first-touch SLA in the last {days} days (set `sla:` in the routing policy)."
    else:
        parts = [f"{r['name']}: {r['met']}/{r['watched']} in time, {r['nudged']} nudged, {r['reassigned']} reassigned"
                 + (f", median first touch {duration_text(timedelta(minutes=r['median_first_touch_minutes']))}"
                    if r["median_first_touch_minutes"] is not None else "") for r in reps]
        answer = f"First-touch SLA, last {days} days (worst first): " + "; ".join(parts) + "."
    return {"days": days, "reps": reps, "answer": answer}


def _first_touches(session: Session, *, start: datetime, end: datetime) -> list[float]:
    """Minutes from creation to the first outbound contact, for leads created in [start, end)."""
    first = (select(Activity.lead_id, func.min(Activity.occurred_at).label("at"))
             .where(Activity.direction == Direction.OUTBOUND.value, Activity.kind.in_([k.value for k in CONTACT_KINDS]))
             .group_by(Activity.lead_id).subquery())
    query = select(Lead.created_at, first.c.at).join(first, first.c.lead_id == Lead.id).where(
        Lead.created_at >= start, Lead.created_at < end)
    return [_minutes(at - created) for created, at in session.execute(query) if at >= created]


def first_touch_change(session: Session, *, now: datetime, since: datetime | None = None, window_days: int = 90) -> dict[str, Any]:
    """Median time to first touch for leads created in the `window_days` before `since` and after it
    (default `since`: when the SLA watch first started). Returns {"since", "before", "after",
    "change_pct", "answer"}."""
    if since is None:
        since = session.scalar(select(func.min(SlaWatch.assigned_at)))
    if since is None:
        return {"since": None, "before": None, "after": None, "change_pct": None,
                "answer": "No SLA has been watched yet, so there is no before and after to compare."}
    before = _first_touches(session, start=since - timedelta(days=window_days), end=since)
    after = _first_touches(session, start=since, end=min(now, since + timedelta(days=window_days)) + timedelta(seconds=1))
    summary = {name: {"leads": len(values), "median_minutes": median(values) if values else None}
               for name, values in (("before", before), ("after", after))}
    b, a = summary["before"]["median_minutes"], summary["after"]["median_minutes"]
    change = round(100 * (a - b) / b, 1) if a is not None and b else None
    answer = (f"Median time to first touch: {duration_text(timedelta(minutes=b)) if b is not None else 'n/a'} before "
              f"{since:%Y-%m-%d} ({len(before)} leads), {duration_text(timedelta(minutes=a)) if a is not None else 'n/a'} after "
              f"({len(after)} leads)" + (f": {change:+.1f}%." if change is not None else "."))
    return {"since": since.isoformat(), **summary, "change_pct": change, "answer": answer}
