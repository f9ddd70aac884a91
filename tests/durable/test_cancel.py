"""A cancelled run keeps what it reached, in every durability mode."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from actorgraph.graph import END, START, StateGraph
from tests.durable.graphs import State, cfg

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("durability", ["sync", "async", "exit"])
async def test_cancelled_run_resumes_from_the_state_it_reached(saver: Any, durability: str) -> None:
    started = anyio.Event()
    block = {"on": True}
    calls = {"a": 0}

    def a(state: State) -> dict[str, Any]:
        calls["a"] += 1
        return {"bar": ["a"]}

    async def b(state: State) -> dict[str, Any]:
        if block["on"]:
            started.set()
            await anyio.sleep_forever()
        return {"bar": ["b"]}

    graph = StateGraph(State)
    graph.add_node("a", a).add_node("b", b)
    graph.add_edge(START, "a").add_edge("a", "b").add_edge("b", END)
    app = graph.compile(checkpointer=saver)

    async with anyio.create_task_group() as group:

        async def run() -> None:
            await app.ainvoke({"foo": "", "bar": []}, cfg(), durability=durability)

        group.start_soon(run)
        await started.wait()
        group.cancel_scope.cancel()
    snap = await app.aget_state(cfg())
    assert snap.next == ("b",)
    assert snap.values == {"foo": "", "bar": ["a"]}
    block["on"] = False
    out = await app.ainvoke(None, cfg())
    assert out == {"foo": "", "bar": ["a", "b"]}
    assert calls == {"a": 1}
