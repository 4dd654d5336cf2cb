"""The offline backend: a LangChain chat model driven by the deterministic planner.

It speaks the same protocol as an LLM inside the same agent loop: given the conversation it
answers with tool calls (from `planner.plan`), and once the tool results are in, with a short
answer written from them. No key, no network, same tools, same rendering.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import ConfigDict

from leadpilot.agent.answers import compose_answer
from leadpilot.agent.intents import REPORT_TOOLS
from leadpilot.agent.planner import Context, ToolCall, Vocabulary, plan


def _context_before(messages: Sequence[BaseMessage]) -> Context:
    """The last query tool call in earlier turns and the lead ids it showed, for follow-ups."""
    results: dict[str, ToolMessage] = {m.tool_call_id: m for m in messages if isinstance(m, ToolMessage)}
    last_query: ToolCall | None = None
    last_ids: tuple[int, ...] = ()
    for message in messages:
        if not isinstance(message, AIMessage):
            continue
        for call in message.tool_calls:
            if call["name"] in ("search_leads", "aggregate_leads") or call["name"] in REPORT_TOOLS:
                last_query = ToolCall(call["name"], dict(call["args"]))
            result = results.get(call.get("id") or "")
            if call["name"] in ("search_leads", "semantic_search_leads", "similar_leads") and result is not None:
                try:
                    last_ids = tuple(lead["id"] for lead in json.loads(result.content).get("leads", []))
                except (ValueError, TypeError, KeyError):
                    pass
    return Context(last_call=last_query, last_lead_ids=last_ids)


def plans_next(messages: Sequence[BaseMessage]) -> bool:
    """True when the next reply is a plan (tool calls): no tool result has come in since the person
    last spoke. Otherwise the reply is the answer written from those results."""
    for message in reversed(messages):
        if isinstance(message, ToolMessage):
            return False
        if isinstance(message, HumanMessage):
            return True
    return False


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

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager=None, **kwargs: Any) -> ChatResult:
        last_human = max((i for i, m in enumerate(messages) if isinstance(m, HumanMessage)), default=None)
        if last_human is None:
            return self._reply(AIMessage(content="Ask me about your leads."))
        if not plans_next(messages):
            return self._reply(AIMessage(content=compose_answer([m for m in messages[last_human + 1 :] if isinstance(m, ToolMessage)])))
        if self.now is None:
            raise ValueError("The offline planner needs the run's clock: use OfflinePlannerModel(now=...) or .for_run(now=...).")

        decision = plan(
            str(messages[last_human].content),
            now=self.now,
            vocabulary=self.vocabulary,
            context=_context_before(messages[:last_human]),
        )
        if not decision.calls:
            return self._reply(AIMessage(content=decision.message or "I don't understand that question."))
        missing = [c.name for c in decision.calls if self.available_tools and c.name not in self.available_tools]
        if missing:
            return self._reply(AIMessage(content=f"I would need the {', '.join(missing)} tool, which is not available here."))
        calls = [{"name": c.name, "args": c.args, "id": f"call_{uuid.uuid4().hex[:12]}", "type": "tool_call"} for c in decision.calls]
        return self._reply(AIMessage(content="", tool_calls=calls))

    @staticmethod
    def _reply(message: AIMessage) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=message)])
