"""Inflow: "how many leads came in in September?" counts every lead created in September, open or
closed — arrivals (volume), not what is still open (issue #15, the lead's ruling). A RevOps lead
asking "how many did we get last week?" wants the intake; a rep asking "what came in yesterday?"
wants leads to work, so lists keep the open default.

Read as a phrase, like any other: the reader's last pass (`Inflow.read_inflow`) reads an inflow
phrase ("came in", "did we get", "we got", "arrived", "new leads/deals") as `scope: all` when the question
is a plain count (no grouping, or by source, channel or month), its only time condition is when the
leads were created, and its other conditions say who the leads are or where they came from (source,
channel, industry, place, size, owner, person). A working state (tier, score, probability, contact,
activity) or a lifecycle said outright (a stage, "open", "including closed", converted, MQL) keeps
what the question said or the open default. A follow-up to an inflow count ("and last week?", "how
many of them are hot?") keeps its `scope: all` only while it is still an inflow count
(`followed_scope`): every arrival last week, then the open hot ones.
"""

from __future__ import annotations

import re
from typing import Any

from leadpilot.agent.planner.reading import Reading

INFLOW = re.compile(
    r"\b(?:came|come|comes|coming)\s+in\b|\barrive[ds]?\b|\barriving\b|\b(?:did|do|have|has)\s+we\s+(?:get|got|gotten|receive)\b"
    r"|\bwe(?:'ve|\s+have)?\s+(?:got|gotten)\b|\bnew\s+(?:leads?|ones|prospects?|contacts?|sign[\s-]?ups?|deals?|opps?|opportunities|accounts?)\b",
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


class Inflow(Reading):
    """The reader's last pass: an inflow phrase on a count of arrivals reads as every lead, open or closed."""

    counted = False  # a side of a comparison: a count, whether or not it says "how many"

    def read_inflow(self) -> None:
        if (self.aggregate is None and not self.counted) or "scope" in self.filter or not INFLOW.search(self.original):
            return
        if is_inflow_count({"filter": self.filter, **(self.aggregate or {})}):
            self.filter["scope"] = "all"


def followed_scope(previous: dict[str, Any], lead_filter: dict[str, Any], aggregate: dict[str, Any] | None) -> dict[str, Any]:
    """A follow-up's merged filter (`lead_filter`, with `aggregate`) after `previous` (the last
    aggregate call's args): an inflow count's `scope: all` was its reading of the phrase, not a
    condition said, so it stays only while the follow-up is still an inflow count."""
    before = previous.get("filter") or {}
    if before.get("scope") != "all" or lead_filter.get("scope") != "all":
        return lead_filter
    if not is_inflow_count({**previous, "filter": {k: v for k, v in before.items() if k != "scope"}}):
        return lead_filter  # "including closed" said outright: it stays
    rest = {k: v for k, v in lead_filter.items() if k != "scope"}
    return lead_filter if aggregate is not None and is_inflow_count({**aggregate, "filter": rest}) else rest
