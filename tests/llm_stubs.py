"""Loopback stand-ins for the OpenAI-compatible servers people run, each with the quirks it has
(as seen against the real servers, see issue #18), and scripted models to put behind them.

Families: openai, ollama, vllm, llama-server (llama.cpp), llama-cpp-python, lmstudio. Each is an
`OpenAIStub` (real HTTP, the real chat-completions wire format) with its quirks and endpoints:

- llama-cpp-python: drops `tools` unless `tool_choice` is sent; an assistant message with
  `"content": null` is HTTP 500 with pydantic's "Input should be a valid string"; a prompt over the
  context is 400 "Requested tokens (N) exceed context window of M"; reports no context size.
- llama-server: `/props` reports n_ctx; over it, 400 `exceed_context_size_error` with the counts;
  a slow first token (the first request waits).
- ollama: `/api/show` reports num_ctx; a prompt over it is cut from the front, silently (the tools
  and system prompt are lost), as Ollama truncates.
- vllm: `/v1/models` reports max_model_len; tools without an explicit `tool_choice` is a 400
  (auto tool choice needs it); over the context, OpenAI's "maximum context length" 400.
- lmstudio: `/api/v0/models` reports loaded_context_length; a tool message must answer a tool call
  of the assistant message before it (400 otherwise), as OpenAI checks.
- openai: OpenAI's checks on tool messages; returns several tool calls at once when asked twice.

The stubs count a prompt's tokens as characters / 4 (`context_tokens`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from conftest import NOW
from openai_stub import OpenAIStub

MODEL = "stub-model"
REPORTS = ("lead_volume", "conversion_by_tier", "time_to_first_contact", "rep_performance", "score_distribution",
           "source_attribution", "follow_ups_due")
CORRECTION_START = "Your answer cannot be shown"


def context_tokens(body: dict[str, Any]) -> int:
    return (len(json.dumps(body.get("messages", []))) + len(json.dumps(body.get("tools", [])))) // 4


# ---------------------------------------------------------------------------------------------
# Scripted models
# ---------------------------------------------------------------------------------------------


def question_of(body: dict[str, Any]) -> str:
    """The person's question: the last user message that is not a correction."""
    users = [m["content"] for m in body["messages"] if m["role"] == "user" and not str(m["content"]).startswith(CORRECTION_START)]
    return users[-1] if users else ""


def offered(body: dict[str, Any]) -> set[str]:
    return {t["function"]["name"] for t in body.get("tools") or []}


def as_model_calls(calls: list[Any], tools: set[str]) -> list[dict[str, Any]] | None:
    """The planner's calls as a model calls the offered tools (a report through `report`); None when
    a call has no offered tool."""
    out = []
    for call in calls:
        if call.name in tools:
            out.append({"name": call.name, "arguments": call.args})
        elif call.name in REPORTS and "report" in tools:
            out.append({"name": "report", "arguments": {"report": call.name, **call.args}})
        else:
            return None
    return out


def summary(result: dict[str, Any]) -> str:
    """Prose written from a tool result, as a model would: its numbers, nothing else."""
    if "error" in result:
        return f"The tool said: {result['error']}"
    if "total" in result:
        return f"I found {result['total']} leads ({'; '.join(result.get('filters_applied', []))})."
    if "rows" in result:
        return f"Here are {len(result['rows'])} rows."
    return "Here is the lead."


def unwrapped(content: str) -> Any:
    """A tool result as the model reads it: the data inside the untrusted-data wrapper."""
    from leadpilot.agent.toolbox.common import UNTRUSTED

    data = json.loads(content)
    return data[UNTRUSTED] if isinstance(data, dict) and UNTRUSTED in data else data


def planner_model(now: datetime) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A model that reads the request like a capable model: plans the question with the offline
    planner, calls the offered tools, then sums up the tool result. With no tools in the request
    (a server dropped them) it does what small models did then: answers in plain text, inventing."""
    from leadpilot.agent.planner import plan

    def respond(body: dict[str, Any]) -> dict[str, Any]:
        last = body["messages"][-1]
        if last["role"] == "tool":
            try:
                return {"content": summary(unwrapped(last["content"]))}
            except ValueError:
                return {"content": "The tool failed."}
        if not body.get("tools"):
            return {"content": "Sure! Your hot fintech leads are Ledgerly (lead 43) and 17 others."}
        decided = plan(question_of(body), now=now)
        if not decided.calls:
            return {"content": decided.message}
        calls = as_model_calls(decided.calls, offered(body))
        return {"tool_calls": calls} if calls else {"content": "I have no tool for that."}

    return respond


# ---------------------------------------------------------------------------------------------
# Server families
# ---------------------------------------------------------------------------------------------


def _drops_tools_without_tool_choice(body: dict[str, Any]) -> None:
    if body.get("tools") and "tool_choice" not in body:
        body.pop("tools")


def _rejects_null_content(body: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
    for index, message in enumerate(body.get("messages", [])):
        if message.get("content") is None:
            detail = f"1 validation error for ChatCompletionRequestAssistantMessage\nmessages.{index}.content\n  Input should be a valid string [type=string_type, input_value=None, input_type=NoneType]"
            return 500, {"error": {"message": detail, "type": "internal_server_error"}}
    return None


def _tool_messages_answer_calls(body: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
    open_ids: set[str] = set()
    for message in body.get("messages", []):
        if message["role"] == "assistant":
            open_ids = {c["id"] for c in message.get("tool_calls") or []}
        elif message["role"] == "tool" and message.get("tool_call_id") not in open_ids:
            return 400, {"error": {"message": "messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.",
                                   "type": "invalid_request_error"}}
    return None


def server(family: str, responder: Callable[[dict[str, Any]], dict[str, Any]], *, context: int = 8192,
           first_delay: float = 0.3) -> OpenAIStub:
    """A stub of `family` with its quirks, answering with `responder`."""
    quirks: list[Callable[[dict[str, Any]], Any]] = []
    routes: dict[tuple[str, str], Callable[[dict[str, Any]], Any]] = {}
    state = {"first": True}

    def quirk(check: Callable[[dict[str, Any]], Any]) -> None:
        quirks.append(check)

    if family == "llama-cpp-python":
        quirk(lambda body: _drops_tools_without_tool_choice(body))
        quirk(_rejects_null_content)
        quirk(lambda body: (400, {"error": {"message": f"Requested tokens ({context_tokens(body)}) exceed context window of {context}",
                                            "type": "invalid_request_error"}}) if context_tokens(body) > context else None)
    elif family == "llama-server":
        routes[("GET", "/props")] = lambda _body: (200, {"default_generation_settings": {"n_ctx": context}, "total_slots": 1})
        quirk(lambda body: (400, {"error": {"code": 400, "message": "the request exceeds the available context size, try increasing it",
                                            "type": "exceed_context_size_error", "n_prompt_tokens": context_tokens(body), "n_ctx": context}})
              if context_tokens(body) > context else None)
    elif family == "ollama":
        routes[("POST", "/api/show")] = lambda body: (200, {"model_info": {"general.architecture": "qwen2", "qwen2.context_length": 32768},
                                                            "parameters": f"num_ctx                        {context}"})

        def truncate(body: dict[str, Any]) -> None:
            if context_tokens(body) > context:  # Ollama keeps the end of the prompt: the tools are lost
                body.pop("tools", None)
                body["messages"] = body["messages"][-1:]

        quirk(truncate)
    elif family == "vllm":
        routes[("GET", "/v1/models")] = lambda _body: (200, {"object": "list", "data": [{"id": MODEL, "object": "model", "max_model_len": context}]})
        quirk(lambda body: (400, {"error": {"message": '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set',
                                            "type": "BadRequestError"}}) if body.get("tools") and "tool_choice" not in body else None)
        quirk(lambda body: (400, {"error": {"message": f"This model's maximum context length is {context} tokens. However, you requested "
                                            f"{context_tokens(body)} tokens in the messages, Please reduce the length of the messages.",
                                            "type": "BadRequestError"}}) if context_tokens(body) > context else None)
    elif family == "lmstudio":
        routes[("GET", "/api/v0/models")] = lambda _body: (200, {"data": [{"id": MODEL, "type": "llm", "state": "loaded",
                                                                          "loaded_context_length": context, "max_context_length": 32768}]})
        quirk(_tool_messages_answer_calls)
    elif family == "openai":
        quirk(_tool_messages_answer_calls)
    else:
        raise ValueError(f"no such server family: {family}")

    if family == "llama-server":
        inner = responder

        def responder(body: dict[str, Any]) -> dict[str, Any]:  # noqa: F811 - slow first token
            reply = inner(body)
            if state["first"]:
                state["first"] = False
                reply = {**reply, "delay": first_delay}
            return reply

    def drop_then_none(check):
        def run(body):
            result = check(body)
            return result if isinstance(result, tuple) else None

        return run

    return OpenAIStub(responder, quirks=[drop_then_none(q) for q in quirks], routes=routes)


FAMILIES = ("openai", "ollama", "vllm", "llama-server", "llama-cpp-python", "lmstudio")


# ---------------------------------------------------------------------------------------------
# A small store and settings for the LLM tests
# ---------------------------------------------------------------------------------------------

CARD = "show hot leads in fintech not contacted in 3 days"


def card_store(path: Any, now: datetime):
    """Hot fintech leads contacted 1, 2, never and 10 days ago (the card's answer: the last two),
    a warm one never contacted, and a rep and a manager."""
    from leadpilot.memory.db import open_database

    db = open_database(f"sqlite:///{path}")
    fill_card_store(db, now)
    return db


def fill_card_store(db: Any, now: datetime) -> None:
    """The card store's reps and leads, in `db` (any backend)."""
    from datetime import timedelta

    from leadpilot.memory.lead_record import validate_lead
    from leadpilot.memory.leads import get_lead, set_score, upsert_leads
    from leadpilot.memory.reps import upsert_rep

    rows = [("Ledgerly", "hot", 1), ("Coinbridge", "hot", 2), ("Vaultline", "hot", None), ("Paywise", "hot", 10), ("Fundsy", "warm", None)]
    with db.transaction() as session:
        upsert_rep(session, email="ana@team.io", name="Ana Lima", now=now)
        upsert_rep(session, email="ben@team.io", name="Ben Okafor", now=now, role="manager")
        records = [validate_lead({"external_id": company, "company": company, "industry": "fintech", "city": "Boston", "country": "US",
                                  "last_contacted_at": None if days is None else (now - timedelta(days=days)).isoformat()}, now=now)
                   for company, _tier, days in rows]
        outcome = upsert_leads(session, records=records, now=now)
        for (_action, lead_id), (_company, tier, _days) in zip(outcome.actions, rows):
            set_score(session, lead=get_lead(session, lead_id=lead_id), score=80 if tier == "hot" else 50, tier=tier, breakdown={},
                      reason="test", at=now)


def use(monkeypatch: Any, stub: OpenAIStub, **settings: Any) -> None:
    """Point the settings at `stub` (plus LEADPILOT_<NAME> settings) and forget cached ones."""
    from leadpilot.agent.llm_wire import forget_servers
    from leadpilot.settings import get_settings

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("OPENAI_BASE_URL", stub.base_url)
    monkeypatch.setenv("LEADPILOT_MODEL", MODEL)
    for name, value in settings.items():
        monkeypatch.setenv(f"LEADPILOT_{name.upper()}", str(value))
    get_settings.cache_clear()
    forget_servers()


@pytest.fixture(scope="module")
def llm_store(tmp_path_factory):
    """The card store, once per test module."""
    db = card_store(tmp_path_factory.mktemp("llm") / "llm.db", NOW)
    yield db
    db.dispose()


@pytest.fixture(autouse=True)
def fresh_llm_settings():
    """Each test's settings are its own (`use` changes them)."""
    from leadpilot.settings import get_settings

    yield
    get_settings.cache_clear()


def deps_for(db: Any, *, email: str | None = None, now: datetime = NOW):
    """A run's deps in `db`, as `email` (None: the local admin), at `now`."""
    from dataclasses import replace

    from leadpilot.interfaces.deps_factory import make_deps, viewer_for

    return replace(make_deps(db, viewer=viewer_for(db, email=email)), now=now)
