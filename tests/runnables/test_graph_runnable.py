"""The compiled graph and chat models as Runnables: composition, wrappers, batches."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from typing_extensions import TypedDict

from actorgraph.graph import START, StateGraph
from actorgraph.graph.state import CompiledStateGraph
from actorgraph.messages import AIMessage
from actorgraph.runnables import (
    Runnable,
    RunnableConfig,
    RunnableLambda,
    RunnablePassthrough,
    get_config,
)
from actorgraph.testing import FakeChatModel

pytestmark = pytest.mark.anyio


class State(TypedDict):
    x: int


def _adder(name: str = "LangGraph", node: Any = None) -> CompiledStateGraph[Any]:
    builder = StateGraph(State)
    builder.add_node("add", node or (lambda state: {"x": state["x"] + 1}))
    builder.add_edge(START, "add")
    return builder.compile(name=name)


async def test_a_graph_is_a_runnable_that_composes_on_both_sides() -> None:
    graph = _adder()
    assert isinstance(graph, Runnable)
    chain = RunnableLambda(lambda n: {"x": n}) | graph | RunnableLambda(lambda s: s["x"] * 10)
    assert await chain.ainvoke(1) == 20
    assert [c async for c in chain.astream(1)] == [20]
    # A dict literal before the graph, a plain function after it.
    mapped = {"x": RunnablePassthrough()} | graph | (lambda s: s["x"])
    assert await mapped.ainvoke(4) == 5
    assert await (graph | graph).ainvoke({"x": 0}) == {"x": 2}
    assert graph.get_input_jsonschema()["title"] == "LangGraphInput"
    assert graph.get_output_schema() is State


async def test_with_config_retry_fallbacks_and_batch() -> None:
    attempts: list[int] = []

    def flaky(state: State) -> dict[str, int]:
        attempts.append(state["x"])
        if len(attempts) < 3:
            raise ConnectionError("down")
        return {"x": state["x"] + 1}

    retried = _adder(node=flaky).with_retry(stop_after_attempt=3, wait_exponential_jitter=False)
    assert await retried.ainvoke({"x": 1}) == {"x": 2}
    assert attempts == [1, 1, 1]

    def broken(state: State) -> dict[str, int]:
        raise ValueError("broken graph")

    safe = _adder(node=broken).with_fallbacks([_adder()])
    assert await safe.ainvoke({"x": 1}) == {"x": 2}

    seen: list[Any] = []

    def tagged(state: State, config: RunnableConfig) -> dict[str, int]:
        seen.append(config["tags"])
        return {"x": state["x"]}

    configured = _adder(node=tagged).with_config(tags=["mine"])
    assert await configured.ainvoke({"x": 3}) == {"x": 3}
    assert "mine" in seen[0]
    assert await _adder().abatch([{"x": 1}, {"x": 2}]) == [{"x": 2}, {"x": 3}]


def test_sync_faces_of_a_composed_graph() -> None:
    chain = RunnableLambda(lambda n: {"x": n}) | _adder() | RunnableLambda(lambda s: s["x"])
    assert chain.invoke(1) == 2
    assert chain.batch([1, 2]) == [2, 3]
    assert list(chain.stream(5)) == [6]


async def test_runnables_inside_a_node_inherit_its_config() -> None:
    seen: dict[str, Any] = {}

    def inner(x: int) -> int:
        config = get_config()
        seen.update(config["metadata"])
        seen["tags"] = config["tags"]
        return x + 1

    async def node(state: State) -> dict[str, int]:
        return {"x": await RunnableLambda(inner).ainvoke(state["x"])}

    graph = _adder(node=node)
    assert await graph.ainvoke({"x": 1}, {"tags": ["outer"]}) == {"x": 2}
    assert seen["langgraph_node"] == "add"
    assert seen["langgraph_step"] == 1
    assert "outer" in seen["tags"]


async def test_a_chat_model_is_a_runnable_step() -> None:
    model = FakeChatModel(["first", "second", "third"])
    assert isinstance(model, Runnable)
    chain = RunnableLambda(lambda topic: f"about {topic}") | model | (lambda m: m.content)
    assert await chain.ainvoke("cats") == "first"
    reply = await model.with_retry().ainvoke("q")
    assert isinstance(reply, AIMessage)
    assert reply.content == "second"
    assert [r.content for r in await model.abatch(["a"])] == ["third"]


async def test_a_chat_model_with_fallbacks() -> None:
    empty = FakeChatModel([])
    backup = FakeChatModel(["from the backup"])
    reply = await empty.with_fallbacks([backup]).ainvoke("q")
    assert reply.content == "from the backup"


async def test_graph_in_a_streamed_sequence_cancels_cleanly() -> None:
    cancelled: list[str] = []

    async def hang(state: State) -> dict[str, int]:
        try:
            await anyio.sleep_forever()
        finally:
            cancelled.append("hang")
        return {"x": 0}  # pragma: no cover - never reached

    chain = RunnableLambda(lambda n: {"x": n}) | _adder(node=hang)
    with anyio.move_on_after(0.05):
        await chain.ainvoke(1)
    assert cancelled == ["hang"]
