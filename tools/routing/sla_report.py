"""How reps keep the first-touch SLA (time to first touch before and after routing is first_touch.py).

Agent-facing function (typed, docstring, plain-data return): `sla_performance` ("how are reps
doing on SLAs?", "who missed their first-touch SLA?").
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from statistics import median
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadpilot.memory.models import Rep
from leadpilot.memory.routing_state import SlaWatch
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
