"""Plain ``async for`` over ``graph.astream(...)`` is live, bounded and cancellable."""

from __future__ import annotations

import gc
from collections.abc import AsyncGenerator
from contextvars import ContextVar
from typing import Any

import anyio
import anyio.lowlevel
import pytest
from typing_extensions import TypedDict

from actorgraph.actors.pregel._stream import STREAM_BUFFER
from actorgraph.chat_models import BaseChatModel
from actorgraph.graph import START, StateGraph
from actorgraph.graph.state import CompiledStateGraph
from actorgraph.messages import AIMessage, AIMessageChunk, BaseMessage
from actorgraph.testing import FakeChatModel
from actorgraph.types import StreamWriter

pytestmark = pytest.mark.anyio


class State(TypedDict):
    x: int


def _graph(node: Any) -> CompiledStateGraph[Any]:
    builder = StateGraph(State)
    builder.add_node("node", node)
    builder.add_edge(START, "node")
    return builder.compile()


async def test_tokens_arrive_before_the_step_ends() -> None:
    model = FakeChatModel(["one two three"])
    step_over = anyio.Event()

    async def node(state: State) -> dict[str, int]:
        await model.ainvoke("hi")
        await step_over.wait()  # the step cannot end before the consumer saw tokens
        return {"x": 1}

    tokens: list[str] = []
    async for chunk, _meta in _graph(node).astream({"x": 0}, stream_mode="messages"):
        assert isinstance(chunk, AIMessageChunk)
        tokens.append(str(chunk.content))
        if len(tokens) == 3:
            step_over.set()
    assert tokens == ["one", " two", " three"]


async def test_custom_chunks_arrive_while_the_node_runs() -> None:
    seen = anyio.Event()

    async def node(state: State, writer: StreamWriter) -> dict[str, int]:
        writer("started")
        await seen.wait()
        return {"x": 1}

    chunks = []
    async for chunk in _graph(node).astream({"x": 0}, stream_mode=["custom", "updates"]):
        chunks.append(chunk)
        if chunk == ("custom", "started"):
            seen.set()
    assert chunks == [("custom", "started"), ("updates", {"node": {"x": 1}})]


async def _settle() -> None:
    for _ in range(20):
        await anyio.lowlevel.checkpoint()
    await anyio.sleep(0.01)


async def test_aclose_and_break_cancel_the_run() -> None:
    cancelled: list[str] = []

    async def node(state: State, writer: StreamWriter) -> dict[str, int]:
        writer("first")
        try:
            await anyio.sleep_forever()
        finally:
            cancelled.append("node")
        return {"x": 1}  # pragma: no cover - never reached

    stream = _graph(node).astream({"x": 0}, stream_mode="custom")
    assert await stream.__anext__() == "first"
    await stream.aclose()
    assert cancelled == ["node"]  # aclose() waits for the run to finish
    with pytest.raises(StopAsyncIteration):
        await stream.__anext__()

    async for chunk in _graph(node).astream({"x": 0}, stream_mode="custom"):
        assert chunk == "first"
        break
    gc.collect()
    await _settle()
    assert cancelled == ["node", "node"]


async def test_cancelling_the_consumer_cancels_the_run() -> None:
    cancelled: list[str] = []

    async def node(state: State) -> dict[str, int]:
        try:
            await anyio.sleep_forever()
        finally:
            cancelled.append("node")
        return {"x": 1}  # pragma: no cover - never reached

    with anyio.move_on_after(0.05):
        async for _ in _graph(node).astream({"x": 0}):
            pass  # pragma: no cover - nothing is streamed
    assert cancelled == ["node"]


async def test_errors_propagate_with_their_own_type() -> None:
    class BoomError(Exception):
        pass

    async def node(state: State, writer: StreamWriter) -> dict[str, int]:
        writer("before")
        raise BoomError("bad node")

    got: list[Any] = []

    async def consume() -> None:
        async for chunk in _graph(node).astream({"x": 0}, stream_mode="custom"):
            got.append(chunk)  # noqa: PERF401 - the chunks before the error are the point

    with pytest.raises(BoomError, match="bad node"):
        await consume()
    assert got == ["before"]

    async def stop_reading_early() -> None:
        async with _graph(node).astream({"x": 0}, stream_mode="custom"):
            await anyio.sleep(0.05)

    # Inside ``async with`` too, even when the consumer stopped reading early.
    with pytest.raises(BoomError):
        await stop_reading_early()


class _CountingModel(BaseChatModel):
    """Streams ``n`` tokens and counts how many it produced."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.n = n
        self.produced = 0

    async def _agenerate(self, messages: list[BaseMessage], **kwargs: Any) -> AIMessage:
        raise NotImplementedError  # pragma: no cover - only streamed

    async def _astream(
        self, messages: list[BaseMessage], **kwargs: Any
    ) -> AsyncGenerator[AIMessageChunk, None]:
        for i in range(self.n):
            self.produced += 1
            yield AIMessageChunk(f" {i}")


async def test_a_slow_consumer_bounds_the_buffer() -> None:
    model = _CountingModel(10 * STREAM_BUFFER)

    async def node(state: State) -> dict[str, int]:
        await model.ainvoke("go")
        return {"x": 1}

    stream = _graph(node).astream({"x": 0}, stream_mode="messages")
    try:
        await stream.__anext__()
        await anyio.sleep(0.05)  # a consumer that is behind
        # The model waits for the consumer: at most a buffer (and one pending) ahead.
        assert model.produced <= STREAM_BUFFER + 2
        rest = [chunk async for chunk in stream]
    finally:
        await stream.aclose()
    assert len(rest) == 10 * STREAM_BUFFER - 1  # every other token, in order


def test_sync_stream_is_live_and_closes_early() -> None:
    cancelled: list[str] = []

    async def node(state: State, writer: StreamWriter) -> dict[str, int]:
        writer("a")
        try:
            await anyio.sleep_forever()
        finally:
            cancelled.append("node")
        return {"x": 1}  # pragma: no cover - never reached

    stream = _graph(node).stream({"x": 0}, stream_mode="custom")
    assert next(stream) == "a"  # arrives while the node still runs
    stream.close()
    assert cancelled == ["node"]


def test_sync_invoke_nested_in_an_inline_sync_node() -> None:
    inner = _graph(lambda state: {"x": state["x"] + 1})

    def outer_node(state: State) -> dict[str, int]:
        return {"x": inner.invoke({"x": state["x"]})["x"] * 10}

    app = _graph(outer_node)
    assert app.invoke({"x": 1}) == {"x": 20}
    assert app.invoke({"x": 2}) == {"x": 30}  # the thread's loops are reused
    assert list(app.stream({"x": 1})) == [{"node": {"x": 20}}]


_REQUEST: ContextVar[str] = ContextVar("request", default="none")


async def test_the_run_sees_the_consumers_context() -> None:
    async def node(state: State, writer: StreamWriter) -> dict[str, int]:
        writer(_REQUEST.get())
        return {"x": 1}

    token = _REQUEST.set("request-42")
    try:
        chunks = [c async for c in _graph(node).astream({"x": 0}, stream_mode="custom")]
    finally:
        _REQUEST.reset(token)
    assert chunks == ["request-42"]
