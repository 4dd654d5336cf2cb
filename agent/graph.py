"""The agent graph: LangChain's tool-calling loop, compiled once per backend configuration.

Compiling the graph (create_agent) costs milliseconds, so it is built on first use and kept; what
belongs to one run (the clock's now, who is asking, the store's vocabulary) reaches the model
through the run's context (`AgentDeps`), read by one middleware that writes the system prompt for
the person asking and gives the offline model the run's clock and vocabulary.
"""

from __future__ import annotations

import threading
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any

from leadpilot.agent.deps import AgentDeps
from leadpilot.settings import Settings

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.tools import BaseTool


class AgentError(RuntimeError):
    """The model backend failed (unreachable, bad key...); the message says what to check."""


@cache
def _system_template() -> str:
    return files("leadpilot.prompts").joinpath("system.md").read_text(encoding="utf-8")


def system_prompt(deps: AgentDeps) -> str:
    """The system prompt for this run: today's date and the person asking."""
    user = deps.viewer.email or "a local administrator"
    if deps.viewer.name:
        user = f"{deps.viewer.name} <{user}> ({deps.viewer.role})"
    return _system_template().format(today=deps.now.date().isoformat(), user=user)


def build_model(settings: Settings) -> BaseChatModel:
    """The chat model: OpenAI-compatible when configured, else the offline planner."""
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

    return OfflinePlannerModel()


def validating_model_arguments_only(tool: BaseTool) -> BaseTool:
    """A copy of `tool` whose input check covers the arguments the model sends, not the injected
    runtime. LangChain validates and then `model_dump`s the whole input; with the runtime in it
    that walked the run's deps and every message of the conversation on each call (milliseconds,
    growing with the conversation). The runtime is still injected: it comes from the signature."""
    return tool.model_copy(update={"args_schema": tool.tool_call_schema})


def _middleware(backend: str) -> list:
    from langchain.agents.middleware import AgentMiddleware, ModelRequest
    from langchain_core.messages import SystemMessage

    class RunContext(AgentMiddleware):
        """Per model call: the system prompt for the person asking and, for the offline model, this
        run's clock and the store's vocabulary when it plans. One middleware, not one per concern:
        each costs a wrapper on every model call."""

        def wrap_model_call(self, request: ModelRequest, handler):
            deps: AgentDeps = request.runtime.context
            prompt = SystemMessage(system_prompt(deps))
            if backend == "openai":
                return handler(request.override(system_message=prompt))
            model = request.model.for_run(now=deps.now, vocabulary=_vocabulary_if_planning(deps, request.messages))
            return handler(request.override(system_message=prompt, model=model))

    return [RunContext()]


def _vocabulary_if_planning(deps: AgentDeps, messages: list):
    """The store's names when the offline model plans next; None when only the answer is left to write."""
    from leadpilot.agent.offline_model import plans_next
    from leadpilot.agent.vocabulary import run_vocabulary

    if not plans_next(messages):
        return None
    return run_vocabulary(deps)


_graphs: dict[tuple, Any] = {}
_graphs_lock = threading.Lock()


def agent_graph(settings: Settings):
    """The compiled agent for these settings' backend and the registered tools, built on first use.

    Safe to share between threads and runs: a compiled graph keeps no per-run state.
    """
    from leadpilot.agent.toolbox import READ_TOOLS

    backend = settings.effective_llm_backend
    model_key = (settings.model, settings.openai_base_url, settings.openai_api_key) if backend == "openai" else ()
    key = (backend, *model_key, tuple(t.name for t in READ_TOOLS))
    graph = _graphs.get(key)
    if graph is None:
        with _graphs_lock:
            graph = _graphs.get(key)
            if graph is None:
                from langchain.agents import create_agent

                tools = [validating_model_arguments_only(t.langchain) for t in READ_TOOLS]
                graph = create_agent(build_model(settings), tools, middleware=_middleware(backend), context_schema=AgentDeps)
                _graphs[key] = graph
    return graph
