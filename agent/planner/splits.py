"""Questions that are more than one query: several questions in one message ("how many came in this
week and how many are hot?"), a comparison ("hot leads US vs Europe", "SMB vs enterprise") and
an "or" across two fields ("fintech or anything in London").

Each is found in the text and checked by reading its pieces: a comparison's sides must each read
in full and differ on the same kind of condition (a place, a size, a window, ...); an "or" joins
two conditions on different fields (the same field is a plain list: "hot or warm"). Anything that
does not check out is left to the one-query reader, which refuses what it cannot read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from leadpilot.agent.planner.core import Fragment, dimension, read_fragment
from leadpilot.agent.planner.names import Vocabulary
from leadpilot.agent.planner.reading import FILLER

# -- several questions in one ----------------------------------------------------------------------

_STARTER = (
    r"(?:how\s+many|how\s+much|how's|how\s+(?:is|are|about)|what(?:'s|\s+is|\s+are|\s+about)?|which|who(?:'s)?|show(?:\s+me)?|"
    r"list|give\s+me|count|tell\s+me|are\s+there|is\s+there|do\s+we\s+have|did\s+we\s+get|any)\b"
)
_JOINT = re.compile(
    rf"(?:\s*[?;.!]+\s+|\s*,\s*|\s+)(?P<conj>(?:and\s+then|and|also|plus|&|then)(?:\s*,)?\s+(?:also(?:\s*,)?\s+)?)?(?={_STARTER})", re.I
)
_TRAILING_JOIN = re.compile(r"[\s,]+(?:and|also|plus|then|&)$", re.I)  # "how many opps? also, what's ...": "also" joins


# A looser joint: "; ", a sentence end, ", then", "and then", "also" before a part that names leads
# of its own ("open leads by stage, then open leads by tier"). Tried only when the starters found no
# parts, and kept only when every part then reads on its own (question.plan checks).
_LOOSE_JOINT = re.compile(
    r"(?:\s*;+\s*|\s*[.?!]+\s+|\s*,\s*(?:and\s+)?(?:then|also|plus)\s+|\s+(?:and\s+)?then\s+|\s+also\s+)"
    r"(?=(?:[\w'-]+\s+){0,3}?(?:leads?|prospects?|accounts?|deals|opps|opportunities|customers|contacts|pipeline)\b|(?:by|per)\s+\w)",
    re.I,
)


def split_parts(text: str, *, loose: bool = False) -> list[str]:
    """The questions in a message, in order; a later one keeps its "and" ("and how many are hot?").
    `loose`: also cut at "; ", ", then", "also" before a part that names leads of its own."""
    if loose:
        pieces = [p.strip(" ,;?.!") for p in _LOOSE_JOINT.split(text)]
        return pieces if len(pieces) > 1 and all(re.search(r"[a-z]", p, re.I) for p in pieces) else [text]
    cuts: list[tuple[int, int, str]] = []
    for match in _JOINT.finditer(text):
        before = text[: match.start()]
        said = match.group(0)
        if not before.strip() or not (match.group("conj") or re.search(r"[?;.!,]", said)):
            continue  # a starter mid-sentence without "and" / punctuation: "leads which opened ..."
        if re.search(r"\b(?:and|or|of|to|in|the|by|for|with|from|that|than)\s*$", before, re.I) and not re.search(r"[?;.!,]", said):
            continue
        cuts.append((match.start(), match.end(), (match.group("conj") or "").strip()))
    parts, position, conj = [], 0, ""
    for start, end, said in cuts:
        piece = _TRAILING_JOIN.sub("", text[position:start].strip(" ,;?.!")).strip(" ,;?.!")
        if piece:
            parts.append(f"{conj} {piece}".strip() if conj else piece)
            position, conj = end, said
    last = text[position:].strip(" ,;")
    if last:
        parts.append(f"{conj} {last}".strip() if conj else last)
    return parts if len(parts) > 1 and all(re.search(r"[a-z]", p, re.I) for p in parts) else [text]


# Two lists said with "and" or "+", each naming leads of its own ("warm leads in London and hot leads
# in Paris", "top 5 fintech leads and top 5 saas leads", "hot leads + the average score of saas
# leads"): read as one query they would become one list of both conditions.
_LIST_NOUN = r"(?:leads?|prospects?|accounts?|deals|opps|opportunities|customers|contacts)"
_OWN_LIST = rf"(?:(?:[\w'-]+\s+){{0,3}}?{_LIST_NOUN}\b|(?:the\s+)?(?:top|bottom|best|first)\s+\d+\b|(?:the\s+)?(?:average|avg|count|number|total|conversion)\b)"
_AND_JOINT = re.compile(rf"\s+(?:and|&)\s+(?={_OWN_LIST})|\s*\+\s*(?={_OWN_LIST})", re.I)
_NAMES_A_LIST = re.compile(rf"\b(?:{_LIST_NOUN}|top\s+\d+|bottom\s+\d+)\b", re.I)


def split_joined_lists(text: str) -> list[str]:
    """The lists of a message joined by "and" / "+" when each side names leads (or a count, a top N)
    of its own; [text] otherwise ("hot leads in London and Paris" is one list)."""
    pieces = [piece.strip(" ,;?.!") for piece in _AND_JOINT.split(text)]
    if len(pieces) > 1 and all(_NAMES_A_LIST.search(piece) for piece in pieces):
        return pieces
    return [text]


# -- comparisons -------------------------------------------------------------------------------------

VERSUS = re.compile(
    r"\s+(?:vs\.?|versus|v\.?|compared\s+(?:to|with)|as\s+opposed\s+to|against|(?:compares?|stacks?\s+up|do(?:es)?)\s+(?:to|with|against))\s+", re.I
)
_COMPARE = re.compile(r"^(?P<head>.*?)\b(?:compare|comparing|contrast)\s+(?P<a>.+?)\s+(?:and|with|to|vs\.?|versus|against)\s+(?P<b>.+)$", re.I)
def _dimensions(conditions: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for key, value in conditions.items():
        found.setdefault(dimension(key), {})[key] = value
    return found


@dataclass(frozen=True)
class Comparison:
    """The sides of "X vs Y": each side's filter, its label, and the shared metric and grouping."""

    filters: list[dict[str, Any]]
    labels: list[str]
    aggregate: dict[str, Any]


# "Berlin or London, which has more hot leads?", "which city has more hot leads: Berlin or London?"
_MORE = (r"(?:which|who|what)(?:\s+(?:one|city|country|region|industry|segment|rep|source|channel|team))?\s+"
         r"(?:has|have|had|gets?|got|brings?|brought|sees?|saw)\s+(?:the\s+)?(?:more|most|fewer|less|bigger|higher|lower|better)")
_CHOICE_AFTER = re.compile(rf"^(?P<a>.+?)\s+or\s+(?P<b>.+?)(?:\s*[,:;?-]+\s*|\s+){_MORE}\s+(?P<rest>.+?)[\s?.!]*$", re.I)
_CHOICE_BEFORE = re.compile(rf"^{_MORE}\s+(?P<rest>.+?)\s*[,:;-]\s*(?P<a>.+?)\s+or\s+(?P<b>.+?)[\s?.!]*$", re.I)


def choice_sides(text: str) -> list[str] | None:
    """ "A or B, which has more X?": the two sides, each with what is compared ("hot leads")."""
    match = _CHOICE_AFTER.match(text) or _CHOICE_BEFORE.match(text)
    if match is None:
        return None
    return [f"{match.group('rest')} {match.group('a')}", f"{match.group('b')} {match.group('rest')}"]


# "how do Rahul and Ananya compare on open leads?": two sides, each with what is compared.
_HOW_COMPARE = re.compile(r"^\s*how\s+(?:do|does|did|would)\s+(?P<a>.+?)\s+(?:and|&)\s+(?P<b>.+?)\s+(?:compare|stack\s+up|measure\s+up)"
                          r"(?:\s+(?:on|for|in|by|when\s+it\s+comes\s+to)\s+(?P<rest>.+?))?\s*[?.!]*\s*$", re.I)


def _segments(text: str) -> list[str] | None:
    if sides := choice_sides(text):
        return sides
    if how := _HOW_COMPARE.match(text):
        rest = how.group("rest") or ""
        return [f"{rest} {how.group('a')}".strip(), f"{how.group('b')} {rest}".strip()]
    if match := _COMPARE.match(text):
        return [f"{match.group('head')} {match.group('a')}".strip(), match.group("b")]
    pieces = VERSUS.split(text)
    return pieces if len(pieces) > 1 else None


def _label(words: list[str], *, from_end: bool, needed: set[str], now: datetime, vocabulary: Vocabulary) -> str | None:
    """The fewest words at the start (or end) of a side that say its compared conditions: "US"."""
    for size in range(1, min(len(words), 8) + 1):
        piece = words[-size:] if from_end else words[:size]
        fragment = read_fragment(" ".join(piece), now=now, vocabulary=vocabulary)
        if fragment.read_in_full and fragment.filter and set(_dimensions(fragment.filter)) == needed:
            for edge in (0, -1):  # drop words at either edge that say nothing: "smb leads" -> "smb"
                while len(piece) > 1 and piece[edge].lower().strip(",?.!") in FILLER:
                    shorter = piece[1:] if edge == 0 else piece[:-1]
                    if read_fragment(" ".join(shorter), now=now, vocabulary=vocabulary).filter != fragment.filter:
                        break
                    piece = shorter
            return " ".join(_whole_name(piece, words, from_end=from_end, said=fragment.filter, now=now, vocabulary=vocabulary)).strip(" ,?.!:;-")
    return None


def _whole_name(piece: list[str], words: list[str], *, from_end: bool, said: dict[str, Any], now: datetime,
                vocabulary: Vocabulary) -> list[str]:
    """The label's name in full: "Middle East & Africa", not "Middle East", when the longer words read the same."""
    for extra in (2, 1):
        size = len(piece) + extra
        if size > len(words):
            continue
        longer = words[-size:] if from_end else words[:size]
        edge = longer[0] if from_end else longer[-1]
        added = longer[:extra] if from_end else longer[-extra:]
        named = all(word in ("&", "and", "/", "+", "-") or word[:1].isupper() for word in added)  # "& Africa", not "how many"
        if (named and edge.lower().strip(",?.!") not in FILLER and read_fragment(" ".join(longer), now=now, vocabulary=vocabulary).filter == said
                and not read_fragment(" ".join(added), now=now, vocabulary=vocabulary).read_in_full):  # "& Africa": part of the name only
            return longer
    return piece


def _month_said_alone(segment: str, segments: list[str]) -> str:
    """ "in January vs December": a side that is a month name alone is "in December", as the other side said it."""
    from leadpilot.agent.dates import MONTH_NAMES

    bare = re.fullmatch(rf"\s*({MONTH_NAMES})\.?\s*(\d{{4}})?\s*[?.!]*\s*", segment, re.I)
    if bare and any(re.search(rf"\b(?:in|during|for|from)\s+(?:{MONTH_NAMES})\b", other, re.I) for other in segments if other is not segment):
        return f"in {segment.strip()}"
    return segment


def split_comparison(text: str, *, now: datetime, vocabulary: Vocabulary) -> Comparison | None:
    """The sides of a comparison, or None when the text is not one that reads."""
    segments = _segments(text)
    if segments is None:
        return None
    segments = [_month_said_alone(s, segments) for s in segments]
    fragments: list[Fragment] = [read_fragment(s, now=now, vocabulary=vocabulary, counted=True) for s in segments]
    if not all(f.read_in_full and f.filter for f in fragments):
        return None
    dims = [_dimensions(_as_closed(f.filter, fragments)) for f in fragments]
    compared = {
        d for d in {d for side in dims for d in side}
        if sum(d in side for side in dims) >= 2 and len({repr(sorted(side[d].items())) for side in dims if d in side}) > 1
    }
    if not compared:
        return None
    shared: dict[str, Any] = {}
    for side in dims:
        for kind, conditions in side.items():
            if kind not in compared:
                for key, value in conditions.items():
                    shared.setdefault(key, value)
    filters = [{**shared, **{k: v for d in compared for k, v in side.get(d, {}).items()}} for side in dims]
    aggregate: dict[str, Any] = {}
    for fragment in fragments:
        aggregate.update(fragment.aggregate or {})
    aggregate.setdefault("metric", "count")
    labels = []
    for index, segment in enumerate(segments):
        words = segment.split()
        needed = {d for d in compared if d in dims[index]}
        label = _label(words, from_end=index == 0, needed=needed, now=now, vocabulary=vocabulary)
        labels.append(label or segment.strip(" ,?.!:;-"))
    return Comparison(filters, labels, aggregate)


def _as_closed(conditions: dict[str, Any], fragments: list[Fragment]) -> dict[str, Any]:
    """ "won this month vs last month": a side that says only a time is the same kind of window as the side
    that says when deals closed (its `closed_after` / `closed_before`), not when leads came in."""
    created = {"created_after", "created_before"}
    if not any(k.startswith("closed_") for f in fragments for k in f.filter) or not set(conditions) <= created or not conditions:
        return conditions
    return {key.replace("created", "closed"): value for key, value in conditions.items()}


# -- "or" across two fields --------------------------------------------------------------------------

_LEADS = re.compile(r"\b(?:leads?|prospects?|contacts?|accounts?|companies|deals|pipeline|everything|everyone|all)\b", re.I)
_OR = re.compile(r"\s+or\s+(?!(?:more|less|fewer|above|below|over|under|higher|lower|later|earlier|so|not|up|down)\b)", re.I)


@dataclass(frozen=True)
class Alternatives:
    """ "fintech leads or anything in London": the rest of the question and the two alternatives."""

    rest: str
    any_of: list[dict[str, Any]]


def _alone(piece: str, *, now: datetime, vocabulary: Vocabulary) -> dict[str, Any] | None:
    fragment = read_fragment(piece, now=now, vocabulary=vocabulary)
    if fragment.read_in_full and fragment.filter and fragment.aggregate is None and not fragment.search:
        return fragment.filter
    return None


def split_alternatives(text: str, *, now: datetime, vocabulary: Vocabulary) -> Alternatives | None:
    """An "or" between conditions on different fields, or None (a same-field list is the reader's)."""
    for match in _OR.finditer(text):
        left, right = text[: match.start()].split(), text[match.end() :].split()
        before = next(((n, f) for n in range(1, min(len(left), 6) + 1)
                       if (f := _alone(" ".join(left[-n:]), now=now, vocabulary=vocabulary))), None)
        after = next(((n, f) for n in range(1, min(len(right), 6) + 1)
                      if (f := _alone(" ".join(right[:n]), now=now, vocabulary=vocabulary))), None)
        if before is None or after is None:
            continue
        first, second = before[1], after[1]
        if set(first) & set(second) or "any_of" in first or "any_of" in second:
            continue  # "hot or warm": one field, a list
        if {dimension(k) for k in first} == {"lifecycle"} == {dimension(k) for k in second}:
            continue  # "lost or open": which leads by lifecycle, the reader's (scope) not an any_of
        if {dimension(k) for k in first} == {"place"} == {dimension(k) for k in second} and (
            "state" in first or "state" in second
        ):
            continue  # "California or New York": the reader knows New York is also a state
        rest = " ".join(left[: len(left) - before[0]] + right[after[0] :])
        if not _LEADS.search(rest):
            rest = f"{rest} leads".strip()  # "any fintech leads, or anything in Paris?": what is left asks for leads
        return Alternatives(rest, [first, second])
    return None
