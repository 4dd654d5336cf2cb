"""The offline planner: a deterministic reader of sales questions that emits the tool calls an LLM
would, so the offline backend shares the agent loop, the tools and the rendering with the LLM one.

It reads the question left to right in passes. Each pass recognises one kind of phrase ("not
contacted in 3 days", "more than 5000 employees", "in fintech", "outside the US"), fills in the
typed filter and blanks the words it used. Whatever is left must be filler words; anything else
is reported back as "I don't understand ..." — the planner never silently drops a condition and
never answers a question it did not read.

This module holds what a plan is (Plan, ToolCall, Context), the reader that runs the passes in
order, `plan`, which reads one query in the light of the conversation so far, and `read_fragment`,
which reads a piece of a question on its own. A whole message as people type it (shorthand,
several questions, comparisons, typos) is planned by question.plan, which calls this one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from leadpilot.agent.intents import REPORT_TOOLS, TargetMissing, read_intent, read_policy_report, read_report, read_semantic
from leadpilot.agent.planner.activity import Activity
from leadpilot.agent.planner.aggregates import Aggregates
from leadpilot.agent.planner.categories import SEGMENT_PHRASES, STAGE_PHRASES, Categories, industry_table
from leadpilot.agent.planner.comparatives import Comparatives
from leadpilot.agent.planner.fields import FieldValues
from leadpilot.agent.planner.inflow import Inflow, followed_scope
from leadpilot.agent.planner.kept_fields import KeptFields
from leadpilot.agent.planner.deals import Deals
from leadpilot.agent.planner.names import Vocabulary
from leadpilot.agent.planner.owners import Owners
from leadpilot.agent.planner.people import People
from leadpilot.agent.planner.places import Places
from leadpilot.agent.planner.windows import Windows

SUGGESTIONS = (
    "show hot leads in fintech not contacted in 3 days",
    "how many leads did referrals bring this month?",
    "top 10 enterprise leads in the US by score",
    "conversion rate by source",
    "my leads that opened an email this week",
)


@dataclass
class ToolCall:
    name: str
    args: dict[str, Any]


@dataclass
class Plan:
    """What to call, or (when `calls` is empty) what was not understood and what could be asked."""

    calls: list[ToolCall] = field(default_factory=list)
    not_understood: list[str] = field(default_factory=list)
    message: str | None = None
    readings: list[str] = field(default_factory=list)  # what was read another way: "Read 'helthcare' as healthcare."
    layout: dict[str, Any] | None = None  # several calls: {"kind": "parts"} or {"kind": "compare", "labels": [...]}


@dataclass(frozen=True)
class Context:
    """What the conversation so far tells a follow-up: the last query and the leads it showed."""

    last_call: ToolCall | None = None
    last_lead_ids: tuple[int, ...] = ()
    last_lead_id: int | None = None  # the one lead the last answer was about: what "it" means
    # Every query call of the last answer and how it was laid out: a follow-up to a comparison
    # ("and only hot ones?") narrows each side, not only the last one.
    last_calls: tuple[ToolCall, ...] = ()
    last_layout: dict[str, Any] | None = None


_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
             "ninth": 9, "tenth": 10, "last": -1, "top": 1}
_FOLLOW_UP = re.compile(
    r"^\s*(?:only|just|and|but|what about|how about|now|same|also|add|include|plus|of (?:those|these|them)|among (?:those|these|them)|"
    r"from (?:those|these)|narrow|filter|sort|order|exclude|remove|drop|then|ok|okay|which of (?:those|these|them))\b"
    r"|\b(?:those|these|them|the ones|of them)\b"
    r"|\b(?:break|narrow|filter|sort|split|limit|restrict|group|order|rank|cut)\s+(?:that|this|it)\b"
)
_ASKED_TIER = re.compile(r"\bwhy\b.*?\b(?:so\s+|that\s+|rated\s+|scored\s+|in\s+the\s+)?(hot|warm|cold)\b")
_LIST_ASK = re.compile(r"^\s*(?:(?:and|then|now|also|ok|okay|so)\s+)?(?:please\s+)?(?:show|list|give|pull(?:\s+up)?|display|send)\b")
_NOUN = re.compile(r"\b(?:leads?|prospects?|contacts?|accounts?|companies|deals|pipeline|everything|everyone|all)\b")
_UNION = re.compile(r"\b(?:also|too|as well|plus)\b|^\s*(?:add|include)\b")


class _Reader(FieldValues, Aggregates, Windows, Activity, Comparatives, Owners, People, Categories, Places, Inflow, KeptFields, Deals):
    """One pass over a question: fills `filter`, and blanks what it has read."""

    # -- passes --
    def read(self) -> None:
        self.read_lead_reference()
        self.read_companies(min_words=2)  # "Credhub Payments" before "payments" is read as an industry
        self.read_contacts()
        self.read_statuses()  # "Open - Not Contacted": a status, not a contact window
        self.read_deals()  # "lost on price", "expansion deals", "in negotiation", "biggest deals" (planner deals)
        self.read_kept_fields()  # "rating Active": a column of the CRM file the store kept
        self.read_no_source()  # "source is blank": before "source: VALUE"
        self.read_field_values()  # "source: webinar", "stage is negotiation"
        self.read_long_sources()  # "from sales email alias": a source of the store, not the sales department
        self.read_aggregate()
        self.read_sorting()
        self.read_contact()
        self.read_activity()
        self.read_comparatives()
        self.read_deal_values()  # "over 20k": an amount the employee and score bounds left is the deal's value
        self.read_closed_window()
        self.read_created()
        self.read_owner()
        self.read_people()
        self.read_tiers()
        self.read_scope()
        self.categorical(industry_table(self.vocabulary), "industry", "not_industry")  # the store's own values first
        self.read_places()
        self.read_sources()
        self.read_qualifications()  # "MQLs": the qualification field, before stages
        self.categorical(STAGE_PHRASES, "stage", "not_stage")
        self.read_closed()
        self.categorical(SEGMENT_PHRASES, "segment", None)
        self.read_misc()
        self.read_companies()
        self.read_inflow()  # last: "how many came in this week?" is every arrival, once the rest is read
        self.read_closed_in_window()

    def read_closed_in_window(self) -> None:
        """ "won deals in portugal this year", "lost deals in mexico this quarter": a window on won or lost deals
        that says nothing of their arrival is when they closed (closed_after / closed_before), not when created."""
        stages = set(self.filter.get("stage") or ())
        created = [key for key in ("created_after", "created_before") if key in self.filter]
        if not created or not stages or not stages <= {"CUSTOMER", "LOST"} or {"closed_after", "closed_before", "created_within_days"} & set(self.filter):
            return
        if re.search(r"\b(?:created|came|come|comes|coming|arrived?|new|added|signed|generated|entered|captured|got|get|brought|since)\b", self.original, re.I):
            return
        for key in created:
            self.filter[key.replace("created", "closed")] = self.filter.pop(key)

    def read_lead_reference(self) -> None:
        def ordinal(m: re.Match[str]) -> None:
            word = m.group(1)
            self.ordinal = _ORDINALS.get(word) or int(re.sub(r"\D", "", word))

        self.take(
            r"\b(?:the\s+)?(first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|last|top|\d+(?:st|nd|rd|th))\s+(?:one|lead|result|row|company|entry)\b",
            ordinal,
        )
        self.take(r"\blead\s+(?:id\s+|#\s*|number\s+|no\.?\s*)?(\d+)\b(?!\s*(?:days?|weeks?|months?|employees))", lambda m: setattr(self, "lead_ref", int(m.group(1))))
        self.take(r"\b(?:number|#|no\.?)\s*(\d+)\b(?!\s*(?:days?|weeks?|months?|employees))", lambda m: setattr(self, "ordinal", int(m.group(1))))


_DIMENSIONS = {
    **dict.fromkeys(("city", "not_city", "state", "country", "not_country", "region", "not_region"), "place"),
    **dict.fromkeys(("created_within_days", "created_after", "created_before"), "created"),
    **dict.fromkeys(("closed_after", "closed_before"), "closed"),
    **dict.fromkeys(("contacted_within_days", "contacted_since", "not_contacted_in_days", "not_contacted_since", "never_contacted"), "contacted"),
    **dict.fromkeys(("segment", "min_employees", "max_employees"), "size"),
    **dict.fromkeys(("source", "not_source", "channel", "not_channel"), "source"),
    **dict.fromkeys(("stage", "not_stage", "qualification", "scope", "converted"), "lifecycle"),
    **dict.fromkeys(("industry", "not_industry"), "industry"),
    **dict.fromkeys(("min_score", "max_score"), "score"),
    **dict.fromkeys(("min_probability", "max_probability"), "probability"),
}


def dimension(key: str) -> str:
    """The kind of condition a filter key is (a place, a size, a window, ...): comparisons differ on one."""
    return _DIMENSIONS.get(key, key)


def _merge(previous: dict[str, Any], new: dict[str, Any], *, union: bool) -> dict[str, Any]:
    """A follow-up's conditions on top of the last query's. A condition of the same kind replaces the
    old one ("what about Canada?" after Europe asks about Canada, "last month" after "this week"),
    unless the follow-up adds ("also Canada"); other conditions narrow."""
    replaced = set() if union else {dimension(k) for k in new if not k.startswith("not_")}  # "but not Germany" narrows
    merged = {k: (list(v) if isinstance(v, list) else v) for k, v in previous.items() if dimension(k) not in replaced or k in new}
    opposite = {"industry": "not_industry", "country": "not_country", "city": "not_city", "source": "not_source", "stage": "not_stage", "region": "not_region",
                "channel": "not_channel"}
    for key, value in new.items():
        if union and isinstance(value, list) and isinstance(merged.get(key), list):
            merged[key] = merged[key] + [v for v in value if v not in merged[key]]
        else:
            merged[key] = value
        for positive, negative in opposite.items():
            if key == positive:
                merged.pop(negative, None)
            elif key == negative:
                merged.pop(positive, None)
    return merged


def plan(question: str, *, now: datetime, vocabulary: Vocabulary | None = None, context: Context | None = None) -> Plan:
    """Read one question (in the light of the conversation so far) and decide the tool calls."""
    vocabulary = vocabulary or Vocabulary()
    context = context or Context()
    if not question.strip():
        return Plan(message="Ask me about your leads, for example: " + SUGGESTIONS[0])

    try:
        intent = read_intent(question, companies=vocabulary.companies, last_lead_ids=context.last_lead_ids, reps=vocabulary.reps,
                             contacts=vocabulary.contacts, last_lead_id=context.last_lead_id)
    except TargetMissing:
        return Plan(
            message="I don't understand which lead you mean. Name it by id (\"lead 42\"), by company (\"Acme\"), or say "
            "\"the first one\" after a list."
        )
    if intent is not None:
        asked = _ASKED_TIER.search(question.lower()) if intent.tool == "explain_score" else None
        # "why is Acme hot?": the answer says first when Acme is not hot (answers._score).
        return Plan(calls=[ToolCall(intent.tool, intent.args)], layout={"kind": "why", "tier": asked.group(1)} if asked else None)

    if (policy_report := read_policy_report(question)) is not None:  # tier calibration, score drift, SLAs
        return Plan(calls=[ToolCall(*policy_report)])
    report = read_report(question)  # follow-up lists and analytics: the rest of the question is their filter
    if report is not None:
        question = report.rest or "leads"
    semantic = read_semantic(question, companies=vocabulary.companies)
    if semantic is not None:
        question = semantic.rest or "leads"
    reader = _Reader(question, now=now, vocabulary=vocabulary)
    is_follow_up = bool(_FOLLOW_UP.search(reader.text)) and context.last_call is not None
    reader.read()

    unknown = reader.leftovers()
    if unknown:
        return Plan(
            not_understood=unknown,
            message=(
                f"I don't understand {' '.join(repr(w) for w in unknown)} in that question, so I have not run it "
                "(I would rather ask than guess). Try, for example:\n- " + "\n- ".join(SUGGESTIONS)
            ),
        )

    if reader.unsupported:
        return Plan(message=reader.unsupported)
    if report is not None:
        return Plan(calls=[ToolCall(report.tool, {**report.args, **({"filter": dict(reader.filter)} if reader.filter else {})})])
    if reader.lead_ref is not None:
        return Plan(calls=[ToolCall("get_lead", {"lead_id": reader.lead_ref})])
    if reader.ordinal is not None and not reader.filter and reader.aggregate is None:
        if not context.last_lead_ids:
            return Plan(message="Which list do you mean? Ask for some leads first, then say e.g. 'show the first one'.")
        index = reader.ordinal - 1 if reader.ordinal > 0 else len(context.last_lead_ids) - 1
        if index >= len(context.last_lead_ids):
            return Plan(message=f"The last list had only {len(context.last_lead_ids)} leads.")
        return Plan(calls=[ToolCall("get_lead", {"lead_id": context.last_lead_ids[index]})])

    lead_filter = dict(reader.filter)
    search = dict(reader.search)
    aggregate = reader.aggregate
    asks_owner = reader.asks_owner
    if reader.which_owner and {"company", "contact"} & set(lead_filter) and not reader.metrics_said and aggregate == {"group_by": "owner"}:
        aggregate, asks_owner = None, True  # "which rep has Acme?" asks who owns its lead, not a count per rep
    if not reader.filter and not _NOUN.search(question.lower()) and context.last_call is not None:
        # Nothing to filter on and no "leads": "newest first", "how many is that?" are about the last answer.
        is_follow_up = is_follow_up or bool(reader.search) or (aggregate is not None and "group_by" not in aggregate)
    if is_follow_up and context.last_call is not None:
        previous = context.last_call.args
        before = dict(previous.get("filter", {}))
        lead_filter = _merge(before, lead_filter, union=bool(_UNION.search(reader.text + question.lower())))
        if context.last_call.name in REPORT_TOOLS and not search and aggregate is None and semantic is None:
            # "what about fintech?" after a report: the same report, narrowed.
            kept = {k: v for k, v in previous.items() if k != "filter"}
            return Plan(calls=[ToolCall(context.last_call.name, {**kept, **({"filter": lead_filter} if lead_filter else {})})])
        if context.last_call.name == "aggregate_leads" and not search and not (aggregate is None and _LIST_ASK.search(question.lower())):
            # "what about by source?" keeps the metric; "only enterprise" keeps metric and grouping ("show me
            # the ones in Singapore" after a count lists them).
            aggregate = {**{k: v for k, v in previous.items() if k != "filter"}, **(aggregate or {})}
        elif context.last_call.name == "search_leads" and aggregate is None:
            search = {**{k: v for k, v in previous.items() if k != "filter"}, **search}
        if context.last_call.name == "aggregate_leads" and "scope" not in reader.filter:
            lead_filter = followed_scope(previous, lead_filter, aggregate)  # an inflow count's every-arrival reading

    if semantic is not None:
        args = {**semantic.args, "filter": lead_filter}
        if search.get("limit"):
            args["limit"] = search["limit"]
        return Plan(calls=[ToolCall(semantic.tool, args)])
    if not lead_filter and not search and aggregate is None and not is_follow_up:
        if not _NOUN.search(question.lower()):
            return Plan(message="I don't understand what to look up. Try, for example:\n- " + "\n- ".join(SUGGESTIONS))

    if aggregate is not None:
        aggregate.setdefault("metric", "count")
        if "group_by" not in aggregate and not (is_follow_up and context.last_call is not None and context.last_call.name == "aggregate_leads"):
            single = [k for k in ("source", "industry", "tier", "stage", "country", "city", "state", "owner") if k in lead_filter]
            if len(single) == 1 and single[0] not in reader.said_as_one:
                aggregate["group_by"] = single[0]
        if aggregate.get("group_by") == "month" and not {"scope", "stage", "not_stage", "converted"} & set(lead_filter):
            lead_filter = {**lead_filter, "scope": "all"}  # leads per month is intake history: the ones since closed came in too
        args = {"filter": lead_filter, **aggregate}
        by_owner = {"kind": "by_owner", "names": dict(vocabulary.rep_names)} if args.get("group_by") == "owner" else None
        return _each_said(reader, args) or Plan(calls=[ToolCall("aggregate_leads", args)], layout=by_owner)
    # "who owns Acme?": the list of Acme's leads, worded as who has its open lead (answers.owner_answer).
    named = asks_owner and bool({"company", "contact"} & set(lead_filter))
    layout = {"kind": "owner", "names": dict(vocabulary.rep_names)} if named else None
    return Plan(calls=[ToolCall("search_leads", {"filter": lead_filter, **search})], layout=layout)


_METRIC_WORDS = {"count": "how many", "conversion_rate": "conversion rate", "avg_score": "average score"}


def _each_said(reader: _Reader, args: dict[str, Any]) -> Plan | None:
    """ "the number of open leads and the average score", "how many by tier and by source": one
    aggregate per metric and grouping said, as parts — never the last one alone."""
    metrics = list(dict.fromkeys(name for _, name in sorted(reader.metrics_said))) or [args.get("metric", "count")]
    groups = list(dict.fromkeys(name for _, name in sorted(reader.groups_said))) or [args.get("group_by")]
    if len(metrics) * len(groups) < 2:
        return None
    calls, labels = [], []
    for metric in metrics:
        for group in groups:
            one = {**args, "metric": metric, **({"group_by": group} if group else {})}
            if not group:
                one.pop("group_by", None)
            calls.append(ToolCall("aggregate_leads", one))
            labels.append(_METRIC_WORDS.get(metric, metric) + (f" by {group}" if group else ""))
    return Plan(calls=calls, layout={"kind": "parts", "labels": labels})


@dataclass(frozen=True)
class Fragment:
    """A piece of a question read on its own (a side of "US vs Europe", an "or" alternative)."""

    filter: dict[str, Any]
    search: dict[str, Any]
    aggregate: dict[str, Any] | None
    leftovers: list[str]
    unsupported: str | None

    @property
    def read_in_full(self) -> bool:
        return not self.leftovers and not self.unsupported


def read_fragment(text: str, *, now: datetime, vocabulary: Vocabulary, counted: bool = False) -> Fragment:
    """The conditions a piece of a question says, and what of it was left unread (`counted`: a side
    of a comparison, which counts its leads)."""
    reader = _Reader(text, now=now, vocabulary=vocabulary)
    reader.counted = counted
    reader.read()
    unsupported = reader.unsupported or ("a lead reference" if reader.lead_ref is not None or reader.ordinal is not None else None)
    return Fragment(dict(reader.filter), dict(reader.search), reader.aggregate, reader.leftovers(), unsupported)
