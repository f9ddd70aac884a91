"""A hypothesis state machine for supervisors: strategies, restart types, intensity.

The machine crashes or stops children of one supervisor at random and checks,
after each step, the children that remain, how often each was restarted, and
that the supervisor escalates exactly when its intensity is exceeded. The
actor system runs in a blocking portal so that the rules can be plain calls.
"""

from __future__ import annotations

from functools import partial
from typing import Any, ClassVar

from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from actorgraph.actors import (
    ActorRef,
    ActorSystem,
    ChildSpec,
    RestartType,
    Strategy,
    Supervisor,
    SupervisorSpec,
)
from tests.actors.support import Crash, Exit, Journal, Ping, settle, worker
from tests.strategies import child_restart_types, intensities, restart_strategies, restart_types


class SupervisorMachine(RuleBasedStateMachine):
    backend: ClassVar[str] = "asyncio"

    def __init__(self) -> None:
        super().__init__()
        self._portal_cm = start_blocking_portal(self.backend)
        self.portal: BlockingPortal = self._portal_cm.__enter__()
        self.system: ActorSystem | None = None
        self.journal = Journal()
        self.alive: list[str] = []
        self.types: dict[str, RestartType] = {}
        self.restarts: dict[str, int] = {}
        self.used = 0
        self.escalated = False

    @initialize(strategy=restart_strategies, kinds=child_restart_types, intensity=intensities)
    def start(self, strategy: Strategy, kinds: list[RestartType], intensity: int) -> None:
        self.strategy = strategy
        self.intensity = intensity
        names = [f"c{i}" for i in range(len(kinds))]
        self.alive = list(names)
        self.types = dict(zip(names, kinds, strict=True))
        self.restarts = dict.fromkeys(names, 0)
        specs = [
            ChildSpec(id=n, start=worker(n, self.journal), restart=k)
            for n, k in zip(names, kinds, strict=True)
        ]
        flags = SupervisorSpec(specs, strategy=strategy, intensity=intensity, period=3600)
        self.system = system = ActorSystem()
        self._system_cm = self.portal.wrap_async_context_manager(system)
        self._system_cm.__enter__()
        self.sup: Supervisor = self.portal.call(
            partial(system.start_supervisor, "sup", flags, restart=RestartType.TEMPORARY)
        )

    @precondition(lambda self: self.alive and not self.escalated)
    @rule(data=st.data(), crash=st.booleans())
    def end_a_child(self, data: st.DataObject, crash: bool) -> None:
        name = data.draw(st.sampled_from(self.alive))
        child = self.sup.child(name)
        assert isinstance(child, ActorRef)
        self.portal.call(child.tell, Crash() if crash else Exit())
        self.portal.call(settle)
        self._model(name, abnormal=crash)

    @precondition(lambda self: not self.escalated and len(self.alive) < 6)
    @rule(kind=restart_types)
    def add_a_child(self, kind: RestartType) -> None:
        name = f"c{len(self.types)}"
        spec = ChildSpec(id=name, start=worker(name, self.journal), restart=kind)
        self.portal.call(self.sup.start_child, spec)
        self.alive.append(name)
        self.types[name] = kind
        self.restarts[name] = 0

    @rule()
    def everyone_answers(self) -> None:
        for n, name in enumerate(self.alive):
            child = self.sup.child(name)
            assert isinstance(child, ActorRef)
            assert self.portal.call(child.ask, Ping(n)) == n

    def _model(self, name: str, *, abnormal: bool) -> None:
        kind = self.types[name]
        if kind is RestartType.TEMPORARY or (kind is RestartType.TRANSIENT and not abnormal):
            self.alive.remove(name)
            return
        self.used += 1
        if self.used > self.intensity:
            self.escalated = True
            self.alive = []
            return
        index = self.alive.index(name)
        if self.strategy is Strategy.ONE_FOR_ALL:
            group = list(self.alive)
        elif self.strategy is Strategy.REST_FOR_ONE:
            group = self.alive[index:]
        else:
            group = [name]
        for other in group:
            if other != name and self.types[other] is RestartType.TEMPORARY:
                self.alive.remove(other)
            else:
                self.restarts[other] += 1

    @invariant()
    def children_and_restarts_match_the_model(self) -> None:
        if self.system is None:
            return
        assert list(self.sup.children()) == self.alive
        assert self.sup.stopped is self.escalated
        for name, count in self.restarts.items():
            assert self.journal.count("restart", name) == count, name

    def teardown(self) -> None:
        try:
            if self.system is not None:
                self._system_cm.__exit__(None, None, None)
        finally:
            self._portal_cm.__exit__(None, None, None)


class TrioSupervisorMachine(SupervisorMachine):
    backend: ClassVar[str] = "trio"


_settings: Any = settings(max_examples=60, stateful_step_count=10, deadline=None)
TestSupervisorOnAsyncio = SupervisorMachine.TestCase
TestSupervisorOnAsyncio.settings = _settings
TestSupervisorOnTrio = TrioSupervisorMachine.TestCase
TestSupervisorOnTrio.settings = _settings
