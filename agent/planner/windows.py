"""The dates pass: time windows on when a lead was last contacted ("not contacted in 3 days",
"emailed last week") and when it was created ("this month", "older than 2 weeks").
"""

from __future__ import annotations

import re
from calendar import monthrange
from datetime import date, datetime, timedelta
from typing import Any

from leadpilot.agent.dates import Window
from leadpilot.agent.planner.reading import Reading


def set_activity_window(condition: dict[str, Any], window: Window) -> None:
    if window.days is not None:
        condition["within_days"] = window.days
    if window.start is not None:
        condition["since"] = window.start.isoformat()
    if window.end is not None:
        condition["before"] = window.end.isoformat()


def _before(now: datetime, n: int, unit: str) -> str:
    """Where "older than N days / weeks / months" starts: N calendar months back is that day's start
    ("older than 6 months" on 18 Feb is before 18 Aug), days and weeks count back from now."""
    if unit != "month":
        return (now - timedelta(days=n * (7 if unit == "week" else 1))).isoformat()
    months = now.year * 12 + now.month - 1 - n
    year, month = divmod(months, 12)
    return date(year, month + 1, min(now.day, monthrange(year, month + 1)[1])).isoformat()


class Windows(Reading):
    """Reads when: contact and creation windows, and the window of an activity said before it."""

    def _window_filter(self, window: Window | None, *, prefix: str) -> bool:
        """Apply a time window said with a phrase ("contacted", "created"). Returns False (the words
        stay unread) when the filter cannot say it; None (periods with a gap between them) is
        read, and the reader says why it cannot answer it."""
        if window is None:
            return True
        if prefix == "not_contacted":
            if window.days is not None:
                self.filter["not_contacted_in_days"] = window.days
            elif window.start is not None:
                self.filter["not_contacted_since"] = window.start.isoformat()
            else:
                return False
        elif prefix == "contacted":
            # A bounded window ("yesterday", "last week") reads as: the last contact falls inside it.
            if window.days is not None:
                self.filter["contacted_within_days"] = window.days
            elif window.start is not None:
                self.filter["contacted_since"] = window.start.isoformat()
            else:
                self.filter["never_contacted"] = False
            if window.end is not None:
                self.filter["not_contacted_since"] = window.end.isoformat()
        elif prefix == "created":
            if window.days is not None:
                self.filter["created_within_days"] = window.days
            else:
                if window.start:
                    self.filter["created_after"] = window.start.isoformat()
                if window.end:
                    self.filter["created_before"] = window.end.isoformat()
        return True

    def _ago(self, m: re.Match[str]) -> None:
        said = " ".join(m.group(0).split())
        n = 1 if m.group("n") in ("a", "an", "one") else int(m.group("n"))
        unit = m.group("unit") + ("s" if n != 1 else "")
        self.unsupported = self.unsupported or (
            f"{said!r} is a moment, not a period, so I can't tell which leads you mean. Ask for a period instead: "
            f"'in the last {n} {unit}', 'more than {n} {unit} ago', or a date range ('between Nov 2 and Nov 8')."
        )

    def read_contact(self) -> None:
        verbs = (
            r"(?:contacted|touched|reached(?:\s+out(?:\s+to)?)?|called|emailed|followed[\s-]up(?:\s+(?:on|with))?|worked|engaged|"
            r"(?:spoken|talked)\s+(?:to|with)|heard\s+from\s+us)"
        )
        not_contacted = (
            rf"\b(?:(?:that\s+|who\s+|which\s+)?(?:have|has|had)?\s*(?:not|n't|never)\s+(?:been\s+|yet\s+been\s+)?|(?:haven't|hasn't|weren't|wasn't|aren't|isn't)\s+(?:been\s+)?|(?:haven't|hasn't|have\s+not|didn't|did\s+not)\s+(?:we|you|they|i)\s+|(?:no\s+one|nobody)(?:\s+has|'s)\s+|we\s+haven't\s+|un)"
            rf"{verbs}(?:\s+(?:with|to|them|yet))?(?:\s+(?:for|in)\s+(?:over\s+|more\s+than\s+)?(?P<n_over>\d+)\s+(?P<u_over>day|week|month)s?)?"
        )

        def handle_not(m: re.Match[str], window: Window | None) -> bool:
            if m.group("n_over"):
                self.filter["not_contacted_in_days"] = int(m.group("n_over")) * {"day": 1, "week": 7, "month": 30}[m.group("u_over")]
            elif window is not None:
                return self._window_filter(window, prefix="not_contacted")
            else:
                self.filter["never_contacted"] = True
            return True

        self.take(r"\b(?:never\s+(?:been\s+|got\s+|gotten\s+)?(?:contacted|touched|called|emailed|reached(?:\s+out\s+to)?)|uncontacted|untouched|not\s+yet\s+contacted|no\s+contact\s+yet|with\s+no\s+(?:contact|outreach|touches|activit(?:y|ies)(?:\s+(?:logged|recorded))?)(?:\s+(?:at\s+all|ever|yet))?|zero\s+(?:contact|touches))\b(?!\s+(?:in|for|over|since|within))", lambda m: self.filter.update(never_contacted=True))
        self.take_windowed(not_contacted, handle_not, required=False, unless="n_over")
        self.take_windowed(
            r"\b(?:no|without\s+(?:any\s+|a\s+|an\s+|one\s+|a\s+single\s+)?|zero|(?:haven't|hasn't|have\s+not|has\s+not)\s+(?:had|seen|got)\s+(?:any\s+)?)\s*"
            r"(?:contact|touch(?:es)?|touchpoints?|outreach|follow[\s-]?ups?|activity\s+from\s+us|activit(?:y|ies)(?:\s+(?:logged|recorded))?)\s+(?:(?:for|in)\s+(?:over\s+|more\s+than\s+)?(?P<n_over>\d+)\s*\+?\s+(?P<u_over>day|week|month)s?)?",
            handle_not, required=True, unless="n_over",
        )
        def last_contact_ago(m: re.Match[str]) -> None:
            self.filter["not_contacted_in_days"] = int(m.group(1) or m.group(3)) * {"day": 1, "week": 7, "month": 30}[m.group(2) or m.group(4)]
            if m.group(1):
                self.filter["never_contacted"] = False  # "last contacted 30 days ago": there was a contact

        last = (
            r"(?:last\s+(?:contacted|touched|contact(?:ed)?|touch|reached(?:\s+out\s+to)?|emailed|called|spoke\s+(?:to|with)|talked\s+(?:to|with)|heard\s+from)"
            r"(?:\s+(?:them|it))?(?:\s+(?:was|is))?)"
        )
        self.take(
            rf"\b{last}\s+(?:more\s+than|over|at\s+least|longer\s+than)\s+(\d+)\s+(day|week|month)s?\s+ago\b|\b(?:stale|neglected|idle|dormant|cold)\s+for\s+(?:over\s+|more\s+than\s+)?(\d+)\s+(day|week|month)s?\b",
            last_contact_ago,
        )
        if {"not_contacted_in_days", "not_contacted_since", "never_contacted"} & set(self.filter):  # "stale deals, no activity in 60 days"
            self.take(r"\b(?:stale|neglected|idle|dormant|inactive|untouched)\b", lambda m: None)
        # "last contacted back in October", "whose last contact was in October": the last contact falls inside the window.
        def handle_contacted(m: re.Match[str], window: Window | None) -> bool:
            return self._window_filter(window, prefix="contacted")

        self.take_windowed(rf"\b(?:(?:were|was|we)\s+)?{last}\s+(?:back\s+|way\s+back\s+)?", handle_contacted, required=True)

        done = r"(?:contacted|touched|called|emailed|reached\s+out\s+to|followed\s+up\s+(?:on|with)|talked\s+(?:to|with)|spok(?:e|en)\s+(?:to|with))"
        do = r"(?:contact|touch|call|email|reach\s+out\s+to|follow\s+up\s+(?:on|with)|talk\s+(?:to|with)|speak\s+(?:to|with))"
        self.take_windowed(
            rf"\b(?:(?:(?:were|was|been|have\s+been|has\s+been|we've|we\s+have|we)\s+)?{done}|(?:did|do)\s+we\s+{do})\s+(?:them\s+)?",
            handle_contacted, required=True,
        )
        self.take(
            r"\b(?:(?:have|has)\s+(?:already\s+)?been\s+|were\s+|was\s+|already\s+|previously\s+)?(?:contacted|touched)"
            r"(?:\s+(?:at\s+least\s+once|once|before|already|previously))?\b",
            lambda m: self.filter.update(never_contacted=False),
        )

    def read_closed_window(self) -> None:
        """ "deals won last month", "lost this quarter", "closed in October": the window is when the
        lead closed (the filter's closed_after / closed_before), not when it came in; won is the
        CUSTOMER stage, lost LOST, closed either."""
        outcome = (r"(?P<outcome>clos(?:ed?|es|ing)[\s/-]+(?:won|win)|clos(?:ed?|es|ing)[\s/-]+(?:lost|lose)|won|win|lost|lose|closed|close|converted|convert|became\s+(?:a\s+)?customers?|"
                   r"signed|churned)")
        pattern = (rf"\b(?:(?:were|was|got|have\s+been|has\s+been|we(?:'ve)?|did\s+we|have\s+we)\s+)?{outcome}"
                   r"(?:\s+(?:deals?|leads?|ones|accounts|opps|opportunities|customers|business))?(?:\s+(?:were|was))?")

        def closed(m: re.Match[str], window: Window | None) -> bool:
            if window is None:
                return True  # periods with a gap: read, and said why not answered
            said = re.sub(r"^clos\w*\s+(w|l)\w*$", lambda w: "closed won" if w.group(1) == "w" else "closed lost",
                          " ".join(m.group("outcome").replace("-", " ").replace("/", " ").split()))  # "close-win", "closed/won"
            if said in ("converted", "convert"):  # "did any of my leads convert this month?"
                self.filter["converted"] = True
            elif said in ("closed won", "won", "win", "signed") or said.startswith("became"):
                self.add("stage", "CUSTOMER")
            elif said in ("closed lost", "lost", "lose", "churned"):
                self.add("stage", "LOST")
            if window.days is not None:
                self.filter["closed_after"] = (self.now - timedelta(days=window.days)).isoformat()
            if window.start is not None:
                self.filter["closed_after"] = window.start.isoformat()
            if window.end is not None:
                self.filter["closed_before"] = window.end.isoformat()
            return True

        self.take_windowed(pattern, closed, required=True)

    def read_created(self) -> None:
        verbs = r"(?:(?:were|was|got|have\s+been|has\s+been)\s+)?(?:created|added|captured|came\s+in|come\s+in|arrived|received|generated|signed\s+up|entered|imported|brought(?:\s+in)?|bring|brings|new|opened|started|logged)"

        def created(start: int, verb: bool, window: Window | None) -> bool:
            if window is not None and not verb and self.unwindowed_activity and self.unwindowed_activity[1] <= start:
                # "demo requests from fintech this month": the time is the activity's, not the lead's.
                set_activity_window(self.unwindowed_activity[0], window)
                self.unwindowed_activity = None
                return True
            return self._window_filter(window, prefix="created")

        # Each window, said alone or after a verb ("came in this week"), left to right.
        position = 0
        while True:
            bare = next((w for w in self.windows() if w[0] >= position), None)
            said = next(
                ((m.start(), *w) for m in re.compile(rf"\b{verbs}\s+").finditer(self.text, position)
                 if (w := self.window_after(m.end())) is not None),
                None,
            )
            if said is not None and (bare is None or said[0] <= bare[0]):
                (start, window, end), verb = said, True
            elif bare is not None:
                (start, window, end), verb = bare, False
            else:
                break
            if created(start, verb, window):
                self.blank(start, end)
            position = end
        self.take(r"\b(?:created|added)\s+(?:more\s+than|over)\s+(\d+)\s+(day|week|month)s?\s+ago\b|\bolder\s+than\s+(\d+)\s+(day|week|month)s?\b",
                  lambda m: self.filter.update(created_before=_before(self.now, int(m.group(1) or m.group(3)), m.group(2) or m.group(4))))
        # "2 weeks ago" alone is a moment, not a period: say how to ask, rather than guess a window around it.
        self.take(
            r"\b(?:(?P<verb>created|added|came\s+in|contacted|touched|called|emailed|reached)\s+)?(?:about\s+|around\s+|roughly\s+|exactly\s+)?"
            r"(?P<n>\d+|a|an|one)\s+(?P<unit>day|week|month|year)s?\s+ago\b",
            self._ago,
        )
