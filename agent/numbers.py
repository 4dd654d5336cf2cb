"""Numbers written in words ("three days", "a week", "twenty-five") turned into digits."""

from __future__ import annotations

import re

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_WORD = "|".join(sorted([*_UNITS, *_TENS, "hundred", "thousand"], key=len, reverse=True))
_NUMBER_WORDS = re.compile(rf"\b(?:{_WORD})(?:[\s-]+(?:and[\s-]+)?(?:{_WORD}))*\b", re.I)
_PHRASES = (
    (re.compile(r"\ba couple of\b", re.I), "2"),
    (re.compile(r"\ba couple\b", re.I), "2"),
    (re.compile(r"\ba few\b", re.I), "3"),
    # "the last couple of days", "the past few weeks"
    (re.compile(r"\bcouple(?:\s+of)?(?=\s+(?:days?|weeks?|months?)\b)", re.I), "2"),
    (re.compile(r"\bfew(?=\s+(?:days?|weeks?|months?)\b)", re.I), "3"),
    (re.compile(r"\ba dozen\b", re.I), "12"),
    (re.compile(r"\ba fortnight\b", re.I), "14 days"),
    (re.compile(r"\b(last|past|previous)\s+(\d+\s+)?fortnights?\b", re.I),
     lambda m: f"{m.group(1)} {14 * int(m.group(2) or 1)} days"),
    (re.compile(r"\b(\d+)\s+fortnights\b", re.I), lambda m: f"{14 * int(m.group(1))} days"),
    (re.compile(r"\b(?:a|one) (day|week|month|year)\b", re.I), r"1 \1"),
    (re.compile(r"\b(\d+(?:\.\d+)?)\s*k\b", re.I), lambda m: str(int(float(m.group(1)) * 1000))),
    (re.compile(r"\b(\d{1,3}(?:,\d{3})+)\b"), lambda m: m.group(1).replace(",", "")),
)


def _value(words: str) -> int:
    total, current = 0, 0
    for word in re.split(r"[\s-]+", words):
        if word == "and":
            continue
        if word in _UNITS:
            current += _UNITS[word]
        elif word in _TENS:
            current += _TENS[word]
        elif word == "hundred":
            current = max(current, 1) * 100
        elif word == "thousand":
            total += max(current, 1) * 1000
            current = 0
    return total + current


def words_to_digits(text: str) -> str:
    """'not contacted in three days' -> 'not contacted in 3 days'; '5,000' -> '5000'; '2k' -> '2000'."""
    for pattern, replacement in _PHRASES:
        text = pattern.sub(replacement, text)
    # A lone "one" is usually a pronoun ("the first one"); "one day" was handled above.
    return _NUMBER_WORDS.sub(lambda m: m.group(0) if m.group(0).lower() == "one" else str(_value(m.group(0).lower())), text)
