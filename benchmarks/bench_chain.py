"""Time a chain of no-op nodes per superstep (µs/step) on asyncio and trio.

Run with ``python -m benchmarks.bench_chain``. Reports async nodes (the engine's
own cost), sync nodes (one worker-thread hop per node, the default), sync nodes
compiled with ``inline_sync_nodes=True``, the sync ``invoke`` portal (where a
sync node alone in its step runs in the calling thread, as in LangGraph), and, for
scale, what one anyio memory-stream hop costs (the price of a mailbox per node).
"""

from __future__ import annotations

import time
from typing import Any

import anyio
from typing_extensions import TypedDict

from actorgraph.graph import START, StateGraph
from actorgraph.graph.state import CompiledStateGraph


class State(TypedDict):
    x: int


def _chain(length: int, *, asynchronous: bool, inline: bool = False) -> CompiledStateGraph[Any]:
    builder = StateGraph(State)
    for i in range(length):
        if asynchronous:

            async def node(state: State) -> dict[str, int]:
                return {"x": state["x"] + 1}

        else:

            def node(state: State) -> dict[str, int]:  # type: ignore[misc]
                return {"x": state["x"] + 1}

        builder.add_node(f"n{i}", node)
        builder.add_edge(START if i == 0 else f"n{i - 1}", f"n{i}")
    return builder.compile(inline_sync_nodes=inline)


def _per_step(seconds: float, length: int, runs: int) -> float:
    return seconds / (length * runs) * 1e6


async def _time_async(graph: CompiledStateGraph[Any], length: int, runs: int) -> float:
    config = {"recursion_limit": length + 10}
    await graph.ainvoke({"x": 0}, config)  # type: ignore[arg-type]
    start = time.perf_counter()
    for _ in range(runs):
        result = await graph.ainvoke({"x": 0}, config)  # type: ignore[arg-type]
    assert result["x"] == length
    return _per_step(time.perf_counter() - start, length, runs)


def _time_sync(graph: CompiledStateGraph[Any], length: int, runs: int) -> float:
    config = {"recursion_limit": length + 10}
    graph.invoke({"x": 0}, config)  # type: ignore[arg-type]
    start = time.perf_counter()
    for _ in range(runs):
        result = graph.invoke({"x": 0}, config)  # type: ignore[arg-type]
    assert result["x"] == length
    return _per_step(time.perf_counter() - start, length, runs)


async def _mailbox_hop(n: int = 5000) -> float:
    send, receive = anyio.create_memory_object_stream[int](1)

    async def consume() -> None:
        async with receive:
            async for _ in receive:
                pass

    async with anyio.create_task_group() as group:
        group.start_soon(consume)
        start = time.perf_counter()
        async with send:
            for i in range(n):
                await send.send(i)
        elapsed = time.perf_counter() - start
    return elapsed / n * 1e6


def main() -> None:
    cases = ((10, 200), (1000, 3))
    print("chain of no-op nodes, µs per superstep (lower is better)")
    for backend in ("asyncio", "trio"):
        for length, runs in cases:
            async_graph = _chain(length, asynchronous=True)
            sync_graph = _chain(length, asynchronous=False)
            inline_graph = _chain(length, asynchronous=False, inline=True)
            a = anyio.run(_time_async, async_graph, length, runs, backend=backend)
            t = anyio.run(_time_async, sync_graph, length, max(1, runs // 4), backend=backend)
            i = anyio.run(_time_async, inline_graph, length, runs, backend=backend)
            print(
                f"{backend:8} {length:5} nodes: async nodes {a:7.1f}  sync nodes "
                f"(thread hop) {t:7.1f}  sync nodes inline {i:7.1f}"
            )
        hop = anyio.run(_mailbox_hop, backend=backend)
        print(f"{backend:8} one mailbox hop (memory stream send+receive): {hop:.1f} µs")
    for length, runs in cases:
        a = _time_sync(_chain(length, asynchronous=True), length, runs)
        s = _time_sync(_chain(length, asynchronous=False), length, runs)
        print(
            f"invoke() {length:5} nodes (the thread's reused loop): async nodes {a:7.1f}  "
            f"sync nodes {s:7.1f}"
        )


if __name__ == "__main__":
    main()
