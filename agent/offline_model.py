"""The offline backend: a LangChain chat model driven by the deterministic planner.

It speaks the same protocol as an LLM inside the same agent loop: given the conversation it
answers with tool calls (from `planner.plan`), and once the tool results are in, with a short
answer written from them. No key, no network, same tools, same rendering.

`offline_reply` is that reply, as a plain function over the conversation's messages: the runner's
own loop (agent/loop.py) calls it without LangGraph, and `OfflinePlannerModel` wraps it as a
LangChain chat model for the graph. The class is defined on first use (module `__getattr__`):
LangChain's chat-model base costs half a second of imports a plain `leadpilot ask` does not need.
The messages are read by their type (agent/messages.py), so LangChain's and the offline path's
plain ones are read alike; the reply is a plain `AIMessage`, made LangChain's only in the graph.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from functools import cache

from leadpilot.agent.answers import compose_answer
from leadpilot.agent.intents import REPORT_TOOLS, read_choice
from leadpilot.agent.messages import AIMessage, is_ai, is_human, is_tool, to_langchain
from leadpilot.agent.planner import Context, Plan, ToolCall, Vocabulary, plan


_LIST_TOOLS = ("search_leads", "semantic_search_leads", "similar_leads")
_ONE_LEAD_TOOLS = ("get_lead", "explain_score", "predict_conversion", "suggest_owner", "best_time_to_contact",
                   "explain_assignment", "enrich", "find_duplicates")


def _one_lead(call: dict, content: dict) -> int | None:
    """The lead a single-lead tool answered about (from its result, else its arguments)."""
    for value in (content.get("lead_id"), content.get("id"), call["args"].get("lead_id")):
        if isinstance(value, int):
            return value
    return None


def _context_before(messages: Sequence[Any]) -> Context:
    """What earlier turns tell a follow-up: the last query tool call, the lead ids it showed, and
    the one lead the conversation is about ("why is it hot?") — after a single-lead answer, or a
    list of one. A "which one?" answer offers its candidates as the list ("the first one")."""
    results: dict[str, Any] = {m.tool_call_id: m for m in messages if is_tool(m)}
    last_query: ToolCall | None = None
    last_ids: tuple[int, ...] = ()
    last_lead: int | None = None
    last_calls: tuple[ToolCall, ...] = ()  # every query of the last answer, and its layout (a comparison's sides)
    last_layout: dict | None = None
    for message in messages:
        if not is_ai(message):
            continue
        if queries := [ToolCall(c["name"], dict(c["args"])) for c in message.tool_calls
                       if c["name"] in ("search_leads", "aggregate_leads") or c["name"] in REPORT_TOOLS]:
            last_calls, last_layout = tuple(queries), message.additional_kwargs.get(_WORDING, {}).get("layout")
        for call in message.tool_calls:
            if call["name"] in ("search_leads", "aggregate_leads") or call["name"] in REPORT_TOOLS:
                last_query = ToolCall(call["name"], dict(call["args"]))
            result = results.get(call.get("id") or "")
            try:
                content = json.loads(result.content) if result is not None and isinstance(result.content, str) else {}
            except ValueError:
                content = {}
            content = content if isinstance(content, dict) else {}
            if call["name"] in _LIST_TOOLS and result is not None:
                try:
                    last_ids = tuple(lead["id"] for lead in content.get("leads", []))
                except (TypeError, KeyError):
                    pass
                last_lead = last_ids[0] if len(last_ids) == 1 else None
            elif call["name"] in _ONE_LEAD_TOOLS and content.get("ask_which"):
                last_ids, last_lead = tuple(c["id"] for c in content.get("candidates", [])), None
            elif call["name"] in _ONE_LEAD_TOOLS:
                last_lead = _one_lead(call, content) if "error" not in content else last_lead
            else:  # a count or a report: "it" no longer means one lead
                last_lead = None
    return Context(last_call=last_query, last_lead_ids=last_ids, last_lead_id=last_lead, last_calls=last_calls, last_layout=last_layout)


def _picked(earlier: Sequence[Any], reply: str) -> ToolCall | None:
    """When the last answer asked "which one?" (a name with several open leads) and `reply` picks
    one ("the first one", "lead 1963", "Liam Reed"), the question asked again about that lead."""
    for message in reversed(earlier):
        if is_human(message):
            return None
        if not is_tool(message) or not isinstance(message.content, str):
            continue
        try:
            content = json.loads(message.content)
        except ValueError:
            continue
        if isinstance(content, dict) and content.get("ask_which") and message.name:
            lead_id = read_choice(reply, content.get("candidates") or [])
            if lead_id is None:
                return None
            return ToolCall(message.name, {"target": f"lead {lead_id}"} if message.name == "enrich" else {"lead_id": lead_id})
    return None


_WORDING = "leadpilot_wording"


def _answer(turn: Sequence[Any]) -> str:
    """The answer to this turn from its tool results, in the order the calls were made, worded as
    the plan said (readings, parts, a comparison)."""
    planned = next((m for m in turn if is_ai(m) and m.tool_calls), None)
    order = {call.get("id"): n for n, call in enumerate(planned.tool_calls)} if planned is not None else {}
    results = sorted((m for m in turn if is_tool(m)), key=lambda m: order.get(m.tool_call_id, len(order)))
    wording = planned.additional_kwargs.get(_WORDING, {}) if planned is not None else {}
    return compose_answer(results, readings=wording.get("readings", ()), layout=wording.get("layout"))


def plans_next(messages: Sequence[Any]) -> bool:
    """True when the next reply is a plan (tool calls): no tool result has come in since the person
    last spoke. Otherwise the reply is the answer written from those results."""
    for message in reversed(messages):
        if is_tool(message):
            return False
        if is_human(message):
            return True
    return False


def offline_reply(
    messages: Sequence[Any], *, now: datetime | None, vocabulary: Vocabulary | None = None, available_tools: Sequence[str] = ()
) -> AIMessage:
    """The offline model's next message: the plan for the last question (tool calls), or — once
    their results are in — the answer written from them."""
    vocabulary = vocabulary if vocabulary is not None else Vocabulary()
    last_human = max((i for i, m in enumerate(messages) if is_human(m)), default=None)
    if last_human is None:
        return AIMessage(content="Ask me about your leads.")
    if not plans_next(messages):
        return AIMessage(content=_answer(messages[last_human + 1 :]))
    if now is None:
        raise ValueError("The offline planner needs the run's clock: offline_reply(now=...), OfflinePlannerModel(now=...) or .for_run(now=...).")

    picked = _picked(messages[:last_human], str(messages[last_human].content))
    decision = Plan(calls=[picked]) if picked else plan(
        str(messages[last_human].content),
        now=now,
        vocabulary=vocabulary,
        context=_context_before(messages[:last_human]),
    )
    if not decision.calls:
        return AIMessage(content=decision.message or "I don't understand that question.")
    missing = [c.name for c in decision.calls if available_tools and c.name not in available_tools]
    if missing:
        return AIMessage(content=f"I would need the {', '.join(missing)} tool, which is not available here.")
    asked = decision.layout.get("tier") if decision.layout and decision.layout.get("kind") == "why" else None  # "why is X hot?"
    calls = [{"name": c.name, "args": {**c.args, "asked_tier": asked} if asked and c.name == "explain_score" else c.args,
              "id": f"call_{uuid.uuid4().hex[:12]}", "type": "tool_call"} for c in decision.calls]
    # How the answer is to be worded (what was read another way, parts or a comparison) travels
    # with the calls, for the reply written once their results are in.
    wording = {k: v for k, v in (("readings", decision.readings), ("layout", decision.layout)) if v}
    return AIMessage(content="", tool_calls=calls, additional_kwargs={_WORDING: wording} if wording else {})


def __getattr__(name: str) -> Any:
    if name == "OfflinePlannerModel":
        return _planner_model_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@cache
def _planner_model_class() -> type:
    """`OfflinePlannerModel`, built on first use (LangChain's chat-model base is a heavy import)."""
    from langchain_core.language_models import BaseChatModel
    from langchain_core.outputs import ChatGeneration, ChatResult
    from langchain_core.utils.function_calling import convert_to_openai_tool
    from pydantic import ConfigDict

    class OfflinePlannerModel(BaseChatModel):
        """Plans tool calls with the rule-based planner; writes the answer from the tool results.

        The agent graph is built once and holds one instance; each run gets a copy carrying that run's
        clock and the store's vocabulary (`for_run`), so runs never share them.
        """

        model_config = ConfigDict(arbitrary_types_allowed=True)

        now: datetime | None = None
        vocabulary: Vocabulary = Vocabulary()
        available_tools: tuple[str, ...] = ()

        def for_run(self, *, now: datetime, vocabulary: Vocabulary | None) -> OfflinePlannerModel:
            """This model planning at `now` with `vocabulary` (None: no store names, e.g. when only
            an answer is left to write)."""
            return self.model_copy(update={"now": now, "vocabulary": vocabulary if vocabulary is not None else Vocabulary()})

        @property
        def _llm_type(self) -> str:
            return "leadpilot-offline-planner"

        def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> OfflinePlannerModel:
            names = tuple(getattr(t, "name", None) or convert_to_openai_tool(t)["function"]["name"] for t in tools)
            return self.model_copy(update={"available_tools": names})

        def _generate(self, messages: list, stop: list[str] | None = None, run_manager=None, **kwargs: Any) -> ChatResult:
            message = offline_reply(messages, now=self.now, vocabulary=self.vocabulary, available_tools=self.available_tools)
            return ChatResult(generations=[ChatGeneration(message=to_langchain(message))])

    OfflinePlannerModel.__module__ = __name__
    return OfflinePlannerModel
