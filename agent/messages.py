"""The chat messages of the offline path: plain dataclasses with the fields of LangChain's messages.

`leadpilot ask` on the offline backend plans, calls tools and writes its answer without LangChain:
importing `langchain_core.messages` alone costs a tenth of a second of its cold start (pydantic v1,
requests). These classes carry what the offline loop, the planner model and the runner read —
`type`, `content`, `tool_calls`, `additional_kwargs`, `name`, `tool_call_id`, `artifact`, `status` —
so code that reads messages by their `type` (`is_human`, `is_ai`, `is_tool`) takes either kind: a
conversation loaded from the store or driven by the LangGraph agent holds LangChain's. They become
LangChain messages (`to_langchain`) only where LangChain is needed anyway: the agent graph and a
conversation's stored turns (kept in LangChain's dict format, which the LLM path reads back).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

__all__ = ["RESOLVED", "AIMessage", "HumanMessage", "ToolMessage", "is_ai", "is_human", "is_tool", "to_langchain"]

RESOLVED = "leadpilot_calls"  # AIMessage.additional_kwargs on the LLM path: the toolbox calls behind the model's calls


@dataclass
class HumanMessage:
    """What the person said."""

    content: str
    type: ClassVar[str] = "human"


@dataclass
class AIMessage:
    """The model's reply: tool calls (`{"name", "args", "id", "type": "tool_call"}`) or the answer."""

    content: str = ""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    additional_kwargs: dict[str, Any] = field(default_factory=dict)
    type: ClassVar[str] = "ai"


@dataclass
class ToolMessage:
    """A tool's result: the content the model reads and the artifact the interfaces render."""

    content: str
    tool_call_id: str
    name: str | None = None
    artifact: Any = None
    status: str = "success"
    type: ClassVar[str] = "tool"


# LangChain's streamed chunks say so in their type; they are still that kind of message.
_KINDS = {"human": "human", "HumanMessageChunk": "human", "ai": "ai", "AIMessageChunk": "ai", "tool": "tool",
          "ToolMessageChunk": "tool"}


def _kind(message: Any) -> str | None:
    return _KINDS.get(getattr(message, "type", None))


def is_human(message: Any) -> bool:
    """A person's message (this module's or LangChain's)."""
    return _kind(message) == "human"


def is_ai(message: Any) -> bool:
    """A model's reply (this module's or LangChain's)."""
    return _kind(message) == "ai"


def is_tool(message: Any) -> bool:
    """A tool's result (this module's or LangChain's)."""
    return _kind(message) == "tool"


def to_langchain(message: Any) -> Any:
    """`message` as LangChain's message of the same kind (a LangChain message is returned as it is)."""
    from langchain_core import messages as lc

    if isinstance(message, HumanMessage):
        return lc.HumanMessage(content=message.content)
    if isinstance(message, AIMessage):
        return lc.AIMessage(content=message.content, tool_calls=message.tool_calls, additional_kwargs=message.additional_kwargs)
    if isinstance(message, ToolMessage):
        return lc.ToolMessage(content=message.content, tool_call_id=message.tool_call_id, name=message.name,
                              artifact=message.artifact, status=message.status)
    return message
