"""The roster spreadsheet's columns and cells: which header means which rep field, and each cell read
into the value the store keeps — or a message naming what is wrong and how to write it.

Used by roster.py (`leadpilot reps import roster.csv`). A blank cell means "leave as it is"; a
single "-" clears a list or an attribute.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic_core import PydanticCustomError

from leadpilot.tools.routing.policy_values import (
    SEGMENT_NAMES,
    WEEKDAYS,
    _choice,
    _clock_time,
    _industry,
    _language,
    _place,
    _rep_email,
    _weekday,
)

ROLES = ("rep", "manager", "admin")
CLEAR = "-"

# Header (lower case, spaces and dashes as _) -> the rep field it fills; "attributes.x" is a rep
# attribute a pool's `where:` can test (skill, seniority, tag...). Any other header is kept as an
# attribute of that name, and the import says so (a misspelt roster field shows up there).
COLUMNS = {
    "email": "email", "rep_email": "email", "e_mail": "email", "rep": "email",
    "name": "name", "full_name": "name", "rep_name": "name",
    "team": "team",
    "role": "role",
    "language": "languages", "languages": "languages", "speaks": "languages",
    "territory": "territories", "territories": "territories", "region": "territories", "regions": "territories",
    "industry": "industries", "industries": "industries",
    "segment": "segments", "segments": "segments",
    "skill": "attributes.skills", "skills": "attributes.skills",
    "seniority": "attributes.seniority", "level": "attributes.seniority",
    "tag": "attributes.tags", "tags": "attributes.tags",
    "capacity": "capacity", "max_open_leads": "capacity",
    "daily_cap": "daily_cap", "max_new_per_day": "daily_cap",
    "weight": "routing_weight", "routing_weight": "routing_weight",
    "working_hours": "working_hours", "hours": "working_hours",
    "timezone": "timezone", "time_zone": "timezone", "tz": "timezone",
    "active": "active",
    "slack_user_id": "slack_user_id", "slack_id": "slack_user_id",
}
LIST_FIELDS = ("languages", "territories", "industries", "segments")
EXAMPLE = "email,name,team,role,languages,territory,skills,seniority,tags,capacity,working_hours,timezone,active"


class CellError(ValueError):
    """A cell that cannot be read; the message says how to write it."""


def header_key(header: str | None) -> str:
    return re.sub(r"[\s\-]+", "_", (header or "").strip().lower())


def column_field(header: str | None) -> str | None:
    """The rep field a header fills: a known roster column, else an attribute of that name (None
    for a header that cannot be an attribute name)."""
    key = header_key(header)
    if key in COLUMNS:
        return COLUMNS[key]
    return f"attributes.{key}" if re.fullmatch(r"[a-z][a-z0-9_]*", key) else None


def _items(text: str) -> list[str]:
    return [item.strip() for item in re.split(r"[;|,]", text) if item.strip()]


def _checked(check: Callable[[object], Any], value: str) -> Any:
    try:
        return check(value)
    except PydanticCustomError as error:
        raise CellError(error.message()) from None


def _list_of(check: Callable[[object], Any]) -> Callable[[str], list[str]]:
    def read(text: str) -> list[str]:
        if text == CLEAR:
            return []
        found: list[str] = []
        for item in _items(text):
            value = _checked(check, item)
            if value not in found:
                found.append(value)
        return found

    return read


def _whole(noun: str) -> Callable[[str], int]:
    def read(text: str) -> int:
        if not re.fullmatch(r"\d+(\.0+)?", text):
            raise CellError(f"{text!r} is not a whole number — write the {noun} as a number such as 150")
        return int(float(text))

    return read


def _weight(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 1000:
        raise CellError(f"{text!r} is not a weight — write a number from 0 to 1000 (2 takes twice the leads of 1; 0 takes none)")
    return value


def _active(text: str) -> bool:
    key = text.lower()
    if key in ("true", "yes", "y", "1", "active"):
        return True
    if key in ("false", "no", "n", "0", "inactive"):
        return False
    raise CellError(f"{text!r} is not yes or no — write true (takes leads) or false (left, on leave...)")


def _role(text: str) -> str:
    if text.lower() in ROLES:
        return text.lower()
    raise CellError(f"unknown role {text!r} — use rep, manager or admin (what the person may see); a job title such as AE "
                    "or SDR goes in the tags column")


def _timezone(text: str) -> str:
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise CellError(f"unknown time zone {text!r} — use an IANA name such as Europe/Berlin or America/New_York") from None
    return text


_HOURS = re.compile(r"(\d{1,2}:\d{2})\s*(?:-|–|to)\s*(\d{1,2}:\d{2})\s*(.*)", re.IGNORECASE)


def _days(text: str) -> list[int]:
    days: set[int] = set()
    for part in _items(re.sub(r"\s*[-–]\s*", "-", text.strip()).replace(" ", ",")):
        ends = [p.strip() for p in re.split(r"[-–]", part)]
        if len(ends) == 2:
            first, last = _checked(_weekday, ends[0]), _checked(_weekday, ends[1])
            days.update(range(first, last + 1) if first <= last else [*range(first, 7), *range(0, last + 1)])
        else:
            days.add(_checked(_weekday, part))
    return sorted(days)


def _working_hours(text: str) -> dict[str, Any]:
    """09:00-17:00 (Monday to Friday), 09:00-17:00 Mon-Fri, 08:30-16:30 mon,tue,thu; "-" clears them."""
    if text == CLEAR:
        return {}
    match = _HOURS.fullmatch(text.strip())
    if match is None:
        raise CellError(f"{text!r} is not working hours — write them like 09:00-17:00 Mon-Fri (in the rep's timezone column)")
    try:
        start, end = _clock_time(match[1]), _clock_time(match[2])
        days = _days(match[3]) if match[3].strip() else [0, 1, 2, 3, 4]
    except (PydanticCustomError, CellError) as error:
        raise CellError(f"{text!r}: {error.message() if isinstance(error, PydanticCustomError) else error} — write them like "
                        "09:00-17:00 Mon-Fri") from None
    if end <= start:
        raise CellError(f"{text!r}: the end must be later than the start on the same day, e.g. 09:00-17:00")
    return {"start": match[1].zfill(5), "end": match[2].zfill(5), "days": days}


def _text(limit: int) -> Callable[[str], str]:
    def read(text: str) -> str:
        if len(text) > limit:
            raise CellError(f"too long ({len(text)} characters) — keep it under {limit}")
        return text

    return read


def _attribute(text: str) -> list[str]:
    return [] if text == CLEAR else [item.lower() for item in _items(text)]


READERS: dict[str, Callable[[str], Any]] = {
    "email": lambda text: _checked(_rep_email, text),
    "name": _text(200),
    "team": _text(64),
    "role": _role,
    "languages": _list_of(_language),
    "territories": _list_of(_place),
    "industries": _list_of(_industry),
    "segments": _list_of(_choice("segment", SEGMENT_NAMES, {"mid_market": "mid-market", "midmarket": "mid-market"})),
    "capacity": _whole("maximum of open leads"),
    "daily_cap": _whole("maximum of new leads per day"),
    "routing_weight": _weight,
    "working_hours": _working_hours,
    "timezone": _timezone,
    "active": _active,
    "slack_user_id": _text(32),
}


def read_cell(field: str, text: str) -> Any:
    """The value of one non-blank cell for `field` (a rep field or "attributes.<name>")."""
    if field.startswith("attributes."):
        return _attribute(text)
    return READERS[field](text)


def _day_ranges(days: list[int]) -> str:
    """[0, 1, 2, 3, 4, 6] -> Mon-Fri,Sun."""
    runs: list[list[int]] = []
    for day in sorted(days):
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    name = lambda d: WEEKDAYS[d].title()  # noqa: E731
    return ",".join(name(r[0]) if len(r) == 1 else f"{name(r[0])}-{name(r[-1])}" for r in runs)


def shown(value: Any) -> str:
    """A field's value as the import reports it."""
    if isinstance(value, dict) and {"start", "end"} <= set(value):
        return f"{value['start']}-{value['end']} {_day_ranges(value.get('days', []))}".strip()
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value) or "(none)"
    if value is None or value == {}:
        return "(none)"
    return str(value)
