"""A live stream hands its consumer chunks a batch per wake-up: order, bound, cancel."""

from __future__ import annotations

from typing import Any

import anyio
import anyio.lowlevel
import pytest
from typing_extensions import TypedDict

from actorgraph.actors.pregel._stream import STREAM_BUFFER, BoundedSink, RunStream, StreamBus
from actorgraph.config import get_stream_writer
from actorgraph.graph import START, StateGraph
from actorgraph.graph.state import CompiledStateGraph
from actorgraph.types import StreamWriter

pytestmark = pytest.mark.anyio


class State(TypedDict):
    x: int


def _chain(*nodes: Any) -> CompiledStateGraph[Any]:
    builder = StateGraph(State)
    previous = START
    for index, node in enumerate(nodes):
        builder.add_node(f"n{index}", node)
        builder.add_edge(previous, f"n{index}")
        previous = f"n{index}"
    return builder.compile()


def _emitter(tag: str, count: int) -> Any:
    async def node(state: State, writer: StreamWriter) -> dict[str, int]:
        for i in range(count):
            writer((tag, i))
            if i % 37 == 0:
                await anyio.lowlevel.checkpoint()  # the consumer takes batches meanwhile
        return {"x": state["x"] + 1}

    return node


async def test_chunks_keep_their_order_across_many_batches() -> None:
    count = 3 * STREAM_BUFFER + 7
    graph = _chain(_emitter("a", count), _emitter("b", count))
    chunks = [chunk async for chunk in graph.astream({"x": 0}, stream_mode="custom")]
    assert chunks == [("a", i) for i in range(count)] + [("b", i) for i in range(count)]


async def test_a_batch_mixes_modes_in_emission_order() -> None:
    graph = _chain(_emitter("a", 3), _emitter("b", 2))
    chunks = [chunk async for chunk in graph.astream({"x": 0}, stream_mode=["custom", "updates"])]
    assert chunks == [
        ("custom", ("a", 0)),
        ("custom", ("a", 1)),
        ("custom", ("a", 2)),
        ("updates", {"n0": {"x": 1}}),
        ("custom", ("b", 0)),
        ("custom", ("b", 1)),
        ("updates", {"n1": {"x": 2}}),
    ]


async def test_one_wake_up_takes_every_buffered_chunk() -> None:
    go = anyio.Event()

    async def node(state: State, writer: StreamWriter) -> dict[str, int]:
        for i in range(10):
            writer(i)
        await go.wait()
        return {"x": 1}

    stream = _chain(node).astream({"x": 0}, stream_mode="custom")
    try:
        assert await stream.__anext__() == 0
        # The other nine came with the first: the producer's channel is empty.
        assert not stream._producer.channel.ready
        assert [await stream.__anext__() for _ in range(9)] == list(range(1, 10))
        go.set()
        assert [chunk async for chunk in stream] == []
    finally:
        await stream.aclose()


async def test_a_slow_consumer_holds_the_run_back() -> None:
    ran: list[str] = []

    async def after(state: State) -> dict[str, int]:
        ran.append("after")
        return {"x": state["x"] + 1}

    count = 4 * STREAM_BUFFER
    stream = _chain(_emitter("a", count), after).astream({"x": 0}, stream_mode="custom")
    try:
        assert await stream.__anext__() == ("a", 0)
        await anyio.sleep(0.05)  # a consumer that is behind
        # The run waits at the end of the step until the consumer catches up.
        assert ran == []
        rest = [chunk async for chunk in stream]
    finally:
        await stream.aclose()
    assert rest == [("a", i) for i in range(1, count)]
    assert ran == ["after"]


async def test_breaking_out_mid_batch_cancels_the_run() -> None:
    cancelled: list[str] = []
    count = STREAM_BUFFER // 4

    async def node(state: State, writer: StreamWriter) -> dict[str, int]:
        for i in range(count):
            writer(i)
        try:
            await anyio.sleep_forever()
        finally:
            cancelled.append("node")
        return {"x": 1}  # pragma: no cover - never reached

    stream = _chain(node).astream({"x": 0}, stream_mode="custom")
    seen = []
    async for chunk in stream:
        seen.append(chunk)
        if len(seen) == 3:  # the batch held more than three chunks
            break
    await stream.aclose()
    assert seen == [0, 1, 2]
    assert cancelled == ["node"]
    with pytest.raises(StopAsyncIteration):
        await stream.__anext__()  # the rest of the batch is dropped with the stream


async def test_cancelling_the_consumer_between_batches_cancels_the_run() -> None:
    cancelled: list[str] = []
    first = anyio.Event()

    async def node(state: State, writer: StreamWriter) -> dict[str, int]:
        writer("a")
        writer("b")
        try:
            await anyio.sleep_forever()
        finally:
            cancelled.append("node")
        return {"x": 1}  # pragma: no cover - never reached

    seen: list[str] = []

    async def consume() -> None:
        async with _chain(node).astream({"x": 0}, stream_mode="custom") as stream:
            async for chunk in stream:
                seen.append(chunk)
                if chunk == "b":
                    first.set()

    async with anyio.create_task_group() as group:
        group.start_soon(consume)
        await first.wait()
        group.cancel_scope.cancel()
    assert seen == ["a", "b"]
    assert cancelled == ["node"]


async def test_the_custom_writer_is_shaped_once_for_a_bare_stream() -> None:
    chunks: list[Any] = []
    bare = StreamBus(frozenset({"custom"}), chunks.append, single=True)
    paired = StreamBus(frozenset({"custom", "values"}), chunks.append, single=False)
    silent = StreamBus(frozenset({"values"}), chunks.append, single=True)
    write = bare.custom_writer()
    assert write is not None
    write("x")
    silent_write = silent.custom_writer()
    assert silent_write is not None
    silent_write("dropped")
    assert paired.custom_writer() is None  # pairs go through emit()
    nested = StreamBus(frozenset({"custom"}), chunks.append, single=True, subgraphs=True)
    assert nested.custom_writer() is None  # namespaced chunks go through emit()
    assert chunks == ["x"]


async def test_a_live_custom_stream_writes_straight_into_its_sink() -> None:
    writers: list[Any] = []

    async def node(state: State) -> dict[str, int]:
        writer = get_stream_writer()
        writers.append(writer)
        writer("chunk")
        return {"x": 1}

    graph = _chain(node)
    assert [chunk async for chunk in graph.astream({"x": 0}, stream_mode="custom")] == ["chunk"]
    assert isinstance(writers[0], BoundedSink)  # no layer between the node and the stream
    pairs = [chunk async for chunk in graph.astream({"x": 0}, stream_mode=["custom"])]
    assert pairs == [("custom", "chunk")]
    assert not isinstance(writers[1], BoundedSink)  # pairs are shaped on the way


async def test_a_stream_over_a_transform_still_gets_every_chunk() -> None:
    graph = _chain(_emitter("a", STREAM_BUFFER + 3))

    async def doubled(chunks: Any) -> Any:
        async for chunk in chunks:
            yield chunk
            yield chunk

    run = graph._new_run(
        None,
        bus=StreamBus(frozenset({"custom"}), [].append, single=True),
        forward=False,
        context=None,
        interrupt_before=None,
        interrupt_after=None,
        output_keys=None,
    )
    stream = RunStream(run, {"x": 0}, doubled)
    try:
        chunks = [chunk async for chunk in stream]
    finally:
        await stream.aclose()
    assert chunks == [("a", i) for i in range(STREAM_BUFFER + 3) for _ in range(2)]
