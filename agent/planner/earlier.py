"""The period before: "and the month before?", "what about the week before that?", "previous quarter?"
after a question about a time window asks the same again, for the period of that kind just before the
last one (its created or closed window moved back). Nothing else is changed.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from leadpilot.agent.planner.core import Context, Plan, ToolCall

_EARLIER = re.compile(
    r"^\s*(?:(?:and|but|ok|okay|so|then)\s*,?\s+)?(?:(?:what|how)\s+about|and\s+for|same\s+for|now|vs\.?|versus|compared\s+to)?\s*,?\s*"
    r"(?:for\s+|in\s+)?(?:the\s+|that\s+)?(?:(?:(?P<unit>day|week|month|quarter|year|one)|(?P<n>\d+)\s+(?P<unitn>days|weeks))\s+"
    r"(?:before|prior|earlier)(?:\s+(?:that|this|it))?"
    r"|(?:previous|prior|preceding)\s+(?P<unit2>day|week|month|quarter|year|one))\s*(?:then|please|pls)?\s*[?.!]*\s*$",
    re.I,
)
_WINDOWS = (("created_after", "created_before"), ("closed_after", "closed_before"))


def _months_back(day: date, months: int) -> date:
    month = day.month - 1 - months
    return day.replace(year=day.year + month // 12, month=month % 12 + 1, day=1)


def _earlier(start: date, end: date, unit: str) -> tuple[date, date]:
    """The period of `unit` just before [start, end): a calendar one when the window starts one."""
    months = {"month": 1, "quarter": 3, "year": 12}.get(unit)
    if months and start.day == 1 and (unit != "quarter" or start.month % 3 == 1) and (unit != "year" or start.month == 1):
        return _months_back(start, months), start
    counted = re.fullmatch(r"(\d+) (days|weeks)", unit)
    days = (int(counted.group(1)) * (7 if counted.group(2) == "weeks" else 1) if counted else {"day": 1, "week": 7}.get(unit)) or (end - start).days
    return start - timedelta(days=days), start


def read_earlier_period(text: str, *, context: Context, today: date) -> Plan | None:
    """The last query again over the period before its window, or None when the message is not that."""
    said = _EARLIER.match(text)
    last = context.last_call
    if said is None:
        return None
    if last is None:
        if said.group("unit2"):
            return None  # "previous month?" as a first question: read as a question of its own
        return Plan(message="The period before which? Ask about a time window first (e.g. 'how many leads came in last month'), "
                            "then 'and the month before?'.")
    unit = (said.group("unit") or said.group("unit2") or "one").lower()
    if said.group("n"):  # "the 30 days before": that many days (weeks) before the window
        unit = f"{said.group('n')} {said.group('unitn').lower()}"
    lead_filter: dict[str, Any] = dict(last.args.get("filter") or {})
    if "created_within_days" in lead_filter:
        days = lead_filter.pop("created_within_days")
        lead_filter["created_after"], lead_filter["created_before"] = str(today - timedelta(days=days)), str(today + timedelta(days=1))
    for after, before in _WINDOWS:
        if after not in lead_filter:
            continue
        start = date.fromisoformat(str(lead_filter[after])[:10])
        end = date.fromisoformat(str(lead_filter[before])[:10]) if before in lead_filter else today + timedelta(days=1)
        first, last_day = _earlier(start, end, unit if unit != "one" else "period")
        lead_filter[after], lead_filter[before] = first.isoformat(), last_day.isoformat()
        return Plan(calls=[ToolCall(last.name, {**last.args, "filter": lead_filter})],
                    readings=[f"Read that as the {unit if unit != 'one' else 'period'} before: {first.isoformat()} to "
                              f"{(last_day - timedelta(days=1)).isoformat()}."])
    return None
