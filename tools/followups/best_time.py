"""The best time to reach a lead, read from when it engaged with us, in its own local time.

Each inbound engagement (an email opened or clicked, a site visit, a form, a call they made or
picked up) is placed at its local weekday and hour, weighted by the follow-up policy. The best
window is the run of `window_hours` hours holding the most weight; its days are the weekdays those
events fell on. With fewer than `min_events` events the lead's industry default is used instead.
Every result says which it used, on how many events, and how sure it is.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from leadpilot.memory.models import Activity, Lead, Rep
from leadpilot.memory.timezones import ZoneGuess, lead_zone, valid_zone
from leadpilot.tools.followups.policy import WEEKDAYS, FollowUpPolicy, Window

_ENGAGEMENT_KINDS = ("email_opened", "email_clicked", "page_view", "form_submit", "call")
# How one event of each signal reads in an explanation: (singular noun, "opened 4 of 5 emails" verb).
_NOUNS = {
    "email_opened": ("email open", "opened {k} of {n} emails"),
    "email_clicked": ("email click", "clicked {k} of {n} email links"),
    "page_view": ("site visit", "made {k} of {n} site visits"),
    "form_submit": ("form", "sent {k} of {n} forms"),
    "call_inbound": ("call to us", "made {k} of {n} calls to us"),
    "call_connected": ("answered call", "picked up {k} of {n} calls"),
}


def signal_of(kind: str, direction: str, meta: dict[str, Any] | None) -> str | None:
    """The engagement signal an activity is, or None when it says nothing about the lead's hours
    (our own emails, notes, unanswered calls)."""
    if kind == "call":
        if direction == "inbound":
            return "call_inbound"
        return "call_connected" if (meta or {}).get("outcome") == "connected" else None
    if direction == "inbound" and kind in _NOUNS:
        return kind
    return None


@dataclass(frozen=True)
class Engagement:
    signal: str
    at: datetime  # aware UTC


class BestTime(BaseModel):
    """When to reach a lead, and why."""

    lead_id: int
    company: str | None
    timezone: str
    timezone_source: str  # "city San Francisco, US", "country DE", ...
    days: list[str]  # ["Tue", "Wed", "Thu"]
    start: str  # "09:00", the lead's local time
    end: str
    window: str  # "Tue–Thu 09:00–11:00"
    basis: Literal["history", "default"]
    confidence: Literal["high", "medium", "low", "default"]
    events: int  # engagement events read (inside the look-back)
    in_window: int  # of those, inside the window
    why: str
    next_start: datetime | None = None  # UTC, the next time the window opens (or now, when open)
    next_end: datetime | None = None
    next_local: str | None = None  # "Tue 24 Nov 09:00–11:00 America/New_York"
    viewer_timezone: str | None = None
    next_viewer: str | None = None  # the same window in the viewer's (or rep's) time zone

    def summary(self) -> str:
        """One line: the window, local and for the viewer, and the reason."""
        text = f"{self.window} {self.timezone}"
        if self.next_viewer and self.viewer_timezone != self.timezone:
            text += f" (next: {self.next_viewer})"
        return f"{text} — {self.why}"


def days_phrase(days: Sequence[int]) -> str:
    """'Tue–Thu', 'Mon, Wed', 'Mon–Fri', 'any day'."""
    ordered = sorted(set(days))
    if len(ordered) == 7:
        return "any day"
    names = [WEEKDAYS[d].capitalize() for d in ordered]
    if len(ordered) >= 3 and ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"{names[0]}–{names[-1]}"
    return ", ".join(names)


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _why_history(chosen: list[Engagement], total: list[Engagement], where: str) -> str:
    kinds = Counter(e.signal for e in total)
    inside = Counter(e.signal for e in chosen)
    if len(kinds) == 1:
        signal = next(iter(kinds))
        return _NOUNS[signal][1].format(k=len(chosen), n=len(total)) + f" {where} local"
    parts = ", ".join(f"{count} {_NOUNS[s][0]}{'s' if count > 1 else ''}" for s, count in inside.most_common())
    return f"{len(chosen)} of {len(total)} engagements ({parts}) fell {where} local"


@dataclass(frozen=True)
class _Pick:
    days: tuple[int, ...]
    start: int  # minutes after local midnight
    end: int
    chosen: list[Engagement]
    share: float


def _pick_window(events: Sequence[Engagement], zone: ZoneInfo, policy: FollowUpPolicy) -> _Pick:
    """The `window_hours` run of local hours with the most engagement weight (ties: more events,
    then the earlier hour), starting at its first hour with an event, and the weekdays its events fell on."""
    weights = policy.history.weights
    local = [(e, e.at.astimezone(zone)) for e in events]
    total = sum(weights.get(e.signal, 0.0) for e in events)
    width = policy.history.window_hours
    best: tuple[float, int, int] | None = None
    for start in range(0, 25 - width):
        inside = [e for e, at in local if start <= at.hour < start + width]
        key = (sum(weights.get(e.signal, 0.0) for e in inside), len(inside), -start)
        if best is None or key > best:
            best = key
    assert best is not None
    start = -best[2]
    chosen = [e for e, at in local if start <= at.hour < start + width]
    # Ties go to the earliest start; slide it up to the first hour with an event (same events inside).
    start = min((at.hour for e, at in local if start <= at.hour < start + width), default=start)
    days = tuple(sorted({at.weekday() for e, at in local if start <= at.hour < start + width}))
    return _Pick(days, start * 60, (start + width) * 60, chosen, best[0] / total if total else 0.0)


def next_window(window_days: Sequence[int], start: int, end: int, *, zone: ZoneInfo, now: datetime) -> tuple[datetime, datetime]:
    """The next [start, end) of a weekly local window, in UTC; the current one when it is open."""
    today = now.astimezone(zone).date()
    for offset in range(8):
        day = today + timedelta(days=offset)
        if day.weekday() not in window_days:
            continue
        opens = datetime.combine(day, time(start // 60, start % 60), tzinfo=zone)
        closes = datetime.combine(day, time(0), tzinfo=zone) + timedelta(minutes=end)
        if closes > now:
            return opens.astimezone(now.tzinfo), closes.astimezone(now.tzinfo)
    raise ValueError("a window with at least one weekday always recurs within a week")


def window_on(day: date, window_days: Sequence[int], start: int, end: int, *, zone: ZoneInfo) -> tuple[datetime, datetime] | None:
    """The window on one local date, or None when that weekday is not one of its days."""
    if day.weekday() not in window_days:
        return None
    opens = datetime.combine(day, time(0), tzinfo=zone) + timedelta(minutes=start)
    return opens, datetime.combine(day, time(0), tzinfo=zone) + timedelta(minutes=end)


def format_span(start: datetime, end: datetime, zone: str) -> str:
    """'Tue 24 Nov 09:00–11:00 America/New_York' (both ends in `zone`)."""
    tz = ZoneInfo(zone)
    a, b = start.astimezone(tz), end.astimezone(tz)
    text = f"{a:%a %d %b %H:%M}–{b:%H:%M}"
    if b.date() != a.date():
        text = f"{a:%a %d %b %H:%M}–{b:%a %H:%M}"
    return f"{text} {zone}"


def best_time(
    *,
    lead_id: int,
    company: str | None,
    industry: str | None,
    zone: ZoneGuess,
    events: Iterable[Engagement],
    policy: FollowUpPolicy,
    now: datetime,
    viewer_zone: str | None = None,
) -> BestTime:
    """Read one lead's engagement into its best window (or its industry default), explained."""
    tz = zone.tzinfo
    cutoff = now - timedelta(days=policy.history.lookback_days)
    used = [e for e in events if cutoff <= e.at <= now and policy.history.weights.get(e.signal, 0.0) > 0]
    history = policy.history
    if len(used) >= history.min_events:
        pick = _pick_window(used, tz, policy)
        days, start, end = pick.days, pick.start, pick.end
        where = f"{days_phrase(days)} {_hhmm(start)}–{_hhmm(end)}"
        why = _why_history(pick.chosen, used, where)
        if len(used) >= history.high_events and pick.share >= history.high_share:
            confidence = "high"
        elif pick.share >= history.medium_share:
            confidence = "medium"
        else:
            confidence = "low"
        why += f"; {confidence} confidence, based on {len(used)} events"
        basis, in_window = "history", len(pick.chosen)
    else:
        window: Window
        window, named = policy.window_for(industry)
        days, start, end = window.days, window.start.hour * 60 + window.start.minute, window.end.hour * 60 + window.end.minute
        where = f"{days_phrase(days)} {_hhmm(start)}–{_hhmm(end)}"
        seen = f"only {len(used)} engagement event{'s' if len(used) != 1 else ''}" if used else "no engagement history"
        why = f"{named} ({seen} in the last {history.lookback_days} days)"
        basis, confidence, in_window = "default", "default", 0
    opens, closes = next_window(days, start, end, zone=tz, now=now)
    viewer = valid_zone(viewer_zone) or zone.zone
    return BestTime(
        lead_id=lead_id, company=company, timezone=zone.zone, timezone_source=zone.detail,
        days=[WEEKDAYS[d].capitalize() for d in days], start=_hhmm(start), end=_hhmm(end), window=where,
        basis=basis, confidence=confidence, events=len(used), in_window=in_window, why=why,
        next_start=opens, next_end=closes, next_local=format_span(opens, closes, zone.zone),
        viewer_timezone=viewer, next_viewer=format_span(opens, closes, viewer),
    )


def engagement_events(session: Session, *, lead_ids: Sequence[int], since: datetime) -> dict[int, list[Engagement]]:
    """Each lead's engagement signals since `since`, oldest first."""
    found: dict[int, list[Engagement]] = {lead_id: [] for lead_id in lead_ids}
    for start in range(0, len(lead_ids), 500):  # bounded IN lists
        chunk = list(lead_ids[start : start + 500])
        rows = session.execute(
            select(Activity.lead_id, Activity.kind, Activity.direction, Activity.meta, Activity.occurred_at)
            .where(Activity.lead_id.in_(chunk), Activity.kind.in_(_ENGAGEMENT_KINDS), Activity.occurred_at >= since)
            .order_by(Activity.lead_id, Activity.occurred_at)
        )
        for lead_id, kind, direction, meta, occurred_at in rows:
            signal = signal_of(kind, direction, meta)
            if signal is not None:
                found[lead_id].append(Engagement(signal, occurred_at))
    return found


def zone_of(lead: Lead, owner: Rep | None) -> ZoneGuess:
    return lead_zone(city=lead.city, state=lead.state, country=lead.country, owner_zone=owner.timezone if owner else None)


def best_time_for_lead(
    session: Session, *, lead: Lead, policy: FollowUpPolicy, now: datetime, viewer_zone: str | None = None
) -> BestTime:
    """The best time to reach `lead` (already checked visible by the caller)."""
    events = engagement_events(session, lead_ids=[lead.id], since=now - timedelta(days=policy.history.lookback_days))
    return best_time(
        lead_id=lead.id, company=lead.company, industry=lead.industry, zone=zone_of(lead, lead.owner),
        events=events[lead.id], policy=policy, now=now, viewer_zone=viewer_zone or (lead.owner.timezone if lead.owner else None),
    )
