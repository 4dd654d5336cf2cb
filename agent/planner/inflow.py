"""Inflow: "how many leads came in in September?" counts every lead created in September, open or
closed — arrivals (volume), not what is still open (issue #15, the lead's ruling). A RevOps lead
asking "how many did we get last week?" wants the intake; a rep asking "what came in yesterday?"
wants leads to work, so lists keep the open default.

A count reads `scope: all` when the question says an inflow phrase ("came in", "did we get", "we
got", "arrived", "new leads"), it is a plain count (no grouping, or by source, channel or month),
its only time condition is when the leads were created, and its other conditions say who the leads
are or where they came from (source, channel, industry, place, size, owner, person). A working state
(tier, score, probability, contact, activity) or a lifecycle said outright (a stage, "open",
"including closed", converted, MQL) keeps what the question said or the open default: "how many
came in this week and how many of them are hot?" counts every arrival, then the open hot ones.
"""

from __future__ import annotations

import re
from typing import Any

INFLOW = re.compile(
    r"\b(?:came|come|comes|coming)\s+in\b|\barrive[ds]?\b|\barriving\b|\b(?:did|do|have|has)\s+we\s+(?:get|got|gotten|receive)\b"
    r"|\bwe(?:'ve|\s+have)?\s+(?:got|gotten)\b|\bnew\s+(?:leads?|ones|prospects?|contacts?|sign[\s-]?ups?)\b",
    re.I,
)
_CREATED = frozenset(("created_within_days", "created_after", "created_before"))
# Who a lead is and where it came from: these narrow an intake count without making it about work.
_WHO = frozenset((
    "source", "not_source", "channel", "not_channel", "industry", "not_industry", "city", "not_city", "state", "country",
    "not_country", "region", "not_region", "segment", "min_employees", "max_employees", "owner", "company", "contact",
    "seniority", "department", "title", "has_email", "has_phone",
))
_GROUPS = (None, "source", "channel", "month")


def _about_who(conditions: dict[str, Any]) -> bool:
    for key, value in conditions.items():
        if key == "any_of":
            if not all(isinstance(one, dict) and _about_who(one) for one in value or []):
                return False
        elif key not in _WHO and key not in _CREATED:
            return False
    return True


def is_inflow_count(args: dict[str, Any]) -> bool:
    """True when `args` (an aggregate_leads call's) is a count of arrivals in a created window."""
    lead_filter = args.get("filter") or {}
    return (
        args.get("metric", "count") == "count"
        and args.get("group_by") in _GROUPS
        and bool(_CREATED & set(lead_filter))
        and "scope" not in lead_filter
        and _about_who(lead_filter)
    )


def inflow_args(args: dict[str, Any], *, said: bool) -> dict[str, Any]:
    """The call with `scope: all` when it is an inflow count and an inflow phrase was `said` (in the
    question, or in the one it follows up)."""
    if not said or not is_inflow_count(args):
        return args
    return {**args, "filter": {**(args.get("filter") or {}), "scope": "all"}}


def inflow_followed(name: str, args: dict[str, Any]) -> bool:
    """True when a call a follow-up builds on is an inflow count: its `scope: all` is the count's
    reading, not a condition said, so the follow-up reads its own ("and last week?" is inflow
    again, "how many of them are hot?" the open hot ones)."""
    lead_filter = args.get("filter") or {}
    if name != "aggregate_leads" or lead_filter.get("scope") != "all":
        return False
    return is_inflow_count({**args, "filter": {k: v for k, v in lead_filter.items() if k != "scope"}})
