"""The agent graph: LangChain's tool-calling loop around the offline planner model, compiled once.

`leadpilot ask` runs the offline planner in agent/loop.py (no LangGraph imports) and an
OpenAI-compatible model in agent/llm_loop.py (its own wire, budget and grounding checks); this graph
is the LangChain form of the offline turn, which tests hold agent/loop.py to. Compiling it costs
milliseconds, so it is built on first use and kept; what belongs to one run (the clock's now, who is
asking, the store's vocabulary) reaches the model through the run's context (`AgentDeps`), read by
one middleware. `AgentError` is the error every backend raises for the interfaces to show.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from leadpilot.agent.deps import AgentDeps
from leadpilot.settings import Settings

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.tools import BaseTool


class AgentError(RuntimeError):
    """The model backend failed (unreachable, bad key...); the message says what to check."""


def system_prompt(deps: AgentDeps) -> str:
    """The system prompt (the same for every run) followed by this run's facts: date and asker."""
    from leadpilot.agent.llm_loop import run_facts, static_prompt

    return f"{static_prompt()}\n\n{run_facts(deps)}"


def build_model(settings: Settings) -> BaseChatModel:
    """The chat model of the graph: the offline planner (an OpenAI-compatible model runs in agent/llm_loop.py)."""
    from leadpilot.agent.offline_model import OfflinePlannerModel

    return OfflinePlannerModel()


def validating_model_arguments_only(tool: BaseTool) -> BaseTool:
    """A copy of `tool` whose input check covers the arguments the model sends, not the injected
    runtime. LangChain validates and then `model_dump`s the whole input; with the runtime in it
    that walked the run's deps and every message of the conversation on each call (milliseconds,
    growing with the conversation). The runtime is still injected: it comes from the signature."""
    return tool.model_copy(update={"args_schema": tool.tool_call_schema})


def _middleware() -> list:
    from langchain.agents.middleware import AgentMiddleware, ModelRequest
    from langchain_core.messages import SystemMessage

    class RunContext(AgentMiddleware):
        """Per model call: the system prompt for the person asking and, for the offline model, this
        run's clock and the store's vocabulary when it plans. One middleware, not one per concern:
        each costs a wrapper on every model call."""

        def wrap_model_call(self, request: ModelRequest, handler):
            deps: AgentDeps = request.runtime.context
            prompt = SystemMessage(system_prompt(deps))
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
    """The compiled agent (the offline planner model) with the registered tools, built on first use.

    Safe to share between threads and runs: a compiled graph keeps no per-run state.
    """
    from leadpilot.agent.toolbox import READ_TOOLS

    key = tuple(t.name for t in READ_TOOLS)
    graph = _graphs.get(key)
    if graph is None:
        with _graphs_lock:
            graph = _graphs.get(key)
            if graph is None:
                from langchain.agents import create_agent

                tools = [validating_model_arguments_only(t.langchain) for t in READ_TOOLS]
                graph = create_agent(build_model(settings), tools, middleware=_middleware(), context_schema=AgentDeps)
                _graphs[key] = graph
    return graph
