"""The toolbox's `tool` decorator: a typed function registered under its tool name, run directly by
the agent's own loop, wrapped as a LangChain tool only when a LangChain agent needs one.

LangChain's `tool` decorator and its `ToolRuntime` (from LangGraph) cost about a second of imports;
`leadpilot ask` on the offline backend runs the same functions without them. An `AgentTool` is used
like the LangChain tool it stands for (`tool.name`, `tool.tool_call_schema`, `tool.invoke(...)`:
any attribute it does not have itself comes from the LangChain tool, built on first use), and
`run(args, context=deps)` validates the model's arguments exactly as LangChain would — the
arguments given, against the function's own types — and calls the function.
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Callable
from functools import cached_property
from typing import Any, Generic, TypeVar

Context = TypeVar("Context")

RUNTIME_PARAMETER = "runtime"


class ToolRuntime(Generic[Context]):
    """What a tool receives besides the model's arguments: `context`, the run's deps. Stands for
    LangChain's `ToolRuntime` in the tools' signatures (a LangChain agent injects its own)."""

    def __init__(self, context: Context) -> None:
        self.context = context


class ToolArgumentsError(ValueError):
    """The model's arguments do not fit the tool's types; the message says which and why."""


class AgentTool:
    """A toolbox function under its tool name (see the module docstring)."""

    def __init__(self, func: Callable[..., Any], *, name: str, response_format: str) -> None:
        self.func = func
        self.name = name
        self.response_format = response_format
        self.description = inspect.cleandoc(func.__doc__ or "")

    def __repr__(self) -> str:
        return f"AgentTool({self.name!r})"

    def _hints(self, runtime_type: Any) -> dict[str, Any]:
        # The toolbox modules use postponed annotations: resolve them, with `runtime_type` as ToolRuntime.
        return typing.get_type_hints(self.func, localns={"ToolRuntime": runtime_type}, include_extras=True)

    @cached_property
    def arguments_model(self) -> Any:
        """The pydantic model of the arguments the model sends (the runtime excluded)."""
        from pydantic import ConfigDict, create_model

        hints = self._hints(ToolRuntime)
        fields = {
            name: (hints[name], ... if parameter.default is inspect.Parameter.empty else parameter.default)
            for name, parameter in inspect.signature(self.func).parameters.items()
            if name != RUNTIME_PARAMETER
        }
        return create_model(f"{self.name}_arguments", __config__=ConfigDict(arbitrary_types_allowed=True), **fields)

    def run(self, args: dict[str, Any], *, context: Any) -> tuple[str, Any]:
        """Call the tool with the model's `args` for the run whose deps are `context`: (content, artifact).

        Raises ToolArgumentsError when the arguments do not validate."""
        from pydantic import ValidationError

        try:
            validated = self.arguments_model.model_validate(args)
        except ValidationError as error:
            raise ToolArgumentsError(str(error)) from None
        fields = self.arguments_model.model_fields
        return self.func(ToolRuntime(context), **{key: getattr(validated, key) for key in args if key in fields})

    @cached_property
    def langchain(self) -> Any:
        """This tool as a LangChain `BaseTool` (LangChain's own ToolRuntime injected by its agent)."""
        from langchain.tools import ToolRuntime as LangChainRuntime, tool

        func = self.func
        clone = types.FunctionType(func.__code__, func.__globals__, func.__name__, func.__defaults__, func.__closure__)
        clone.__kwdefaults__ = func.__kwdefaults__
        clone.__doc__, clone.__module__, clone.__qualname__ = func.__doc__, func.__module__, func.__qualname__
        clone.__annotations__ = self._hints(LangChainRuntime)
        return tool(self.name, response_format=self.response_format)(clone)

    def __getattr__(self, attribute: str) -> Any:
        if attribute.startswith("__") or attribute in ("func", "name", "response_format", "description"):
            raise AttributeError(attribute)
        return getattr(self.langchain, attribute)


def tool(name: str, *, response_format: str = "content_and_artifact") -> Callable[[Callable[..., Any]], AgentTool]:
    """Register a toolbox function as the tool `name` (the signature LangChain's `tool` has)."""

    def register(func: Callable[..., Any]) -> AgentTool:
        return AgentTool(func, name=name, response_format=response_format)

    return register
