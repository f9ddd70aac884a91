"""Run whichever actors have mail on a small, elastic pool of worker tasks.

An idle actor owns no task: it is a ref, a mailbox and an instance. When mail
arrives the ref is put on the ready queue, and a worker of its supervisor's
task group runs it for one turn (at most ``throughput`` messages), puts it back
at the tail if it still has mail, and passes a checkpoint so that other actors
and tasks get their turn. Handlers may block (``await other.ask(...)``), which
ties up their worker; so when work is ready and no worker is parked, one more
worker is started, and surplus workers exit once the queue is empty again.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

import anyio
from anyio.abc import TaskGroup
from anyio.lowlevel import checkpoint

from actorgraph.actors._timer import AskTimer

if TYPE_CHECKING:
    from actorgraph.actors._ref import ActorRef

__all__ = ["Dispatcher"]

# Workers kept parked for the next burst; more would only cost memory.
_MAX_PARKED = 2


class _Worker:
    __slots__ = ("current", "killing", "scope")

    def __init__(self) -> None:
        self.scope: anyio.CancelScope | None = None
        self.current: ActorRef[object, object] | None = None
        self.killing: ActorRef[object, object] | None = None


class Dispatcher:
    """The ready queue and worker pool of one supervisor."""

    __slots__ = (
        "_park",
        "_parked",
        "_spawning",
        "_tg",
        "closed",
        "ready",
        "throughput",
        "timer",
        "workers",
    )

    def __init__(self, tg: TaskGroup, throughput: int, timer: AskTimer) -> None:
        self._tg = tg
        self.throughput = throughput
        self.timer = timer
        self.ready: deque[ActorRef[object, object]] = deque()
        self._park: anyio.Event | None = None
        self._parked = 0
        self._spawning = False
        self.closed = False
        self.workers = 0

    def schedule(self, ref: ActorRef[object, object]) -> None:
        """Queue ``ref`` for a turn; the caller has set ``ref._scheduled``."""
        self.ready.append(ref)
        park = self._park
        if park is not None:
            self._park = None
            self._parked = 0
            park.set()
        elif not self._spawning and not self.closed:
            self._spawning = True
            self.workers += 1
            self._tg.start_soon(self._work)

    def kill(self, ref: ActorRef[object, object], worker: _Worker) -> None:
        """Cancel the handler ``ref`` is running on ``worker``."""
        worker.killing = ref
        assert worker.scope is not None  # noqa: S101 - set before any turn runs
        worker.scope.cancel()

    async def _work(self) -> None:
        self._spawning = False
        ready = self.ready
        me = _Worker()
        try:
            while True:
                with anyio.CancelScope() as scope:
                    me.scope = scope
                    await self._serve(me, ready)
                    return
                # Only a kill cancels this scope: finish off the killed actor and
                # carry on with a fresh scope.
                killed = me.killing
                me.killing = None
                if killed is not None:
                    killed._killed()
                if me.current is not None:
                    me.current._end_turn()
                    me.current = None
        finally:
            self.workers -= 1

    async def _serve(self, me: _Worker, ready: deque[ActorRef[object, object]]) -> None:
        throughput = self.throughput
        while True:
            if not ready:
                if self._parked >= _MAX_PARKED or self.closed:
                    return
                park = self._park
                if park is None:
                    park = self._park = anyio.Event()
                self._parked += 1
                await park.wait()
                continue
            ref = ready.popleft()
            if ready and self._park is None and not self._spawning and not self.closed:
                # More actors are waiting and nobody is parked: this turn may
                # block, so let another worker take them.
                self._spawning = True
                self.workers += 1
                self._tg.start_soon(self._work)
            me.current = ref
            ref._worker = me
            await ref._turn(throughput)
            me.current = None
            ref._end_turn()
            await checkpoint()
