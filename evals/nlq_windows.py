"""Time windows of the `evals nlq` language, resolved against the pinned clock: named windows
(today, this_week, last_quarter, weekend ...), `{days: N}`, `{since: X}`, `{before: X}`, `{month: M}`,
`{older_than_days: N}`. Weeks start Monday; days are UTC days."""

from __future__ import annotations

from datetime import date, datetime, time as clock_time, timedelta, timezone
from typing import Any

from leadpilot.evals.nlq_cases import DatasetError

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")


def _midnight(day: date) -> datetime:
    return datetime.combine(day, clock_time.min, tzinfo=timezone.utc)


def _month_start(day: date, months_back: int = 0) -> date:
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _latest(month: int, day: int, today: date) -> date:
    """The latest month/day on or before today."""
    year = today.year if (month, day) <= (today.month, today.day) else today.year - 1
    return date(year, month, day)


def resolve_instant(value: Any, now: datetime) -> datetime:
    """A `since` / `before` bound: a weekday or "october 5" / "october" (the latest one, today
    included), a date or a datetime."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, date):
        return _midnight(value)
    text = str(value).strip().lower()
    today = now.date()
    if text in _WEEKDAYS:
        return _midnight(today - timedelta(days=(today.weekday() - _WEEKDAYS.index(text)) % 7))
    words = text.split()
    if words and words[0] in _MONTHS and len(words) <= 2:
        return _midnight(_latest(_MONTHS.index(words[0]) + 1, int(words[1]) if len(words) == 2 else 1, today))
    try:
        parsed = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:
        raise DatasetError(f"bad date {value!r}: use a weekday, 'october 5', 'october' or an ISO date") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def resolve_window(spec: Any, now: datetime) -> tuple[datetime | None, datetime | None]:
    """[start, end) of a window spec; None = unbounded."""
    today = now.date()
    week = today - timedelta(days=today.weekday())
    saturday = today - timedelta(days=(today.weekday() - 5) % 7)
    named = {
        "weekend": (saturday, saturday + timedelta(days=2)),
        "today": (today, None),
        "yesterday": (today - timedelta(days=1), today),
        "this_week": (week, None),
        "last_week": (week - timedelta(days=7), week),
        "this_month": (_month_start(today), None),
        "last_month": (_month_start(today, 1), _month_start(today)),
        "this_quarter": (_quarter_start(today), None),
        "last_quarter": (_month_start(_quarter_start(today), 3), _quarter_start(today)),
        "this_year": (date(today.year, 1, 1), None),
        "last_year": (date(today.year - 1, 1, 1), date(today.year, 1, 1)),
    }
    if isinstance(spec, str):
        if spec not in named:
            raise DatasetError(f"unknown window {spec!r}; use one of {', '.join(named)} or a mapping")
        start, end = named[spec]
        return _midnight(start), _midnight(end) if end else None
    if not isinstance(spec, dict) or not spec or set(spec) - {"days", "since", "before", "month", "older_than_days"}:
        raise DatasetError(f"bad window {spec!r}: use days, since, before, month or older_than_days")
    start: datetime | None = None
    end: datetime | None = None
    if "days" in spec:
        start = now - timedelta(days=int(spec["days"]))
    if "since" in spec:
        start = resolve_instant(spec["since"], now)
    if "before" in spec:
        end = resolve_instant(spec["before"], now)
    if "older_than_days" in spec:
        end = now - timedelta(days=int(spec["older_than_days"]))
    if "month" in spec:
        month = str(spec["month"]).lower()
        first = _latest(_MONTHS.index(month) + 1, 1, today) if month in _MONTHS else datetime.strptime(month, "%Y-%m").date()
        start, end = _midnight(first), _midnight((first + timedelta(days=31)).replace(day=1))
    return start, end


def in_window(moment: datetime | None, window: tuple[datetime | None, datetime | None]) -> bool:
    start, end = window
    return moment is not None and (start is None or moment >= start) and (end is None or moment < end)
