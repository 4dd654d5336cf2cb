"""The sizes and numbers pass: bounds on company size, score and conversion probability
("more than 5000 employees", "score of at least 80", "likely to convert")."""

from __future__ import annotations

import re
from collections.abc import Callable

from leadpilot.agent.planner.reading import Reading


class Comparatives(Reading):
    """Reads more than / at least / less than / at most / between, for employees, score and probability."""

    def read_comparatives(self) -> None:
        more = r"(?:more\s+than|over|above|greater\s+than|bigger\s+than|larger\s+than|higher\s+than|>|exceeding|north\s+of)"
        at_least = r"(?:at\s+least|>=|≥|minimum(?:\s+of)?|no\s+(?:less|fewer)\s+than)"
        less = r"(?:less\s+than|fewer\s+than|under|below|smaller\s+than|lower\s+than|<)"
        at_most = r"(?:at\s+most|<=|≤|maximum(?:\s+of)?|no\s+more\s+than|up\s+to)"
        people = r"(?:employees|people|staff|headcount|workers|person|ftes?)"

        def bound(key: str, delta: int = 0, scale: float = 1) -> Callable[[re.Match[str]], None]:
            def handle(m: re.Match[str]) -> None:
                if scale == 1:  # whole numbers stay exact, however long
                    self.filter[key] = int(m.group("n")) + delta
                else:
                    self.filter[key] = round(float(m.group("n")) * scale + delta * 0.01, 4)

            return handle

        # company size
        self.take(rf"(?:\b|(?<![\w<>=≤≥]))(?:with\s+|having\s+)?{more}\s*(?P<n>\d+)\s*{people}", bound("min_employees", 1))
        self.take(rf"(?:\b|(?<![\w<>=≤≥]))(?:with\s+|having\s+)?{at_least}\s*(?P<n>\d+)\s*{people}|\b(?P<n2>\d+)\s*\+\s*{people}", lambda m: self.filter.update(min_employees=int(m.group("n") or m.group("n2"))))
        self.take(rf"(?:\b|(?<![\w<>=≤≥]))(?:with\s+|having\s+)?{less}\s*(?P<n>\d+)\s*{people}", bound("max_employees", -1))
        self.take(rf"(?:\b|(?<![\w<>=≤≥]))(?:with\s+|having\s+)?{at_most}\s*(?P<n>\d+)\s*{people}", bound("max_employees"))
        self.take(rf"\b(?:with\s+|having\s+)?(?:between\s+(\d+)\s+and|(\d+)\s*(?:-|–|to)\s*)\s*(\d+)\s*{people}", lambda m: self.filter.update(min_employees=int(m.group(1) or m.group(2)), max_employees=int(m.group(3))))
        self.take(rf"\b(?:with\s+|having\s+)?(?P<n>\d+)\s+(?:or|and)\s+(?:more|above|over|up)\s*{people}|\b(?P<n2>\d+)\s*{people}\s+or\s+more\b", lambda m: self.filter.update(min_employees=int(m.group("n") or m.group("n2"))))
        self.take(rf"\b(?:with\s+|having\s+)?(?P<n>\d+)\s+or\s+(?:fewer|less|under|below)\s*{people}|\b(?P<n2>\d+)\s*{people}\s+or\s+(?:fewer|less)\b", lambda m: self.filter.update(max_employees=int(m.group("n") or m.group("n2"))))
        self.take(rf"\b{people}\s+(?:count\s+)?{more}\s+(?P<n>\d+)\b", bound("min_employees", 1))
        self.take(rf"\b{people}\s+(?:count\s+)?{less}\s+(?P<n>\d+)\b", bound("max_employees", -1))
        # score
        score = r"(?:(?:lead\s+)?scores?|scoring|scored|rated)"
        self.take(rf"\b{score}\s+(?:of\s+)?{more}\s+(?P<n>\d+)\b|\b{more}\s+(?P<n2>\d+)\s+(?:points?\s+)?(?:in\s+)?score\b", lambda m: self.filter.update(min_score=int(m.group("n") or m.group("n2")) + 1))
        self.take(rf"\b{score}\s+(?:of\s+)?{at_least}\s+(?P<n>\d+)\b|\b{score}\s+(?:of\s+)?(?P<n2>\d+)\s*\+|\b(?P<n3>\d+)\s*\+\s*{score}", lambda m: self.filter.update(min_score=int(m.group("n") or m.group("n2") or m.group("n3"))))
        self.take(rf"\b{score}\s+(?:of\s+)?{less}\s+(?P<n>\d+)\b", lambda m: self.filter.update(max_score=int(m.group("n")) - 1))
        self.take(rf"\b{score}\s+(?:of\s+)?{at_most}\s+(?P<n>\d+)\b", lambda m: self.filter.update(max_score=int(m.group("n"))))
        self.take(rf"\b{score}\s+(?:of\s+)?(?:between\s+(\d+)\s+and|(\d+)\s*(?:-|–|to)\s*)\s*(\d+)\b", lambda m: self.filter.update(min_score=int(m.group(1) or m.group(2)), max_score=int(m.group(3))))
        self.take(rf"\b{score}\s+(?:of\s+)?(\d+)\s+(?:and|or)\s+(?:above|up|higher|more|over)\b", lambda m: self.filter.update(min_score=int(m.group(1))))
        self.take(rf"\b{score}\s+(?:of\s+)?(\d+)\s+(?:and|or)\s+(?:below|under|lower|less|fewer)\b", lambda m: self.filter.update(max_score=int(m.group(1))))
        self.take(rf"\b{score}\s+(?:of\s+|exactly\s+|=\s*)?(\d+)\b(?!\s*(?:\+|or\b|and\b|%))", lambda m: self.filter.update(min_score=int(m.group(1)), max_score=int(m.group(1))))
        # conversion probability
        prob = r"(?:(?:conversion\s+)?probability|likelihood|chance)(?:\s+(?:of|to)\s+(?:convert(?:ing)?|clos(?:e|ing)|win(?:ning)?))?"
        self.take(rf"\b{prob}\s+(?:of\s+)?(?:{more}|{at_least})\s+(?P<n>\d+)\s*%", lambda m: self.filter.update(min_probability=int(m.group("n")) / 100))
        self.take(rf"\b{prob}\s+(?:of\s+)?(?:{less}|{at_most})\s+(?P<n>\d+)\s*%", lambda m: self.filter.update(max_probability=int(m.group("n")) / 100))
        # "over 50% probability", "50%+ likely to close", "under 10% chance": the percentage said first.
        likely = rf"(?:{prob}|likely(?:\s+to\s+(?:convert|close|buy|win))?|odds)"
        self.take(rf"\b(?:(?:{more}|{at_least})\s+(?P<n>\d+)\s*%|(?P<n2>\d+)\s*%\s*(?:\+|or\s+(?:more|higher|above)))\s+{likely}",
                  lambda m: self.filter.update(min_probability=int(m.group("n") or m.group("n2")) / 100))
        self.take(rf"\b(?:{less}|{at_most})\s+(?P<n>\d+)\s*%\s+{likely}", lambda m: self.filter.update(max_probability=int(m.group("n")) / 100))
        self.take(r"\b(?:likely|expected)\s+to\s+(?:convert|close|buy)\b", lambda m: self.filter.update(min_probability=0.5))
        self.take(r"\bunlikely\s+to\s+(?:convert|close|buy)\b", lambda m: self.filter.update(max_probability=0.2))
