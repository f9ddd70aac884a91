"""The stream bus: where a run's events go, shaped as the caller asked."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

import anyio
import anyio.from_thread
from anyio.abc import ObjectReceiveStream, TaskGroup
from anyio.streams.memory import MemoryObjectSendStream

if TYPE_CHECKING:
    from actorgraph.actors.pregel._run import RunSupervisor

__all__ = ["STREAM_BUFFER", "BoundedSink", "RunStream", "StreamBus"]

STREAM_BUFFER = 64
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


class BoundedSink:
    """A sink into a bounded memory stream, for a run that streams live.

    From the event loop a chunk goes straight into the stream when there is
    room, else it waits in ``overflow`` until the emitting task reaches
    :meth:`flush` (which blocks while the consumer is behind). From a worker
    thread the call blocks the thread until the consumer has room. Either way a
    slow consumer slows the run instead of growing memory without bound.
    """

    __slots__ = ("_loop_thread", "overflow", "send")

    def __init__(self, send: MemoryObjectSendStream[Any]) -> None:
        self.send = send
        self.overflow: deque[Any] = deque()
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
        while self.overflow:
            await self.send.send(self.overflow.popleft())


class RunStream:
    """The chunks of one run, as ``astream()`` returns them.

    Two ways to consume it:

    * ``async for chunk in graph.astream(x)`` — the run advances in the
      consumer's own task, one superstep per batch of chunks; nothing runs while
      the consumer is not asking, and chunks of a step arrive when the step ends.
    * ``async with graph.astream(x) as stream: async for chunk in stream`` — the
      run is a producer task feeding a bounded stream, so ``custom`` and
      ``messages`` chunks arrive while nodes run; a slow consumer slows the run.
      Leaving the block early cancels the run.

    Errors of the run are raised from the iteration.
    """

    def __init__(self, run: RunSupervisor, input: Any, buffer: deque[Any]) -> None:
        self._run = run
        self._input = input
        self._buffer = buffer
        self._started = False
        self._finished = False
        self._receive: ObjectReceiveStream[Any] | None = None
        self._group: TaskGroup | None = None
        self._error: BaseException | None = None

    # pull mode ---------------------------------------------------------------------

    def __aiter__(self) -> RunStream:
        return self

    async def __anext__(self) -> Any:
        if self._receive is not None:
            try:
                return await self._receive.receive()
            except anyio.EndOfStream:
                if self._error is not None:
                    error, self._error = self._error, None
                    raise error from None
                raise StopAsyncIteration from None
        buffer = self._buffer
        while not buffer:
            if self._finished:
                raise StopAsyncIteration
            try:
                if not self._started:
                    self._started = True
                    await self._run.start(self._input)
                elif not await self._run.tick():
                    self._finished = True
            except BaseException:
                # A failed or cancelled step leaves the run unusable: end it.
                self._finished = True
                raise
        return buffer.popleft()

    async def aclose(self) -> None:
        """Stop consuming; a pull-mode run stops advancing and writes what it
        owes its checkpointer (shielded)."""
        self._finished = True
        await self._run.close()

    # producer mode -----------------------------------------------------------------

    async def __aenter__(self) -> RunStream:
        send, receive = anyio.create_memory_object_stream[Any](STREAM_BUFFER)
        sink = BoundedSink(send)
        assert self._run.bus is not None  # noqa: S101 - streams always have a bus
        self._run.bus.sink = sink
        self._receive = receive
        self._group = anyio.create_task_group()
        await self._group.__aenter__()

        async def produce() -> None:
            async with send:
                try:
                    await self._run.start(self._input)
                    await sink.flush()
                    while await self._run.tick():
                        await sink.flush()
                except Exception as exc:  # noqa: BLE001 - re-raised to the consumer
                    self._error = exc
                finally:
                    await self._run.close()

        self._group.start_soon(produce)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        assert self._group is not None  # noqa: S101 - entered above
        assert self._receive is not None  # noqa: S101
        # The producer never raises (its errors reach the consumer through
        # __anext__), so the group exits cleanly and an exception from the
        # consumer's own block propagates unchanged, not wrapped in a group.
        self._group.cancel_scope.cancel()
        await self._receive.aclose()
        await self._group.__aexit__(None, None, None)
        if exc_type is None and self._error is not None:
            # The run failed before the consumer read that far: still report it.
            error, self._error = self._error, None
            raise error
        return None
