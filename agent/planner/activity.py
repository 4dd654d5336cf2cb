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

        def activity(kind: str, page: str | None = None) -> Callable[[re.Match[str], Window | None], None]:
            def handle(m: re.Match[str], window: Window | None) -> None:
                condition: dict[str, Any] = {"kind": kind}
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
        # "visited our website this week": a page view of any page.
        take(rf"\b{negation}{visit}\s+(?:the\s+|our\s+|your\s+)?(?:web\s*site|site|web\s*pages?)s?\b", activity("page_view"))
        take(r"\b(?:web\s*site|site)\s+(?:visits?|visitors?)\b", activity("page_view"))
        take(
            r"\b(?:(?:who\s+)?(?:request(?:ed|s)?|ask(?:ed|s)?\s+for|book(?:ed|s)?|want(?:s|ed)?|signed\s+up\s+for)\s+(?:a\s+|the\s+)?demos?|demo\s+requests?)",
            activity("form_submit", "demo"),
        )
        take(rf"\b{negation}(?:filled\s+(?:in|out)|submitted)\s+(?:a\s+|the\s+)?forms?", activity("form_submit"))
        take(rf"\b{negation}(?:had|have|has|booked|attended|took)\s+(?:a\s+|any\s+)?meetings?(?:\s+with(?:\s+us)?)?", activity("meeting"))
        take(r"\bmet\s+with(?:\s+us)?", activity("meeting"))

