"""Tiers and scores week by week, rebuilt from the audit: how the pipeline's scoring moved, so
RevOps sees the drift a policy change caused.

Every re-score audits each changed score and tier with the policy version in its reason
("rescore: policy 4d5e6f7a8b9c (was ce2f9070d9e8); ..."). A lead's tier at the end of a week is
the new value of its last tier event up to then (same for its score); leads created later, and
leads already won or lost by then, are left out of that week. The weeks end on Mondays 00:00 UTC
(the last one at `now`). Policy-level audit entries in those weeks (`calibrate --write`: who changed
the policy, when, from what to what and why) come with the weeks.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadpilot.clock import utc
from leadpilot.memory.audit import policy_changes
from leadpilot.memory.models import AuditEvent, Lead
from leadpilot.memory.vocab import Stage

_VERSION = re.compile(r"policy ([0-9a-f]{12})")
_CLOSED = (Stage.CUSTOMER.value, Stage.LOST.value)


@dataclass(frozen=True)
class WeekRow:
    week_ending: str  # ISO date of the week's end (exclusive)
    leads: int  # open and scored at the week's end
    tiers: dict[str, int]  # hot / warm / cold counts
    hot_share: float
    mean_score: float | None
    median_score: float | None
    tier_moves: dict[str, int]  # "warm->hot": n during the week
    policies: list[str]  # policy versions that re-scored during the week


@dataclass(frozen=True)
class PolicyChangeRow:
    at: str  # ISO time
    actor: str
    old: str | None  # "scoring 304358b1fba1: fit A 65, B 45, C 25; engagement 1 65, 2 45, 3 15"
    new: str | None
    reason: str  # the numbers that justified it

    def sentence(self) -> str:
        return f"{self.at[:16].replace('T', ' ')} {self.actor} changed {self.old} → {self.new}: {self.reason}"


@dataclass
class ScoreDrift:
    weeks: list[WeekRow]
    notes: list[str] = field(default_factory=list)
    policy_changes: list[PolicyChangeRow] = field(default_factory=list)  # oldest first

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def as_aggregate(self) -> dict[str, Any]:
        """Week rows with a stacked chart of tiers (the shape the web chat draws as a table and a chart)."""
        rows = [{"week_ending": w.week_ending, "hot": w.tiers["hot"], "warm": w.tiers["warm"], "cold": w.tiers["cold"],
                 "hot_share": round(w.hot_share, 4), "mean_score": w.mean_score,
                 "tier_changes": sum(w.tier_moves.values()), "policies": ", ".join(w.policies)} for w in self.weeks]
        chart = {"type": "stacked", "x": "week_ending", "y": ["hot", "warm", "cold"], "title": "Open leads by tier, week by week",
                 "unit": "count"}
        return {"report": "score_drift", "rows": rows, "group_by": "week_ending", "metric": "hot_share", "chart": chart,
                "definitions": ["each week: open leads by their tier at the week's end, rebuilt from the audit of every "
                                "re-score; policies = policy versions that re-scored leads that week",
                                *(f"policy change: {change.sentence()}" for change in self.policy_changes)],
                "based_on": max((w.leads for w in self.weeks), default=0), "filters_applied": [], "problems": list(self.notes)}


def _week_ends(now: datetime, weeks: int) -> list[datetime]:
    """`weeks` ends: the Mondays before `now` (00:00 UTC), then `now` itself."""
    monday = (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    if monday == now:
        monday -= timedelta(weeks=1)
    return [monday - timedelta(weeks=k) for k in range(weeks - 2, -1, -1)] + [now]


def score_drift(session: Session, *, now: datetime, weeks: int = 8) -> ScoreDrift:
    """The last `weeks` weeks of tiers and scores of open leads, from the audit."""
    if not 1 <= weeks <= 104:
        raise ValueError(f"weeks must be from 1 to 104 (got {weeks})")
    now = utc(now)
    ends = _week_ends(now, weeks)
    created, closed_at = {}, {}
    for row in session.execute(select(Lead.id, Lead.created_at, Lead.stage, Lead.converted_at, Lead.updated_at)):
        created[row.id] = utc(row.created_at)
        if row.stage in _CLOSED:  # when no stage event says when it closed: its conversion, else its last update
            closed_at[row.id] = utc(row.converted_at or row.updated_at)
    history: dict[str, dict[int, list[tuple[datetime, str | None]]]] = {f: defaultdict(list) for f in ("tier", "score", "stage")}
    moves: list[tuple[datetime, str]] = []
    versions: list[tuple[datetime, str]] = []
    events = session.execute(
        select(AuditEvent.lead_id, AuditEvent.at, AuditEvent.field, AuditEvent.old_value, AuditEvent.new_value, AuditEvent.reason)
        .where(AuditEvent.field.in_(("tier", "score", "stage"))).order_by(AuditEvent.at, AuditEvent.id)
    )
    for lead_id, at, name, old, new, reason in events:
        at = utc(at)
        history[name][lead_id].append((at, new))
        if name == "tier":
            moves.append((at, f"{old or 'unscored'}->{new}"))
        if name in ("tier", "score") and (match := _VERSION.search(reason or "")):
            versions.append((at, match[1]))
    for lead_id, at in closed_at.items():
        if lead_id not in history["stage"]:
            history["stage"][lead_id].append((at, Stage.CUSTOMER.value))
    rows, start = [], ends[0] - timedelta(weeks=1)
    for end in ends:
        rows.append(_week(end, start, created, history, moves, versions))
        start = end
    drift = ScoreDrift(weeks=rows)
    for event in reversed(policy_changes(session, since=ends[0] - timedelta(weeks=1), limit=50)):
        if utc(event.at) <= now:
            drift.policy_changes.append(PolicyChangeRow(utc(event.at).isoformat(timespec="seconds"), event.actor,
                                                        event.old_value, event.new_value, event.reason))
    if not any(row.leads for row in rows):
        drift.notes.append("no scored open leads in these weeks: run leadpilot rescore (every re-score is audited)")
    return drift


def _value_at(events: list[tuple[datetime, str | None]], end: datetime) -> str | None:
    index = bisect_right([at for at, _ in events], end, hi=len(events)) - 1 if events else -1
    return events[index][1] if index >= 0 else None


def _week(
    end: datetime, start: datetime, created: dict[int, datetime], history: dict[str, dict[int, list]],
    moves: list[tuple[datetime, str]], versions: list[tuple[datetime, str]],
) -> WeekRow:
    tiers: Counter[str] = Counter()
    scores: list[float] = []
    for lead_id, events in history["tier"].items():
        if created.get(lead_id, end) > end or _value_at(history["stage"].get(lead_id, []), end) in _CLOSED:
            continue
        tier = _value_at(events, end)
        if tier is None:
            continue
        tiers[tier] += 1
        score = _value_at(history["score"].get(lead_id, []), end)
        if score is not None:
            try:
                scores.append(float(score))
            except ValueError:
                pass
    def inside(at: datetime) -> bool:
        return start < at <= end

    total = sum(tiers.values())
    scores.sort()
    return WeekRow(
        week_ending=end.date().isoformat() if end.time() == datetime.min.time() else end.isoformat(timespec="minutes"),
        leads=total,
        tiers={tier: tiers.get(tier, 0) for tier in ("hot", "warm", "cold")},
        hot_share=tiers.get("hot", 0) / total if total else 0.0,
        mean_score=round(sum(scores) / len(scores), 1) if scores else None,
        median_score=scores[len(scores) // 2] if scores else None,
        tier_moves=dict(Counter(move for at, move in moves if inside(at)).most_common()),
        policies=list(dict.fromkeys(version for at, version in versions if inside(at))),
    )
