"""Small graphs the durable-execution tests share."""

from __future__ import annotations

import operator
from typing import Annotated, Any

from typing_extensions import TypedDict

from actorgraph.graph import END, START, StateGraph
from actorgraph.graph.message import add_messages
from actorgraph.graph.state import CompiledStateGraph
from actorgraph.messages import AnyMessage
from actorgraph.store._config import RunnableConfig
from actorgraph.types import interrupt


class Chat(TypedDict):
    xs: Annotated[list[int], operator.add]
    messages: Annotated[list[AnyMessage], add_messages]


class State(TypedDict):
    foo: str
    bar: Annotated[list[str], operator.add]


def cfg(thread: str = "1", checkpoint_id: str | None = None) -> RunnableConfig:
    configurable: dict[str, Any] = {"thread_id": thread}
    if checkpoint_id is not None:
        configurable["checkpoint_id"] = checkpoint_id
    return {"configurable": configurable}


def chain(
    saver: Any, calls: dict[str, int] | None = None, **compile_kw: Any
) -> CompiledStateGraph[State]:
    """START -> a -> b -> END; each node counts its calls in ``calls``."""
    counts = calls if calls is not None else {}

    def a(state: State) -> dict[str, Any]:
        counts["a"] = counts.get("a", 0) + 1
        return {"foo": "a", "bar": ["a"]}

    def b(state: State) -> dict[str, Any]:
        counts["b"] = counts.get("b", 0) + 1
        return {"foo": "b", "bar": ["b"]}

    graph = StateGraph(State)
    graph.add_node("a", a).add_node("b", b)
    graph.add_edge(START, "a").add_edge("a", "b").add_edge("b", END)
    return graph.compile(checkpointer=saver, **compile_kw)


def asking(saver: Any, calls: dict[str, int] | None = None) -> CompiledStateGraph[State]:
    """START -> a -> ask (interrupts for foo) -> END."""
    counts = calls if calls is not None else {}

    def a(state: State) -> dict[str, Any]:
        counts["a"] = counts.get("a", 0) + 1
        return {"bar": ["a"]}

    def ask(state: State) -> dict[str, Any]:
        counts["ask"] = counts.get("ask", 0) + 1
        answer = interrupt({"question": "foo?", "bar": state["bar"]})
        return {"foo": answer, "bar": ["ask"]}

    graph = StateGraph(State)
    graph.add_node("a", a).add_node("ask", ask)
    graph.add_edge(START, "a").add_edge("a", "ask").add_edge("ask", END)
    return graph.compile(checkpointer=saver)
