"""The activity pass: what a lead did ("opened an email this week", "visited the pricing page",
"requested a demo", "had a meeting"), or did not do.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from leadpilot.agent.dates import Window
from leadpilot.agent.planner.reading import Reading, alternation
from leadpilot.agent.planner.windows import set_activity_window

PAGE_WORDS = ("pricing", "demo", "docs", "documentation", "api", "careers", "blog", "security", "integrations", "case studies", "contact")


class Activity(Reading):
    """Reads activity conditions: email opens and clicks, page views, forms, demos and meetings."""

    def read_activity(self) -> None:
        negation = r"(?P<neg>didn't|did\s+not|haven't|have\s+not|hasn't|has\s+not|never|not)?\s*"

        def activity(kind: str, page: str | None = None, about: str | None = None) -> Callable[[re.Match[str], Window | None], None]:
            def handle(m: re.Match[str], window: Window | None) -> None:
                condition: dict[str, Any] = {"kind": kind, **({"about": about} if about else {})}
                found_page = page or (m.groupdict().get("page"))
                if found_page:
                    condition["page"] = {"documentation": "docs", "case studies": "case-studies"}.get(found_page, found_page)
                if window is not None:
                    set_activity_window(condition, window)
                else:
                    self.unwindowed_activity = (condition, m.end())
                if m.groupdict().get("neg"):
                    condition["absent"] = True
                self.filter.setdefault("activity", []).append(condition)

            return handle

        def take(pattern: str, handle: Callable[[re.Match[str], Window | None], None]) -> None:
            self.take_windowed(pattern, handle, required=False)

        pages_said = self.said(PAGE_WORDS)
        pages = alternation(pages_said)
        some = r"(?:(?:an?|our|the|any|my|some|one|all)\s+(?:of\s+(?:our|my|the)\s+)?)?"
        # "opened 3+ emails", "clicked at least 2 emails": how many.
        at_least = (r"(?:at\s+least\s+(?P<least>\d+)|(?P<plus>\d+)\s*(?:\+|or\s+more|or\s+over|plus)|"
                    r"(?:more\s+than|over)\s+(?P<more>\d+))")
        take(rf"\b{negation}(?:opened|opens|read)\s+{at_least}\s+(?P<unit>(?:of\s+(?:our|my|the)\s+)?(?:e-?mails?|mails?|newsletters?))",
             self.visits("email_opened"))
        take(rf"\b{negation}(?:clicked|clicks)(?:\s+(?:on|through))?\s+{at_least}\s+(?P<unit>(?:of\s+(?:our|my|the)\s+)?(?:e-?mails?|links?))",
             self.visits("email_clicked"))
        take(rf"\b{negation}(?:opened|opens|open|read)\s+{some}(?:e-?mails?|mails?|newsletters?|messages?|outreach)", activity("email_opened"))
        take(rf"\b{negation}(?:clicked|clicks|click)(?:\s+through)?(?:\s+(?:on\s+)?{some}(?:e-?mail|link)s?)?(?:\s+(?:in|on|from)\s+{some}e-?mails?)?", activity("email_clicked"))
        visit = (
            r"(?:visit(?:ed|s)?|view(?:ed|s)?|look(?:ed|s)?\s+at|seen|saw|check(?:ed|s)?\s+out|went\s+to|gone\s+to|go\s+to|"
            r"hit|been\s+(?:to|on)|land(?:ed)?\s+on|brows(?:e|ed)|(?:spent\s+time|were|was)\s+on)"
        )
        if pages_said:  # a page view names its page
            take(rf"\b{negation}{visit}\s+(?:the\s+|our\s+)?(?P<page>{pages})(?:\s+page)?s?", activity("page_view"))
            take(rf"\b(?P<page>{pages})\s+page\s+(?:visits?|visitors?|views?|viewers?)", activity("page_view"))
            take(rf"\bon\s+(?:the\s+|our\s+)(?P<page>{pages})\s+pages?", activity("page_view"))
        # "came back to the site on 10 or more days", "visited 5+ times": how often (a count of page views, or of days with one).
        back = rf"(?:{visit}|c[ao]me\s+back(?:\s+to)?|return(?:ed|s)?\s+to|been\s+back\s+(?:to|on))"
        place = r"(?:\s+(?:the\s+|our\s+|your\s+)?(?:web\s*site|site|web\s*pages?)s?)?"
        take(rf"\b{negation}{back}{place}\s+(?:on\s+)?{at_least}\s+(?P<unit>(?:different\s+|separate\s+)?days|times|visits)\b", self.visits())
        take(rf"\b{at_least}\s+(?:(?:web\s*)?site\s+)?(?P<unit>visits|days\s+(?:on|visiting)\s+(?:the\s+|our\s+)?(?:web\s*)?site)\b", self.visits())
        # "used the chat on our site", "chatted with us": a chat (the store keeps it as an inbound message, "chat on the website").
        take(rf"\b{negation}(?:(?:have|has|had)\s+)?(?:ever\s+)?(?:used|use|using|started|start|opened|had|initiated|been\s+on)\s+"
             r"(?:a\s+|the\s+|our\s+|any\s+)?(?:live\s+|web\s*site\s+|site\s+)?chats?\b"
             r"(?:\s+(?:on|with)\s+(?:us|(?:our|the)\s+(?:web\s*)?site))?", activity("email_sent", about="chat"))
        take(rf"\b{negation}(?:(?:have|has)\s+)?(?:ever\s+)?chatted(?:\s+with\s+us)?(?:\s+on\s+(?:our|the)\s+(?:web\s*)?site)?",
             activity("email_sent", about="chat"))
        # "visited our website this week": a page view of any page.
        take(rf"\b{negation}{visit}\s+(?:the\s+|our\s+|your\s+)?(?:web\s*site|site|web\s*pages?)s?\b", activity("page_view"))
        take(r"\b(?:web\s*site|site)\s+(?:visits?|visitors?)\b", activity("page_view"))
        take(
            rf"\b{negation}(?:(?:who\s+)?(?:request(?:ed|s)?|ask(?:ed|s)?\s+for|book(?:ed|s)?|want(?:s|ed)?|signed\s+up\s+for)\s+(?:a\s+|the\s+)?demos?|demo\s+requests?)",
            activity("form_submit", "demo"),
        )
        take(rf"\b{negation}(?:filled\s+(?:in|out)|submitted)\s+(?:a\s+|the\s+)?forms?", activity("form_submit"))
        take(rf"\b{negation}(?:had|have|has|booked|attended|took)\s+(?:a\s+|any\s+)?meetings?(?:\s+with(?:\s+us)?)?", activity("meeting"))
        take(r"\bmet\s+with(?:\s+us)?", activity("meeting"))

    def visits(self, kind: str = "page_view") -> Callable[[re.Match[str], Window | None], None]:
        """ "on 10 or more days": page views on at least that many days; "5+ times", "more than 3 visits",
        "opened 3+ emails": that many."""
        def handle(m: re.Match[str], window: Window | None) -> None:
            count = int(m.group("least") or m.group("plus") or 0) or int(m.group("more")) + 1
            unit = "min_days" if "day" in m.group("unit") else "min_count"
            condition: dict[str, Any] = {"kind": kind, unit: count}
            if window is not None:
                set_activity_window(condition, window)
            if m.groupdict().get("neg"):
                condition["absent"] = True
            self.filter.setdefault("activity", []).append(condition)

        return handle
