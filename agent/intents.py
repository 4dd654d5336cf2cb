"""Questions about one lead or account rather than a list: explain a score, predict conversion,
enrich, find duplicates, who should take a lead and why. Read before the filter reader, because
these sentences name a target ("lead 42", "Acme", "stripe.com") instead of conditions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from leadpilot.agent.numbers import words_to_digits

_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "last": -1, "top": 1}
_LEAD_ID = re.compile(r"\blead\s*(?:id\s*|#\s*|number\s*)?(\d+)\b|#\s*(\d+)\b")
_ORDINAL = re.compile(r"\b(?:the\s+)?(first|second|third|fourth|fifth|last|top)\s+(?:one|lead|result|company)\b")
_TARGET_WORDS = re.compile(r"\b(?:the\s+)?(?:lead|leads|account|company|at|for|of|from|with|about)\b")


@dataclass(frozen=True)
class Intent:
    tool: str
    args: dict[str, Any]


class TargetMissing(ValueError):
    """The question is one of these intents but names no lead we can find."""


def _target(text: str, *, companies: dict[str, str], last_lead_ids: tuple[int, ...]) -> dict[str, Any]:
    """{"lead_id": n} or {"company": name} for the lead or account the sentence names."""
    if match := _LEAD_ID.search(text):
        return {"lead_id": int(match.group(1) or match.group(2))}
    if (match := _ORDINAL.search(text)) and last_lead_ids:
        position = _ORDINALS[match.group(1)]
        index = position - 1 if position > 0 else len(last_lead_ids) - 1
        if index < len(last_lead_ids):
            return {"lead_id": last_lead_ids[index]}
    words = re.findall(r"[a-z0-9][a-z0-9&.'-]*", text)
    for size in range(min(6, len(words)), 0, -1):  # the longest company name mentioned
        for start in range(len(words) - size + 1):
            phrase = " ".join(words[start : start + size]).removesuffix("'s")
            if phrase in companies:
                return {"company": companies[phrase]}
    raise TargetMissing(text)


_EXPLAIN = re.compile(
    r"\b(?:explain|why)\b.*\b(?:score|scored|scoring|hot|warm|cold|tier)\b|\bscore\s+(?:breakdown|explanation)\b|\bbreak\s+down\b.*\bscore\b"
)
_PREDICT = re.compile(
    r"\b(?:predict|prediction)\b|\bwill\b.*\b(?:convert|close|buy|sign)\b|\bhow\s+likely\b|\b(?:chance|odds|probability|likelihood)\s+(?:that|of|to)\b.*\b(?:convert|close|buy|sign|converting|closing)\b"
)
_ENRICH = re.compile(r"^\s*(?:please\s+|can\s+you\s+|could\s+you\s+)?enrich\s+(.+?)\s*[?.!]*\s*$")
_DUPLICATES = re.compile(
    r"\b(?:duplicates?|dupes?|dups?|duplicated)\b(?:\s+(?:of|for|to))?\s*(.*?)\s*[?.!]*\s*$|\b(?:already|existing)\s+(?:a\s+)?(?:lead|customer|account)s?\b"
)
_EMAILISH = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_DOMAINISH = re.compile(r"\b(?:https?://)?(?:www\.)?([a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,})\b")


_SUGGEST = re.compile(
    r"\bwho\s+should\s+(?:take|get|own|work|handle|have|be\s+assigned|we\s+assign|i\s+assign)\b|\broute\s+(?:lead|the|this)\b"
    r"|\bwho\s+(?:gets|would\s+get)\b|\bwhich\s+rep\s+(?:should|would|gets)\b|\bwho\s+is\s+the\s+right\s+rep\b"
)
_WHY_ASSIGNED = re.compile(r"\bwhy\s+(?:does|did|do|is|was)\b.*\b(?:have|own|owns|got|get|assigned|given)\b")
_WHAT_IF_OUT = re.compile(
    r"\bwhat\s+if\s+(?P<who>.+?)\s+(?:is|are|was|were|goes|go)\s+(?:out|off|away|on\s+holiday|on\s+vacation|on\s+leave|sick|unavailable|out\s+of\s+(?:the\s+)?office)"
    r"(?:\s+(?:on\s+)?(?P<day>tomorrow|today|monday|tuesday|wednesday|thursday|friday|saturday|sunday|\d{4}-\d{2}-\d{2}))?"
)
_POOL_CHANGE = re.compile(
    r"\b(?:what\s+if\s+(?:we\s+)?)?(?P<verb>add|put|move|remove|take|drop)\s+(?P<who>.+?)\s+(?:to|into|from|out\s+of)\s+(?:the\s+)?(?P<pool>[a-z0-9_-]+)(?:\s+pool)?\b"
)


def _reps_in(text: str, reps: dict[str, str]) -> list[str]:
    """Rep emails named in `text` (full names first, then first names / emails), in order."""
    found: list[str] = []
    for name in sorted(reps, key=len, reverse=True):
        if re.search(rf"\b{re.escape(name)}\b", text) and reps[name] not in found:
            found.append(reps[name])
            text = re.sub(rf"\b{re.escape(name)}\b", " ", text)
    return found


def read_intent(
    question: str, *, companies: dict[str, str], last_lead_ids: tuple[int, ...] = (), reps: dict[str, str] | None = None
) -> Intent | None:
    """The single-target intent of a question, or None when it is a question about a list."""
    text = " ".join(words_to_digits(question).lower().split())
    reps = reps or {}
    if match := _WHAT_IF_OUT.search(text):
        out = _reps_in(match.group("who"), reps)
        if out:
            return Intent("routing_what_if", {"out": out, "day": match.group("day") or "tomorrow"})
    if (match := _POOL_CHANGE.search(text)) and "pool" in text:
        people = _reps_in(match.group("who"), reps)
        if people:
            key = "add_to_pool" if match.group("verb") in ("add", "put", "move") else "remove_from_pool"
            return Intent("routing_what_if", {key: [{"rep": rep, "pool": match.group("pool")} for rep in people]})
    try:
        if _SUGGEST.search(text):
            return Intent("suggest_owner", _target(text, companies=companies, last_lead_ids=last_lead_ids))
        if _WHY_ASSIGNED.search(text) and _LEAD_ID.search(text):
            lead = _LEAD_ID.search(text)
            args: dict[str, Any] = {"lead_id": int(lead.group(1) or lead.group(2))}
            if named := _reps_in(text, reps):
                args["rep"] = named[0]
            return Intent("explain_assignment", args)
        if match := _ENRICH.match(text):
            target = match.group(1).strip()
            if email := _EMAILISH.search(target):
                return Intent("enrich", {"target": email.group(0)})
            if (lead := _LEAD_ID.search(target)) is not None:
                return Intent("enrich", {"target": f"lead {lead.group(1) or lead.group(2)}"})
            if domain := _DOMAINISH.search(target):
                return Intent("enrich", {"target": domain.group(1)})
            found = _target(target, companies=companies, last_lead_ids=last_lead_ids)
            return Intent("enrich", {"target": f"lead {found['lead_id']}"} if "lead_id" in found else {"target": found["company"]})
        if _DUPLICATES.search(text):
            if email := _EMAILISH.search(text):
                return Intent("find_duplicates", {"query": email.group(0)})
            if (lead := _LEAD_ID.search(text)) is not None:
                return Intent("find_duplicates", {"lead_id": int(lead.group(1) or lead.group(2))})
            if domain := _DOMAINISH.search(text):
                return Intent("find_duplicates", {"query": domain.group(1)})
            found = _target(text, companies=companies, last_lead_ids=last_lead_ids)
            return Intent("find_duplicates", {"lead_id": found["lead_id"]} if "lead_id" in found else {"query": found["company"]})
        if _EXPLAIN.search(text) and not re.search(r"\b(?:leads|which|how many|show|list)\b", text):
            return Intent("explain_score", _target(text, companies=companies, last_lead_ids=last_lead_ids))
        if _PREDICT.search(text) and not re.search(r"\b(?:leads|which|how many|show|list)\b", text):
            return Intent("predict_conversion", _target(text, companies=companies, last_lead_ids=last_lead_ids))
    except TargetMissing:
        raise
    return None


_SEMANTIC = re.compile(
    r"\b(?:leads?|accounts?|compan(?:y|ies)|prospects?|contacts?|people|customers?|ones|firms|businesses|who|that|which)\s+"
    r"(?:(?:are|is|were)\s+)?(?:currently\s+|actively\s+)?(?:interested\s+in|looking\s+(?:at|for|into)|"
    r"evaluating|exploring|considering|asking\s+about|researching|needs?|needing|want(?:s|ing)?(?:\s+to)?)\s+(?P<text>.+)$"
)
_LIKE = re.compile(r"\b(?:(?:companies|accounts|leads|businesses|firms|ones)\s+)?(?:like|similar\s+to)\s+(?P<target>.+)$")
# Where a need ends and the structured conditions start again.
_NEED_END = re.compile(
    r"\s+(?:and\s+|but\s+|that\s+|who\s+|which\s+)?(?:(?:have|has)\s+(?:not\s+)?been\s+|were\s+)?(?:not\s+contacted|never\s+contacted|uncontacted|contacted|created|added|"
    r"in\s+the\s+last|this\s+(?:week|month|quarter|year)|since|with\s+(?:a\s+)?score|score\s+(?:above|over|below)|owned\s+by|assigned|"
    r"sorted|sort|order(?:ed)?|top\s+\d+)\b|\s*[?.!]+\s*$"
)


@dataclass(frozen=True)
class SemanticAsk:
    """A need to search by meaning (or a lead/company to find look-alikes of) and the rest of the question."""

    tool: str
    args: dict[str, Any]
    rest: str  # the question without the need, for the filter reader


def read_semantic(question: str, *, companies: dict[str, str]) -> SemanticAsk | None:
    """'leads interested in our API', 'hot leads at companies like Spendwise not contacted in 3 days'."""
    text = " ".join(words_to_digits(question).lower().split())
    if match := _LIKE.search(text):
        tail = match.group("target")
        end = _NEED_END.search(tail)
        target_text, after = (tail[: end.start()], tail[end.start():]) if end else (tail, "")
        try:
            found = _target(target_text, companies=companies, last_lead_ids=())
        except TargetMissing:
            return None
        return SemanticAsk("similar_leads", found, rest=(text[: match.start()] + " " + after).strip())
    if match := _SEMANTIC.search(text):
        tail = match.group("text")
        end = _NEED_END.search(tail)
        need, after = (tail[: end.start()], tail[end.start():]) if end else (tail, "")
        need = re.sub(r"^(?:our|the|a|an|some|any)\s+", "", need.strip())
        if need:
            return SemanticAsk("semantic_search_leads", {"text": need}, rest=(text[: match.start()] + " " + after).strip())
    return None
