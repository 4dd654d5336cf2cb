"""Who to follow up with on a day ("who should I call today?"), ranked, each with the reason and
the suggested time.

A lead is on the list when all of these hold, and the list says so in `filters_applied`:
- it is open (always: won and lost leads are never followed up, whatever the filter's scope), in a
  tier the follow-up policy follows up (hot, warm), and not snoozed;
- it is due: not contacted for at least its tier's cadence (never contacted counts as due);
- its best-time window (tools/followups/best_time.py: from its engagement, else its industry default)
  falls on that day in the lead's local time;
or it has an open follow-up task (from the capture pipeline: a call for a new hot lead, an email
for a warm one) due by the end of that day, whatever its window and cadence — a task done by
contacting the lead after it was created no longer counts.
Whose leads: a rep's own; managers and admins see everyone's, or one rep's (filter.owner). Any
other lead filter narrows the list ("in fintech").

Ranked: leads with a task first, the earliest deadline first; then hot before warm; then the most overdue (never contacted first); then score; then the
earliest window. Leads whose window today has already passed stay on the list, after the others,
marked so.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from leadpilot.memory.models import Lead, Rep
from leadpilot.memory.pipeline import FollowUpTask
from leadpilot.memory.timezones import valid_zone
from leadpilot.memory.vocab import OPEN_STAGES
from leadpilot.tools.followups.best_time import BestTime, best_time, engagement_events, format_span, window_on, zone_of
from leadpilot.tools.followups.policy import WEEKDAYS, FollowUpPolicy
from leadpilot.tools.leads import LeadFilter, Viewer, compile_filter, describe_filter, owner_lookup, scope_line
from leadpilot.tools.leads import lead_row

_TIER_RANK = {"hot": 0, "warm": 1, "cold": 2}
_FULL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class FollowUpQuery(BaseModel):
    """Whose follow-ups, for which day."""

    model_config = ConfigDict(extra="forbid")

    day: str = Field("today", description="today, tomorrow, a weekday (the next one, today included) or a date YYYY-MM-DD.")
    filter: LeadFilter = Field(default_factory=LeadFilter, description="Narrows the list; filter.owner for one rep's (managers and admins).")
    limit: int | None = Field(None, ge=1, le=500, description="At most this many leads, best first.")

    @field_validator("day")
    @classmethod
    def _known_day(cls, value: str) -> str:
        text = value.strip().lower()
        if text in ("today", "tomorrow") or text in _FULL_DAYS or text[:3] in WEEKDAYS and len(text) == 3:
            return text
        try:
            date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"unknown day {value!r}: use today, tomorrow, a weekday like monday, or a date like 2026-11-24") from None
        return text


class FollowUpList(BaseModel):
    leads: list[dict[str, Any]]  # lead fields plus `follow_up`: reason, suggested time, best time
    total: int
    truncated: bool
    day: str  # the date (caller's time zone) the list is for
    filters_applied: list[str]
    problems: list[str] = Field(default_factory=list)
    not_today: int = 0  # due, but their best day is another day


class FollowUpError(ValueError):
    """The list cannot be made as asked (an unknown rep, a rep asking for another rep's list)."""


def _days_ahead(day: str, today: date) -> int:
    if day == "today":
        return 0
    if day == "tomorrow":
        return 1
    if day[:3] in WEEKDAYS and (day in _FULL_DAYS or len(day) == 3):
        return (WEEKDAYS.index(day[:3]) - today.weekday()) % 7
    ahead = (date.fromisoformat(day) - today).days
    if ahead < 0:
        raise FollowUpError(f"{day} is in the past; ask for today, tomorrow or a later date")
    return ahead


def _whose(session: Session, *, lead_filter: LeadFilter, viewer: Viewer) -> tuple[Rep | None, list]:
    """The rep whose list it is (None = everyone the viewer sees) and the extra conditions: a rep
    gets their own leads only, and cannot ask for another rep's."""
    lookup = owner_lookup(session)
    named = {viewer.rep_id if owner == "me" else lookup.get(owner.lower()) for owner in lead_filter.owner or [] if owner != "unassigned"}
    if not viewer.sees_everything:
        if viewer.rep_id is None:
            raise FollowUpError("You are not linked to a rep, so you have no follow-ups.")
        if named - {viewer.rep_id}:
            raise FollowUpError("Reps see their own follow-ups only; managers and admins can ask for a rep's.")
        return session.get(Rep, viewer.rep_id), [Lead.owner_id == viewer.rep_id]
    if len(named) == 1 and None not in named:
        return session.get(Rep, next(iter(named))), []
    return None, []


def _days_since(moment: datetime | None, now: datetime) -> float | None:
    return None if moment is None else (now - moment).total_seconds() / 86_400


def follow_ups_due(
    session: Session, *, query: FollowUpQuery, viewer: Viewer, now: datetime, policy: FollowUpPolicy, row_cap: int
) -> FollowUpList:
    """The ranked follow-up list for a day (see the module docstring for the rules)."""
    list_rep, own = _whose(session, lead_filter=query.filter, viewer=viewer)
    compiled = compile_filter(query.filter, now=now, viewer=viewer, owner_ids=owner_lookup(session))
    problems = list(compiled.problems)
    if query.filter.scope in ("closed", "all"):
        problems.append("follow-ups are for open leads only: won and lost leads are never on the list")
    caller_zone = valid_zone(list_rep.timezone) if list_rep is not None else None

    today = now.astimezone(ZoneInfo(caller_zone or "UTC")).date()
    ahead = _days_ahead(query.day, today)
    moment = now + timedelta(days=ahead)  # "due by then"
    cadence = policy.cadence_days
    due = [
        and_(Lead.tier == tier, or_(Lead.last_contacted_at.is_(None), Lead.last_contacted_at <= moment - timedelta(days=days)))
        for tier, days in cadence.items()
    ]
    listed = [  # whose and which leads, before the cadence
        *compiled.conditions, *own,
        Lead.stage.in_([stage.value for stage in OPEN_STAGES]),
        or_(Lead.snoozed_until.is_(None), Lead.snoozed_until <= moment),
    ]
    statement = select(Lead).outerjoin(Rep, Lead.owner_id == Rep.id).where(*listed, or_(*due)).order_by(Lead.id)
    candidates = list(session.scalars(statement).unique())
    day_end = datetime.combine(moment.astimezone(ZoneInfo(caller_zone or "UTC")).date() + timedelta(days=1), datetime.min.time(),
                               tzinfo=ZoneInfo(caller_zone or "UTC"))
    tasks = _open_tasks(session, conditions=listed, due_by=day_end)
    known = {lead.id for lead in candidates}
    candidates += [task_lead for task_lead in session.scalars(select(Lead).where(Lead.id.in_(set(tasks) - known)))]
    events = engagement_events(session, lead_ids=[lead.id for lead in candidates], since=now - timedelta(days=policy.history.lookback_days))

    ranked: list[tuple[tuple, dict[str, Any]]] = []
    not_today = 0
    for lead in candidates:
        zone = zone_of(lead, lead.owner)
        shown_zone = caller_zone or (valid_zone(lead.owner.timezone) if lead.owner else None) or "UTC"
        best = best_time(lead_id=lead.id, company=lead.company, industry=lead.industry, zone=zone, events=events[lead.id],
                         policy=policy, now=now, viewer_zone=shown_zone)
        local_day = moment.astimezone(zone.tzinfo).date()
        minutes = [int(part[:2]) * 60 + int(part[3:]) for part in (best.start, best.end)]
        days = [WEEKDAYS.index(d.lower()) for d in best.days]
        window = window_on(local_day, days, minutes[0], minutes[1], zone=zone.tzinfo)
        task = tasks.get(lead.id)
        if window is None and task is None:
            not_today += 1
            continue
        passed = window is None or window[1] <= now
        since = _days_since(lead.last_contacted_at, now)
        overdue = float("inf") if since is None else since / max(cadence.get(lead.tier, 1), 1)
        entry = lead_row(lead)
        entry["follow_up"] = _explain(lead, best, window, passed=passed, since=since, cadence=cadence.get(lead.tier),
                                      shown_zone=shown_zone, day_word=query.day, task=task, now=now)
        deadline = task.due_at.timestamp() if task is not None else 0.0
        key = (task is None, deadline, passed, _TIER_RANK.get(lead.tier or "", 9), -overdue, -(lead.score or 0),
               window[0] if window else moment, lead.id)
        ranked.append((key, entry))
    ranked.sort(key=lambda pair: pair[0])
    cap = min(query.limit or row_cap, row_cap)
    leads = [entry for _, entry in ranked[:cap]]
    tiers = ", ".join(f"{tier} not contacted in {days} day{'s' if days != 1 else ''}" for tier, days in cadence.items())
    target = moment.astimezone(ZoneInfo(caller_zone or "UTC")).date()
    whose = [f"owner: {list_rep.email}" + (" (you)" if list_rep.id == viewer.rep_id else "")] if list_rep is not None else []
    applied = [
        f"due {query.day}" + ("" if query.day in ("today", "tomorrow") else f" ({target.isoformat()})"),
        *whose, *[line for line in describe_filter(query.filter) if not line.startswith("owner:") and line != scope_line(query.filter)],
        "open, not snoozed", f"due: {tiers} (or never)", "best-time window falls on that day (lead's local time)",
        "or an open follow-up task due by the end of that day",
    ]
    return FollowUpList(
        leads=leads, total=len(ranked), truncated=len(ranked) > len(leads), day=target.isoformat(),
        filters_applied=applied, problems=problems, not_today=not_today,
    )


def _open_tasks(session: Session, *, conditions: list, due_by: datetime) -> dict[int, FollowUpTask]:
    """Each listed lead's earliest open task due before `due_by`, skipping tasks the rep has done by
    contacting the lead since the task was made. `conditions` select the leads (without the cadence)."""
    statement = (
        select(FollowUpTask).join(Lead, Lead.id == FollowUpTask.lead_id).outerjoin(Rep, Lead.owner_id == Rep.id)
        .where(*conditions, FollowUpTask.status == "open", FollowUpTask.due_at < due_by,
               or_(Lead.last_contacted_at.is_(None), Lead.last_contacted_at < FollowUpTask.created_at))
        .order_by(FollowUpTask.due_at, FollowUpTask.id)
    )
    tasks: dict[int, FollowUpTask] = {}
    for task in session.scalars(statement):
        tasks.setdefault(task.lead_id, task)
    return tasks


def _explain(lead: Lead, best: BestTime, window: tuple[datetime, datetime] | None, *, passed: bool, since: float | None,
             cadence: int | None, shown_zone: str, day_word: str, task: FollowUpTask | None, now: datetime) -> dict[str, Any]:
    """Why this lead is on the list and when to call, in words and fields."""
    contacted = "never contacted" if since is None else f"last contacted {since:.0f} day{'s' if round(since) != 1 else ''} ago"
    every = f" ({lead.tier}: every {cadence} day{'s' if cadence != 1 else ''})" if cadence else ""
    reason = f"{lead.tier}, {contacted}{every}"
    due = None
    if task is not None:
        due = task.due_at  # aware: UTCDateTime
        when = f"{due.astimezone(ZoneInfo(shown_zone)):%a %d %b %H:%M} {shown_zone}"
        reason = f"{task.kind} task due {when}{' (overdue)' if due <= now else ''}: {task.reason}; {contacted}"
    if window is not None and not passed and (due is None or window[0] < due):
        suggested = format_span(window[0], window[1], shown_zone)
    elif due is not None:
        suggested = f"by {due.astimezone(ZoneInfo(shown_zone)):%a %d %b %H:%M} {shown_zone} (the task's deadline)"
        if due <= now:
            suggested = "now (the task is overdue)"
    else:
        suggested = f"{day_word}'s best window ({best.start}–{best.end} {best.timezone}) has passed; call when you can"
    return {
        "reason": reason,
        "suggested_time": suggested,
        "task": None if task is None else {"id": task.id, "kind": task.kind, "due_at": due.isoformat(), "reason": task.reason},
        "window_start": window[0].isoformat() if window else None,
        "window_end": window[1].isoformat() if window else None,
        "window_passed": window is not None and passed,
        "best_time": f"{best.window} {best.timezone}",
        "why_this_time": best.why,
        "basis": best.basis,
        "confidence": best.confidence,
        "timezone": best.timezone,
        "timezone_source": best.timezone_source,
    }
