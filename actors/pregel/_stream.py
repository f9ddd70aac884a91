"""The stream bus: where a run's events go, shaped as the caller asked."""

from __future__ import annotations

import functools
import threading
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

import anyio
import anyio.from_thread

from actorgraph.actors._portal import Channel, DetachedProducer

if TYPE_CHECKING:
    from actorgraph.actors.pregel._run import RunSupervisor

__all__ = ["STREAM_BUFFER", "BoundedSink", "RunStream", "StreamBus"]

STREAM_BUFFER = 256
"""How many chunks a live stream holds before the run waits for its consumer."""


class StreamBus:
    """Filters and shapes ``(namespace, mode, payload)`` events for one caller.

    With one mode (given as a string) a chunk is the payload; with a list of
    modes it is ``(mode, payload)``; with ``subgraphs=True`` the namespace tuple
    comes first. Events of subgraphs are dropped unless ``subgraphs=True``,
    except ``custom`` and ``messages``, which reach the caller from any depth.
    """

    __slots__ = ("modes", "single", "sink", "subgraphs")

    def __init__(
        self,
        modes: frozenset[str],
        sink: Callable[[Any], None],
        *,
        single: bool,
        subgraphs: bool = False,
    ) -> None:
        self.modes = modes
        self.sink = sink
        self.single = single
        self.subgraphs = subgraphs

    def emit(self, ns: tuple[str, ...], mode: str, payload: Any) -> None:
        """Send one event, if the caller asked for its mode."""
        if mode not in self.modes:
            return
        if ns and not self.subgraphs and mode not in ("custom", "messages"):
            return
        if self.subgraphs:
            chunk: Any = (ns, payload) if self.single else (ns, mode, payload)
        else:
            chunk = payload if self.single else (mode, payload)
        self.sink(chunk)

    def custom_writer(self) -> Callable[[Any], None] | None:
        """The ``custom`` stream writer with the filter and shape decided once, not
        per chunk (custom chunks reach the caller from any depth); None for the
        shapes that go through :meth:`emit`. The sink is looked up per chunk: a
        live stream sets it when it starts, after the run and its writer exist."""
        if "custom" not in self.modes:
            return _drop
        if self.single and not self.subgraphs:
            sink = self.sink
            # A live stream's sink is in place before its run starts: call it directly.
            return sink if isinstance(sink, BoundedSink) else self._emit_bare
        return None

    def _emit_bare(self, payload: Any) -> None:
        self.sink(payload)


def _drop(_payload: Any) -> None:
    return None


class BoundedSink:
    """A sink into a bounded channel, for a run that streams live.

    From the event loop a chunk goes straight into the stream when there is
    room, else it waits in ``overflow`` until the emitting task reaches
    :meth:`flush` (which blocks while the consumer is behind). From a worker
    thread the call blocks the thread until the consumer has room. Either way a
    slow consumer slows the run instead of growing memory without bound.
    """

    __slots__ = ("_loop_thread", "overflow", "send")

    def __init__(self) -> None:
        self.overflow: deque[Any] = deque()

    def bind(self, send: Channel[Any]) -> None:
        """Deliver into ``send``, from the event loop this is called on."""
        self.send = send
        self._loop_thread = threading.get_ident()

    def __call__(self, chunk: Any) -> None:
        if threading.get_ident() != self._loop_thread:
            anyio.from_thread.run(self.send.send, chunk)
            return
        if not self.overflow:
            try:
                self.send.send_nowait(chunk)
            except anyio.WouldBlock:
                pass
            else:
                return
        self.overflow.append(chunk)

    async def flush(self) -> None:
        """Deliver chunks that found the stream full; waits for the consumer."""
        if self.overflow:
            await self.send.send_all(self.overflow)


async def _drive(run: RunSupervisor, input: Any, sink: BoundedSink, send: Channel[Any]) -> None:
    sink.bind(send)
    try:
        await run.start(input)
        await sink.flush()
        while await run.tick():
            await sink.flush()
        await sink.flush()
    finally:
        # What the run still owes its checkpointer is written even when the
        # stream is closed early or cancelled (shielded inside close()).
        await run.close()


async def _receive_all(producer: DetachedProducer[Any]) -> AsyncIterator[Any]:
    while True:
        try:
            batch = await producer.receive_batch()
        except StopAsyncIteration:
            return
        for chunk in batch:
            yield chunk


class RunStream:
    """The chunks of one run, as ``astream()`` returns them; live either way:

    * ``async for chunk in graph.astream(x)`` and
    * ``async with graph.astream(x) as stream: async for chunk in stream``.

    The run is a producer task started on the first ``__anext__`` (or on
    entering the block) outside any task group, through thin backend adapters
    (an asyncio task, a trio system task), in a copy of the caller's context.
    It feeds a bounded stream (:data:`STREAM_BUFFER` chunks), so ``custom`` and
    ``messages`` chunks arrive while nodes run, and a slow consumer slows the
    run instead of growing memory. Because the consumer's loop body never runs
    inside a task group of the run, yielding between chunks is safe on both
    backends (anyio forbids yielding from inside a task group).

    Why a task and not the consumer's own task: advancing the run in the
    consumer's task (one superstep per ``__anext__``) is a little cheaper per
    chunk, but a step's chunks, and chat-model tokens, then arrive only when the
    step ends. Token streaming to a UI is what plain ``async for`` is used for.

    Ending: ``aclose()``, leaving the ``async with`` block, breaking out of the
    loop (the stream is dropped, which cancels the run) or cancelling the
    consumer cancels the run; ``aclose()`` and the block wait until it has
    finished. Errors of the run are raised from the iteration with their own
    type, after the chunks emitted before them.
    """

    def __init__(
        self,
        run: RunSupervisor,
        input: Any,
        transform: Callable[[AsyncIterator[Any]], AsyncGenerator[Any, None]] | None = None,
    ) -> None:
        self._run = run
        self._input = input
        # The producer must not hold this stream: dropping the stream (a
        # ``break``) is what cancels the run.
        # Half the buffer waits in the producer's channel, half in the batch
        # the consumer took last (see ``_batch``).
        sink = BoundedSink()
        bus = run.bus
        assert bus is not None  # noqa: S101 - streams always have a bus
        if run.writer == bus._emit_bare:
            # Not wrapped by a layer above: the writer is the sink itself, one
            # call per custom chunk.
            run.writer = sink
        bus.sink = sink
        self._producer: DetachedProducer[Any] = DetachedProducer(
            functools.partial(_drive, run, input, sink), STREAM_BUFFER // 2
        )
        self._thread = threading.get_ident()
        # A layer above may reshape the chunks on their way out (observed runs
        # report them and turn custom chunks into events): a generator over
        # the raw chunks, closed with the stream.
        self._chunks = transform(_receive_all(self._producer)) if transform else None
        # The chunks taken at the last wake-up, last first: each __anext__ pops
        # one without touching the producer's channel. Taking the whole channel
        # at once lets the run refill it meanwhile: together at most
        # STREAM_BUFFER chunks wait for the consumer.
        self._batch: list[Any] = []

    @property
    def run(self) -> RunSupervisor:
        """The run behind this stream (its output once the stream has ended)."""
        return self._run

    def __aiter__(self) -> RunStream:
        return self

    async def __anext__(self) -> Any:
        batch = self._batch
        if batch:
            return batch.pop()
        if self._chunks is not None:
            return await self._chunks.__anext__()
        batch = await self._producer.receive_batch()
        batch.reverse()
        self._batch = batch
        return batch.pop()

    async def aclose(self) -> None:
        """Cancel the run if it still runs and wait until it has finished."""
        self._batch = []
        if self._chunks is not None:
            await self._chunks.aclose()
        await self._producer.aclose()

    async def __aenter__(self) -> RunStream:
        self._producer.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._producer.aclose()
        error = self._producer.take_error()
        if exc_type is None and error is not None:
            # The run failed before the consumer read that far: still report it.
            raise error

    def __del__(self) -> None:
        # Dropped while running (a ``break`` out of ``async for``): cancel the run;
        # the producer finishes on its own at its next checkpoint.
        if self._producer.running and threading.get_ident() == self._thread:
            self._producer.cancel()
