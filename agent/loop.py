"""The tool-calling loop for the offline backend, without LangGraph.

The same turn the LangGraph agent (agent/graph.py) runs with `OfflinePlannerModel`: the model's
reply (`offline_model.offline_reply`: the plan, given the store's vocabulary and the run's clock),
each tool call run through the same toolbox functions with the same argument validation, then the
reply written from their results — until a reply has no tool calls. Only the machinery differs:
LangGraph, its middleware and LangChain's tool wrappers cost about two seconds of imports that a
one-question `leadpilot ask` would spend before its first query. An OpenAI-compatible model runs
in the LangGraph agent, which needs that machinery anyway (tests/test_agent_loop.py checks that
both give the same tool calls and answers).
"""

from __future__ import annotations

from collections.abc import Iterator

from leadpilot.agent.deps import AgentDeps

RECURSION_LIMIT = 16  # steps (model replies and tool rounds), as the graph's recursion_limit

# The tool error LangGraph's ToolNode returns to the model for arguments that do not validate.
_INVALID_ARGUMENTS = "Error invoking tool '{name}' with kwargs {args} with error:\n {error}\n Please fix the error and try again."


class LoopLimitError(RuntimeError):
    """The model kept calling tools past the step limit."""


def offline_turn(messages: list, deps: AgentDeps) -> Iterator:
    """Run one turn on the offline model: yields each new message (the model's replies and the tool
    results) as it is made; `messages` is the conversation so far, ending with the question."""
    from leadpilot.agent.messages import ToolMessage
    from leadpilot.agent.offline_model import offline_reply, plans_next
    from leadpilot.agent.toolbox import get_tool, tool_names
    from leadpilot.agent.toolbox.registry import ToolArgumentsError
    from leadpilot.agent.vocabulary import run_vocabulary

    names = tuple(tool_names())
    conversation = list(messages)
    steps = 0
    while True:
        steps += 1
        if steps > RECURSION_LIMIT:
            raise LoopLimitError(f"The agent stopped after {RECURSION_LIMIT} steps without an answer.")
        vocabulary = run_vocabulary(deps) if plans_next(conversation) else None
        reply = offline_reply(conversation, now=deps.now, vocabulary=vocabulary, available_tools=names)
        conversation.append(reply)
        yield reply
        if not reply.tool_calls:
            return
        steps += 1
        for call in reply.tool_calls:
            tool = get_tool(call["name"])  # offline_reply plans only the tools it was given
            try:
                content, artifact = tool.run(call["args"], context=deps)
                result = ToolMessage(content=content, artifact=artifact, name=tool.name, tool_call_id=call["id"])
            except ToolArgumentsError as error:
                content = _INVALID_ARGUMENTS.format(name=tool.name, args=call["args"], error=error)
                result = ToolMessage(content=content, name=tool.name, tool_call_id=call["id"], status="error")
            conversation.append(result)
            yield result
