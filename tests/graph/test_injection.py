"""Node shapes the engine accepts: injection by name or type, partials, callables."""

from __future__ import annotations

import functools
from typing import Annotated, Any

import pytest
from typing_extensions import TypedDict

from actorgraph.channels import Topic
from actorgraph.config import RunnableConfig
from actorgraph.graph import START, MessagesState, StateGraph
from actorgraph.messages import AIMessage
from actorgraph.runtime import Runtime
from actorgraph.types import Command, StreamWriter

pytestmark = pytest.mark.anyio


class S(TypedDict):
    out: Annotated[list[Any], Topic(Any, accumulate=True)]


class BaseStore:
    """Stands in for the store class: injection matches the annotation's name."""


async def _run(*nodes: Any) -> list[Any]:
    graph = StateGraph(S)
    for index, node in enumerate(nodes):
        graph.add_node(f"n{index}", node).add_edge(START, f"n{index}")
    app = graph.compile(store="store")
    result = await app.ainvoke({"out": []}, {"configurable": {"k": "v"}}, context="ctx")
    return sorted(map(repr, result["out"]))


async def test_injection_by_annotation_under_any_name() -> None:
    def node(
        state: S, c: RunnableConfig, *, w: StreamWriter, r: Runtime[str], s: BaseStore
    ) -> dict[str, Any]:
        return {"out": [(c["configurable"]["k"], callable(w), r.context, s)]}

    assert await _run(node) == [repr(("v", True, "ctx", "store"))]


async def test_async_callable_objects_partials_and_no_state() -> None:
    class Async:
        async def __call__(self, state: S, config: RunnableConfig) -> dict[str, Any]:
            return {"out": ["object"]}

    def with_extra(state: S, extra: str) -> dict[str, Any]:
        return {"out": [extra]}

    async def no_state() -> dict[str, Any]:
        return {"out": ["nothing read"]}

    def no_state_sync() -> dict[str, Any]:
        return {"out": ["sync nothing"]}

    async def only_runtime(*, runtime: Runtime[str]) -> dict[str, Any]:
        return {"out": [runtime.context]}

    got = await _run(
        Async(),
        functools.partial(with_extra, extra="partial"),
        no_state,
        no_state_sync,
        only_runtime,
    )
    assert got == sorted(map(repr, ["object", "partial", "nothing read", "sync nothing", "ctx"]))


async def test_topic_channel_from_annotation_class() -> None:
    class T(TypedDict):
        seen: Annotated[list[str], Topic]

    graph = (
        StateGraph(T).add_node("a", lambda s: {"seen": "x"}).add_node("b", lambda s: {"seen": "y"})
    )
    graph.add_edge(START, "a").add_edge(START, "b")
    assert await graph.compile().ainvoke({}) == {"seen": ["x", "y"]}


async def test_messages_mode_sees_command_updates() -> None:
    def node(state: MessagesState) -> list[Command[Any]]:
        return [Command(update={"messages": AIMessage("from a command", id="m1")})]

    app = StateGraph(MessagesState).add_node(node).add_edge(START, "node").compile()
    chunks = [c async for c in app.astream({"messages": []}, stream_mode="messages")]
    assert [m.content for m, _ in chunks] == ["from a command"]
