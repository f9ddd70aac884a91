"""as_tool (S44): a Runnable with a tool's name, description and argument schema."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from actorgraph.errors import RunnableInputError
from actorgraph.messages import ToolMessage
from actorgraph.runnables import RunnableLambda, RunnableTool


class Args(TypedDict):
    a: int
    b: list[int]


def f(x: Args) -> str:
    """Multiply a by the largest b."""
    return str(x["a"] * max(x["b"]))


class FSchema(BaseModel):
    """Apply a function to an integer and list of integers."""

    a: int = Field(..., description="Integer")
    b: list[int] = Field(..., description="List of ints")


def g(x: dict[str, Any]) -> str:
    return str(x["a"] * max(x["b"]))


def test_typed_dict_input() -> None:
    tool = RunnableLambda(f).as_tool()
    assert isinstance(tool, RunnableTool)
    assert tool.invoke({"a": 3, "b": [1, 2]}) == "6"
    assert tool.get_name() == "f"
    assert tool.description == "Multiply a by the largest b."
    assert set(tool.args) == {"a", "b"}
    with pytest.raises(RunnableInputError, match="tool 'f' expects input of type Args"):
        tool.invoke({"a": "three", "b": [1]})


def test_args_schema() -> None:
    tool = RunnableLambda(g).as_tool(FSchema, name="times")
    assert tool.invoke({"a": 3, "b": [1, 2]}) == "6"
    assert tool.description == "Apply a function to an integer and list of integers."
    assert tool.args["a"]["description"] == "Integer"
    with pytest.raises(RunnableInputError, match="tool 'times'"):
        tool.invoke({"a": 3})


def test_arg_types() -> None:
    tool = RunnableLambda(lambda x: str(x["a"] * max(x["b"]))).as_tool(
        arg_types={"a": int, "b": list[int]}, description="multiply"
    )
    assert tool.invoke({"a": 3, "b": [1, 2]}) == "6"
    assert tool.description == "multiply"
    with pytest.raises(RunnableInputError):
        tool.invoke({"a": 3})


def test_str_input() -> None:
    def first(x: str) -> str:
        return x + "a"

    tool = (RunnableLambda(first) | (lambda x: x + "z")).as_tool()
    assert tool.invoke("b") == "baz"
    assert tool.description == "Runs RunnableSequence."


@pytest.mark.anyio
async def test_tool_call_gets_a_tool_message() -> None:
    tool = RunnableLambda(f).as_tool()
    reply = await tool.ainvoke(
        {"type": "tool_call", "name": "f", "args": {"a": 2, "b": [5]}, "id": "call-1"}
    )
    assert reply == ToolMessage("10", tool_call_id="call-1", name="f")
    counted = RunnableLambda(lambda d: {"n": d["a"]}).as_tool(arg_types={"a": int})
    message = await counted.ainvoke({"type": "tool_call", "args": {"a": 1}, "id": "c"})
    assert message.content == '{"n": 1}'
