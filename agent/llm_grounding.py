"""Is a model's answer grounded in its tool results? On the LLM path the leads, tables and counts a
person sees come from the tools' artifacts; the model writes the prose around them. The prose is
not shown as fact when:

- it is empty;
- the question is about leads (the offline planner reads a lookup in it) and no tool was called;
- the question asks to change data and the answer does not say it cannot (an echo of "assign all
  fintech leads to me" reads like a confirmation);
- it states a number that no tool result, the question or the run's date holds ("17 leads" when the
  search returned 3; "lead 43" when the tools saw lead 42). A rate may be written as a percentage;
- it names a company or contact of the store that no tool result (or the question) holds — a lead
  the tools did not return.

The runner then asks the model once more with the reason (`correction`), and after a second such
answer reports that the model did not use its tools.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_NUMBER = re.compile(r"(?<![\w.])-?\d[\d,]*(?:\.\d+)?")
_CANNOT = re.compile(r"\b(?:can(?:no|')t|cannot|unable|not able|not allowed|read-only|only read|won't|will not)\b", re.I)


def numbers_in(text: str) -> set[float]:
    """Every number written in `text` ("1,234" is 1234; "2026-11-20" is 2026, 11 and 20)."""
    found = set()
    for token in _NUMBER.findall(text or ""):
        try:
            found.add(float(token.replace(",", "")))
        except ValueError:
            continue
    return found


def _variants(value: float) -> set[float]:
    """How a number from a tool may appear in prose: as is, rounded, or a rate as a percentage."""
    out = {value, round(value), round(value, 1), round(value, 2)}
    if abs(value) <= 1:
        out |= {round(value * 100), round(value * 100, 1), round(value * 100, 2)}
    return out


def unsupported_numbers(answer: str, sources: Iterable[str]) -> list[str]:
    """The numbers in `answer` that none of `sources` (tool results, the question, the date) holds."""
    known: set[float] = set()
    for source in sources:
        for value in numbers_in(source):
            known |= _variants(value)
    missing = []
    for token in _NUMBER.findall(answer or ""):
        value = float(token.replace(",", ""))
        if value not in known and abs(value) not in known:
            missing.append(token)
    return missing


def unsupported_names(answer: str, names: Iterable[str], sources: Iterable[str]) -> list[str]:
    """The store's names (companies, contacts) that `answer` mentions and none of `sources` holds."""
    text = (answer or "").lower()
    known = "\n".join(sources).lower()
    found = []
    for name in names:
        lowered = name.lower()
        if len(lowered) < 4 or lowered not in text or lowered in known:
            continue
        if re.search(rf"(?<!\w){re.escape(lowered)}(?!\w)", text):
            found.append(name)
    return sorted(set(found))


def ungrounded(answer: str, *, question: str, tool_results: list[str], facts: str, lead_question: bool, write_request: bool,
               names: Iterable[str] = ()) -> str | None:
    """Why `answer` cannot be shown as fact (one clause), or None when it can. `names`: the store's
    companies and contacts."""
    if not (answer or "").strip():
        return "the answer was empty"
    if write_request:
        return None if _CANNOT.search(answer) else "the question asks to change data, which the chat cannot do, and the answer did not say so"
    if not tool_results and lead_question:
        return "it answered a question about leads without calling a tool"
    invented = unsupported_names(answer, names, [*tool_results, question])
    if invented:
        return f"it names {', '.join(invented[:5])}, which no tool result holds"
    if not tool_results:
        return None
    missing = unsupported_numbers(answer, [*tool_results, question, facts])
    if missing:
        shown = ", ".join(missing[:5])
        return f"it states {shown}, which no tool result holds"
    return None


def correction(reason: str) -> str:
    """The message that asks the model once more."""
    return (f"Your answer cannot be shown: {reason}. Call the tools to look the data up, and state only leads "
            "and numbers that a tool result holds. If no tool fits, say so.")
