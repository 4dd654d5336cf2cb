"""One agent loop for every interface: question in, answer with its tool calls, leads and rows out.

The loop is LangChain's tool-calling agent; the model is either an OpenAI-compatible LLM or the
offline planner. The conversation so far is loaded from the store and the new turn saved, and
every run is logged (question, tool calls, answer, backend, duration).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadpilot.agent.deps import AgentDeps
from leadpilot.memory.models import Lead, Rep


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

    def contract(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.answer,
            "tool_calls": self.tool_calls,
            "leads": self.leads,
            "rows": self.rows,
        }


class AgentError(RuntimeError):
    """The model backend failed (unreachable, bad key...); the message says what to check."""


def system_prompt(deps: AgentDeps) -> str:
    template = files("leadpilot.prompts").joinpath("system.md").read_text(encoding="utf-8")
    user = deps.viewer.email or "a local administrator"
    if deps.viewer.name:
        user = f"{deps.viewer.name} <{user}> ({deps.viewer.role})"
    return template.format(today=deps.now.date().isoformat(), user=user)


def store_fingerprint(session: Session) -> tuple:
    """Changes whenever a lead or rep is added or edited (two index lookups: cheap). A deletion may
    leave a stale name in the vocabulary, which can only make a filter match nothing."""
    # One aggregate per statement: SQLite answers a lone max() from the index without a scan.
    return tuple(
        session.scalar(select(aggregate))
        for aggregate in (func.max(Lead.id), func.max(Lead.updated_at), func.max(Rep.id), func.count(Rep.id))
    )


def cached_vocabulary(deps: AgentDeps, session: Session):
    """The planner's vocabulary, rebuilt only when the store changed since it was built."""
    fingerprint = store_fingerprint(session)
    cached = deps.db.cache.get("vocabulary")
    if cached is None or cached[0] != fingerprint:
        cached = (fingerprint, build_vocabulary(session))
        deps.db.cache["vocabulary"] = cached
    return cached[1]


def build_vocabulary(session: Session):
    """Cities, reps and companies in the store, for the offline planner to recognise by name."""
    from leadpilot.agent.planner import Vocabulary

    cities = {c.lower(): c for c in session.scalars(select(Lead.city).distinct().where(Lead.city.is_not(None)))}
    reps: dict[str, str] = {}
    first_names: dict[str, list[str]] = {}
    for email, name in session.execute(select(Rep.email, Rep.name)):
        reps[name.lower()] = email
        reps[email.lower()] = email
        first_names.setdefault(name.split()[0].lower(), []).append(email)
    for first, emails in first_names.items():
        if len(emails) == 1:
            reps.setdefault(first, emails[0])
    companies = {c.lower(): c for c in session.scalars(select(Lead.company).distinct().where(Lead.company.is_not(None)))}
    return Vocabulary(cities=cities, reps=reps, companies=companies)


def build_model(deps: AgentDeps):
    """The chat model for this run: OpenAI-compatible when configured, else the offline planner."""
    settings = deps.settings
    if settings.effective_llm_backend == "openai":
        from langchain_openai import ChatOpenAI

        if not settings.openai_api_key:
            raise AgentError("LEADPILOT_LLM_BACKEND=openai needs OPENAI_API_KEY (any value for a local server).")
        return ChatOpenAI(
            model=settings.model,
            api_key=settings.openai_api_key,
            base_url=settings.openai_base_url,
            temperature=0,
            max_retries=1,
            timeout=120,
        )
    from leadpilot.agent.offline_model import OfflinePlannerModel

    with deps.read() as session:
        vocabulary = cached_vocabulary(deps, session)
    return OfflinePlannerModel(now=deps.now, vocabulary=vocabulary)


def _build_agent(deps: AgentDeps):
    from langchain.agents import create_agent

    from leadpilot.agent.toolbox import READ_TOOLS

    return create_agent(build_model(deps), list(READ_TOOLS), system_prompt=system_prompt(deps), context_schema=AgentDeps)


def _history(deps: AgentDeps) -> list:
    if not deps.conversation_id:
        return []
    from langchain_core.messages import messages_from_dict

    from leadpilot.memory.conversations import load_messages

    with deps.db.session() as session:
        return messages_from_dict(load_messages(session, conversation_id=deps.conversation_id))


def _collect(question: str, new_messages: list, backend: str) -> AgentAnswer:
    from langchain_core.messages import AIMessage, ToolMessage

    answer = AgentAnswer(question=question, answer="", backend=backend)
    for message in new_messages:
        if isinstance(message, AIMessage):
            for call in message.tool_calls:
                answer.tool_calls.append({"name": call["name"], "args": call["args"]})
            if message.content and not message.tool_calls:
                answer.answer = message.content if isinstance(message.content, str) else str(message.content)
        elif isinstance(message, ToolMessage) and isinstance(message.artifact, dict):
            artifact = message.artifact
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
    try:
        agent = _build_agent(deps)
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


def stream_agent(question: str, *, deps: AgentDeps) -> Iterator[tuple[str, Any]]:
    """Run like `run_agent`, yielding ("tool_call", {...}), ("tool_result", {...}) and ("token", str)
    events as they happen, then ("answer", AgentAnswer)."""
    from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage

    started = time.perf_counter()
    backend = deps.settings.effective_llm_backend
    history = _history(deps)
    agent = _build_agent(deps)
    new_messages: list = [HumanMessage(question)]
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
                    if isinstance(message, AIMessage):
                        for call in message.tool_calls:
                            yield "tool_call", {"name": call["name"], "args": call["args"]}
                    elif isinstance(message, ToolMessage):
                        yield "tool_result", {"name": message.name, "artifact": message.artifact}
    answer = _collect(question, new_messages[1:], backend)
    _save_turn(deps, answer, new_messages, started)
    yield "answer", answer
