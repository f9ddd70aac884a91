"""``as_tool``: a Runnable offered to a model as a tool (name, description, argument schema)."""

from __future__ import annotations

import inspect
import json
from collections.abc import Mapping
from typing import Any

from actorgraph.messages import ToolMessage
from actorgraph.runnables._base import Runnable
from actorgraph.runnables._binding import RunnableBinding
from actorgraph.runnables._schema import check_input, dict_schema, json_schema
from actorgraph.runnables._tracing import observed, trace_run
from actorgraph.store._config import RunnableConfig

__all__ = ["RunnableTool"]


class RunnableTool(RunnableBinding[Any, Any]):
    """A Runnable with a tool's name, description and argument schema; made by
    ``as_tool``.

    The schema is ``args_schema`` if given, else a dict schema built from
    ``arg_types``, else the Runnable's input schema. Every call checks its
    arguments against it (a :class:`RunnableInputError` names the tool). A
    model's tool call (``{"type": "tool_call", "name", "args", "id"}``) runs on
    its ``args`` and returns a ``ToolMessage`` answering that call; any other
    input is the arguments themselves and the output is returned as is.

    This is the Runnable side of tools; the agent layer's tool types can wrap
    or replace it.
    """

    def __init__(
        self,
        bound: Runnable[Any, Any],
        *,
        args_schema: Any = None,
        name: str | None = None,
        description: str | None = None,
        arg_types: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(bound=bound, name=name or bound.get_name())
        if args_schema is None and arg_types is not None:
            args_schema = dict_schema(f"{self.get_name()}Args", dict(arg_types), total=True)
        self.args_schema: Any = args_schema if args_schema is not None else bound.get_input_schema()
        self.description = description or _describe(self.args_schema, bound)

    @property
    def args(self) -> dict[str, Any]:
        """The JSON schema of each argument, by name (empty for a non-object schema)."""
        properties: dict[str, Any] = json_schema(self.args_schema, None).get("properties", {})
        return properties

    def get_input_schema(self, config: RunnableConfig | None = None) -> Any:
        return self.args_schema

    def _arguments(self, input: Any) -> tuple[Any, Mapping[str, Any] | None]:
        if isinstance(input, Mapping) and input.get("type") == "tool_call":
            return input.get("args", {}), input
        return input, None

    async def ainvoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        """Run the tool; observed calls report ``on_tool_start``/``on_tool_end``."""
        if not observed(config):
            return await self._run_tool(input, config, kwargs)
        async with trace_run(config, self.get_name(), {"input": input}, run_type="tool") as scope:
            scope.output = await self._run_tool(input, scope.config, kwargs)
        return scope.output

    async def _run_tool(
        self, input: Any, config: RunnableConfig | None, kwargs: dict[str, Any]
    ) -> Any:
        arguments, call = self._arguments(input)
        check_input(arguments, self.args_schema, f"tool {self.get_name()!r}")
        output = await self.bound.ainvoke(
            arguments, self._merge(config), **{**self.kwargs, **kwargs}
        )
        if call is None:
            return output
        content = output if isinstance(output, str) else json.dumps(output, default=str)
        return ToolMessage(content, tool_call_id=str(call.get("id") or ""), name=self.get_name())


def _describe(schema: Any, bound: Runnable[Any, Any]) -> str:
    """The schema's own docstring, else the function's, else a plain sentence."""
    if isinstance(schema, type) and schema.__module__ != "builtins":
        doc = schema.__dict__.get("__doc__")
        if doc:
            return inspect.cleandoc(doc)
    func = getattr(bound, "func", None) or getattr(bound, "afunc", None)
    doc = getattr(func, "__doc__", None)
    if doc:
        return inspect.cleandoc(doc)
    return f"Runs {bound.get_name()}."
