"""The reports pass: what shape of answer is asked for — a count, conversion rate or average score,
broken down by a field (aggregate), or a list sorted some way and cut to a top N (search)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from leadpilot.agent.planner.reading import Reading, alternation


class Aggregates(Reading):
    which_owner = False  # "which rep has ...?": a count by owner, or who owns the lead named
    """Reads metrics and groupings for aggregate_leads, and sort order and limit for search_leads."""

    def read_aggregate(self) -> None:
        def per_group(m: re.Match[str]) -> None:
            self.unsupported = self.unsupported or (
                f"I can't list {m.group(0).strip()!r}: a list has one top N, not one per group. Ask for one group at a time "
                "(e.g. 'top 3 hot leads in fintech'), or for a count per group ('hot leads by industry')."
            )

        self.take(r"\b(?:top|best|first|bottom|worst)\s+\d+\b.*?\b(?:per|for\s+each|in\s+each|by\s+each|each)\s+\w+", per_group)
        groups = {
            "tier": "tier", "tiers": "tier", "industry": "industry", "industries": "industry", "vertical": "industry",
            "verticals": "industry", "source": "source", "sources": "source", "channel": "channel", "channels": "channel",
            "channel group": "channel", "channel groups": "channel", "seniority": "seniority", "seniority level": "seniority",
            "level": "seniority", "levels": "seniority", "department": "department", "departments": "department",
            "function": "department", "functions": "department",
            "owner": "owner", "owners": "owner", "rep": "owner", "reps": "owner", "salesperson": "owner", "salespeople": "owner",
            "ae": "owner", "aes": "owner", "account executive": "owner", "account executives": "owner", "seller": "owner", "sellers": "owner",
            "stage": "stage", "stages": "stage", "status": "stage", "statuses": "stage", "lead status": "stage", "country": "country", "countries": "country", "state": "state",
            "states": "state", "city": "city", "cities": "city", "month": "month", "months": "month",
            "segment": "segment", "segments": "segment", "company size": "segment", "size": "segment",
        }
        if not any("rating" in column.lower() or "label" in column.lower() for column in self.vocabulary.kept_fields):
            groups |= {"rating": "tier", "ratings": "tier"}  # "leads by rating" where the CRM kept no rating: hot / warm / cold
        metric = None

        def group(m: re.Match[str], *, breakdown: bool = False) -> None:
            if m.group(1) in ("size", "company size") and metric is None and not breakdown:
                self.search.update(sort_by="company_size", descending=True)  # "top 5 leads by size" sorts
                return
            self.aggregate = self.aggregate or {}
            self.aggregate["group_by"] = groups[m.group(1)]
            self.groups_said.append((m.start(), groups[m.group(1)]))

        def set_metric(name: str) -> Callable[[re.Match[str]], None]:
            def handle(m: re.Match[str]) -> None:
                nonlocal metric
                metric = name
                self.aggregate = self.aggregate or {}
                self.aggregate["metric"] = name
                self.metrics_said.append((m.start(), name))

            return handle

        self.take(r"\b(?:conversion|win|close)\s+rates?\b|\bconvert(?:s|ed)?\s+(?:best|most)\b|\bhow\s+(?:well|often)\s+.*?\bconvert\b", set_metric("conversion_rate"))
        # "smb vs enterprise conversion", "conversion by source": the rate, said with the noun alone.
        self.take(r"\b(?:conversion|win\s+ratio)\b(?!\s+(?:probability|likelihood|chance|odds))", set_metric("conversion_rate"))
        # "avg score", "average deal score", "mean of the lead scores": the average score.
        self.take(r"\b(?:average|avg\.?|mean)\s+(?:of\s+(?:the\s+|their\s+)?)?(?:(?:lead|deal|overall|current|rule|priority|fit)\s+)?scores?\b",
                  set_metric("avg_score"))
        self.take(r"\b(?:how many|number of|count(?:\s+of)?|total(?:\s+number\s+of)?|tally)\b", set_metric("count"))
        said = self.said(groups)
        alternatives = alternation(said) if said else r"(?!)"  # (?!): no grouping word, nothing to match
        spread = r"(?:breakdown|break\s+(?:(?:that|this|it|them|those|these)\s+)?down|split|distribution|mix|spread)"
        self.take(rf"\b{spread}\s+(?:of\s+(?:the\s+)?(?:leads\s+)?)?(?:by|per|across|over)?\s*(?:lead\s+)?({alternatives})\b", lambda m: group(m, breakdown=True))
        self.take(rf"\b(?:lead\s+)?({alternatives})\s+{spread}\b", lambda m: group(m, breakdown=True))
        self.take(rf"\b(?:by|per|for each|each|across|broken down by|grouped by|group by|split by|breakdown by)\s+(?:lead\s+)?({alternatives})\b", group)

        def which(m: re.Match[str]) -> bool | None:
            if m.group("verb") is None and self.aggregate is None:
                return False  # "which industry is Acme in?" is not a breakdown
            if groups[m.group(1)] == "owner" and re.match(r"(?:has|have|owns?|holds?|handles?|works?)$", m.group("verb") or ""):
                self.which_owner = True  # "which rep has Acme?": who owns it, when a lead is named (core.plan)
            group(m)
            return None

        verbs = (r"has|have|brings?|brought|converts?|gets?|got|generates?|generated|produces?|produced|performs?|wins?|closes?|"
                 r"owns?|holds?|handles?|works?")
        self.take(rf"\b(?:which|what)\s+({alternatives})(?:\s+(?P<verb>{verbs})\b)?", which)

        def per_owner(m: re.Match[str]) -> None:
            self.aggregate = {"group_by": "owner", **(self.aggregate or {})}

        self.take(r"\bwho\s+(?:owns|has|holds|is\s+working)\s+(?:on\s+)?the\s+most\b", per_owner)
        # "who is the best rep by conversion rate", "top performing AEs": the metric per owner.
        self.take(r"\b(?:who(?:'s|\s+is|\s+are)\s+)?(?:the\s+|our\s+)?(?:best|top|worst|strongest|weakest)(?:[\s-]+performing)?\s+"
                  r"(?:reps?|aes?|sellers?|salespeople|salesperson|owners?|account\s+executives?)\b", per_owner)
        # "reps with the most opps", "AEs that have the most hot leads": a count per owner.
        self.take(r"\b(?:reps?|aes?|owners?|salespeople|sellers|account\s+executives?)\s+(?:with|that\s+have|who\s+have|having|holding|owning)\s+the\s+most\b", per_owner)
        # "the split of hot leads by industry": once a grouping is read, the word for it says nothing more.
        self.take(rf"\b(?:the\s+)?{spread}(?:\s+of)?\b", lambda m: None if self.aggregate and "group_by" in self.aggregate else False)

    def read_sorting(self) -> None:
        keys = {
            "score": "score", "scores": "score", "lead score": "score", "probability": "probability",
            "conversion probability": "probability", "likelihood": "probability", "created": "created_at",
            "creation date": "created_at", "date created": "created_at", "created date": "created_at", "date": "created_at",
            "age": "created_at", "last contact": "last_contacted_at", "last contacted": "last_contacted_at",
            "last touch": "last_contacted_at", "company": "company", "company name": "company", "name": "company",
            "size": "company_size", "company size": "company_size", "employees": "company_size", "headcount": "company_size",
        }

        def sort(m: re.Match[str]) -> None:
            key = keys[m.group(1)]
            self.search["sort_by"] = key
            direction = m.group(2) or ""
            if "asc" in direction or "low" in direction or "small" in direction or "old" in direction:
                self.search["descending"] = False
            elif key == "company" and not direction:
                self.search["descending"] = False

        self.take(
            rf"\b(?:sort(?:ed)?|order(?:ed)?|rank(?:ed)?|arrange(?:d)?)\s+(?:them\s+|it\s+)?by\s+(?:their\s+|the\s+)?({alternation(self.said(keys)) or '(?!)'})"
            r"(\s+(?:desc(?:ending)?|asc(?:ending)?|high(?:est)?\s+(?:to|first)\s*(?:low(?:est)?)?|low(?:est)?\s+(?:to|first)\s*(?:high(?:est)?)?|smallest first|largest first|biggest first|oldest first|newest first))?",
            sort,
        )
        self.take(r"\b(?:top|best|first)\s+(\d+)\b", lambda m: self.search.update(limit=int(m.group(1))))
        superlative = (
            r"(?:newest|latest|most\s+recently\s+(?:contacted|touched)|least\s+recently\s+(?:contacted|touched)|most\s+recent|oldest|"
            r"biggest|largest|smallest|hottest|best|"
            r"(?:highest|lowest|best|top|worst)[- ](?:scoring|scored|rated)|highest|lowest)"
        )

        def count(m: re.Match[str]) -> bool:
            """"the 5 newest", "latest 10": a top N; the superlative is read below."""
            if not re.search(r"(?:above|over|than|under|below|least|most|between|and|to|of|scores?|scor(?:ed|ing)|[<>=+])\s*$", self.text[: m.start("n")]):
                self.search["limit"] = int(m.group("n"))
                self.blank(m.start("n"), m.end("n"))
            return False

        self.take(rf"\b(?P<n>\d+)\s+{superlative}\b", count)
        self.take(rf"\b{superlative}\s+(?P<n>\d+)\b(?!\s*(?:%|days?|weeks?|months?|years?|employees|people|staff|points?))", count)

        def flag(**values: Any) -> Callable[[re.Match[str]], None]:
            return lambda m: self.search.update(values)

        first = r"(?:\s+(?:ones?\s+)?(?:first|on\s+top))?\b"
        self.take(rf"\b(?:(?:highest|best|top)[- ](?:scoring|scored|rated)|hottest|high(?:est)?\s+scor(?:es?|ing))\b{first}|\bby\s+score\b", flag(sort_by="score", descending=True))
        self.take(rf"\b(?:(?:lowest|worst)[- ](?:scoring|scored|rated)|low(?:est)?\s+scor(?:es?|ing))\b{first}", flag(sort_by="score", descending=False))
        self.take(r"\bmost\s+likely\s+to\s+(?:convert|close|buy)\b|\bby\s+probability\b", flag(sort_by="probability", descending=True))
        self.take(
            r"\b(?:most\s+recently\s+(?:contacted|touched)(?:\s+(?:ones?\s+)?first)?|(?:recently|last)\s+(?:contacted|touched)\s+(?:ones?\s+)?first)\b",
            flag(sort_by="last_contacted_at", descending=True),
        )
        self.take(r"\bleast\s+recently\s+(?:contacted|touched)(?:\s+(?:ones?\s+)?first)?\b", flag(sort_by="last_contacted_at", descending=False))
        self.take(rf"\b(?:newest|latest|most\s+recent(?:ly\s+created)?|recently\s+created|youngest)\b{first}", flag(sort_by="created_at", descending=True))
        self.take(rf"\boldest\b{first}", flag(sort_by="created_at", descending=False))
        self.take(rf"\b(?:biggest|largest)\b{first}", flag(sort_by="company_size", descending=True))
        self.take(rf"\bsmallest\b{first}", flag(sort_by="company_size", descending=False))
        self.take(r"\b(?:longest\s+(?:without|since)\s+(?:a\s+)?(?:contact|touch)|most\s+neglected|stalest)\b", flag(sort_by="last_contacted_at", descending=False))
        # "bottom 10 by score", "the worst 5": the lowest first, whatever sort was said with it.
        self.take(r"\b(?:bottom|worst|lowest)\s+(\d+)\b", lambda m: self.search.update(limit=int(m.group(1)), sort_by=self.search.get("sort_by", "score"), descending=False))
