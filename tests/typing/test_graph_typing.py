"""Inference of the graph API, checked by mypy (``make types``) and run by pytest."""

from __future__ import annotations

from typing import Any

from typing_extensions import TypedDict, assert_type

from actorgraph.graph import START, CompiledStateGraph, StateGraph
from actorgraph.runtime import Runtime
from actorgraph.types import Command, RetryPolicy, Send


class State(TypedDict):
    x: int


class Context(TypedDict):
    user: str


def node(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    return {"x": state["x"] + 1}


def test_state_and_context_types_are_carried() -> None:
    builder = StateGraph(State, context_schema=Context)
    assert_type(builder, StateGraph[State, Context, State, State])
    assert_type(builder.add_node("a", node), StateGraph[State, Context, State, State])
    app = builder.add_edge(START, "a").compile()
    assert_type(app, CompiledStateGraph[State, Context, State, State])
    assert app.invoke({"x": 1}, context={"user": "u"}) == {"x": 2}


def test_engine_types() -> None:
    assert_type(Send("a", {"x": 1}).node, str)
    assert_type(Command(goto="a").goto_targets(), tuple[str | Send, ...])
    assert_type(RetryPolicy().max_attempts, int)
