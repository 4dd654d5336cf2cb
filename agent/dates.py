"""Relative date phrases ("this week", "since Monday", "last 30 days") resolved against the clock.

Weeks start on Monday; days are UTC days. "Last month" is the previous calendar month; "in the
last month" and "past month" are the last 30 days (likewise week = 7, year = 365). "The weekend"
is the latest Saturday and Sunday. "Before October" ends where the latest 1 October begins.
Quarters are calendar quarters: "q4", "Q3 2026", "the second quarter" ("q4" alone is the latest Q4
that has begun); "in October 2025" and "in 2025" are that month and year; "past 48 hours" is 2 days;
"between Oct 1 and Oct 15" includes both days. "Last Tuesday" and "on Monday" are that one day, the
latest before today; "since the 1st" starts on the latest 1st. Windows said together ("yesterday or
today") are one span when they touch (`joined`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december",
)
_MONTH_ABBR = {m[:3]: i + 1 for i, m in enumerate(MONTHS)} | {m: i + 1 for i, m in enumerate(MONTHS)} | {"sept": 9}


@dataclass(frozen=True)
class Window:
    """A half-open period [start, end); end None = up to now. `days` set for "last N days" phrasing."""

    start: date | None = None
    end: date | None = None
    days: int | None = None


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, 1)


_UNIT_DAYS = {"day": 1, "week": 7, "month": 30, "quarter": 91, "year": 365}
_QUARTER_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4, "last": 4}
_YEAR = r"(?:20\d{2}|'\d{2})"
MONTH_NAMES = _MONTH_NAMES = "|".join(sorted(_MONTH_ABBR, key=len, reverse=True))  # a regex alternation
_DAY = rf"(?:\d{{4}}-\d{{2}}-\d{{2}}|(?:{_MONTH_NAMES})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTH_NAMES})|(?:{_MONTH_NAMES}))"
WINDOW_PATTERN = (
    rf"(?:between|from)\s+(?:the\s+)?(?P<range_a>{_DAY})\s+(?:and|to|till|until|through|thru|-)\s+(?:the\s+)?(?P<range_b>{_DAY})\b"
    r"|(?:(?:in|over|during|within|for)\s+)?(?:the\s+)?(?:last|past|previous)\s+(?P<hours>24|48|72|96|120|144|168)\s+h(?:ou)?rs?\b"
    r"|(?:(?:in|over|during|within|for)\s+)?(?:the\s+)?(?:last|past|previous)\s+(?P<n>\d+)\s+(?P<unit>day|week|month|quarter|year)s?"
    r"|(?:in|over|during|within|for)\s+the\s+(?:last|past|previous)\s+(?P<unit1>day|week|month|year)\b"
    r"|(?:(?:over|during|on|at)\s+)?(?:the\s+|this\s+|last\s+)?(?P<weekend>weekend)\b"
    r"|(?:in|over|during|within|for)\s+(?:the\s+)?(?P<n2>\d+)\s+(?P<unit2>day|week|month|year)s?"
    r"|since\s+(?:the\s+)?(?:start\s+of\s+|beginning\s+of\s+)?(?P<since_rel>yesterday|last\s+week|last\s+month|last\s+quarter|last\s+year)"
    rf"|(?:(?:in|during|for|from|over)\s+)?(?:the\s+)?(?P<qord>first|1st|second|2nd|third|3rd|fourth|4th)\s+quarter(?:\s+(?:of\s+)?(?P<qord_year>{_YEAR}))?\b"
    rf"|(?P<qsince>since\s+)?(?:(?:in|during|for|from|over)\s+)?(?:the\s+)?(?:(?P<qyear_first>{_YEAR})\s+)?q(?P<q>[1-4])(?:\s*(?:of\s+)?(?:fy\s*)?(?P<qyear>{_YEAR}))?\b"
    rf"|(?:(?:in|during|for|from|over)\s+)?(?P<my_mon>{_MONTH_NAMES})\.?\s+(?P<my_year>20\d{{2}})\b"
    r"|(?:in|during|for|over)\s+(?:the\s+year\s+)?(?P<year>20\d{2})\b(?!\s*(?:employees|people|staff|\+|or\b))"
    r"|(?P<rel>today|yesterday|this\s+week|this\s+month|this\s+quarter|this\s+year|last\s+week|last\s+month|last\s+quarter|last\s+year|past\s+week|past\s+month|past\s+quarter|past\s+year|last\s+day|past\s+day|year\s+to\s+date|ytd|month\s+to\s+date|mtd|quarter\s+to\s+date|qtd|week\s+to\s+date|wtd)"
    r"|since\s+(?:last\s+)?(?P<weekday>monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
    r"|(?:(?:on|from)\s+)?(?:last\s+|this\s+past\s+|(?<=on\s))(?P<day_of_week>monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b"
    r"|since\s+(?:the\s+)?(?P<since_nth>[1-9]|[12]\d|3[01])(?:st|nd|rd|th)\b(?!\s*(?:of\b|-|/|\d|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)))"
    r"|since\s+(?P<iso>\d{4}-\d{2}-\d{2})"
    rf"|since\s+(?:the\s+)?(?:(?P<day_a>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mon_a>{_MONTH_NAMES})|(?P<mon_b>{_MONTH_NAMES})\.?\s+(?P<day_b>\d{{1,2}})(?:st|nd|rd|th)?|(?P<mon_c>{_MONTH_NAMES}))\b"
    rf"|(?:in|during|for|from)\s+(?:the\s+month\s+of\s+)?(?P<in_month>{_MONTH_NAMES})\b"
    r"|before\s+(?P<before_iso>\d{4}-\d{2}-\d{2})"
    rf"|before\s+(?:the\s+)?(?:(?P<bday_a>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<bmon_a>{_MONTH_NAMES})|(?P<bmon_b>{_MONTH_NAMES})\.?\s+(?P<bday_b>\d{{1,2}})(?:st|nd|rd|th)?|(?P<bmon_c>{_MONTH_NAMES}))\b"
    r"|since\s+(?:the\s+)?start\s+of\s+(?:the\s+)?(?P<start_of>week|month|quarter|year)"
)
WINDOW_RE = re.compile(WINDOW_PATTERN)


def _latest(month: int, day: int, today: date) -> date:
    """The latest `month`/`day` on or before today ("since March 3" in May is this year's)."""
    year = today.year if (month, day) <= (today.month, today.day) else today.year - 1
    return date(year, month, day)


def _year(said: str | None, today: date) -> int | None:
    if not said:
        return None
    return 2000 + int(said[1:]) if said.startswith("'") else int(said)


def _quarter(number: int, year: int | None, today: date, *, since: bool = False) -> Window:
    """Quarter `number` of `year`, else the latest one that has begun ("q4" in November is this
    year's, "q1" next to it too); an end still to come is left open."""
    start = date(year or today.year, 3 * (number - 1) + 1, 1)
    if year is None and start > today:
        start = start.replace(year=start.year - 1)
    end = _add_months(start, 3)
    return Window(start=start, end=None if since or end > today else end)


def _day(said: str, today: date, *, end: bool) -> date:
    """One end of "between Oct 1 and Oct 15": a date (the day after it, for the end), or a month
    (its first day; the first day of the next month, for the end). The latest one by today."""
    said = " ".join(said.split()).rstrip(".")
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", said):
        day = date.fromisoformat(said)
        return day + timedelta(days=1) if end else day
    month = next((_MONTH_ABBR[w] for w in re.findall(r"[a-z]+", said) if w in _MONTH_ABBR), 1)
    number = re.search(r"\d{1,2}", said)
    if number is None:
        start = _latest(month, 1, today)
        return _add_months(start, 1) if end else start
    day = _latest(month, int(number.group(0)), today)
    return day + timedelta(days=1) if end else day


def resolve_window(match: re.Match[str], *, today: date) -> Window:
    """Turn a WINDOW_RE match into dates relative to `today`."""
    g = match.groupdict()
    if g["range_a"]:
        start, end = _day(g["range_a"], today, end=False), _day(g["range_b"], today, end=True)
        if end <= start:  # "between December and February": the start is last year's
            start = start.replace(year=start.year - 1)
        return Window(start=start, end=end if end <= today else None)
    if g["hours"]:
        return Window(days=int(g["hours"]) // 24)
    if g["since_rel"]:
        said = " ".join(g["since_rel"].split())
        start = resolve_window(WINDOW_RE.match(said), today=today).start
        return Window(start=start)
    if g["qord"]:
        return _quarter(_QUARTER_ORDINALS[g["qord"]], _year(g["qord_year"], today), today)
    if g["q"]:
        return _quarter(int(g["q"]), _year(g["qyear"] or g["qyear_first"], today), today, since=bool(g["qsince"]))
    if g["my_mon"]:
        start = date(int(g["my_year"]), _MONTH_ABBR[g["my_mon"]], 1)
        end = _add_months(start, 1)
        return Window(start=start, end=end if end <= today else None)
    if g["year"]:
        start = date(int(g["year"]), 1, 1)
        return Window(start=start, end=date(start.year + 1, 1, 1) if start.year < today.year else None)
    if g["n"] or g["n2"]:
        n = int(g["n"] or g["n2"])
        unit = g["unit"] or g["unit2"]
        return Window(days=n * _UNIT_DAYS[unit])
    if g["unit1"]:
        return Window(days=_UNIT_DAYS[g["unit1"]])
    if g["weekend"]:
        saturday = today - timedelta(days=(today.weekday() - 5) % 7)
        end = saturday + timedelta(days=2)
        return Window(start=saturday, end=end if end <= today else None)
    if rel := g["rel"]:
        rel = " ".join(rel.split())
        week_start = today - timedelta(days=today.weekday())
        quarter_start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
        table = {
            "today": Window(start=today),
            "yesterday": Window(start=today - timedelta(days=1), end=today),
            "this week": Window(start=week_start),
            "this month": Window(start=_month_start(today)),
            "month to date": Window(start=_month_start(today)),
            "this quarter": Window(start=quarter_start),
            "this year": Window(start=date(today.year, 1, 1)),
            "year to date": Window(start=date(today.year, 1, 1)),
            "ytd": Window(start=date(today.year, 1, 1)),
            "last week": Window(start=week_start - timedelta(days=7), end=week_start),
            "last month": Window(start=_add_months(_month_start(today), -1), end=_month_start(today)),
            "last quarter": Window(start=_add_months(quarter_start, -3), end=quarter_start),
            "last year": Window(start=date(today.year - 1, 1, 1), end=date(today.year, 1, 1)),
            "past week": Window(days=7),
            "past month": Window(days=30),
            "past year": Window(days=365),
            "past quarter": Window(days=91),
            "mtd": Window(start=_month_start(today)),
            "quarter to date": Window(start=quarter_start),
            "qtd": Window(start=quarter_start),
            "week to date": Window(start=week_start),
            "wtd": Window(start=week_start),
            "last day": Window(days=1),
            "past day": Window(days=1),
        }
        return table[rel]
    if weekday := g["weekday"]:
        back = (today.weekday() - WEEKDAYS.index(weekday)) % 7
        return Window(start=today - timedelta(days=back))
    if day_of_week := g["day_of_week"]:  # "last Tuesday", "on Monday": that one day, the latest before today
        back = (today.weekday() - WEEKDAYS.index(day_of_week)) % 7 or 7
        day = today - timedelta(days=back)
        return Window(start=day, end=day + timedelta(days=1))
    if nth := g["since_nth"]:  # "since the 1st": the latest such day of a month, on or before today
        day = int(nth)
        month = today.replace(day=1) if day <= today.day else _add_months(today.replace(day=1), -1)
        while True:  # "since the 31st" in a 30-day month: the month before that has one
            try:
                return Window(start=month.replace(day=day))
            except ValueError:
                month = _add_months(month, -1)
    if iso := g["iso"]:
        return Window(start=date.fromisoformat(iso))
    month_name = g["mon_a"] or g["mon_b"] or g["mon_c"]
    if month_name:
        return Window(start=_latest(_MONTH_ABBR[month_name], int(g["day_a"] or g["day_b"] or 1), today))
    if g["before_iso"]:
        return Window(end=date.fromisoformat(g["before_iso"]))
    if before_month := g["bmon_a"] or g["bmon_b"] or g["bmon_c"]:
        return Window(end=_latest(_MONTH_ABBR[before_month], int(g["bday_a"] or g["bday_b"] or 1), today))
    if in_month := g["in_month"]:
        month = _MONTH_ABBR[in_month]
        year = today.year if month <= today.month else today.year - 1
        start = date(year, month, 1)
        return Window(start=start, end=_add_months(start, 1))
    if start_of := g["start_of"]:
        fake = WINDOW_RE.match(f"this {start_of}")
        return resolve_window(fake, today=today)
    raise ValueError(f"unhandled window {match.group(0)!r}")


def joined(windows: list[Window], *, today: date) -> Window | None:
    """One window for several said together ("yesterday or today", "last week and this week"): the
    span from the earliest start to the latest end, when they touch or overlap; None when there is a
    gap between them ("in October or December"), which one window cannot say."""
    if len(windows) == 1:
        return windows[0]
    if all(w.days is not None for w in windows):
        return Window(days=max(w.days for w in windows))  # type: ignore[type-var]
    spans = sorted(((w.start or date.min) if w.days is None else today - timedelta(days=w.days), w.end) for w in windows)
    start, end = spans[0]
    for next_start, next_end in spans[1:]:
        if end is not None and next_start > end:
            return None
        end = None if end is None or next_end is None else max(end, next_end)
    return Window(start=None if start == date.min else start, end=end)


def window_as_datetime_bounds(window: Window) -> tuple[datetime | None, datetime | None]:
    from datetime import time, timezone

    def at(day: date | None) -> datetime | None:
        return datetime.combine(day, time.min, tzinfo=timezone.utc) if day else None

    return at(window.start), at(window.end)
