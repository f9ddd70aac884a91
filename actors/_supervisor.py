"""Supervisors: start children in order, restart them as OTP does, escalate, shut down.

A supervisor owns one task group. Its actor children own no task (they run on
the supervisor's dispatcher); a nested supervisor runs as one task of it. One
control loop per supervisor reacts to child exits, one at a time, in the order
they happened. Exits carry the child's incarnation number, so an exit that a
restart has already dealt with (a sibling that crashed while being stopped for
a one_for_all restart, say) is recognised as stale and ignored.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable
from typing import Any, TypeAlias

import anyio
import anyio.lowlevel
from anyio.abc import TaskGroup, TaskStatus

from actorgraph.actors import _log
from actorgraph.actors._actor import Actor, DownNotice, M, R, accepted_types
from actorgraph.actors._adapter import WaitEvent
from actorgraph.actors._dispatch import Dispatcher
from actorgraph.actors._policy import (
    BackoffClock,
    RestartWindow,
    auto_shutdown_due,
    restart_set,
    restarts,
)
from actorgraph.actors._ref import ALIVE, STOPPED, STOPPING, SUSPENDED, ActorRef, Reason
from actorgraph.actors._spec import (
    Backoff,
    ChildSpec,
    Overflow,
    RestartType,
    Strategy,
    SupervisorSpec,
)
from actorgraph.actors._timer import AskTimer
from actorgraph.channels._errors import ActorStopped, EscalationError

__all__ = ["Child", "Supervisor"]


_EXIT, _TERMINATE, _STOP = 0, 1, 2


class _Runtime:
    """What every supervisor of one actor system shares."""

    __slots__ = ("rng", "throughput", "timer")

    def __init__(self, throughput: int, timer: AskTimer | None, rng: random.Random) -> None:
        self.throughput = throughput
        self.timer: AskTimer = timer  # type: ignore[assignment] # set when the system is entered
        self.rng = rng


class Supervisor:
    """A running supervisor: its children, and the calls that add or stop them.

    Created by an :class:`~actorgraph.actors.ActorSystem` (``system.root``) or by
    a parent supervisor for a child spec whose ``start`` is a
    :class:`SupervisorSpec`. Children start in spec order and stop in reverse
    order. When a child terminates, the strategy says which children restart;
    more than ``intensity`` restarts within ``period`` seconds make the
    supervisor stop everything and fail with ``EscalationError``, which its
    parent treats as a crashed child.

    Cancellation: cancelling the task group the supervisor runs in cancels
    every child; queued asks fail with ``ActorStopped``.
    """

    def __init__(
        self,
        name: str,
        path: str,
        spec: SupervisorSpec,
        child_spec: ChildSpec,
        parent: Supervisor | None,
        runtime: _Runtime,
    ) -> None:
        self.name = name
        self.path = path
        self.spec = spec
        self._spec = child_spec
        self._parent = parent
        self._rt = runtime
        self._epoch = 0
        self._state = SUSPENDED
        self._children: dict[str, Child] = {}
        self._events: deque[tuple[int, Child | None, Reason, int]] = deque()
        self._wake: WaitEvent | None = None
        self._window = RestartWindow(spec.intensity, spec.period)
        self._pending: list[tuple[float, list[Child], Reason]] = []
        self._backoff = BackoffClock(runtime.rng)
        self._outcome: Reason | None = None
        self._scope: anyio.CancelScope | None = None
        self._done = anyio.Event()  # one per run: set when that run has ended
        self._final = anyio.Event()  # set once stopped for good
        self._down: DownNotice | None = None
        self._counter = 0
        self._tg: TaskGroup | None = None
        self._dispatcher: Dispatcher | None = None

    def __repr__(self) -> str:
        return f"<Supervisor {self.path} {self.spec.strategy.value}>"

    # --- public calls --------------------------------------------------------------------

    @property
    def stopped(self) -> bool:
        """True once the supervisor has stopped for good."""
        return self._state == STOPPED

    def children(self) -> dict[str, Child]:
        """The running children by name, in start order (a copy)."""
        return dict(self._children)

    def child(self, name: str) -> Child:
        """The child called ``name``; ``KeyError`` if there is none."""
        return self._children[name]

    async def start_child(self, spec: ChildSpec) -> Child:
        """Start one more child from ``spec`` (after the existing ones).

        Returns its ref, or its :class:`Supervisor` when ``spec.start`` is a
        ``SupervisorSpec``. Raises ``ValueError`` if the id is taken, the error
        of the child's ``started`` hook if that fails (nothing is left running),
        ``ActorStopped`` if this supervisor is not running. Cancelled while the
        child starts, the child is not added.
        """
        self._check_running()
        if self.spec.strategy is Strategy.SIMPLE_ONE_FOR_ONE:
            raise ValueError(
                f"supervisor {self.path!r} is simple_one_for_one: add children from its "
                "template with add_child(*args)"
            )
        return await self._start(spec, spec.id, ())

    async def add_child(self, *args: Any, name: str | None = None) -> Child:
        """simple_one_for_one: start a child from the template, calling its factory with ``args``."""
        self._check_running()
        if self.spec.strategy is not Strategy.SIMPLE_ONE_FOR_ONE:
            raise ValueError(
                f"supervisor {self.path!r} is {self.spec.strategy.value}: add_child needs "
                "simple_one_for_one; use start_child(spec) or spawn(factory)"
            )
        template = self.spec.children[0]
        return await self._start(template, name or self._auto_name(template.id), args)

    async def spawn(
        self,
        factory: Callable[..., Actor[M, R]],
        *args: Any,
        name: str | None = None,
        restart: RestartType = RestartType.TEMPORARY,
        capacity: int = 1000,
        overflow: Overflow = Overflow.WAIT,
        shutdown: float | None = None,
        backoff: Backoff | None = None,
    ) -> ActorRef[M, R]:
        """Start an actor from ``factory(*args)`` as a dynamic child and return its ref.

        ``restart`` defaults to temporary: a crashed actor is not restarted (its
        watchers hear of it), as in Akka Typed. Raises as :meth:`start_child`.
        """
        self._check_running()
        if name is None:
            name = self._auto_name(getattr(factory, "__name__", "actor").lower())
        spec = ChildSpec(
            id=name,
            start=factory,
            restart=restart,
            capacity=capacity,
            overflow=overflow,
            shutdown=shutdown,
            backoff=backoff,
        )
        if self.spec.strategy is Strategy.SIMPLE_ONE_FOR_ONE:
            raise ValueError(
                f"supervisor {self.path!r} is simple_one_for_one: use add_child(*args)"
            )
        ref = await self._start(spec, name, args)
        assert isinstance(ref, ActorRef)  # noqa: S101 - the factory made an actor
        return ref

    async def terminate_child(self, name: str) -> None:
        """Stop the child ``name`` for good and wait until it has stopped.

        It gets its shutdown timeout to finish, then it is cancelled. It is not
        restarted. Raises ``KeyError`` if there is no such child. Cancelling the
        wait leaves the child stopping.
        """
        child = self._children[name]
        await self._terminate(child, final=True)
        self._forget(child, "shutdown")

    def stop(self) -> None:
        """Stop this supervisor and its children (reverse start order); see ``join``."""
        if self._state >= STOPPING:
            return
        if self._parent is not None:
            self._parent._stop_child(self)
        else:
            self._post(_STOP, None, "shutdown", 0)

    async def join(self) -> DownNotice:
        """Wait until this supervisor has stopped for good; return why.

        Cancelling the wait does not affect the supervisor.
        """
        await self._final.wait()
        assert self._down is not None  # noqa: S101 - set before _final fires
        return self._down

    # --- what children call --------------------------------------------------------------

    def _child_exited(self, child: Child, reason: Reason, epoch: int) -> None:
        self._post(_EXIT, child, reason, epoch)

    def _stop_child(self, child: Child) -> None:
        if self._children.get(child.name) is not child:
            return
        if isinstance(child, ActorRef):
            if child._request_stop(final=True):
                # The common case costs no task switch: an idle actor with no hook.
                self._forget(child, "shutdown")
                return
        elif child._state == ALIVE:
            child._state = STOPPING
        # The loop enforces the shutdown timeout (and stops a supervisor).
        self._post(_TERMINATE, child, "shutdown", 0)

    def _discard(self, ref: ActorRef[Any, Any]) -> None:
        """``ref`` halted for good: it is no longer a child."""
        if self._children.get(ref.name) is ref:
            del self._children[ref.name]

    # --- running --------------------------------------------------------------------------

    def _post(self, kind: int, child: Child | None, reason: Reason, epoch: int) -> None:
        self._events.append((kind, child, reason, epoch))
        if self._wake is not None:
            self._wake.set()

    def _check_running(self) -> None:
        if self._state != ALIVE or self._dispatcher is None:
            raise ActorStopped(self.path, "supervisor is not running")

    def _auto_name(self, base: str) -> str:
        while True:
            self._counter += 1
            name = f"{base}-{self._counter}"
            if name not in self._children:
                return name

    async def _run(self, started: Callable[[], None]) -> Reason:
        """Start the children, serve until stopped, stop the children.

        Returns ``"shutdown"`` or ``"normal"`` (automatic shutdown); raises
        ``EscalationError`` when the restart intensity was exceeded, or the
        error of a child that failed to start (before ``started`` is called).
        """
        self._events.clear()
        self._window.clear()
        self._pending.clear()
        self._outcome = None
        self._done = anyio.Event()
        start_error: BaseException | None = None
        outcome: Reason = "shutdown"
        async with anyio.create_task_group() as tg:
            self._tg = tg
            self._dispatcher = Dispatcher(tg, self._rt.throughput, self._rt.timer)
            try:
                try:
                    self._state = ALIVE
                    if self.spec.strategy is not Strategy.SIMPLE_ONE_FOR_ONE:
                        for spec in self.spec.children:
                            await self._start(spec, spec.id, ())
                except Exception as exc:  # noqa: BLE001 - re-raised after the children stop
                    start_error = exc
                    await self._shutdown_children()
                else:
                    _log.info("supervisor.started", path=self.path)
                    started()
                    outcome = await self._loop()
                    await self._shutdown_children()
            finally:
                self._state = SUSPENDED
                self._dispatcher.closed = True
                self._abandon_children()
                tg.cancel_scope.cancel()
        if start_error is not None:
            raise start_error
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    async def _run_nested(self, sup: Supervisor, *, task_status: TaskStatus[None]) -> None:
        is_started = False

        def started() -> None:
            nonlocal is_started
            is_started = True
            task_status.started()

        reason: Reason = "shutdown"
        try:
            with anyio.CancelScope() as scope:
                sup._scope = scope
                try:
                    reason = await sup._run(started)
                except Exception as exc:
                    if not is_started:
                        raise
                    reason = exc
            if scope.cancelled_caught:
                reason = "shutdown"
        finally:
            sup._scope = None
            sup._done.set()
        self._child_exited(sup, reason, sup._epoch)

    async def _loop(self) -> Reason:
        events = self._events
        while True:
            while events:
                kind, child, reason, epoch = events.popleft()
                if kind == _EXIT:
                    await self._on_exit(child, reason, epoch)  # type: ignore[arg-type]
                elif kind == _TERMINATE:
                    await self._on_terminate(child)  # type: ignore[arg-type]
                else:
                    return "shutdown"
                if self._outcome is not None:
                    return self._outcome
            now = anyio.current_time()
            due = min((p[0] for p in self._pending), default=None)
            if due is not None and due <= now:
                await self._run_pending(now)
                if self._outcome is not None:
                    return self._outcome
                continue
            self._wake = wake = self._rt.timer.prims.event()
            if due is None:
                await wake.wait()
            else:
                with anyio.move_on_after(due - now):
                    await wake.wait()
            self._wake = None

    async def _start(self, spec: ChildSpec, name: str, args: tuple[Any, ...]) -> Child:
        if "/" in name or not name:
            raise ValueError(f"child name {name!r} must be non-empty and contain no '/'")
        if name in self._children:
            raise ValueError(f"supervisor {self.path!r} already has a child called {name!r}")
        path = f"{self.path}/{name}"
        if isinstance(spec.start, SupervisorSpec):
            sup = Supervisor(name, path, spec.start, spec, self, self._rt)
            self._children[name] = sup
            try:
                await self._start_nested(sup)
            except BaseException:
                self._children.pop(name, None)
                raise
            return sup
        actor = self._make(spec, name, args)
        assert self._dispatcher is not None  # noqa: S101 - set while running
        ref: ActorRef[Any, Any] = ActorRef(
            name, path, spec, args, accepted_types(type(actor)), self, self._dispatcher
        )
        self._children[name] = ref
        actor._ref = ref
        if type(actor).started is not Actor.started:
            try:
                await actor.started()
            except BaseException as exc:
                self._children.pop(name, None)
                ref._halt(exc, final=True)
                raise
        ref._resume(actor)
        _log.debug("actor.started", path=path)
        return ref

    async def _start_nested(self, sup: Supervisor) -> None:
        assert self._tg is not None  # noqa: S101 - set while running
        sup._epoch += 1
        await self._tg.start(self._run_nested, sup)
        sup._state = ALIVE

    def _make(self, spec: ChildSpec, name: str, args: tuple[Any, ...]) -> Actor[Any, Any]:
        factory = spec.start
        assert not isinstance(factory, SupervisorSpec)  # noqa: S101 - handled by the caller
        actor = factory(*args)
        if not isinstance(actor, Actor):
            raise TypeError(
                f"child {name!r} of {self.path!r}: start must return an Actor instance, "
                f"got {type(actor).__name__}; pass the actor class or a function returning one"
            )
        return actor

    # --- reacting to exits -------------------------------------------------------------

    async def _on_exit(self, child: Child, reason: Reason, epoch: int) -> None:
        if self._children.get(child.name) is not child or child._epoch != epoch:
            return  # already removed, or an exit a restart has dealt with
        if child._state == STOPPING:
            await self._on_terminate(child)
            return
        spec = child._spec
        if not restarts(spec.restart, abnormal=isinstance(reason, BaseException)):
            self._forget(child, reason)
            if spec.significant and auto_shutdown_due(
                self.spec.auto_shutdown,
                significant_left=any(c._spec.significant for c in self._children.values()),
            ):
                _log.info("supervisor.auto_shutdown", path=self.path, child=child.name)
                self._outcome = "normal"
            return
        if self._window.exceeded_by_one_more(anyio.current_time()):
            cause = (
                reason
                if isinstance(reason, BaseException)
                else RuntimeError(f"child {child.path!r} exited ({reason}) and had to restart")
            )
            _log.error(
                "supervisor.escalate",
                path=self.path,
                child=child.name,
                restarts=len(self._window),
                period=self.spec.period,
                reason=repr(cause),
            )
            self._outcome = EscalationError(self.path, self.spec.intensity, self.spec.period, cause)
            return
        group = restart_set(self.spec.strategy, list(self._children.values()), child)
        for other in reversed(group):
            if other is not child:
                await self._terminate(other, final=other._spec.restart is RestartType.TEMPORARY)
        for other in group:
            if other is not child and other._spec.restart is RestartType.TEMPORARY:
                self._forget(other, "shutdown")
        group = [c for c in group if self._children.get(c.name) is c]
        delay = self._backoff.delay(child.name, spec.backoff, anyio.current_time())
        _log.info(
            "supervisor.restart",
            path=self.path,
            child=child.name,
            strategy=self.spec.strategy.value,
            restarting=[c.name for c in group],
            reason=repr(reason),
            delay=delay,
        )
        if delay > 0:
            self._pending.append((anyio.current_time() + delay, group, reason))
        else:
            await self._restart_group(group, reason)

    async def _on_terminate(self, child: Child) -> None:
        if self._children.get(child.name) is not child:
            return
        await self._terminate(child, final=True)
        self._forget(child, "shutdown")

    async def _run_pending(self, now: float) -> None:
        due = [p for p in self._pending if p[0] <= now]
        self._pending = [p for p in self._pending if p[0] > now]
        for _, group, reason in due:
            await self._restart_group([c for c in group if self._children.get(c.name) is c], reason)

    async def _restart_group(self, group: list[Child], reason: Reason) -> None:
        for child in group:
            if self._children.get(child.name) is not child:
                continue
            try:
                if isinstance(child, Supervisor):
                    await self._start_nested(child)
                else:
                    await self._restart_actor(child, reason)
            except Exception as exc:  # noqa: BLE001 - handled like any other crash
                # A failed restart is one more crash of the same incarnation.
                _log.error("actor.crashed", path=child.path, reason=repr(exc))
                self._child_exited(child, exc, child._epoch)

    async def _restart_actor(self, ref: ActorRef[Any, Any], reason: Reason) -> None:
        actor = self._make(ref._spec, ref.name, ref._args)
        actor._ref = ref
        await actor.restarted(reason)
        ref._resume(actor)
        _log.debug("actor.started", path=ref.path, restart=True)

    # --- stopping children -----------------------------------------------------------------

    async def _terminate(self, child: Child, *, final: bool) -> None:
        """Stop ``child`` within its shutdown timeout, then cancel it."""
        timeout = child._spec.shutdown_timeout
        if isinstance(child, Supervisor):
            await self._terminate_nested(child, timeout)
            if final:
                child._state = STOPPED
            return
        if child._request_stop(final=final):
            return
        halted = child._halted = self._rt.timer.prims.event()
        if timeout > 0:
            with anyio.move_on_after(timeout):
                await halted.wait()
        if not halted.is_set():
            _log.warning("actor.killed", path=child.path, timeout=timeout)
            child._kill()
            await halted.wait()

    async def _terminate_nested(self, sup: Supervisor, shutdown: float) -> None:
        if sup._scope is None:
            return  # not running (failed to restart, or backing off)
        done = sup._done
        sup._post(_STOP, None, "shutdown", 0)
        if shutdown > 0:
            with anyio.move_on_after(shutdown):
                await done.wait()
        if not done.is_set():
            _log.warning("supervisor.killed", path=sup.path, timeout=shutdown)
            if sup._scope is not None:
                sup._scope.cancel()
            await done.wait()

    async def _shutdown_children(self) -> None:
        children = list(self._children.values())
        if self.spec.strategy is Strategy.SIMPLE_ONE_FOR_ONE:
            await self._shutdown_together(children)
            return
        for child in reversed(children):
            await self._terminate(child, final=True)
            self._forget(child, "shutdown")

    async def _shutdown_together(self, children: list[Child]) -> None:
        """OTP stops dynamic children together, in no defined order."""
        waiting: list[tuple[ActorRef[Any, Any], WaitEvent]] = []
        for child in children:
            if isinstance(child, ActorRef):
                if not child._request_stop(final=True):
                    child._halted = halted = self._rt.timer.prims.event()
                    waiting.append((child, halted))
            else:
                await self._terminate(child, final=True)
        timeout = self.spec.children[0].shutdown_timeout
        with anyio.move_on_after(timeout):
            for _, halted in waiting:
                await halted.wait()
        for child, halted in waiting:
            if not halted.is_set():
                _log.warning("actor.killed", path=child.path, timeout=timeout)
                child._kill()
                await halted.wait()
        for child in children:
            self._forget(child, "shutdown")

    def _forget(self, child: Child, reason: Reason) -> None:
        if self._children.get(child.name) is child:
            del self._children[child.name]
        if isinstance(child, ActorRef):
            child._halt(reason, final=True)
        else:
            child._state = STOPPED
            if child._down is None:
                if isinstance(reason, BaseException):
                    child._down = DownNotice(child.path, "crashed", reason)
                else:
                    child._down = DownNotice(child.path, reason)
            child._done.set()
            child._final.set()
        _log.debug("actor.stopped", path=child.path, reason=_reason_text(reason))

    def _abandon_children(self) -> None:
        """Cancelled: mark what is left stopped, without waiting for anything."""
        for child in list(self._children.values()):
            if isinstance(child, ActorRef):
                child._halt("shutdown", final=True)
        self._children.clear()


def _reason_text(reason: Reason) -> str:
    return reason if isinstance(reason, str) else repr(reason)


#: What a supervisor supervises: an actor (by its ref) or a nested supervisor.
Child: TypeAlias = ActorRef[Any, Any] | Supervisor
