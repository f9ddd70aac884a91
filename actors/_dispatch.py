"""Run whichever actors have mail on a small, elastic pool of worker tasks.

An idle actor owns no task: it is a ref, a mailbox and an instance. When mail
arrives the ref is put on the ready queue, and a worker of its supervisor's
task group runs it for one turn (at most ``throughput`` messages) and puts it
back at the tail if it still has mail, so actors take turns; every
``throughput`` messages the worker passes a checkpoint so that other tasks get
theirs (and cancellation gets in). Handlers may block (``await other.ask(...)``), which
ties up their worker; so when work is ready and no worker is parked, one more
worker is started, and surplus workers exit once the queue is empty again.
"""

from __future__ import annotations

import contextvars
from collections import deque
from typing import TYPE_CHECKING, Any

import anyio
from anyio.abc import TaskGroup

from actorgraph.actors._adapter import WaitEvent
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
        self.current: ActorRef[Any, Any] | None = None
        self.killing: ActorRef[Any, Any] | None = None


class Dispatcher:
    """The ready queue and worker pool of one supervisor."""

    __slots__ = (
        "_busy",
        "_checkpoint",
        "_context",
        "_parked",
        "_pause",
        "_spawning",
        "_spins",
        "_tg",
        "closed",
        "event",
        "ready",
        "throughput",
        "timer",
        "workers",
    )

    def __init__(self, tg: TaskGroup, throughput: int, timer: AskTimer) -> None:
        self._tg = tg
        self.throughput = throughput
        self.timer = timer
        self.event = timer.prims.event
        self._checkpoint = timer.prims.checkpoint
        self._pause = timer.prims.pause
        self._spins = timer.prims.spins
        self.ready: deque[ActorRef[Any, Any]] = deque()
        # Workers run in the supervisor's context, not in that of whichever
        # sender happened to start one, so handlers see the same contextvars.
        self._context = contextvars.copy_context()
        self._parked: list[WaitEvent] = []  # one event per parked worker
        self._spawning = False
        self._busy = 0  # workers inside a turn; the others will look at `ready` soon
        self.closed = False
        self.workers = 0

    def schedule(self, ref: ActorRef[Any, Any]) -> None:
        """Queue ``ref`` for a turn; the caller has set ``ref._scheduled``."""
        self.ready.append(ref)
        if self._parked:
            self._parked.pop().set()
        elif self._busy == self.workers and not self._spawning and not self.closed:
            self._spawning = True
            self.workers += 1
            self._context.run(self._tg.start_soon, self._work)

    def kill(self, ref: ActorRef[Any, Any], worker: _Worker) -> None:
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

    async def _serve(self, me: _Worker, ready: deque[ActorRef[Any, Any]]) -> None:
        throughput = self.throughput
        checkpoint = self._checkpoint
        pause = self._pause
        parked = self._parked
        spins = self._spins
        spun = 0
        credit = throughput
        while True:
            if not ready:
                if spun < spins:
                    # Look again first: a caller answered by the last turn
                    # often sends again at once, and parking costs a wake-up.
                    spun += 1
                    credit = throughput
                    await pause()
                    continue
                if len(parked) >= _MAX_PARKED or self.closed:
                    return
                park = self.event()
                parked.append(park)
                try:
                    await park.wait()
                finally:
                    if not park.is_set():
                        parked.remove(park)
                continue
            spun = 0
            ref = ready.popleft()
            self._busy += 1
            if ready and self._busy == self.workers and not self._spawning and not self.closed:
                # More actors are waiting and every worker is in a turn that may
                # block: let another worker take them.
                self._spawning = True
                self.workers += 1
                self._context.run(self._tg.start_soon, self._work)
            me.current = ref
            ref._worker = me
            try:
                left = await ref._turn(throughput)
            finally:
                self._busy -= 1
            me.current = None
            ref._end_turn()
            # Yield once per `throughput` messages across actors (a turn counts
            # at least one), not per turn: many actors with one message each
            # would otherwise pay a scheduler pass apiece.
            credit -= throughput - left or 1
            if credit <= 0:
                credit = throughput
                await checkpoint()
