"""The dates pass: time windows on when a lead was last contacted ("not contacted in 3 days",
"emailed last week") and when it was created ("this month", "older than 2 weeks").
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from leadpilot.agent.dates import WINDOW_PATTERN, WINDOW_RE, Window, resolve_window
from leadpilot.agent.planner.reading import Reading


def set_activity_window(condition: dict[str, Any], window: Window) -> None:
    if window.days is not None:
        condition["within_days"] = window.days
    if window.start is not None:
        condition["since"] = window.start.isoformat()
    if window.end is not None:
        condition["before"] = window.end.isoformat()


class Windows(Reading):
    """Reads when: contact and creation windows, and the window of an activity said before it."""

    def _window_filter(self, match: re.Match[str], *, prefix: str) -> bool:
        """Apply a time window matched inside a bigger phrase (named groups of WINDOW_PATTERN).

        Returns False (the words stay unread) when the filter cannot say it.
        """
        window = resolve_window(match, today=self.now.date())
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

    def read_contact(self) -> None:
        verbs = (
            r"(?:contacted|touched|reached(?:\s+out(?:\s+to)?)?|called|emailed|followed[\s-]up(?:\s+(?:on|with))?|worked|engaged|"
            r"(?:spoken|talked)\s+(?:to|with)|heard\s+from\s+us)"
        )
        window = rf"(?:{WINDOW_PATTERN})"
        not_contacted = (
            rf"\b(?:(?:that\s+|who\s+|which\s+)?(?:have|has|had)?\s*(?:not|n't|never)\s+(?:been\s+|yet\s+been\s+)?|(?:haven't|hasn't|weren't|wasn't|aren't|isn't)\s+(?:been\s+)?|(?:haven't|hasn't|have\s+not|didn't|did\s+not)\s+(?:we|you|they|i)\s+|(?:no\s+one|nobody)(?:\s+has|'s)\s+|we\s+haven't\s+|un)"
            rf"{verbs}(?:\s+(?:with|to|them|yet))?(?:\s+(?:for|in)\s+(?:over\s+|more\s+than\s+)?(?P<n_over>\d+)\s+(?P<u_over>day|week|month)s?|\s+(?P<win>{window}))?"
        )

        def handle_not(m: re.Match[str]) -> bool:
            if m.group("n_over"):
                self.filter["not_contacted_in_days"] = int(m.group("n_over")) * {"day": 1, "week": 7, "month": 30}[m.group("u_over")]
            elif m.group("win"):
                return self._window_filter(WINDOW_RE.search(m.group("win")), prefix="not_contacted")
            else:
                self.filter["never_contacted"] = True
            return True

        self.take(r"\b(?:never\s+(?:been\s+)?(?:contacted|touched|called|emailed|reached(?:\s+out\s+to)?)|uncontacted|untouched|not\s+yet\s+contacted|no\s+contact\s+yet|with\s+no\s+(?:contact|outreach|touches)(?:\s+(?:at\s+all|ever|yet))?|zero\s+(?:contact|touches))\b(?!\s+(?:in|for|over|since|within))", lambda m: self.filter.update(never_contacted=True))
        self.take(not_contacted, handle_not)
        self.take(
            rf"\b(?:no|without\s+(?:any\s+)?|zero)\s*(?:contact|touch(?:es)?|outreach|follow[\s-]?ups?|activity\s+from\s+us)\s+(?:(?:for|in)\s+(?:over\s+|more\s+than\s+)?(?P<n_over>\d+)\s+(?P<u_over>day|week|month)s?|(?P<win>{window}))",
            handle_not,
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
        # "last contacted back in October", "whose last contact was in October": the last contact falls inside the window.
        self.take(rf"\b(?:(?:were|was|we)\s+)?{last}\s+(?:back\s+|way\s+back\s+)?(?P<win>{window})", lambda m: self._window_filter(WINDOW_RE.search(m.group("win")), prefix="contacted"))

        def handle_contacted(m: re.Match[str]) -> bool:
            return self._window_filter(WINDOW_RE.search(m.group("win")), prefix="contacted")

        done = r"(?:contacted|touched|called|emailed|reached\s+out\s+to|followed\s+up\s+(?:on|with)|talked\s+(?:to|with)|spok(?:e|en)\s+(?:to|with))"
        do = r"(?:contact|touch|call|email|reach\s+out\s+to|follow\s+up\s+(?:on|with)|talk\s+(?:to|with)|speak\s+(?:to|with))"
        self.take(
            rf"\b(?:(?:(?:were|was|been|have\s+been|has\s+been|we've|we\s+have|we)\s+)?{done}|(?:did|do)\s+we\s+{do})\s+(?:them\s+)?(?P<win>{window})",
            handle_contacted,
        )
        self.take(
            r"\b(?:(?:have|has)\s+(?:already\s+)?been\s+|were\s+|was\s+|already\s+|previously\s+)?(?:contacted|touched)"
            r"(?:\s+(?:at\s+least\s+once|once|before|already|previously))?\b",
            lambda m: self.filter.update(never_contacted=False),
        )

    def read_created(self) -> None:
        verbs = r"(?:(?:were|was|got|have\s+been|has\s+been)\s+)?(?:created|added|captured|came\s+in|come\s+in|arrived|received|generated|signed\s+up|entered|imported|brought(?:\s+in)?|bring|brings|new|opened|started|logged)"

        def created(m: re.Match[str]) -> bool:
            window = WINDOW_RE.search(m.group("win"))
            if m.group("verb") is None and self.unwindowed_activity and self.unwindowed_activity[1] <= m.start():
                # "demo requests from fintech this month": the time is the activity's, not the lead's.
                set_activity_window(self.unwindowed_activity[0], resolve_window(window, today=self.now.date()))
                self.unwindowed_activity = None
                return True
            return self._window_filter(window, prefix="created")

        self.take(rf"\b(?P<verb>{verbs}\s+)?(?P<win>{WINDOW_PATTERN})", created)
        self.take(r"\b(?:created|added)\s+(?:more\s+than|over)\s+(\d+)\s+(day|week|month)s?\s+ago\b|\bolder\s+than\s+(\d+)\s+(day|week|month)s?\b",
                  lambda m: self.filter.update(created_before=(self.now - timedelta(days=int(m.group(1) or m.group(3)) * {"day": 1, "week": 7, "month": 30}[m.group(2) or m.group(4)])).isoformat()))
