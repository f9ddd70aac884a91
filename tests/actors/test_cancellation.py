"""Cancellation: while a message is handled, while a restart backs off, no leaked tasks."""

from __future__ import annotations

import contextvars

import anyio
import pytest

from actorgraph.actors import (
    Actor,
    ActorStopped,
    ActorSystem,
    Backoff,
    ChildSpec,
    SupervisorSpec,
)
from tests.actors.support import Crash, Journal, Nap, Ping, settle, worker

pytestmark = pytest.mark.anyio


class Sleeper(Actor[Nap, None]):
    """Notes when its handler is cancelled."""

    def __init__(self, log: list[str]) -> None:
        self.log = log

    async def receive(self, msg: Nap) -> None:
        self.log.append("begin")
        try:
            await anyio.sleep(msg.seconds)
        except anyio.get_cancelled_exc_class():
            self.log.append("cancelled")
            raise


class WithStopHook(Actor[Ping, int]):
    async def receive(self, msg: Ping) -> int:
        return msg.n

    async def stopping(self, reason: str) -> None:
        pass


async def test_cancelling_the_system_cancels_a_handler_in_progress() -> None:
    log: list[str] = []
    refs = []
    with anyio.move_on_after(0.1) as scope:
        async with ActorSystem() as system:
            sleeper = await system.spawn(Sleeper, log, name="sleeper")
            refs.append(sleeper)
            await sleeper.tell(Nap(30))
            await anyio.sleep(30)
    assert scope.cancelled_caught
    assert log == ["begin", "cancelled"]
    assert refs[0].stopped
    with pytest.raises(ActorStopped):
        await refs[0].tell(Nap(1))


async def test_a_pending_ask_fails_when_the_system_is_cancelled() -> None:
    log: list[str] = []
    outcome: list[BaseException] = []

    async def ask(system: ActorSystem) -> None:
        sleeper = await system.spawn(Sleeper, log, name="sleeper")
        await sleeper.tell(Nap(30))
        try:
            await sleeper.ask(Nap(0), timeout=None)
        except BaseException as exc:
            outcome.append(exc)
            raise

    with anyio.move_on_after(0.1):
        async with ActorSystem() as system, anyio.create_task_group() as tg:
            tg.start_soon(ask, system)
            await anyio.sleep(30)
    assert len(outcome) == 1
    assert isinstance(outcome[0], anyio.get_cancelled_exc_class())


async def test_cancelling_an_ask_leaves_the_actor_serving() -> None:
    journal = Journal()
    async with ActorSystem() as system:
        ref = await system.spawn(worker("w", journal), name="w")
        await ref.tell(Nap(0.05))
        with anyio.move_on_after(0.01) as scope:
            await ref.ask(Ping(1))
        assert scope.cancelled_caught
        assert await ref.ask(Ping(2)) == 2
        assert journal.handled == [("w", 1), ("w", 2)]


async def test_cancelling_while_a_restart_backs_off() -> None:
    journal = Journal()
    backoff = Backoff(min_delay=30, max_delay=60)
    children = [ChildSpec(id="w", start=worker("w", journal), backoff=backoff)]
    with anyio.fail_after(5), anyio.move_on_after(0.2) as scope:
        async with ActorSystem(
            children=[ChildSpec(id="sup", start=SupervisorSpec(children, intensity=5))]
        ) as system:
            child = system.lookup("/system/sup/w")
            await child.tell(Crash())  # type: ignore[union-attr]
            await settle()
            assert journal.count("restart", "w") == 0
            await anyio.sleep(30)
    assert scope.cancelled_caught
    assert journal.count("restart", "w") == 0


async def test_stopping_the_system_while_a_restart_backs_off() -> None:
    journal = Journal()
    backoff = Backoff(min_delay=30, max_delay=60)
    with anyio.fail_after(5):
        async with ActorSystem(
            children=[ChildSpec(id="w", start=worker("w", journal), backoff=backoff)], intensity=5
        ) as system:
            child = system.lookup("/system/w")
            await child.tell(Crash())  # type: ignore[union-attr]
            await settle()
    assert journal.count("restart", "w") == 0
    assert child.stopped


async def test_no_task_leaks_after_10000_spawn_stop_cycles() -> None:
    async with ActorSystem() as system:
        await settle()
        baseline = len(anyio.get_running_tasks())
        for i in range(10_000):
            if i % 10 == 0:
                # the slow path: a stop hook and mail, so a worker runs the stop
                ref = await system.spawn(WithStopHook)
                await ref.tell(Ping(i))
                ref.stop()
            else:
                plain = await system.spawn(Sleeper, [])
                plain.stop()
        await ref.join()
        await settle()
        assert system.root.children() == {}
        assert len(anyio.get_running_tasks()) <= baseline + 2  # at most the parked workers
    assert ref.stopped
    assert plain.stopped


async def test_nothing_outlives_the_system() -> None:
    async with anyio.create_task_group():
        before = len(anyio.get_running_tasks())
        journal = Journal()
        inner = SupervisorSpec([ChildSpec(id="x", start=worker("x", journal))])
        async with ActorSystem(children=[ChildSpec(id="inner", start=inner)]) as system:
            for n in range(20):
                ref = await system.spawn(worker(f"w{n}", journal))
                await ref.tell(Nap(0.001))
            await settle()
            assert len(anyio.get_running_tasks()) > before
        assert len(anyio.get_running_tasks()) == before


current_run: contextvars.ContextVar[str] = contextvars.ContextVar("current_run", default="none")


class WhichRun(Actor[Ping, str]):
    async def receive(self, msg: Ping) -> str:
        return current_run.get()


async def test_handlers_see_their_supervisors_context_not_the_senders() -> None:
    async with ActorSystem() as system:
        token = current_run.set("run-1")
        try:
            sup = await system.start_supervisor("run-1", SupervisorSpec())
        finally:
            current_run.reset(token)
        ref = await sup.spawn(WhichRun)
        current_run.set("the sender's")
        assert await ref.ask(Ping()) == "run-1"
