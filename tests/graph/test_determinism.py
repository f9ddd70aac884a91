"""The final state and the stream do not depend on which task finishes first."""

from __future__ import annotations

import itertools
import operator
from typing import Annotated, Any

import anyio
import pytest
from hypothesis import given, settings
from typing_extensions import TypedDict

from actorgraph.graph import START, StateGraph
from actorgraph.graph.state import CompiledStateGraph
from actorgraph.types import Send
from tests.strategies import GraphShape, graph_shapes, task_delays

pytestmark = pytest.mark.anyio


class Log(TypedDict):
    log: Annotated[list[str], operator.add]
    last: Annotated[str, lambda a, b: b]


def _build(shape: GraphShape, delays: list[float]) -> CompiledStateGraph[Log]:
    ticket = itertools.count()

    async def pause() -> None:
        if delays:
            await anyio.sleep(delays[next(ticket) % len(delays)])

    def node(index: int) -> Any:
        async def run(state: Log) -> dict[str, Any]:
            await pause()
            return {"log": [f"n{index}:{len(state['log'])}"], "last": f"n{index}"}

        return run

    async def worker(packet: dict[str, Any]) -> dict[str, Any]:
        await pause()
        return {"log": [f"w{packet['src']}.{packet['i']}"], "last": "w"}

    graph = StateGraph(Log)
    for i in range(shape.size):
        graph.add_node(f"n{i}", node(i), defer=i in shape.deferred)
    graph.add_node("worker", worker)
    for i in shape.entry:
        graph.add_edge(START, f"n{i}")
    for i, targets in enumerate(shape.edges):
        for j in targets:
            graph.add_edge(f"n{i}", f"n{j}")
        if shape.fanout[i]:
            count = shape.fanout[i]
            graph.add_conditional_edges(
                f"n{i}",
                lambda s, i=i, count=count: [
                    Send("worker", {"src": i, "i": k}) for k in range(count)
                ],
            )
    for starts, target in shape.joins:
        graph.add_edge([f"n{s}" for s in starts], f"n{target}")
    return graph.compile()


async def _run(app: CompiledStateGraph[Log]) -> tuple[dict[str, Any], list[Any]]:
    chunks = [c async for c in app.astream({"log": []}, stream_mode=["values", "updates"])]
    return await app.ainvoke({"log": []}), chunks


@settings(max_examples=20)
@given(shape=graph_shapes(), delays=task_delays())
async def test_random_delays_change_nothing(shape: GraphShape, delays: list[float]) -> None:
    expected = await _run(_build(shape, []))
    assert await _run(_build(shape, delays)) == expected


def _build_sync(shape: GraphShape) -> CompiledStateGraph[Log]:
    def node(index: int) -> Any:
        def run(state: Log) -> dict[str, Any]:
            return {"log": [f"n{index}:{len(state['log'])}"], "last": f"n{index}"}

        return run

    graph = StateGraph(Log)
    for i in range(shape.size):
        graph.add_node(f"n{i}", node(i), defer=i in shape.deferred)
    graph.add_node("worker", lambda p: {"log": [f"w{p['src']}.{p['i']}"], "last": "w"})
    for i in shape.entry:
        graph.add_edge(START, f"n{i}")
    for i, targets in enumerate(shape.edges):
        for j in targets:
            graph.add_edge(f"n{i}", f"n{j}")
        if shape.fanout[i]:
            count = shape.fanout[i]
            graph.add_conditional_edges(
                f"n{i}",
                lambda s, i=i, count=count: [
                    Send("worker", {"src": i, "i": k}) for k in range(count)
                ],
            )
    for starts, target in shape.joins:
        graph.add_edge([f"n{s}" for s in starts], f"n{target}")
    return graph.compile()


@settings(max_examples=10)
@given(shape=graph_shapes())
def test_sync_faces_agree_with_the_async_engine(shape: GraphShape) -> None:
    app = _build_sync(shape)
    expected = _build(shape, []).invoke({"log": []})
    assert app.invoke({"log": []}) == expected
    assert anyio.run(app.ainvoke, {"log": []}, backend="trio") == expected
    streamed = list(app.stream({"log": []}, stream_mode="values"))
    assert streamed[-1] == expected
