"""One agent loop for every interface: question in, answer with its tool calls, leads and rows out.

The loop is LangChain's tool-calling agent (agent/graph.py, compiled once) for an OpenAI-compatible
LLM; the offline planner runs the same turn — same tool calls, same answers — in agent/loop.py,
which needs neither LangGraph nor LangChain's tool wrappers (a `leadpilot ask` starts in well under
a second). The conversation so far is loaded from the store and
the new turn saved, and every run is logged (question, tool calls, answer, backend, duration).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from leadpilot.agent.deps import AgentDeps
from leadpilot.agent.graph import AgentError, agent_graph

__all__ = ["AgentAnswer", "AgentError", "run_agent", "stream_agent"]


@dataclass
class AgentAnswer:
    """The `ask --json` contract plus what the chat views need."""

    question: str
    answer: str
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    leads: list[dict[str, Any]] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    filters_applied: list[str] = field(default_factory=list)
    total: int | None = None
    backend: str = "offline"
    error: str | None = None
    # One entry per tool result, in order (a multi-part answer has several): the call, and the
    # leads or rows it returned. `leads` / `rows` above hold the last result's.
    parts: list[dict[str, Any]] = field(default_factory=list)
    # The last explain_score result (its breakdown included): the chat surfaces draw a score card from it.
    score_explanation: dict[str, Any] | None = None

    def contract(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.answer,
            "tool_calls": self.tool_calls,
            "leads": self.leads,
            "rows": self.rows,
        }


def _history(deps: AgentDeps) -> list:
    if not deps.conversation_id:
        return []
    from langchain_core.messages import messages_from_dict

    from leadpilot.memory.conversations import load_messages

    with deps.db.session() as session:
        return messages_from_dict(load_messages(session, conversation_id=deps.conversation_id))


def _part(call: dict[str, Any], artifact: dict[str, Any]) -> dict[str, Any]:
    """One tool result of an answer: the call, and the leads or rows it returned."""
    kind = artifact.get("kind")
    leads = artifact.get("leads", []) if kind == "search" else [artifact["lead"]] if kind == "lead" and artifact.get("lead") else []
    return {"call": call, "kind": kind, "leads": leads, "rows": artifact.get("rows", []) if kind == "aggregate" else [],
            "total": artifact.get("total")}


def _collect(question: str, new_messages: list, backend: str) -> AgentAnswer:
    from langchain_core.messages import AIMessage, ToolMessage

    answer = AgentAnswer(question=question, answer="", backend=backend)
    calls: dict[str | None, dict[str, Any]] = {}
    for message in new_messages:
        if isinstance(message, AIMessage):
            for call in message.tool_calls:
                answer.tool_calls.append({"name": call["name"], "args": call["args"]})
                calls[call.get("id")] = answer.tool_calls[-1]
            if message.content and not message.tool_calls:
                answer.answer = message.content if isinstance(message.content, str) else str(message.content)
        elif isinstance(message, ToolMessage) and isinstance(message.artifact, dict):
            artifact = message.artifact
            answer.parts.append(_part(calls.get(message.tool_call_id, {"name": message.name, "args": {}}), artifact))
            if artifact.get("kind") == "search":
                answer.leads = artifact["leads"]
                answer.total = artifact["total"]
                answer.filters_applied = artifact["filters_applied"]
                answer.rows = []
            elif artifact.get("kind") == "aggregate":
                answer.rows = artifact["rows"]
                answer.filters_applied = artifact["filters_applied"]
            elif artifact.get("kind") == "lead" and artifact.get("lead"):
                answer.leads = [artifact["lead"]]
                answer.total = 1
            elif artifact.get("kind") == "score":
                answer.score_explanation = artifact
    return answer


def _save_turn(deps: AgentDeps, answer: AgentAnswer, new_messages: list, started: float) -> None:
    from langchain_core.messages import ToolMessage, message_to_dict

    from leadpilot.memory.conversations import append_messages, ensure_conversation, log_run

    with deps.db.transaction() as session:
        if deps.conversation_id:
            ensure_conversation(
                session, conversation_id=deps.conversation_id, channel=deps.channel, user_email=deps.viewer.email, at=deps.now
            )
            stored = []
            for message in new_messages:
                if isinstance(message, ToolMessage):  # keep the compact content, not the full artifact
                    message = message.model_copy(update={"artifact": None})
                stored.append(message_to_dict(message))
            append_messages(session, conversation_id=deps.conversation_id, messages=stored, at=deps.now)
        log_run(
            session,
            conversation_id=deps.conversation_id,
            at=deps.now,
            user_email=deps.viewer.email,
            backend=answer.backend,
            model=deps.settings.model if answer.backend == "openai" else None,
            question=answer.question,
            answer=answer.answer,
            tool_calls=answer.tool_calls,
            duration_ms=int((time.perf_counter() - started) * 1000),
            error=answer.error,
        )


def run_agent(question: str, *, deps: AgentDeps) -> AgentAnswer:
    """Answer one question: load the conversation, run the tool-calling loop, save and log the turn."""
    from langchain_core.messages import HumanMessage

    started = time.perf_counter()
    backend = deps.settings.effective_llm_backend
    history = _history(deps)
    if backend == "offline":
        from leadpilot.agent.loop import offline_turn

        new_messages = [HumanMessage(question), *offline_turn([*history, HumanMessage(question)], deps)]
        answer = _collect(question, new_messages[1:], backend)
        _save_turn(deps, answer, new_messages, started)
        return answer
    try:
        agent = agent_graph(deps.settings)
        result = agent.invoke({"messages": [*history, HumanMessage(question)]}, context=deps, config={"recursion_limit": 16})
    except AgentError:
        raise
    except Exception as error:  # the model backend failed: say so, keep the log
        if backend != "openai":
            raise
        answer = AgentAnswer(question=question, answer=f"The language model did not answer: {error}", backend=backend, error=str(error))
        _save_turn(deps, answer, [], started)
        raise AgentError(
            f"The OpenAI-compatible backend at {deps.settings.openai_base_url or 'api.openai.com'} failed: {error}"
        ) from error
    new_messages = result["messages"][len(history) :]
    answer = _collect(question, new_messages[1:], backend)
    _save_turn(deps, answer, new_messages, started)
    return answer


def _events(message: Any) -> Iterator[tuple[str, Any]]:
    """What the chat surfaces show of one new message: each tool call, then each tool's result."""
    from langchain_core.messages import AIMessage, ToolMessage

    if isinstance(message, AIMessage):
        for call in message.tool_calls:
            yield "tool_call", {"name": call["name"], "args": call["args"]}
    elif isinstance(message, ToolMessage):
        yield "tool_result", {"name": message.name, "artifact": message.artifact}


def stream_agent(question: str, *, deps: AgentDeps) -> Iterator[tuple[str, Any]]:
    """Run like `run_agent`, yielding ("tool_call", {...}), ("tool_result", {...}) and ("token", str)
    events as they happen, then ("answer", AgentAnswer)."""
    from langchain_core.messages import AIMessageChunk, HumanMessage

    started = time.perf_counter()
    backend = deps.settings.effective_llm_backend
    history = _history(deps)
    new_messages: list = [HumanMessage(question)]
    if backend == "offline":
        from leadpilot.agent.loop import offline_turn

        for message in offline_turn([*history, HumanMessage(question)], deps):
            new_messages.append(message)
            yield from _events(message)
        answer = _collect(question, new_messages[1:], backend)
        _save_turn(deps, answer, new_messages, started)
        yield "answer", answer
        return
    agent = agent_graph(deps.settings)
    for mode, payload in agent.stream(
        {"messages": [*history, HumanMessage(question)]}, context=deps, config={"recursion_limit": 16}, stream_mode=["messages", "updates"]
    ):
        if mode == "messages":
            chunk, _meta = payload
            if isinstance(chunk, AIMessageChunk) and isinstance(chunk.content, str) and chunk.content:
                yield "token", chunk.content
        elif mode == "updates":
            for update in payload.values():
                for message in (update or {}).get("messages", []):
                    new_messages.append(message)
                    yield from _events(message)
    answer = _collect(question, new_messages[1:], backend)
    _save_turn(deps, answer, new_messages, started)
    yield "answer", answer
