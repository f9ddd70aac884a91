"""Less travelled paths: failing hooks, stops racing crashes, waiting senders, kills."""

from __future__ import annotations

from functools import partial

import anyio
import pytest

from actorgraph.actors import (
    Actor,
    ActorRef,
    ActorStopped,
    ActorSystem,
    ChildSpec,
    DownNotice,
    Strategy,
    Supervisor,
    SupervisorSpec,
)
from tests.actors.support import Journal, Nap, Ping, record_error, settle, worker

pytestmark = pytest.mark.anyio


class BadHooks(Actor[Ping, int]):
    async def receive(self, msg: Ping) -> int:
        return msg.n

    async def stopping(self, reason: str) -> None:
        raise RuntimeError("cannot clean up")

    async def down(self, notice: DownNotice) -> None:
        raise RuntimeError("cannot take bad news")


class SlowThenCrash(Actor[Nap, None]):
    async def receive(self, msg: Nap) -> None:
        await anyio.sleep(msg.seconds)
        raise RuntimeError("crashed on the way out")


async def test_a_failing_stopping_hook_still_stops() -> None:
    async with ActorSystem() as system:
        ref = await system.spawn(BadHooks)
        ref.stop()
        assert (await ref.join()).reason == "shutdown"


async def test_a_failing_down_hook_is_a_crash() -> None:
    journal = Journal()
    async with ActorSystem() as system:
        watcher = await system.spawn(BadHooks)
        other = await system.spawn(worker("x", journal))
        other.watch(watcher)
        other.watch(watcher)  # two watches, two notices
        other.stop()
        notice = await watcher.join()
        assert notice.reason == "crashed"
        assert "bad news" in str(notice.error)


async def test_a_crash_while_stopping_ends_the_stop() -> None:
    async with ActorSystem() as system:
        ref2 = await system.spawn(SlowThenCrash)
        await ref2.tell(Nap(0.02))
        await settle()
        ref2.stop()  # asked to stop while handling: the handler crashes first
        notice = await ref2.join()
        assert notice.reason in {"crashed", "shutdown"}
        assert system.root.children() == {}


async def test_a_sender_waiting_for_room_learns_the_actor_stopped() -> None:
    journal = Journal()
    async with ActorSystem() as system:
        ref = await system.spawn(worker("w", journal), capacity=1, shutdown=0.01)
        await ref.tell(Nap(30))
        await settle()
        await ref.tell(Ping(1))
        errors: list[BaseException] = []
        async with anyio.create_task_group() as tg:
            tg.start_soon(record_error, errors, ActorStopped, partial(ref.tell, Ping(2)))
            await settle()
            ref.stop()
        assert len(errors) == 1


async def test_simple_one_for_one_of_supervisors_and_a_killed_straggler() -> None:
    journal = Journal()
    team = SupervisorSpec([ChildSpec(id="lead", start=worker("lead", journal))])
    teams = SupervisorSpec([ChildSpec(id="team", start=team)], strategy=Strategy.SIMPLE_ONE_FOR_ONE)
    stragglers = SupervisorSpec(
        [ChildSpec(id="s", start=lambda: worker("s", journal)(), shutdown=0.02)],
        strategy=Strategy.SIMPLE_ONE_FOR_ONE,
    )
    with anyio.fail_after(5):
        async with ActorSystem() as system:
            sup = await system.start_supervisor("teams", teams)
            one = await sup.add_child(name="one")
            assert isinstance(one, Supervisor)
            assert isinstance(one.child("lead"), ActorRef)
            slow = await system.start_supervisor("stragglers", stragglers)
            s = await slow.add_child()
            assert isinstance(s, ActorRef)
            await s.tell(Nap(30))
            await settle()
    assert s.stopped
    assert one.stopped
    assert repr(one) == "<Supervisor /system/teams/one one_for_one>"
    assert repr(s).startswith("<ActorRef /system/stragglers/")


async def test_a_nested_supervisor_is_cancelled_after_its_shutdown_timeout() -> None:
    journal = Journal()
    inner = SupervisorSpec([ChildSpec(id="w", start=worker("w", journal), shutdown=30)])
    with anyio.fail_after(5):
        async with ActorSystem(
            children=[ChildSpec(id="inner", start=inner, shutdown=0.05)]
        ) as system:
            w = system.lookup("/system/inner/w")
            await w.tell(Nap(30))  # type: ignore[union-attr]
            await settle()
    assert w.stopped
