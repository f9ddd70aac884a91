"""Ask deadlines, kept by one task per actor system.

A cancel scope per ``ask`` (``fail_after``) costs about as much as the whole
round trip, so asks only note their deadline here. Asks with the same timeout
expire in the order they were made, so each timeout value gets a FIFO queue and
the timer task sleeps until the earliest head. It is woken only when a new ask
would expire before that, which in steady traffic is almost never.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import anyio

from actorgraph.actors._adapter import Primitives, WaitEvent
from actorgraph.channels._errors import AskTimeout

__all__ = ["AskTimer", "Reply"]


class Reply:
    """One pending ask: the message, then its outcome."""

    __slots__ = ("deadline", "done", "error", "event", "msg", "path", "timeout", "value")

    def __init__(self, msg: Any, path: str, event: WaitEvent) -> None:
        self.msg = msg
        self.path = path
        self.event = event
        self.done = False
        self.value: Any = None
        self.error: BaseException | None = None
        self.timeout = 0.0
        self.deadline = 0.0

    def resolve(self, value: Any) -> None:
        if not self.done:
            self.done = True
            self.value = value
            self.event.set()

    def fail(self, error: BaseException) -> None:
        if not self.done:
            self.done = True
            self.error = error
            self.event.set()


class AskTimer:
    """Fails asks whose deadline passed with :class:`AskTimeout`."""

    __slots__ = ("_clock", "_queues", "_wake", "_wake_at", "prims")

    def __init__(self, prims: Primitives) -> None:
        self.prims = prims
        self._clock = prims.clock
        self._queues: dict[float, deque[Reply]] = {}
        self._wake: WaitEvent | None = None
        self._wake_at: float | None = None

    def add(self, reply: Reply, timeout: float) -> None:
        reply.timeout = timeout
        reply.deadline = deadline = self._clock() + timeout
        queue = self._queues.get(timeout)
        if queue is None:
            queue = self._queues[timeout] = deque()
        queue.append(reply)
        wake_at = self._wake_at
        if (wake_at is None or deadline < wake_at) and self._wake is not None:
            self._wake.set()

    def settle(self, reply: Reply) -> None:
        """Drop answered asks from the head of their queue (amortized O(1))."""
        queue = self._queues.get(reply.timeout)
        while queue and queue[0].done:
            queue.popleft()

    async def run(self) -> None:
        """Serve deadlines until cancelled (by the actor system on exit)."""
        idle_lap: float | None = None
        while True:
            now = self._clock()
            earliest: float | None = None
            longest = 0.0
            for timeout, queue in list(self._queues.items()):
                while queue and (queue[0].done or queue[0].deadline <= now):
                    reply = queue.popleft()
                    reply.fail(AskTimeout(reply.path, type(reply.msg).__name__, timeout))
                if queue:
                    head = queue[0].deadline
                    earliest = head if earliest is None else min(earliest, head)
                else:
                    del self._queues[timeout]
                    longest = max(longest, timeout)
            if earliest is None and idle_lap is None and longest:
                # Nothing pending, but asks were just answered: sleep one more
                # timeout so that steady ask traffic never has to wake us.
                earliest = idle_lap = now + longest
            elif earliest is not None or not longest:
                idle_lap = None
            self._wake_at = earliest
            self._wake = wake = self.prims.event()
            if earliest is None:
                await wake.wait()
            else:
                with anyio.move_on_after(earliest - now):
                    await wake.wait()
            self._wake = None
