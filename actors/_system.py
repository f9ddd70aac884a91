"""``ActorSystem``: the async context that owns the root supervisor and its task group."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any

import anyio
from anyio.abc import TaskGroup, TaskStatus
from typing_extensions import Self

from actorgraph.actors._actor import Actor, DownNotice, M, R
from actorgraph.actors._adapter import primitives
from actorgraph.actors._ref import STOPPED, ActorRef
from actorgraph.actors._spec import (
    Backoff,
    ChildSpec,
    Overflow,
    RestartType,
    Strategy,
    SupervisorSpec,
)
from actorgraph.actors._supervisor import Child, Supervisor, _Runtime
from actorgraph.actors._timer import AskTimer
from actorgraph.channels._errors import EscalationError

__all__ = ["ActorSystem"]


class ActorSystem:
    """The root of a supervision tree, used as ``async with ActorSystem() as system:``.

    Entering starts the root supervisor (``/<name>``) and the children of its
    spec, in order; leaving stops every actor, children before parents, in
    reverse start order, each within its shutdown timeout. Nothing it starts
    outlives the ``async with`` block.

    ``throughput`` is how many messages an actor handles per turn before other
    actors get theirs (lower is fairer, higher is faster); ``seed`` fixes the
    backoff jitter for reproducible runs.

    Raises ``EscalationError`` out of the block when the root supervisor gives
    up (the block's body is cancelled first). Cancelling the block cancels
    every actor at once; queued asks then fail with ``ActorStopped``.
    """

    def __init__(
        self,
        name: str = "system",
        *,
        children: Sequence[ChildSpec] = (),
        strategy: Strategy = Strategy.ONE_FOR_ONE,
        intensity: int = 1,
        period: float = 5.0,
        throughput: int = 100,
        seed: int | None = None,
    ) -> None:
        if throughput < 1:
            raise ValueError(f"throughput must be >= 1, got {throughput}")
        spec = SupervisorSpec(
            children=tuple(children), strategy=strategy, intensity=intensity, period=period
        )
        self._runtime = _Runtime(throughput, None, random.Random(seed))  # noqa: S311 - jitter, not crypto
        # The root's own child spec is never used to restart it; it keeps the
        # root shaped like every other supervisor.
        as_child = ChildSpec(id=name, start=spec)
        self.root = Supervisor(name, f"/{name}", spec, as_child, None, self._runtime)
        self._tg: TaskGroup | None = None
        self._escalation: EscalationError | None = None

    @property
    def name(self) -> str:
        """The root's name, the first part of every path."""
        return self.root.name

    async def __aenter__(self) -> Self:
        if self._tg is not None:
            raise RuntimeError("an ActorSystem can be entered only once")
        timer = self._runtime.timer = AskTimer(primitives())
        self._tg = tg = anyio.create_task_group()
        await tg.__aenter__()
        try:
            tg.start_soon(timer.run)
            await tg.start(self._run_root)
        except BaseException as exc:
            tg.cancel_scope.cancel()
            await _close(tg, type(exc), exc, exc.__traceback__)
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        tg = self._tg
        assert tg is not None  # noqa: S101 - entered
        caught: BaseException | None = None
        if exc is None:
            try:
                self.root.stop()
                await self.root.join()
            except BaseException as error:  # noqa: BLE001 - cancelled (an escalation, the caller): passed to the task group
                caught = error
                exc_type, exc, tb = type(error), error, error.__traceback__
        tg.cancel_scope.cancel()
        suppressed = await _close(tg, exc_type, exc, tb)
        if self._escalation is not None:
            raise self._escalation
        if caught is not None and not suppressed:
            raise caught
        return suppressed

    async def _run_root(self, *, task_status: TaskStatus[None]) -> None:
        root = self.root
        reason: Any = "shutdown"
        try:
            reason = await root._run(task_status.started)
        except EscalationError as exc:
            reason = exc
            self._escalation = exc
            assert self._tg is not None  # noqa: S101 - entered
            self._tg.cancel_scope.cancel()
        finally:
            root._state = STOPPED
            if isinstance(reason, BaseException):
                root._down = DownNotice(root.path, "crashed", reason)
            else:
                root._down = DownNotice(root.path, reason)
            root._done.set()
            root._final.set()

    # --- shortcuts to the root supervisor ---------------------------------------------------

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
        """Start an actor under the root supervisor; see :meth:`Supervisor.spawn`."""
        return await self.root.spawn(
            factory,
            *args,
            name=name,
            restart=restart,
            capacity=capacity,
            overflow=overflow,
            shutdown=shutdown,
            backoff=backoff,
        )

    async def start_child(self, spec: ChildSpec) -> Child:
        """Start a child (an actor or a nested supervisor) under the root."""
        return await self.root.start_child(spec)

    async def start_supervisor(
        self,
        name: str,
        spec: SupervisorSpec,
        *,
        restart: RestartType = RestartType.PERMANENT,
        significant: bool = False,
    ) -> Supervisor:
        """Start a nested supervisor under the root and return it."""
        child = await self.root.start_child(
            ChildSpec(id=name, start=spec, restart=restart, significant=significant)
        )
        assert isinstance(child, Supervisor)  # noqa: S101 - a SupervisorSpec starts one
        return child

    def lookup(self, path: str) -> Child:
        """Find a running child by path (``/system/sim/agent-42``); ``KeyError`` if none."""
        parts = [p for p in path.split("/") if p]
        if not parts or parts[0] != self.root.name:
            raise KeyError(path)
        node: Child = self.root
        for part in parts[1:]:
            if not isinstance(node, Supervisor):
                raise KeyError(path)
            node = node.child(part)
        return node


async def _close(
    tg: TaskGroup,
    exc_type: type[BaseException] | None,
    exc: BaseException | None,
    tb: TracebackType | None,
) -> bool:
    """Exit ``tg``; an exception of the caller's own comes out as itself, not in a group."""
    try:
        return bool(await tg.__aexit__(exc_type, exc, tb))
    except BaseException as error:
        members = getattr(error, "exceptions", None)
        if exc is not None and members is not None and len(members) == 1 and members[0] is exc:
            raise exc from None
        raise
