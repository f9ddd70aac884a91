"""Node caching with CachePolicy: hits skip the node and are marked in `updates`."""

from __future__ import annotations

import operator
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

import pytest
from typing_extensions import TypedDict

from actorgraph.graph import START, StateGraph
from actorgraph.graph.state import CompiledStateGraph
from actorgraph.types import CachePolicy, Send

pytestmark = pytest.mark.anyio

Key = tuple[tuple[str, ...], str]


class DictCache:
    """The cache protocol in a dict; ``now`` is set by the test to expire entries."""

    def __init__(self) -> None:
        self.now = 0.0
        self.entries: dict[Key, tuple[Any, float | None]] = {}

    async def aget(self, keys: Sequence[Key]) -> dict[Key, Any]:
        out = {}
        for key in keys:
            if key in self.entries:
                value, expires = self.entries[key]
                if expires is None or expires > self.now:
                    out[key] = value
        return out

    async def aset(self, pairs: Mapping[Key, tuple[Any, int | float | None]]) -> None:
        for key, (value, ttl) in pairs.items():
            self.entries[key] = (value, None if ttl is None else self.now + ttl)

    async def aclear(self, namespaces: Sequence[tuple[str, ...]] | None = None) -> None:
        if namespaces is None:
            self.entries.clear()
        else:
            for key in [k for k in self.entries if k[0] in namespaces]:
                del self.entries[key]


class X(TypedDict):
    x: int


def _graph(cache: DictCache, calls: list[int], policy: CachePolicy) -> CompiledStateGraph[X]:
    def expensive_node(state: X) -> dict[str, Any]:
        calls.append(state["x"])
        return {"x": state["x"] * 2}

    graph = StateGraph(X).add_node("expensive_node", expensive_node, cache_policy=policy)
    graph.set_entry_point("expensive_node").set_finish_point("expensive_node")
    return graph.compile(cache=cache)


async def test_second_call_is_served_from_the_cache() -> None:
    cache, calls = DictCache(), list[int]()
    app = _graph(cache, calls, CachePolicy(ttl=3))
    assert await app.ainvoke({"x": 5}, stream_mode="updates") == [{"expensive_node": {"x": 10}}]
    assert await app.ainvoke({"x": 5}, stream_mode="updates") == [
        {"expensive_node": {"x": 10}, "__metadata__": {"cached": True}}
    ]
    assert calls == [5]
    await app.ainvoke({"x": 6})
    assert calls == [5, 6]
    cache.now = 4.0
    assert await app.ainvoke({"x": 5}) == {"x": 10}
    assert calls == [5, 6, 5]
    await app.aclear_cache()
    await app.ainvoke({"x": 5})
    assert calls == [5, 6, 5, 5]


async def test_key_func_decides_what_is_the_same_input() -> None:
    cache, calls = DictCache(), list[int]()
    app = _graph(cache, calls, CachePolicy(key_func=lambda s: b"k"))
    assert await app.ainvoke({"x": 1}) == {"x": 2}
    assert await app.ainvoke({"x": 2}) == {"x": 2}
    assert calls == [1]


def test_sync_clear_cache() -> None:
    cache, calls = DictCache(), list[int]()
    app = _graph(cache, calls, CachePolicy())
    app.invoke({"x": 1})
    app.clear_cache(["expensive_node"])
    app.invoke({"x": 1})
    assert calls == [1, 1]


async def test_cached_sends_and_parallel_tasks_replay_their_writes() -> None:
    class S(TypedDict):
        items: list[int]
        out: Annotated[list[int], operator.add]

    calls: list[int] = []

    def fan(state: S) -> dict[str, Any]:
        calls.append(-1)
        return {}

    def work(packet: dict[str, Any]) -> dict[str, Any]:
        calls.append(packet["i"])
        return {"out": [packet["i"] * 10]}

    graph = StateGraph(S).add_node("fan", fan, cache_policy=CachePolicy())
    graph.add_node("work", work, cache_policy=CachePolicy())
    graph.add_edge(START, "fan")
    graph.add_conditional_edges("fan", lambda s: [Send("work", {"i": i}) for i in s["items"]])
    app = graph.compile(cache=DictCache())
    first = await app.ainvoke({"items": [1, 2, 3], "out": []})
    chunks = await app.ainvoke({"items": [1, 2, 3], "out": []}, stream_mode="updates")
    assert first["out"] == [10, 20, 30]
    assert sorted(calls) == [-1, 1, 2, 3]
    assert all(chunk["__metadata__"] == {"cached": True} for chunk in chunks)
    third = await app.ainvoke({"items": [1, 2, 4], "out": []})
    assert third["out"] == [10, 20, 40]
    assert sorted(calls) == [-1, -1, 1, 2, 3, 4]
