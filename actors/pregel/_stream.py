"""The stream bus: where a run's events go, shaped as the caller asked."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from typing import Any

import anyio
import anyio.from_thread
from anyio.streams.memory import MemoryObjectSendStream

__all__ = ["BoundedSink", "StreamBus"]


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
