"""One agent loop for every interface: question in, answer with its tool calls, leads and rows out.

An OpenAI-compatible model runs in agent/llm_loop.py (its wire, budget and grounding checks); the
offline planner runs the same turn — same tool calls, same answers — in agent/loop.py (the
LangChain graph in agent/graph.py drives the same planner model; tests compare the two). The
conversation so far is loaded from the store and the new turn saved, and every run is logged
(question, every tool call that ran — also when the run fails —, answer, backend, duration).
On the LLM path the leads and rows come from the tools' artifacts, never from the model's text.
The offline path's messages are plain (agent/messages.py): a `leadpilot ask` without a conversation
imports no LangChain; a conversation's turns are stored as LangChain's messages, which both paths read.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from leadpilot.agent.deps import AgentDeps
from leadpilot.agent.graph import AgentError
from leadpilot.agent.messages import RESOLVED, HumanMessage, is_ai, is_tool, to_langchain

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
    # The LLM path: round trips, prompt and completion tokens, seconds, tool set (agent/llm_loop.Usage).
    usage: dict[str, Any] | None = None
    # Each rep's name by email, for the chat surfaces to name reps (interfaces/answer_view.py).
    rep_names: dict[str, str] = field(default_factory=dict, repr=False)

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
            "total": artifact.get("total"), "filters_applied": artifact.get("filters_applied") or []}


def _collect(question: str, new_messages: list, backend: str) -> AgentAnswer:
    answer = AgentAnswer(question=question, answer="", backend=backend)
    calls: dict[str | None, dict[str, Any]] = {}
    for message in new_messages:
        if is_ai(message):
            # On the LLM path, the toolbox calls behind the model's (`report` is the report's own tool).
            behind = message.additional_kwargs.get(RESOLVED) or []
            for n, call in enumerate(message.tool_calls):
                shown = behind[n] if n < len(behind) else {"name": call["name"], "args": call["args"]}
                answer.tool_calls.append({"name": shown["name"], "args": shown["args"]})
                calls[call.get("id")] = answer.tool_calls[-1]
            if message.content and not message.tool_calls:
                answer.answer = message.content if isinstance(message.content, str) else str(message.content)
        elif is_tool(message) and isinstance(message.artifact, dict):
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
                answer.score_explanation = artifact  # with asked_tier when the call named one ("why is X hot?")
    return answer


def _named(answer: AgentAnswer, deps: AgentDeps) -> AgentAnswer:
    """The answer with each rep's name by email, for the chat surfaces to name reps."""
    from leadpilot.agent.answers import rep_names

    answer.rep_names = rep_names(deps.db)
    return answer


def _bounded(value: Any, limit: int) -> Any:
    """`value` as stored: JSON of at most `limit` characters (else a note saying it was cut)."""
    import json

    text = json.dumps(value, default=str)
    return value if len(text) <= limit else {"cut_at_chars": limit, "start": text[: min(limit, 500)]}


def _save_turn(deps: AgentDeps, answer: AgentAnswer, new_messages: list, started: float) -> None:
    from leadpilot.memory.conversations import append_messages, ensure_conversation, log_run

    with deps.db.transaction() as session:
        if deps.conversation_id:
            from langchain_core.messages import AIMessage, ToolMessage, message_to_dict

            ensure_conversation(
                session, conversation_id=deps.conversation_id, channel=deps.channel, user_email=deps.viewer.email, at=deps.now
            )
            stored = []
            limit = deps.settings.llm_max_stored_chars
            for message in map(to_langchain, new_messages):
                if isinstance(message, ToolMessage):  # keep the compact content, not the full artifact
                    message = message.model_copy(update={"artifact": None})
                if isinstance(message, AIMessage) and message.tool_calls:  # a model's arguments, bounded
                    message = message.model_copy(update={"tool_calls": [{**c, "args": _bounded(c["args"], limit)} for c in message.tool_calls]})
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
            answer=answer.answer[: deps.settings.llm_max_answer_chars + 200],
            tool_calls=[{"name": c["name"], "args": _bounded(c["args"], deps.settings.llm_max_stored_chars)} for c in answer.tool_calls],
            duration_ms=int((time.perf_counter() - started) * 1000),
            error=answer.error,
        )


def run_agent(question: str, *, deps: AgentDeps) -> AgentAnswer:
    """Answer one question: load the conversation, run the tool-calling loop, save and log the turn."""
    started = time.perf_counter()
    backend = deps.settings.effective_llm_backend
    history = _history(deps)
    if backend == "offline":
        from leadpilot.agent.loop import offline_turn

        with _reader_cache(deps):
            new_messages = [HumanMessage(question), *offline_turn([*history, HumanMessage(question)], deps)]
        answer = _named(_collect(question, new_messages[1:], backend), deps)
        _save_turn(deps, answer, new_messages, started)
        return answer
    new_messages = _Kept([to_langchain(HumanMessage(question))])
    for _event in _llm_events(question, history, new_messages, deps, started):
        pass
    answer = _named(_collect(question, new_messages[1:], backend), deps)
    answer.usage = _usage_of(new_messages)
    _save_turn(deps, answer, new_messages, started)
    return answer


@contextmanager
def _reader_cache(deps: AgentDeps) -> Iterator[None]:
    """The offline reader keeps which words its patterns need in the data dir (agent/regex_gate.py),
    so a new process's first question compiles only the patterns that question can match."""
    from leadpilot.agent import regex_gate

    regex_gate.keep_in(Path(deps.settings.data_dir) / "cache")
    try:
        yield
    finally:
        regex_gate.save()


def _usage_of(messages: list) -> dict[str, Any] | None:
    return getattr(messages, "usage", None)


class _Kept(list):
    """The new messages of a run, with the run's model usage."""

    usage: dict[str, Any] | None = None


def _llm_events(question: str, history: list, new_messages: list, deps: AgentDeps, started: float) -> Iterator[Any]:
    """Run the question on the model, appending each kept message to `new_messages` as it comes;
    on failure, log the run with every tool call that ran and the error, then raise."""
    from leadpilot.agent.llm_loop import Usage, llm_turn

    usage = Usage()
    try:
        for message in llm_turn(history, question, deps, usage):
            new_messages.append(message)
            yield message
    except AgentError as error:
        failed = _collect(question, new_messages[1:], "openai")
        failed.answer, failed.error, failed.usage = str(error), str(error), usage.as_dict()
        _save_turn(deps, failed, [], started)
        raise
    except Exception as error:  # a bug or an unexpected reply: say so, keep the log
        failed = _collect(question, new_messages[1:], "openai")
        failed.answer, failed.error, failed.usage = f"The language model did not answer: {error}", str(error), usage.as_dict()
        _save_turn(deps, failed, [], started)
        raise AgentError(f"The OpenAI-compatible backend at {deps.settings.openai_base_url or 'api.openai.com'} failed: {error}") from error
    if isinstance(new_messages, _Kept):
        new_messages.usage = usage.as_dict()


def _events(message: Any) -> Iterator[tuple[str, Any]]:
    """What the chat surfaces show of one new message: each tool call, then each tool's result."""
    if is_ai(message):
        behind = message.additional_kwargs.get(RESOLVED) or []
        for n, call in enumerate(message.tool_calls):
            shown = behind[n] if n < len(behind) else call
            yield "tool_call", {"name": shown["name"], "args": shown["args"]}
    elif is_tool(message):
        yield "tool_result", {"name": message.name, "artifact": message.artifact}


def stream_agent(question: str, *, deps: AgentDeps) -> Iterator[tuple[str, Any]]:
    """Run like `run_agent`, yielding ("tool_call", {...}), ("tool_result", {...}) and ("token", str)
    events as they happen, then ("answer", AgentAnswer)."""
    started = time.perf_counter()
    backend = deps.settings.effective_llm_backend
    history = _history(deps)
    new_messages: list = [HumanMessage(question)]
    if backend == "offline":
        from leadpilot.agent.loop import offline_turn

        with _reader_cache(deps):
            for message in offline_turn([*history, HumanMessage(question)], deps):
                new_messages.append(message)
                yield from _events(message)
        answer = _named(_collect(question, new_messages[1:], backend), deps)
        _save_turn(deps, answer, new_messages, started)
        yield "answer", answer
        return
    new_messages = _Kept([to_langchain(m) for m in new_messages])
    for message in _llm_events(question, history, new_messages, deps, started):
        yield from _events(message)
        if is_ai(message) and not message.tool_calls and message.content:
            yield "token", message.content  # the answer, once checked against the tool results
    answer = _named(_collect(question, new_messages[1:], backend), deps)
    answer.usage = _usage_of(new_messages)
    _save_turn(deps, answer, new_messages, started)
    yield "answer", answer
