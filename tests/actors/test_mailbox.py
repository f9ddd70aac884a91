"""Refs and mailboxes: tell, try_tell, ask, types, overflow policies, system messages, fairness."""

from __future__ import annotations

from functools import partial
from typing import Any

import anyio
import msgspec
import pytest

from actorgraph.actors import (
    Actor,
    ActorCrashed,
    ActorRef,
    ActorStopped,
    ActorSystem,
    AskTimeout,
    DeadActor,
    MailboxFull,
    Overflow,
    SupervisorSpec,
)
from tests.actors.support import Crash, Journal, Nap, Ping, record_error, settle, worker

pytestmark = pytest.mark.anyio


class Add(msgspec.Struct, frozen=True):
    n: int


class Get(msgspec.Struct, frozen=True):
    pass


class Counter(Actor[Add | Get, int]):
    def __init__(self) -> None:
        self.total = 0

    async def receive(self, msg: Add | Get) -> int:
        if isinstance(msg, Add):
            self.total += msg.n
        return self.total


async def busy_recorder(
    system: ActorSystem, seen: list[int], gate: anyio.Event, **options: Any
) -> ActorRef[Ping, None]:
    """A Recorder already handling Ping(0), held up at ``gate``."""
    ref = await system.spawn(Recorder, seen, gate, **options)
    await ref.tell(Ping(0))
    await settle()
    return ref


class Recorder(Actor[Ping, None]):
    """Records what it handles; waits on a gate first, so mail piles up."""

    def __init__(self, seen: list[int], gate: anyio.Event) -> None:
        self.seen = seen
        self.gate = gate

    async def receive(self, msg: Ping) -> None:
        await self.gate.wait()
        self.seen.append(msg.n)


async def test_tell_then_ask_sees_every_message_in_order() -> None:
    async with ActorSystem() as system:
        counter = await system.spawn(Counter, name="counter")
        for n in range(1, 101):
            await counter.tell(Add(n))
        assert await counter.ask(Get()) == 5050
        assert counter.path == "/system/counter"
        assert counter.name == "counter"


async def test_paths_are_stable_and_readable() -> None:
    async with ActorSystem("sim") as system:
        sim = await system.start_supervisor("agents", SupervisorSpec())
        ref = await sim.spawn(Counter, name="agent-42")
        assert ref.path == "/sim/agents/agent-42"
        assert system.lookup("/sim/agents/agent-42") is ref
        assert system.lookup("/sim/agents") is sim
        with pytest.raises(KeyError):
            system.lookup("/other/agents")
        with pytest.raises(KeyError):
            system.lookup("/sim/agents/agent-42/deeper")


@pytest.mark.parametrize("wrong", ["text", 42, Ping(1), None])
async def test_wrong_message_type_raises_at_the_send(wrong: object) -> None:
    async with ActorSystem() as system:
        counter = await system.spawn(Counter, name="counter")
        for send in (counter.tell, counter.ask):
            with pytest.raises(TypeError) as info:
                await send(wrong)  # type: ignore[arg-type]
            assert "'/system/counter'" in str(info.value)
            assert type(wrong).__name__ in str(info.value)
            assert "Add | Get" in str(info.value)
        with pytest.raises(TypeError, match="counter"):
            counter.try_tell(wrong)  # type: ignore[arg-type]
        assert await counter.ask(Get()) == 0


async def test_ask_returns_the_reply_and_times_out() -> None:
    journal = Journal()
    async with ActorSystem() as system:
        ref = await system.spawn(worker("w", journal), name="w", shutdown=0.01)
        assert await ref.ask(Ping(7)) == 7
        with pytest.raises(AskTimeout) as info:
            await ref.ask(Nap(10), timeout=0.05)
        assert isinstance(info.value, TimeoutError)
        assert "/system/w" in str(info.value)
        assert "Nap" in str(info.value)
        ref.stop()
        await ref.join()


async def test_ask_timeout_while_waiting_for_room() -> None:
    gate = anyio.Event()
    async with ActorSystem() as system:
        ref = await system.spawn(Recorder, [], gate, capacity=1)
        await ref.tell(Ping(1))
        await settle()
        await ref.tell(Ping(2))  # fills the one slot while the first is handled
        with pytest.raises(AskTimeout):
            await ref.ask(Ping(3), timeout=0.05)
        gate.set()


async def test_ask_of_a_crashing_actor_raises_actor_crashed() -> None:
    journal = Journal()
    async with ActorSystem() as system:
        ref = await system.spawn(worker("w", journal), name="w")
        with pytest.raises(ActorCrashed) as info:
            await ref.ask(Crash())
        assert isinstance(info.value.__cause__, RuntimeError)
        notice = await ref.join()
        assert notice.reason == "crashed"
        assert isinstance(notice.error, RuntimeError)
        with pytest.raises(ActorStopped):
            await ref.tell(Ping())
        with pytest.raises(DeadActor):
            await ref.ask(Ping())
        assert ref.try_tell(Ping()) is False
        assert ref.stopped


async def test_queued_asks_fail_when_the_actor_stops() -> None:
    gate = anyio.Event()
    async with ActorSystem() as system:
        ref = await busy_recorder(system, [], gate)
        results: list[BaseException] = []
        async with anyio.create_task_group() as tg:
            tg.start_soon(record_error, results, ActorStopped, partial(ref.ask, Ping(1)))
            await settle()
            ref.stop()  # the stop waits for the running message, then fails the queue
            await settle()
            gate.set()
        assert len(results) == 1
        assert (await ref.join()).reason == "shutdown"


async def test_overflow_wait_applies_backpressure() -> None:
    gate = anyio.Event()
    seen: list[int] = []
    async with ActorSystem() as system:
        ref = await system.spawn(Recorder, seen, gate, capacity=2)
        sent: list[int] = []

        async def send() -> None:
            for n in range(6):
                await ref.tell(Ping(n))
                sent.append(n)

        async with anyio.create_task_group() as tg:
            tg.start_soon(send)
            await settle()
            # one message is being handled, two wait in the mailbox, the sender waits
            assert sent == [0, 1, 2]
            assert ref.try_tell(Ping(99)) is False
            gate.set()
        await settle()
        assert seen == [0, 1, 2, 3, 4, 5]


async def test_overflow_wait_sender_cancelled_while_waiting() -> None:
    gate = anyio.Event()
    seen: list[int] = []
    async with ActorSystem() as system:
        ref = await busy_recorder(system, seen, gate, capacity=1)
        await ref.tell(Ping(1))
        with anyio.move_on_after(0.02) as scope:
            await ref.tell(Ping(2))
        assert scope.cancelled_caught
        gate.set()
        await ref.tell(Ping(3))
        await settle()
        assert seen == [0, 1, 3]


async def test_overflow_drop_newest() -> None:
    gate = anyio.Event()
    seen: list[int] = []
    async with ActorSystem() as system:
        ref = await busy_recorder(system, seen, gate, capacity=2, overflow=Overflow.DROP_NEWEST)
        for n in (1, 2, 3, 4):
            await ref.tell(Ping(n))
        assert ref.try_tell(Ping(5)) is False
        with pytest.raises(MailboxFull, match="full"):
            await ref.ask(Ping(6))
        gate.set()
        await settle()
        assert seen == [0, 1, 2]


async def test_overflow_drop_oldest_fails_a_dropped_ask() -> None:
    gate = anyio.Event()
    seen: list[int] = []
    async with ActorSystem() as system:
        ref = await busy_recorder(system, seen, gate, capacity=2, overflow=Overflow.DROP_OLDEST)
        errors: list[BaseException] = []
        async with anyio.create_task_group() as tg:
            tg.start_soon(record_error, errors, MailboxFull, partial(ref.ask, Ping(1)))
            await settle()
            await ref.tell(Ping(2))
            await ref.tell(Ping(3))  # pushes the ask out
            assert ref.try_tell(Ping(4)) is True  # pushes 2 out
            gate.set()
        await settle()
        assert len(errors) == 1
        assert seen == [0, 3, 4]


async def test_overflow_fail_raises_mailbox_full() -> None:
    gate = anyio.Event()
    async with ActorSystem() as system:
        ref = await busy_recorder(system, [], gate, capacity=1, overflow=Overflow.FAIL)
        await ref.tell(Ping(1))
        with pytest.raises(MailboxFull) as info:
            await ref.tell(Ping(2))
        assert info.value.capacity == 1
        assert "Recorder" not in str(info.value)
        assert ref.mailbox_size == 1
        assert ref.try_tell(Ping(3)) is False
        gate.set()


async def test_stop_is_not_stuck_behind_user_messages() -> None:
    gate = anyio.Event()
    seen: list[int] = []
    async with ActorSystem() as system:
        ref = await system.spawn(Recorder, seen, gate, capacity=100)
        for n in range(50):
            await ref.tell(Ping(n))
        await settle()
        ref.stop()
        gate.set()
        notice = await ref.join()
        assert notice.reason == "shutdown"
        assert seen == [0]  # the message in hand finishes; the other 49 are dropped


async def test_down_notice_is_not_stuck_behind_user_messages() -> None:
    journal = Journal()
    gate = anyio.Event()
    async with ActorSystem() as system:
        watcher = await system.spawn(worker("watcher", journal), name="watcher")
        watched = await system.spawn(Recorder, [], gate, name="watched")
        watched.watch(watcher)
        await watcher.tell(Nap(0.05))
        for n in range(20):
            await watcher.tell(Ping(n))
        watched.stop()
        await watched.join()
        assert await watcher.ask(Ping(20)) == 20  # after everything queued before it
        down = ("down:shutdown", "/system/watched")
        first_ping = journal.events.index(("ping", "watcher"))
        assert journal.events.index(down) < first_ping
        assert len(journal.handled) == 21
        late = await system.spawn(worker("late", journal), name="late")
        watched.watch(late)  # already down: delivered at once
        await settle()
        assert journal.events.count(down) == 2


class Hog(Actor[Ping, None]):
    def __init__(self, log: list[str], name: str) -> None:
        self.log = log
        self.name = name

    async def receive(self, msg: Ping) -> None:
        self.log.append(self.name)


async def test_a_full_mailbox_does_not_starve_other_actors() -> None:
    log: list[str] = []
    async with ActorSystem(throughput=10) as system:
        hog = await system.spawn(Hog, log, "hog", capacity=10_000)
        other = await system.spawn(Hog, log, "other")
        for _ in range(5_000):
            hog.try_tell(Ping())
        await other.tell(Ping())
        await hog.ask(Ping())  # answered after all 5,000 before it
        assert log.count("hog") == 5_001
        # the other actor got its turn after at most one batch of the hog's
        assert log.index("other") <= 10


async def test_spawn_rejects_non_actor_factories_and_duplicate_names() -> None:
    async with ActorSystem() as system:
        await system.spawn(Counter, name="same")
        with pytest.raises(ValueError, match="already has a child called 'same'"):
            await system.spawn(Counter, name="same")
        with pytest.raises(TypeError, match="must return an Actor"):
            await system.spawn(lambda: object(), name="bad")  # type: ignore[arg-type, return-value]
        with pytest.raises(ValueError, match="without '/'"):
            await system.spawn(Counter, name="a/b")


async def test_untyped_actor_accepts_anything() -> None:
    class Echo(Actor):  # type: ignore[type-arg]
        async def receive(self, msg: object) -> object:
            return msg

    async with ActorSystem() as system:
        echo = await system.spawn(Echo)
        assert await echo.ask("hello") == "hello"
        assert echo.path.startswith("/system/echo-")


class Relay(Actor[Ping, int]):
    """Answers by asking the next actor: handlers that block must not stall others."""

    def __init__(self, downstream: ActorRef[Ping, int] | None) -> None:
        self.downstream = downstream

    async def receive(self, msg: Ping) -> int:
        if self.downstream is None:
            return msg.n
        return await self.downstream.ask(Ping(msg.n + 1)) + 1


async def test_a_handler_can_ask_another_actor_of_the_same_supervisor() -> None:
    async with ActorSystem() as system:
        ref: ActorRef[Ping, int] | None = None
        for _ in range(5):
            ref = await system.spawn(Relay, ref)
        assert ref is not None
        assert await ref.ask(Ping(0)) == 8  # four hops, each adding one twice
        answers = []
        async with anyio.create_task_group() as tg:

            async def ask(n: int) -> None:
                assert ref is not None
                answers.append(await ref.ask(Ping(n)))

            for n in range(20):
                tg.start_soon(ask, n)
        assert sorted(answers) == [n + 8 for n in range(20)]


async def test_ask_without_timeout_waits_for_room() -> None:
    gate = anyio.Event()
    seen: list[int] = []
    async with ActorSystem() as system:
        ref = await busy_recorder(system, seen, gate, capacity=1)
        await ref.tell(Ping(1))
        async with anyio.create_task_group() as tg:
            tg.start_soon(partial(ref.ask, Ping(2), timeout=None))
            await settle()
            assert seen == []
            gate.set()
        assert seen == [0, 1, 2]
