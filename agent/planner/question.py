"""`plan`: one message as people type it, read into tool calls.

In order: chat shorthand is spelled out (shorthand) and greetings, thanks and polite framing are
taken out (courtesy); a request to change data gets its answer
(writes); "next page" continues the last list (paging); several questions in one message are
planned one by one — a later part that names no leads of its own ("... and how many are hot?")
counts among the part before's, and its label says so — a comparison as one call per side, an "or"
across fields as an any_of (splits); everything else is one query (core). When
words are left unread, typos are corrected (typos) and the message read again; what was read
another way is said back ("Read 'helthcare' as healthcare."), and what still cannot be read is
refused with the closest words the planner knows.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime

from leadpilot.agent.intents import read_report
from leadpilot.agent.planner import typos
from leadpilot.agent.planner.core import SUGGESTIONS, Context, Plan, ToolCall, dimension
from leadpilot.agent.planner.courtesy import strip_courtesy
from leadpilot.agent.planner.earlier import read_earlier_period
from leadpilot.agent.planner.fields import field_hint, industry_hint, place_hint, unheld_values
from leadpilot.agent.planner.core import plan as plan_one
from leadpilot.agent.planner.core import read_fragment
from leadpilot.agent.planner.names import Vocabulary
from leadpilot.agent.planner.paging import NO_LIST, page_args, read_page_request
from leadpilot.agent.planner.places import spelling_readings
from leadpilot.agent.planner.categories import QUALIFIED_PHRASES, crm_label
from leadpilot.agent.planner.kept_fields import label_readings
from leadpilot.agent.planner.store_values import channel_source_readings, several_industry_readings
from leadpilot.agent.planner.reading import FILLER, alternation
from leadpilot.memory.vocab import QUALIFIED_STAGES
from leadpilot.agent.planner.shorthand import normalise_chat
from leadpilot.agent.planner.splits import VERSUS, choice_sides, split_alternatives, split_comparison, split_joined_lists, split_parts
from leadpilot.agent.planner.writes import EXPORT_MESSAGE, EXPORT_NOTE, WRITE_MESSAGE, export_rest, is_export_request, is_write_request

_QUERY_TOOLS = ("search_leads", "aggregate_leads")
# A later part that points back at the one before: "... and how many of them are hot?"
_POINTS_BACK = re.compile(r"\b(?:those|these|them|they|the\s+ones|of\s+them|what\s+about|how\s+about|their)\b"
                          r"|^\s*(?:and\s+)?(?:then\s+)?(?:by|per)\s")  # "..., then by industry": the same again, grouped another way
_LEADING_JOIN = re.compile(r"^(?:and\s+then|and|also|plus|then|&)(?:\s*,)?\s+(?:also(?:\s*,)?\s+)?", re.I)


def plan(question: str, *, now: datetime, vocabulary: Vocabulary | None = None, context: Context | None = None) -> Plan:
    """Read one message (in the light of the conversation so far) and decide the tool calls."""
    vocabulary = vocabulary or Vocabulary()
    context = context or Context()
    text = strip_courtesy(normalise_chat(question))
    planned = _plan_text(text, now=now, vocabulary=vocabulary, context=context)
    notes = qualified_readings(text, planned.calls) if planned.calls else []
    cities = [call.args["filter"] for call in planned.calls if isinstance(call.args.get("filter"), dict)]
    notes += spelling_readings(text, cities) if any("city" in f or "not_city" in f or "any_of" in f for f in cities) else []
    notes += several_industry_readings(text, cities, vocabulary) if vocabulary.industry_labels else []
    notes += channel_source_readings(text, cities, vocabulary) if any("source" in f or "channel" in f for f in cities) else []
    notes += label_readings(text, cities, label[0] if (label := crm_label(vocabulary)) is not None else None)
    return replace(planned, readings=[*notes, *planned.readings]) if notes else planned


_QUALIFIED_SAID = {"mql": "marketing-qualified: marketing passed them on, sales has not taken them on yet",
                   "sql": "sales-qualified: sales accepted them and is working them"}


def qualified_readings(text: str, calls: list[ToolCall]) -> list[str]:
    """ "Read 'MQLs' as marketing-qualified leads (...)": how an MQL / SQL the filter names was said
    (memory.lifecycle: the CRM's kept lifecycle value, else the stage it stands for)."""
    named = {value for call in calls for f in [call.args.get("filter") or {}, *((call.args.get("filter") or {}).get("any_of") or [])]
             for value in f.get("qualification") or []}
    if not named:
        return []
    said = re.findall(rf"\b(?:{alternation(QUALIFIED_PHRASES)})(?![\w-])", text, re.I)
    lines = []
    for phrase in dict.fromkeys(said):
        short = QUALIFIED_PHRASES[phrase.lower()]
        if short in named:
            stage = QUALIFIED_STAGES[short].value
            lines.append(f"Read {phrase!r} as {_QUALIFIED_SAID[short]} (the lifecycle value your CRM kept, else the {stage} stage).")
    return lines


def _plan_text(text: str, *, now: datetime, vocabulary: Vocabulary, context: Context) -> Plan:
    question = text
    if not text.strip(" ?!.,"):
        return Plan(message="Ask me about your leads, for example: " + SUGGESTIONS[0])
    if is_export_request(text):  # "export my hot deals to csv": the chat writes no files — the list, and where to get the file
        rest = export_rest(text)
        if re.fullmatch(r"(?:(?:all\s+)?(?:this|these|that|those|them|it|the)(?:\s+(?:list|leads|deals|ones|results?|table))?)?[\s?!.,]*", rest):
            rest = ""  # "export these", "download this list": the last list again
            listed = Plan(calls=[context.last_call]) if context.last_call is not None and context.last_call.name in _QUERY_TOOLS else None
        else:
            listed = _plan_text(rest, now=now, vocabulary=vocabulary, context=context) if rest and not is_export_request(rest) else None
        if listed is None or not listed.calls:
            return Plan(message=EXPORT_MESSAGE)
        return replace(listed, readings=[EXPORT_NOTE, *listed.readings])
    if is_write_request(text, names=(vocabulary.companies, vocabulary.contacts, vocabulary.reps)):
        return Plan(message=WRITE_MESSAGE)
    if (earlier := read_earlier_period(text, context=context, today=now.date())) is not None:  # "and the month before?"
        return earlier
    if (page := read_page_request(text)) is not None:  # "next page", "2nd page", "show more"
        if context.last_call is None or context.last_call.name != "search_leads":
            return Plan(message=NO_LIST)
        args = page_args(page, context.last_call.args)
        return Plan(message=args) if isinstance(args, str) else Plan(calls=[ToolCall("search_leads", args)])
    if context.last_layout and context.last_layout.get("kind") == "compare" and len(context.last_calls) > 1:
        sides = _follow_comparison(question, now=now, vocabulary=vocabulary, context=context)
        if sides is not None:
            return sides
    first = _plan_message(text, now=now, vocabulary=vocabulary, context=context)
    if first.calls:
        return _checked(first, vocabulary)
    unread = first.not_understood  # left unread: a store name here was not read as one ("hot leeds")
    unknown = [w for w in unread if not typos.is_planner_word(w.lower())] if unread else _unknown_words(text, vocabulary)
    if not unknown:
        return first
    corrected = _corrected(text, unknown, now=now, vocabulary=vocabulary, context=context)
    if isinstance(corrected, Plan):
        return _checked(corrected, vocabulary)
    if (partial := _start_of_names(text, unknown, now=now, vocabulary=vocabulary, context=context)) is not None:
        return partial
    return _refusal(first, unknown, text, vocabulary, ambiguous=corrected)


def _start_of_names(text: str, unknown: list[str], *, now: datetime, vocabulary: Vocabulary, context: Context) -> Plan | None:
    """ "show me Harbor" when Harbor starts the names of companies (Harbor Freight, Harbor Mutual): their
    leads, by that part of the name — the answer lists the companies and asks which one is meant. Only
    a word of a name the asker may see (the correction index is theirs)."""
    words = list(dict.fromkeys(w.lower() for w in unknown))
    if len(words) != 1 or len(words[0]) < 3 or not typos.is_known(words[0], vocabulary):
        return None
    word = words[0]
    if not any(name.startswith(f"{word} ") for name in vocabulary.companies):
        return None
    said = re.search(rf"(?<![\w'-]){re.escape(word)}(?![\w'-])", text, re.I)
    rest = (text[: said.start()] + " " + text[said.end():]) if said else text
    fragment = read_fragment(rest, now=now, vocabulary=vocabulary)
    if not fragment.read_in_full or fragment.filter or fragment.aggregate is not None:
        return None  # the rest of the message must be a plain "show me" of its own
    return Plan(calls=[ToolCall("search_leads", {**fragment.search, "filter": {"company": said.group(0) if said else word}})])


_ARGUMENT_WORDS = {
    "limit": "a top N", "min_employees": "a company size", "max_employees": "a company size", "min_score": "a score",
    "max_score": "a score", "created_within_days": "a number of days", "not_contacted_in_days": "a number of days",
    "contacted_within_days": "a number of days", "lead_ids": "a lead id",
}


def _checked(planned: Plan, vocabulary: Vocabulary) -> Plan:
    """The plan, unless a query tool would refuse its arguments (a number out of any range: "top
    99999999999 leads", "more than 10^20 employees"): then what is wrong, in words, and nothing run.
    A value the store does not hold (an industry no lead is in) is said before the answer."""
    from pydantic import ValidationError

    from leadpilot.tools.leads import AggregateLeads, SearchLeads

    models = {"search_leads": SearchLeads, "aggregate_leads": AggregateLeads}
    for call in planned.calls:
        if call.name not in models:
            continue
        try:
            models[call.name].model_validate(call.args)
        except ValidationError as error:
            problem = error.errors()[0]
            key = next((str(part) for part in reversed(problem["loc"]) if isinstance(part, str)), "value")
            said = _ARGUMENT_WORDS.get(key, key.replace("_", " "))
            if problem["type"] in ("less_than_equal", "greater_than_equal", "less_than", "greater_than", "int_parsing_size"):
                return Plan(message=f"I can't use {problem.get('input')!r} as {said}: {problem['msg'].lower()}. Ask again with a smaller number.")
            return Plan(message=f"I can't run that as read ({said}: {problem['msg']}). Try asking it another way, or in two questions.")
    notes = unheld_values([call.args.get("filter") or {} for call in planned.calls if call.name in models], vocabulary)
    return replace(planned, readings=[*planned.readings, *notes]) if notes else planned


def _follow_comparison(question: str, *, now: datetime, vocabulary: Vocabulary, context: Context) -> Plan | None:
    """ "and only hot ones?" after "hot leads US vs Europe": the follow-up narrows every side, and
    the answer is the same comparison again. None when the message is not such a follow-up: it
    reads the same whichever side it follows (a new question), or it changes what was compared
    ("what about Canada?" asks about Canada, not "US and Canada" vs "Europe and Canada")."""
    sides = [
        plan(question, now=now, vocabulary=vocabulary, context=Context(last_call=call, last_lead_ids=context.last_lead_ids))
        for call in context.last_calls
    ]
    if not all(len(side.calls) == 1 for side in sides):
        return None
    calls = [side.calls[0] for side in sides]
    if len({repr(sorted(call.args.items())) for call in calls}) < len(calls):
        return None
    before = [dict(call.args.get("filter") or {}) for call in context.last_calls]
    compared = {dimension(k) for f in before for k in f if len({repr(other.get(k)) for other in before}) > 1}
    for old, call in zip(before, calls):
        new = call.args.get("filter") or {}
        if any(dimension(k) in compared for k in new if new[k] != old.get(k)):
            return None
    return Plan(calls=calls, layout=context.last_layout, readings=sides[0].readings)


# "two things: hot leads in fintech, and warm leads in saas", "1) ... 2) ...": the questions, numbered.
_SEVERAL = re.compile(r"^\s*(?:(?:two|three|2|3|a\s+couple\s+of|a\s+few)\s+(?:things|questions|qs|asks)|several\s+things|quick\s+ones?)\s*[:;,-]\s*", re.I)
_NUMBERED = re.compile(r"(?:^|\s+|[,;]\s*)(?:\(\d\)|\d[.)])\s+")


def _numbered_parts(text: str) -> list[str] | None:
    """The questions of "1) hot leads in Berlin 2) warm leads in Munich" (numbered from 1, in order)."""
    marks = re.findall(r"(?:^|\s|[,;])\(?(\d)[.)]\s", f" {text} ")
    if len(marks) < 2 or marks != [str(n) for n in range(1, len(marks) + 1)]:
        return None
    pieces = [piece.strip(" ,;?.!") for piece in _NUMBERED.split(text) if piece.strip(" ,;?.!")]
    return pieces if len(pieces) == len(marks) else None


def _plan_message(text: str, *, now: datetime, vocabulary: Vocabulary, context: Context) -> Plan:
    if several := _SEVERAL.match(text):  # "two things:" announces parts; the parts say what
        text = text[several.end():]
    if (numbered := _numbered_parts(text)) is not None:
        planned = _plan_parts(numbered, now=now, vocabulary=vocabulary, context=context)
        if planned.calls or planned.message:
            return planned
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
        joined = split_joined_lists(text)  # "warm leads in London and hot leads in Paris": two lists, not one
        if len(joined) > 1:
            planned = _plan_parts(joined, now=now, vocabulary=vocabulary, context=context)
            if planned.calls and len(planned.calls) == len(joined) and _lists_of_their_own(planned.calls):
                return planned
    return _plan_question(text, now=now, vocabulary=vocabulary, context=context)


def _lists_of_their_own(calls: list[ToolCall]) -> bool:
    """Parts joined by "and" are separate lists when each says its own conditions (other tools, or
    the same fields with other values: "warm leads in London and hot leads in Paris"); when one
    side's fields are fewer ("hot leads and warm leads in Berlin") the rest of the sentence is
    shared, and it is one list."""
    if len({call.name for call in calls}) > 1:
        return True
    fields = [frozenset((call.args.get("filter") or {})) for call in calls]
    return all(one == fields[0] for one in fields) and len({repr(call.args) for call in calls}) == len(calls)


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
        # A part that names no leads of its own ("... and how many are hot?") is about the part before's.
        inherits = number > 1 and previous is not None and not _POINTS_BACK.search(part.lower()) and _names_no_population(part)
        if number > 1 and previous is not None and (inherits or _POINTS_BACK.search(part.lower())):
            part_context = Context(last_call=previous)
            # "...; also list the ones in France": "also" joins the parts here, it widens no list.
            said = re.sub(r"^(?:and\s+)?also\b[\s,]*", "and ", part, flags=re.I) if _LEADING_JOIN.match(part) else f"and {part}"
        else:
            part_context, said = context, _LEADING_JOIN.sub("", part) if number > 1 else part
        before = (previous.args.get("filter") or {}) if number > 1 and previous is not None else {}
        owner = before.get("owner") if _HE.search(said) else None
        if owner:  # "sander's hot deals + how many deals he lost this year": he is the rep of the part before
            said = _HE.sub(" ", said)
        place = {k: v for k, v in before.items() if k in _PLACES} if _THERE.search(said) else {}
        if place:  # "how many customers in india and what's the win rate there": there is the part before's place
            said = _THERE.sub(" ", said)
        planned = _plan_question(said, now=now, vocabulary=vocabulary, context=part_context)
        if (owner or place) and planned.calls:
            planned = replace(planned, calls=[_with_owner(call, {"owner": owner} if owner else place) for call in planned.calls])
        if inherits and _LISTS.search(part):  # "... and show me the hot ones": a list of those, not their count
            planned = replace(planned, calls=[_as_list(call) for call in planned.calls])
        elif number > 1 and previous is not None and _POINTS_BACK.search(part.lower()) and _LISTS.search(part) and not _COUNTS.search(part):  # "..., and which of them are over 10k?": those leads
            planned = replace(planned, calls=[_as_list(call, grouped=(previous.args.get("group_by") == call.args.get("group_by")
                                                                       and not _GROUPS.search(part))) for call in planned.calls])
        if not planned.calls:
            if number == 1 and planned.not_understood:
                return Plan()  # maybe not several questions at all: the whole message is read as one
            why = planned.message or "I don't understand it."
            return Plan(not_understood=planned.not_understood,
                        message=f"I don't understand part {number} of that question ({part!r}), so I have not run any of it. {why}")
        calls.extend(planned.calls)
        label = _LEADING_JOIN.sub("", part).strip()
        if inherits and any(call.name in _QUERY_TOOLS for call in planned.calls):
            label = f"{label.rstrip('?.! ')} (of those in part {number - 1})"
        labels.extend([label] * len(planned.calls))
        previous = next((c for c in reversed(planned.calls) if c.name in _QUERY_TOOLS), previous)
    return Plan(calls=calls, layout={"kind": "parts", "labels": labels})


# Words that say which leads a part is about: a part without one (and without a name) counts the
# leads of the part before ("how many came in this week and how many are hot?": hot ones of those).
_POPULATION = re.compile(r"\b(?:leads?|prospects?|contacts?|accounts?|compan(?:y|ies)|deals?|opps?|opportunit(?:y|ies)|customers?|"
                         r"clients?|pipeline|everything|everyone|all|any|mqls?|sqls?|people|records?|signups?|sign-ups?|"
                         r"overall|in\s+total|altogether|all[\s-]time|ever|company[\s-]wide|across\s+the\s+board|"
                         r"(?:win|conversion|close|loss)\s+rate)\b", re.I)  # a rate is history: all leads, not the part before's


_LISTS = re.compile(r"\b(?:show|list|give\s+me|pull\s+up|which|who)\b", re.I)


_HE = re.compile(r"\b(?:he|she|his|her|him)\b", re.I)
_THERE = re.compile(r"(?<!\bare\s)(?<!\bis\s)(?<!\bwas\s)\b(?:in\s+)?there\b(?!\s+(?:are|is|were|was|any)\b)", re.I)
_PLACES = ("country", "city", "state", "region", "not_country", "not_region", "not_city")


def _with_owner(call: ToolCall, conditions: dict) -> ToolCall:
    """The call with the part before's rep ("he") or place ("there"), unless it names its own."""
    lead_filter = call.args.get("filter")
    if not isinstance(lead_filter, dict) or set(conditions) & set(lead_filter) or (
            "owner" not in conditions and {"country", "city", "state", "region"} & set(lead_filter)):
        return call
    return ToolCall(call.name, {**call.args, "filter": {**lead_filter, **conditions}})


_COUNTS = re.compile(r"\b(?:how\s+many|count|number|total|tally|breakdown|split|rate|average|median|share)\b", re.I)
_GROUPS = re.compile(r"\b(?:by|per|each|split)\b", re.I)


def _as_list(call: ToolCall, grouped: bool = False) -> ToolCall:
    """A plain count of the part before's leads, asked as a list: the same filter, searched (`grouped`: also a
    count by a group the part before asked for, not this part)."""
    if call.name != "aggregate_leads" or (call.args.get("group_by") and not grouped) or call.args.get("metric", "count") != "count":
        return call
    return ToolCall("search_leads", {"filter": call.args.get("filter") or {}})


def _names_no_population(part: str) -> bool:
    return not _POPULATION.search(part)


def _report_comparison(text: str, *, now: datetime, vocabulary: Vocabulary) -> Plan | None:
    """ "lead volume this month vs last month", "speed to lead paid vs organic": the report once per
    side, answered side by side. A "vs" in a report question that does not split into two sides
    that read is refused, rather than read as one (two windows would overwrite each other)."""
    if not VERSUS.search(text) or (report := read_report(text)) is None or not VERSUS.search(report.rest):
        return None
    comparison = split_comparison(report.rest, now=now, vocabulary=vocabulary)
    if comparison is None:
        return Plan(message=(
            f"I can't read {report.rest.strip()!r} as two sides to compare in that report. Ask for one side, then the other: "
            "e.g. 'lead volume this month', then 'what about last month?'."
        ))
    calls = [ToolCall(report.tool, {**report.args, "filter": side}) for side in comparison.filters]
    return Plan(calls=calls, layout={"kind": "parts", "labels": comparison.labels})


def _plan_question(text: str, *, now: datetime, vocabulary: Vocabulary, context: Context) -> Plan:
    if (sides := _report_comparison(text, now=now, vocabulary=vocabulary)) is not None:
        return sides
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


def _known_place(word: str, text: str) -> bool:
    """A word said as a place that is one: a city of the spellings table, or a capitalised name ("in Madrid", not "in xyz")."""
    from leadpilot.memory.geo import city_spellings

    return len(city_spellings(word)) > 1 or re.search(rf"\b{re.escape(word[:1].upper() + word[1:])}\b", text) is not None


def _said_as_place(word: str, text: str) -> bool:
    """ "deals in berlin", "any leads in springfield?": a word of four letters or more that no correction reads, said
    after "in" / "near" at the end of the question (or before "area" / "office"), is a place, even in lower case."""
    return len(word) >= 4 and word.isalpha() and re.search(
        rf"\b(?:in|near|around|out\s+of|based\s+in)\s+(?:the\s+)?{re.escape(word)}(?:\s+(?:area|region|office))?\s*[?.!]*\s*$", text, re.I) is not None


def _refusal(
    first: Plan, unknown: list[str], text: str, vocabulary: Vocabulary, *, ambiguous: list[list[typos.Correction]]
) -> Plan:
    """The first reading's refusal, with what the unread words might have meant."""
    hints, about_fields, explained = [], [], set()
    if ambiguous:
        for index, word in enumerate(dict.fromkeys(c.said for c in ambiguous[0])):
            meanings = list(dict.fromkeys(combo[index].display for combo in ambiguous if index < len(combo)))
            if len(meanings) > 1:
                hints.append(f"'{word}' could be {' or '.join(repr(m) for m in meanings)}")
    for word in dict.fromkeys(unknown):
        if any(h.startswith(f"'{word}'") for h in hints):
            continue
        if (about_field := field_hint(word, text, vocabulary)) is not None:  # "source tiktok", "the negotiation stage"
            explained.add(word)
            if about_field not in (first.message or "") and about_field not in about_fields:
                about_fields.append(about_field)
        elif (place := place_hint(word, text, vocabulary)) is not None and (_known_place(word, text) or not typos.suggestions(word, vocabulary)
                                                                         or _said_as_place(word, text)):  # "leads in Madrid"
            if _known_place(word, text) or _said_as_place(word, text):
                explained.add(word)  # a city people know ("Cracow"), or a name said as one ("Madrid"): read, just not held
            about_fields += [place] if place not in about_fields else []
        elif close := typos.suggestions(word, vocabulary):
            hints.append(f"'{word}': did you mean {' or '.join(close)}?")
        elif (industry := industry_hint(word, text, vocabulary)) is not None:  # "crypto leads": a guess, still not understood
            about_fields += [industry] if industry not in about_fields else []
    if not hints and not about_fields:
        return first
    message = first.message or "I don't understand that question."
    head, sep, tail = message.partition(" Try, for example:")
    if about_fields and not hints and explained >= set(unknown) and head.startswith("I don't understand"):
        # Every unread word was read as a field's value no lead has ("any leads in cracow?", "source tiktok"): say
        # that, not "I don't understand" (a word only placed where an industry could go, "purple leads", is not read),
        # and no example questions: the values in the data are the suggestion.
        return replace(first, message=" ".join(about_fields))
    said = f" ({'; '.join(hints)})" if hints else ""
    return replace(first, message=f"{head}{said}{''.join(' ' + note for note in about_fields)}{sep}{tail}")
