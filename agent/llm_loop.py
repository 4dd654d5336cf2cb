"""The tool-calling loop for an OpenAI-compatible model, with its budget.

One question: the static system prompt, the conversation so far, the run's facts (date, asker),
the question; then model replies and tool results until a reply has no tool calls. Around that:

- the tools the model sees (agent/toolbox/schemas.py): the core set for a small context, the full
  set for a large one (LEADPILOT_LLM_TOOLSET; `auto` asks the server for its context size);
- a request that does not fit the model's context is refused before it is sent, in one sentence
  that says which tool set to use or what context to start the server with (and a server's own
  "context exceeded" error is turned into that sentence);
- limits, each reported in one sentence naming its setting: tool calls per question, one total
  deadline per question (every request's timeout is what is left of it), the answer's length;
- a tool's own error, malformed tool-call arguments or an unknown tool go back to the model as a
  retry prompt once (as pydantic-ai's ModelRetry does); a second failure of that tool ends the run
  with a message naming the tool;
- grounding (agent/llm_grounding.py): an empty answer, a lead question answered without a tool, or
  a number no tool returned gets one correction, then "the model did not use its tools".

The loop yields each message to keep (model replies with tool calls, tool results, the answer) as
it is made, so the runner logs every tool call that ran even when the run fails. A rejected answer
and its correction are not kept. `Usage` counts round trips, tokens and time for the evals.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from functools import cache
from importlib.resources import files
from typing import Any

from leadpilot.agent.deps import AgentDeps
from leadpilot.agent.graph import AgentError
from leadpilot.agent.messages import RESOLVED
from leadpilot.settings import Settings

FULL_SET_MARGIN = 4096  # tokens left for the conversation and the answer when `auto` picks the full set


class ModelLimitError(AgentError):
    """A limit of the model budget was reached; the message is one sentence naming the setting."""


class ContextTooSmallError(ModelLimitError):
    """The request does not fit the model's context."""


class ModelDidNotUseToolsError(AgentError):
    """The model answered without grounding its answer in tool results, twice."""


class ToolFailedError(AgentError):
    """A tool failed (or the model's arguments for it did not validate) twice in one question."""


@dataclass
class Usage:
    """What one question cost on the model: round trips, tokens, seconds, and the tool set used."""

    round_trips: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    toolset: str = ""
    corrections: int = 0
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@cache
def static_prompt() -> str:
    """The system prompt: the same for every person and day (servers cache it with the tools)."""
    return files("leadpilot.prompts").joinpath("system.md").read_text(encoding="utf-8").strip()


def run_facts(deps: AgentDeps) -> str:
    """What belongs to this run: today's date and who is asking."""
    user = deps.viewer.email or "a local administrator"
    if deps.viewer.name:
        user = f"{deps.viewer.name} <{user}>"
    return f"Today is {deps.now.date().isoformat()} (UTC). The person asking: {user} ({deps.viewer.role})."


def choose_toolset(settings: Settings) -> tuple[str, str]:
    """The tool set for these settings and why: the setting, or by the model's context size."""
    from leadpilot.agent.llm_wire import context_size, count_tokens
    from leadpilot.agent.toolbox.schemas import tools_json

    if settings.llm_toolset != "auto":
        return settings.llm_toolset, f"LEADPILOT_LLM_TOOLSET={settings.llm_toolset}"
    context, source = context_size(settings)
    if context is None:
        return "full", f"full: {source}"
    needed = count_tokens(static_prompt(), settings.model)[0] + count_tokens(tools_json("full"), settings.model, json_text=True)[0]
    if context >= needed + FULL_SET_MARGIN + settings.llm_max_tokens:
        return "full", f"full: the context ({context:,} tokens, {source}) holds every tool"
    room = FULL_SET_MARGIN + settings.llm_max_tokens
    return "core", f"core: the context ({context:,} tokens, {source}) is under every tool's {needed:,} + {room:,} for the conversation and answer"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + f"… [cut at {limit:,} characters: LEADPILOT_LLM_MAX_STORED_CHARS]"


def _question_kind(question: str, deps: AgentDeps) -> tuple[bool, bool]:
    """(a lookup about leads, a request to change data), as the offline planner reads `question`."""
    from leadpilot.agent.planner import plan
    from leadpilot.agent.planner.writes import WRITE_MESSAGE
    from leadpilot.agent.vocabulary import run_vocabulary

    try:
        decided = plan(question, now=deps.now, vocabulary=run_vocabulary(deps))
    except Exception:  # noqa: BLE001 - the planner is a judge here, never a reason to fail the run
        return False, False
    return bool(decided.calls), (decided.message == WRITE_MESSAGE)


def _store_names(deps: AgentDeps) -> list[str]:
    """The store's company and contact names (what an invented lead would be called)."""
    from leadpilot.agent.vocabulary import run_vocabulary

    try:
        vocabulary = run_vocabulary(deps)
    except Exception:  # noqa: BLE001 - no names: the number checks still hold
        return []
    return sorted(set(vocabulary.companies.values()) | set(vocabulary.contacts.values()))


class _Turn:
    """The state of one question on the model."""

    def __init__(self, history: list, question: str, deps: AgentDeps, usage: Usage) -> None:
        from leadpilot.agent.llm_wire import to_wire
        from leadpilot.agent.toolbox.schemas import llm_tools

        self.deps, self.settings, self.question, self.usage = deps, deps.settings, question, usage
        self.toolset, why = choose_toolset(self.settings)
        usage.toolset = self.toolset
        usage.notes.append(f"tool set {why}")
        self.tools = list(llm_tools(self.toolset))  # type: ignore[arg-type]
        facts = run_facts(deps)
        self.facts = facts
        wire = [{"role": "system", "content": static_prompt()}, *(to_wire(m) for m in history)]
        if self.settings.llm_facts_role == "system":
            wire += [{"role": "system", "content": facts}, {"role": "user", "content": question}]
        else:
            wire.append({"role": "user", "content": f"{facts}\n\n{question}"})
        self.wire = wire
        from leadpilot.agent.llm_wire import client

        client(self.settings)  # the client (and its imports) before the question's clock starts
        self.started = time.monotonic()
        self.deadline = self.started + self.settings.llm_deadline_s
        self.calls = 0
        self.failures: dict[str, int] = {}
        self.results: list[str] = []

    # -- the model -------------------------------------------------------------------------------

    def complete(self) -> Any:
        """One round trip: the model's reply message (limits and context checked first)."""
        from leadpilot.agent.llm_wire import client, context_exceeded, context_sentence, context_size, request_body, request_tokens

        settings = self.settings
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise ModelLimitError(self._deadline_sentence())
        needed = request_tokens(settings, self.wire, self.tools)
        context, _source = context_size(settings)
        if context is not None and needed > context:
            raise ContextTooSmallError(context_sentence(context, needed, self.toolset))
        body = request_body(settings, self.wire, self.tools)
        from openai import APIConnectionError, APIStatusError, APITimeoutError

        began = time.monotonic()
        try:
            response = client(settings).chat.completions.create(**body, timeout=min(settings.llm_timeout_s, remaining))
        except APITimeoutError:
            self.usage.round_trips += 1
            if time.monotonic() >= self.deadline - 0.01:
                raise ModelLimitError(self._deadline_sentence()) from None
            raise AgentError(f"The model at {self._where()} did not answer within {min(settings.llm_timeout_s, remaining):.0f} s "
                             "(LEADPILOT_LLM_TIMEOUT_S; a cold local model on CPU may need several minutes).") from None
        except APIStatusError as error:
            self.usage.round_trips += 1
            message = _error_text(error)
            exceeded = context_exceeded(message, error.body)
            if exceeded is not None:
                raise ContextTooSmallError(context_sentence(exceeded[0] or context, exceeded[1] or needed, self.toolset)) from None
            raise AgentError(f"The OpenAI-compatible backend at {self._where()} failed: HTTP {error.status_code}: {message}") from None
        except APIConnectionError as error:
            raise AgentError(f"The OpenAI-compatible backend at {self._where()} failed: cannot connect ({error}).") from None
        self.usage.round_trips += 1
        self.usage.seconds += time.monotonic() - began
        if response.usage is not None:
            self.usage.prompt_tokens += response.usage.prompt_tokens or 0
            self.usage.completion_tokens += response.usage.completion_tokens or 0
        if not response.choices:
            raise AgentError(f"The model at {self._where()} sent a reply with no message.")
        return response.choices[0].message

    def _where(self) -> str:
        return self.settings.openai_base_url or "api.openai.com"

    def _deadline_sentence(self) -> str:
        return (f"The question ran out of its {self.settings.llm_deadline_s:g} s (LEADPILOT_LLM_DEADLINE_S) after "
                f"{self.usage.round_trips} model calls and {self.calls} tool calls.")

    # -- the tools -------------------------------------------------------------------------------

    def run_call(self, call_id: str, name: str, raw_arguments: Any) -> tuple[Any, dict[str, Any]]:
        """Run one of the model's calls: (ToolMessage, the toolbox call it stood for)."""
        from langchain_core.messages import ToolMessage

        from leadpilot.agent.toolbox import get_tool
        from leadpilot.agent.toolbox.registry import ToolArgumentsError
        from leadpilot.agent.toolbox.schemas import UnknownToolError, llm_tool_names, resolve_call

        self.calls += 1
        if self.calls > self.settings.llm_max_tool_calls:
            raise ModelLimitError(f"The model asked for more than {self.settings.llm_max_tool_calls} tool calls for one question "
                                  "(LEADPILOT_LLM_MAX_TOOL_CALLS); its answer so far is not shown.")
        resolved = {"name": name, "args": {}}
        try:
            args = _arguments(raw_arguments, self.settings.llm_max_stored_chars)
            resolved["args"] = args
            tool_name, tool_args = resolve_call(name, args, self.toolset)  # type: ignore[arg-type]
            resolved = {"name": tool_name, "args": tool_args}
            content, artifact = get_tool(tool_name).run(tool_args, context=self.deps)
        except UnknownToolError:
            error = f"{name} is not a valid tool, try one of [{', '.join(llm_tool_names(self.toolset))}]."  # type: ignore[arg-type]
            return self._failed(call_id, name, error), resolved
        except (ToolArgumentsError, ValueError) as problem:
            return self._failed(call_id, name, f"the arguments do not fit the tool: {problem}"), resolved
        except AgentError:
            raise
        except Exception as problem:  # noqa: BLE001 - the tool's own error goes back to the model once
            return self._failed(call_id, name, f"the tool failed: {type(problem).__name__}: {problem}"), resolved
        self.results.append(content)
        return ToolMessage(content=content, artifact=artifact, name=resolved["name"], tool_call_id=call_id), resolved

    def _failed(self, call_id: str, name: str, error: str) -> Any:
        from langchain_core.messages import ToolMessage

        self.failures[name] = self.failures.get(name, 0) + 1
        if self.failures[name] > 1:
            raise ToolFailedError(f"The tool {name} failed twice for this question: {error}")
        content = f"Error: {error} Fix the arguments and call {name} again, or answer without it."
        return ToolMessage(content=_clip(content, self.settings.llm_max_stored_chars), name=name, tool_call_id=call_id, status="error")


def _error_text(error: Any) -> str:
    body = getattr(error, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
        if isinstance(inner, str):
            return inner
        if body.get("detail"):
            return json.dumps(body["detail"])[:500]
    return str(getattr(error, "message", error))[:500]


def _arguments(raw: Any, limit: int) -> dict[str, Any]:
    """The model's arguments as a dict (servers send a JSON string; some a dict)."""
    from leadpilot.agent.toolbox.registry import ToolArgumentsError

    if isinstance(raw, dict):
        return raw
    text = raw or "{}"
    if len(text) > limit:
        raise ToolArgumentsError(f"the arguments are {len(text):,} characters, more than {limit:,} (LEADPILOT_LLM_MAX_STORED_CHARS)")
    try:
        args = json.loads(text)
    except ValueError as error:
        raise ToolArgumentsError(f"the arguments are not valid JSON ({error})") from None
    if not isinstance(args, dict):
        raise ToolArgumentsError("the arguments must be a JSON object")
    return args


def llm_turn(history: list, question: str, deps: AgentDeps, usage: Usage) -> Iterator[Any]:
    """Answer `question` on the configured model: yields the messages to keep, the answer last."""
    from langchain_core.messages import AIMessage

    from leadpilot.agent.llm_grounding import correction, ungrounded
    from leadpilot.agent.llm_wire import to_wire

    turn = _Turn(history, question, deps, usage)
    kind: tuple[bool, bool] | None = None
    while True:
        reply = turn.complete()
        calls = list(reply.tool_calls or [])
        if not calls:
            text = reply.content or ""
            if kind is None:  # the planner judges only an answer given without tool results
                kind = (False, False) if turn.results else _question_kind(question, deps)
            reason = ungrounded(text, question=question, tool_results=turn.results, facts=turn.facts,
                                lead_question=kind[0], write_request=kind[1], names=_store_names(deps))
            if reason:
                if usage.corrections:
                    raise ModelDidNotUseToolsError(f"The model did not use its tools: {reason}, again after a correction. "
                                                   "Nothing it wrote is shown as fact; ask again, or use LEADPILOT_LLM_BACKEND=offline.")
                usage.corrections += 1
                usage.notes.append(f"corrected: {reason}")
                turn.wire += [{"role": "assistant", "content": text}, {"role": "user", "content": correction(reason)}]
                continue
            limit = deps.settings.llm_max_answer_chars
            if len(text) > limit:
                usage.notes.append(f"answer cut at {limit:,} characters")
                text = text[:limit] + f"… [The answer was cut at {limit:,} characters (LEADPILOT_LLM_MAX_ANSWER_CHARS).]"
            yield AIMessage(content=text)
            return
        run_now = calls[:1] if deps.settings.llm_parallel_tool_calls == "off" else calls
        prepared = [(call.id or f"call_{uuid.uuid4().hex[:12]}", call.function.name, call.function.arguments, call in run_now)
                    for call in calls]
        ai = AIMessage(content=reply.content or "", tool_calls=[_shown_call(c, deps) for c in prepared],
                       additional_kwargs={RESOLVED: [_toolbox_call(c, turn.toolset) for c in prepared]})
        yield ai  # before the tools run: the run log has the calls even if one fails
        turn.wire.append(to_wire(ai))
        for call_id, name, raw, run in prepared:
            if run:
                message, _ = turn.run_call(call_id, name, raw)
            else:
                from langchain_core.messages import ToolMessage

                message = ToolMessage(content="Not run: one tool call at a time (LEADPILOT_LLM_PARALLEL_TOOL_CALLS=off); call it again.",
                                      name=name, tool_call_id=call_id, status="error")
            yield message
            turn.wire.append(to_wire(message))


def _shown_call(prepared: tuple, deps: AgentDeps) -> dict[str, Any]:
    """The model's call as LangChain keeps it (arguments that do not parse kept as text)."""
    call_id, name, raw, _run = prepared
    try:
        args = _arguments(raw, deps.settings.llm_max_stored_chars)
    except ValueError:
        args = {"unreadable_arguments": _clip(str(raw), 200)}
    return {"name": name, "args": args, "id": call_id, "type": "tool_call"}


def _toolbox_call(prepared: tuple, toolset: str) -> dict[str, Any]:
    """The toolbox call behind the model's call (`report` is the report's own tool), for `tool_calls`."""
    from leadpilot.agent.toolbox.schemas import resolve_call

    _call_id, name, raw, _run = prepared
    try:
        tool_name, tool_args = resolve_call(name, _arguments(raw, 10**9), toolset)  # type: ignore[arg-type]
    except (KeyError, ValueError):
        return {"name": name, "args": {}}
    return {"name": tool_name, "args": tool_args}


def token_budget(settings: Settings, *, ask_server: bool = True) -> dict[str, Any]:
    """What a question costs on the configured model before any conversation: the system prompt and
    each tool set in tokens (and how they were counted), the tool set the settings choose and why,
    and the input tokens of a one-tool question (two model calls: the plan, then the answer)."""
    from leadpilot.agent.llm_wire import count_tokens
    from leadpilot.agent.toolbox.schemas import tools_json

    prompt, method = count_tokens(static_prompt(), settings.model)
    core = count_tokens(tools_json("core"), settings.model, json_text=True)[0]
    full = count_tokens(tools_json("full"), settings.model, json_text=True)[0]
    if ask_server:
        toolset, why = choose_toolset(settings)
    else:
        toolset, why = (settings.llm_toolset, "the offline backend asks no server") if settings.llm_toolset != "auto" else ("full", "auto (no server asked)")
    per_request = prompt + (core if toolset == "core" else full) + 60  # + the facts and the question
    return {"model": settings.model, "counted_by": method, "prompt": prompt, "core_tools": core, "full_tools": full,
            "toolset": toolset, "why": why, "per_request": per_request, "one_tool_question": 2 * per_request + 600}


def budget_lines(settings: Settings, *, ask_server: bool = True) -> dict[str, str]:
    """`leadpilot status`'s lines about the model's token budget."""
    budget = token_budget(settings, ask_server=ask_server)
    how = "tiktoken" if budget["counted_by"] == "tiktoken" else "estimated: 4 characters a token for prose, 3 for JSON"
    return {
        "llm tokens": (f"prompt {budget['prompt']:,} + core tools {budget['core_tools']:,} = {budget['prompt'] + budget['core_tools']:,}; "
                       f"prompt + all tools {budget['prompt'] + budget['full_tools']:,} ({budget['model']}, {how})"),
        "llm tool set": f"{budget['toolset']} ({budget['why']})",
        "llm per question": f"~{budget['one_tool_question']:,} input tokens for a one-tool question (2 model calls)",
    }
