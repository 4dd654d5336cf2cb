"""`plan`: one message as people type it, read into tool calls.

In order: chat shorthand is spelled out (shorthand) and greetings, thanks and polite framing are
taken out (courtesy); a request to change data gets its answer
(writes); several questions in one message are planned one by one, a comparison as one call per
side, an "or" across fields as an any_of (splits); everything else is one query (core). When
words are left unread, typos are corrected (typos) and the message read again; what was read
another way is said back ("Read 'helthcare' as healthcare."), and what still cannot be read is
refused with the closest words the planner knows.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime

from leadpilot.agent.planner import typos
from leadpilot.agent.planner.core import SUGGESTIONS, Context, Plan, ToolCall
from leadpilot.agent.planner.courtesy import strip_courtesy
from leadpilot.agent.planner.core import plan as plan_one
from leadpilot.agent.planner.core import read_fragment
from leadpilot.agent.planner.names import Vocabulary
from leadpilot.agent.planner.reading import FILLER
from leadpilot.agent.planner.shorthand import normalise_chat
from leadpilot.agent.planner.splits import choice_sides, split_alternatives, split_comparison, split_parts
from leadpilot.agent.planner.writes import WRITE_MESSAGE, is_write_request

_QUERY_TOOLS = ("search_leads", "aggregate_leads")
# A later part that points back at the one before: "... and how many of them are hot?"
_POINTS_BACK = re.compile(r"\b(?:those|these|them|they|the\s+ones|of\s+them|what\s+about|how\s+about|their)\b")
_LEADING_JOIN = re.compile(r"^(?:and\s+then|and|also|plus|then|&)(?:\s*,)?\s+(?:also(?:\s*,)?\s+)?", re.I)


def plan(question: str, *, now: datetime, vocabulary: Vocabulary | None = None, context: Context | None = None) -> Plan:
    """Read one message (in the light of the conversation so far) and decide the tool calls."""
    vocabulary = vocabulary or Vocabulary()
    context = context or Context()
    text = strip_courtesy(normalise_chat(question))
    if not text.strip(" ?!.,"):
        return Plan(message="Ask me about your leads, for example: " + SUGGESTIONS[0])
    if is_write_request(text, names=(vocabulary.companies, vocabulary.contacts, vocabulary.reps)):
        return Plan(message=WRITE_MESSAGE)
    first = _plan_message(text, now=now, vocabulary=vocabulary, context=context)
    if first.calls:
        return first
    unread = first.not_understood  # left unread: a store name here was not read as one ("hot leeds")
    unknown = [w for w in unread if not typos.is_planner_word(w.lower())] if unread else _unknown_words(text, vocabulary)
    if not unknown:
        return first
    corrected = _corrected(text, unknown, now=now, vocabulary=vocabulary, context=context)
    if isinstance(corrected, Plan):
        return corrected
    return _refusal(first, unknown, vocabulary, ambiguous=corrected)


def _plan_message(text: str, *, now: datetime, vocabulary: Vocabulary, context: Context) -> Plan:
    if choice_sides(text):  # "Berlin or London, which has more hot leads?": one comparison, not two questions
        return _plan_question(text, now=now, vocabulary=vocabulary, context=context)
    parts = _with_comparisons_whole(split_parts(text), now=now, vocabulary=vocabulary)
    if len(parts) > 1:
        planned = _plan_parts(parts, now=now, vocabulary=vocabulary, context=context)
        if planned.calls or planned.message:
            return planned
    else:
        loose = split_parts(text, loose=True)  # "open leads by stage, then open leads by tier"
        if len(loose) > 1:
            planned = _plan_parts(loose, now=now, vocabulary=vocabulary, context=context)
            if planned.calls:
                return planned
    return _plan_question(text, now=now, vocabulary=vocabulary, context=context)


def _with_comparisons_whole(parts: list[str], *, now: datetime, vocabulary: Vocabulary) -> list[str]:
    """The part after a comparison says what to compare, not another question, when it names no
    condition of its own ("london vs berlin, how many leads") or the comparison is only its sides
    ("fintech vs saas: how many hot leads?"): then the two are one comparison."""
    if len(parts) < 2:
        return parts
    merged: list[str] = []
    for part in parts:
        plain = _LEADING_JOIN.sub("", part)
        if merged and split_comparison(merged[-1], now=now, vocabulary=vocabulary) and (
            _says_no_condition(plain, now=now, vocabulary=vocabulary)
            or (_only_sides(merged[-1], now=now, vocabulary=vocabulary) and not _POINTS_BACK.search(plain.lower()))
        ):
            merged[-1] = f"{merged[-1]}, {plain}"
        else:
            merged.append(part)
    return merged


def _says_no_condition(text: str, *, now: datetime, vocabulary: Vocabulary) -> bool:
    fragment = read_fragment(text, now=now, vocabulary=vocabulary)
    return fragment.read_in_full and not fragment.filter and not fragment.search


_ASKS = re.compile(r"\b(?:leads?|prospects?|contacts?|accounts?|companies|deals|opps|opportunities|customers|pipeline|how\s+many|"
                   r"count|number|rate|average|total|show|list)\b", re.I)


def _only_sides(text: str, *, now: datetime, vocabulary: Vocabulary) -> bool:
    """ "berlin vs london": a comparison that says its sides but not what to count in them."""
    return not _ASKS.search(text)


def _plan_parts(parts: list[str], *, now: datetime, vocabulary: Vocabulary, context: Context) -> Plan:
    """Each question of a message on its own (a part pointing back follows the one before)."""
    calls: list[ToolCall] = []
    labels: list[str] = []
    previous: ToolCall | None = None
    for number, part in enumerate(parts, start=1):
        if number > 1 and previous is not None and _POINTS_BACK.search(part.lower()):
            part_context = Context(last_call=previous)
            said = part if _LEADING_JOIN.match(part) else f"and {part}"
        else:
            part_context, said = context, _LEADING_JOIN.sub("", part) if number > 1 else part
        planned = _plan_question(said, now=now, vocabulary=vocabulary, context=part_context)
        if not planned.calls:
            if number == 1 and planned.not_understood:
                return Plan()  # maybe not several questions at all: the whole message is read as one
            why = planned.message or "I don't understand it."
            return Plan(not_understood=planned.not_understood,
                        message=f"I don't understand part {number} of that question ({part!r}), so I have not run any of it. {why}")
        calls.extend(planned.calls)
        labels.extend([_LEADING_JOIN.sub("", part).strip()] * len(planned.calls))
        previous = next((c for c in reversed(planned.calls) if c.name in _QUERY_TOOLS), previous)
    return Plan(calls=calls, layout={"kind": "parts", "labels": labels})


def _plan_question(text: str, *, now: datetime, vocabulary: Vocabulary, context: Context) -> Plan:
    comparison = split_comparison(text, now=now, vocabulary=vocabulary)
    if comparison is not None:
        calls = [ToolCall("aggregate_leads", {"filter": f, **comparison.aggregate}) for f in comparison.filters]
        return Plan(calls=calls, layout={"kind": "compare", "labels": comparison.labels})
    alternatives = split_alternatives(text, now=now, vocabulary=vocabulary) if re.search(r"\bor\b", text, re.I) else None
    if alternatives is not None:
        planned = plan_one(alternatives.rest, now=now, vocabulary=vocabulary, context=context)
        if len(planned.calls) == 1 and planned.calls[0].name in (*_QUERY_TOOLS, "semantic_search_leads", "similar_leads"):
            call = planned.calls[0]
            lead_filter = dict(call.args.get("filter") or {})
            if "any_of" not in lead_filter:
                lead_filter["any_of"] = alternatives.any_of
                return replace(planned, calls=[ToolCall(call.name, {**call.args, "filter": lead_filter})])
    return plan_one(text, now=now, vocabulary=vocabulary, context=context)


def _unknown_words(text: str, vocabulary: Vocabulary) -> list[str]:
    """Words of the message the planner does not know at all (for a name it could not find)."""
    words = re.findall(r"[^\W\d_][\w'&-]*", text)
    return [w for w in words if w.lower() not in FILLER and not typos.is_known(w.lower(), vocabulary)]


def _corrected(
    text: str, unknown: list[str], *, now: datetime, vocabulary: Vocabulary, context: Context
) -> Plan | list[list[typos.Correction]]:
    """The plan of the message with its typos corrected, when exactly one correction reads; else
    the corrections that read equally well (ambiguous; empty when none does)."""
    read: list[tuple[float, list[typos.Correction], Plan]] = []
    for combo in typos.options(unknown, text, vocabulary):
        planned = _plan_message(typos.apply(text, combo), now=now, vocabulary=vocabulary, context=context)
        if planned.calls:
            read.append((sum(c.score for c in combo), combo, planned))
    read.sort(key=lambda item: -item[0])
    if read and (len(read) == 1 or read[0][0] > read[1][0] + 1e-9):
        _, combo, planned = read[0]
        line = typos.reading_line(combo)
        return replace(planned, readings=[line, *planned.readings] if line else planned.readings)
    return [combo for _, combo, _ in read]


def _refusal(first: Plan, unknown: list[str], vocabulary: Vocabulary, *, ambiguous: list[list[typos.Correction]]) -> Plan:
    """The first reading's refusal, with what the unread words might have meant."""
    hints = []
    if ambiguous:
        for index, word in enumerate(dict.fromkeys(c.said for c in ambiguous[0])):
            meanings = list(dict.fromkeys(combo[index].display for combo in ambiguous if index < len(combo)))
            if len(meanings) > 1:
                hints.append(f"'{word}' could be {' or '.join(repr(m) for m in meanings)}")
    for word in dict.fromkeys(unknown):
        close = typos.suggestions(word, vocabulary)
        if close and not any(h.startswith(f"'{word}'") for h in hints):
            hints.append(f"'{word}': did you mean {' or '.join(close)}?")
    if not hints:
        return first
    message = first.message or "I don't understand that question."
    head, sep, tail = message.partition(" Try, for example:")
    return replace(first, message=f"{head} ({'; '.join(hints)}){sep}{tail}")
