"""Supervisors: restart sets, restart types, intensity and escalation, auto shutdown, backoff."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from actorgraph.actors import (
    BRUTAL_KILL,
    ActorRef,
    ActorStopped,
    ActorSystem,
    AutoShutdown,
    Backoff,
    ChildSpec,
    EscalationError,
    RestartType,
    Strategy,
    Supervisor,
    SupervisorSpec,
)
from tests.actors.support import Crash, Exit, Journal, Nap, Ping, settle, worker

pytestmark = pytest.mark.anyio

PERMANENT, TRANSIENT, TEMPORARY = (
    RestartType.PERMANENT,
    RestartType.TRANSIENT,
    RestartType.TEMPORARY,
)


def spec(name: str, journal: Journal, restart: RestartType = PERMANENT, **kw: Any) -> ChildSpec:
    return ChildSpec(id=name, start=worker(name, journal), restart=restart, **kw)


def ref(sup: Supervisor, name: str) -> ActorRef[Any, Any]:
    child = sup.child(name)
    assert isinstance(child, ActorRef)
    return child


async def tree(
    system: ActorSystem, journal: Journal, strategy: Strategy, restarts: list[RestartType]
) -> Supervisor:
    children = [spec(n, journal, r) for n, r in zip("abcd", restarts, strict=False)]
    return await system.start_supervisor(
        "sup", SupervisorSpec(children, strategy=strategy, intensity=10)
    )


@pytest.mark.parametrize(
    ("strategy", "stopped", "restarted"),
    [
        (Strategy.ONE_FOR_ONE, [], ["b"]),
        (Strategy.ONE_FOR_ALL, ["d", "c", "a"], ["a", "b", "c", "d"]),
        (Strategy.REST_FOR_ONE, ["d", "c"], ["b", "c", "d"]),
    ],
)
async def test_each_strategy_restarts_exactly_its_set(
    strategy: Strategy, stopped: list[str], restarted: list[str]
) -> None:
    journal = Journal()
    async with ActorSystem() as system:
        sup = await tree(system, journal, strategy, [PERMANENT] * 4)
        assert journal.names("start") == ["a", "b", "c", "d"]
        before = {name: ref(sup, name) for name in "abcd"}
        await ref(sup, "b").tell(Crash())
        await settle()
        assert journal.names("stopping") == stopped
        assert journal.names("restart") == restarted
        # refs are stable across restarts, and every child answers again
        for name in "abcd":
            assert ref(sup, name) is before[name]
            assert await before[name].ask(Ping(1)) == 1


async def test_temporary_siblings_are_not_restarted_under_one_for_all() -> None:
    journal = Journal()
    async with ActorSystem() as system:
        sup = await tree(system, journal, Strategy.ONE_FOR_ALL, [PERMANENT, PERMANENT, TEMPORARY])
        temp = ref(sup, "c")
        await ref(sup, "a").tell(Crash())
        await settle()
        assert journal.names("restart") == ["a", "b"]
        assert list(sup.children()) == ["a", "b"]
        assert (await temp.join()).reason == "shutdown"


@pytest.mark.parametrize(
    ("restart", "command", "restarted"),
    [
        (PERMANENT, Exit(), True),
        (PERMANENT, Crash(), True),
        (TRANSIENT, Exit(), False),
        (TRANSIENT, Crash(), True),
        (TEMPORARY, Exit(), False),
        (TEMPORARY, Crash(), False),
    ],
)
async def test_restart_types_on_normal_exit_and_crash(
    restart: RestartType, command: Exit | Crash, restarted: bool
) -> None:
    journal = Journal()
    async with ActorSystem() as system:
        sup = await system.start_supervisor("sup", SupervisorSpec([spec("w", journal, restart)]))
        child = ref(sup, "w")
        await child.tell(command)
        await settle()
        assert (journal.count("restart", "w") == 1) is restarted
        assert ("w" in sup.children()) is restarted
        if not restarted:
            notice = await child.join()
            expected = "normal" if isinstance(command, Exit) else "crashed"
            assert notice.reason == expected
            assert notice.path == "/system/sup/w"


async def test_exceeding_the_intensity_escalates_out_of_the_system() -> None:
    journal = Journal()

    async def crash_three_times() -> None:
        async with ActorSystem(children=[spec("w", journal)], intensity=2, period=60) as system:
            child = system.root.child("w")
            assert isinstance(child, ActorRef)
            for _ in range(3):
                await child.tell(Crash())
                await settle()
            await anyio.sleep(10)  # cancelled by the escalation

    with pytest.raises(EscalationError) as info:
        await crash_three_times()
    assert journal.count("restart", "w") == 2
    assert isinstance(info.value.cause, RuntimeError)
    assert "'/system' gave up after 2 restarts within 60" in str(info.value)


async def test_restarts_outside_the_period_do_not_add_up() -> None:
    journal = Journal()
    async with ActorSystem(children=[spec("w", journal)], intensity=1, period=0.05) as system:
        child = system.root.child("w")
        assert isinstance(child, ActorRef)
        for _ in range(3):
            await child.tell(Crash())
            await settle()
            await anyio.sleep(0.06)
        assert journal.count("restart", "w") == 3


async def test_escalation_through_three_levels() -> None:
    journal = Journal()
    leaf = SupervisorSpec([spec("w", journal)], intensity=0)
    middle = SupervisorSpec([ChildSpec(id="leaf", start=leaf)], intensity=0)
    top = SupervisorSpec([ChildSpec(id="middle", start=middle)], intensity=0)

    async def crash_the_leaf() -> None:
        async with ActorSystem(children=[ChildSpec(id="top", start=top)], intensity=0) as system:
            worker_ref = system.lookup("/system/top/middle/leaf/w")
            assert isinstance(worker_ref, ActorRef)
            await worker_ref.tell(Crash())
            await anyio.sleep(10)

    with pytest.raises(EscalationError) as info:
        await crash_the_leaf()
    chain = [info.value]
    while isinstance(chain[-1].cause, EscalationError):
        chain.append(chain[-1].cause)
    assert [e.path for e in chain] == [
        "/system",
        "/system/top",
        "/system/top/middle",
        "/system/top/middle/leaf",
    ]
    assert isinstance(chain[-1].cause, RuntimeError)
    assert journal.count("restart", "w") == 0


async def test_a_parent_restarts_a_child_supervisor_that_gave_up() -> None:
    journal = Journal()
    leaf = SupervisorSpec([spec("w", journal)], intensity=0)
    async with ActorSystem(children=[ChildSpec(id="leaf", start=leaf)], intensity=3) as system:
        leaf_sup = system.root.child("leaf")
        assert isinstance(leaf_sup, Supervisor)
        await ref(leaf_sup, "w").tell(Crash())
        await settle()
        # the leaf gave up, the root restarted it, and with it a fresh worker
        assert system.lookup("/system/leaf") is leaf_sup
        assert journal.names("start") == ["w", "w"]
        assert await ref(leaf_sup, "w").ask(Ping(3)) == 3


async def test_auto_shutdown_any_significant() -> None:
    journal = Journal()
    work = SupervisorSpec(
        [spec("main", journal, TRANSIENT, significant=True), spec("helper", journal)],
        auto_shutdown=AutoShutdown.ANY_SIGNIFICANT,
    )
    async with ActorSystem() as system:
        sup = await system.start_supervisor("job", work, restart=TRANSIENT)
        await ref(sup, "main").tell(Exit())
        notice = await sup.join()
        assert notice.reason == "normal"
        assert journal.names("stopping") == ["main", "helper"]
        assert "job" not in system.root.children()


async def test_auto_shutdown_all_significant() -> None:
    journal = Journal()
    work = SupervisorSpec(
        [
            spec("x", journal, TEMPORARY, significant=True),
            spec("y", journal, TRANSIENT, significant=True),
        ],
        auto_shutdown=AutoShutdown.ALL_SIGNIFICANT,
    )
    async with ActorSystem() as system:
        sup = await system.start_supervisor("job", work, restart=TEMPORARY)
        y = ref(sup, "y")
        await ref(sup, "x").tell(Exit())
        await settle()
        assert not sup.stopped
        await y.tell(Exit())
        assert (await sup.join()).reason == "normal"


async def test_manual_stop_of_a_significant_child_does_not_shut_down() -> None:
    journal = Journal()
    work = SupervisorSpec(
        [spec("main", journal, TRANSIENT, significant=True), spec("helper", journal)],
        auto_shutdown=AutoShutdown.ANY_SIGNIFICANT,
    )
    async with ActorSystem() as system:
        sup = await system.start_supervisor("job", work, restart=TEMPORARY)
        await sup.terminate_child("main")
        await settle()
        assert not sup.stopped
        assert list(sup.children()) == ["helper"]


async def test_simple_one_for_one_adds_children_from_the_template() -> None:
    journal = Journal()
    template = ChildSpec(id="agent", start=lambda name: worker(name, journal)())
    async with ActorSystem() as system:
        sim = await system.start_supervisor(
            "sim", SupervisorSpec([template], strategy=Strategy.SIMPLE_ONE_FOR_ONE, intensity=5)
        )
        agents = [await sim.add_child(f"agent-{i}", name=f"agent-{i}") for i in range(3)]
        auto = await sim.add_child("anonymous")
        assert auto.path.startswith("/system/sim/agent-")
        assert [a.path for a in agents] == [f"/system/sim/agent-{i}" for i in range(3)]
        first = agents[1]
        assert isinstance(first, ActorRef)
        await first.tell(Crash())
        await settle()
        assert journal.names("restart") == ["agent-1"]
        with pytest.raises(ValueError, match="add_child"):
            await sim.start_child(spec("x", journal))
        with pytest.raises(ValueError, match="add_child"):
            await sim.spawn(worker("x", journal))
    assert sorted(journal.names("stopping")) == ["agent-0", "agent-1", "agent-2", "anonymous"]


async def test_add_child_needs_simple_one_for_one() -> None:
    async with ActorSystem() as system:
        with pytest.raises(ValueError, match="simple_one_for_one"):
            await system.root.add_child(1)


async def test_backoff_delays_the_restart() -> None:
    journal = Journal()
    backoff = Backoff(min_delay=0.5, max_delay=1.0, jitter=0.0)
    async with ActorSystem(seed=1) as system:
        sup = await system.start_supervisor(
            "sup", SupervisorSpec([spec("w", journal, backoff=backoff)], intensity=5)
        )
        child = ref(sup, "w")
        await child.tell(Crash())
        await settle()
        assert journal.count("restart", "w") == 0
        await child.tell(Ping(5))  # waits in the mailbox until the restart
        assert await child.ask(Ping(6), timeout=5) == 6
        assert journal.count("restart", "w") == 1
        assert ("w", 5) in journal.handled


def test_backoff_grows_exponentially_up_to_the_cap() -> None:
    import random

    backoff = Backoff(min_delay=1.0, max_delay=5.0, jitter=0.5)
    rng = random.Random(0)
    delays = [backoff.delay(n, rng) for n in range(6)]
    bases = [1, 2, 4, 5, 5, 5]
    assert all(b <= d <= b * 1.5 for b, d in zip(bases, delays, strict=True))
    with pytest.raises(ValueError, match="min_delay"):
        Backoff(min_delay=2.0, max_delay=1.0)


async def test_children_stop_in_reverse_start_order_nested_first() -> None:
    journal = Journal()
    inner = SupervisorSpec([spec("x", journal), spec("y", journal)])
    children = [spec("a", journal), ChildSpec(id="inner", start=inner), spec("b", journal)]
    async with ActorSystem(children=children):
        assert journal.names("start") == ["a", "x", "y", "b"]
    assert journal.names("stopping") == ["b", "y", "x", "a"]


async def test_a_stuck_child_is_killed_after_its_shutdown_timeout() -> None:
    journal = Journal()
    async with ActorSystem() as system:
        sup = await system.start_supervisor(
            "sup",
            SupervisorSpec(
                [
                    spec("slow", journal, shutdown=0.05),
                    spec("brutal", journal, shutdown=BRUTAL_KILL),
                ]
            ),
        )
        slow, brutal = ref(sup, "slow"), ref(sup, "brutal")
        await slow.tell(Nap(30))
        await brutal.tell(Nap(30))
        await settle()
        with anyio.fail_after(5):
            await sup.terminate_child("slow")
            await sup.terminate_child("brutal")
        assert (await slow.join()).reason == "shutdown"
        assert (await brutal.join()).reason == "shutdown"
        assert journal.names("stopping") == []  # they never got to their stop message


async def test_failing_started_hook_fails_the_start() -> None:
    journal = Journal()

    class BrokenError(Exception):
        pass

    class BadStart(worker("bad", journal).func):  # type: ignore[misc]
        async def started(self) -> None:
            raise BrokenError("no")

    async with ActorSystem() as system:
        with pytest.raises(BrokenError):
            await system.spawn(BadStart, "bad", journal, name="bad")
        assert "bad" not in system.root.children()
    system = ActorSystem(children=[ChildSpec(id="bad", start=lambda: BadStart("bad", journal))])
    with pytest.raises(BrokenError):
        await system.__aenter__()


async def test_failing_restart_counts_as_a_crash() -> None:
    journal = Journal()
    attempts: list[int] = []

    class FailsOnRestart(worker("w", journal).func):  # type: ignore[misc]
        async def restarted(self, reason: BaseException | str) -> None:
            attempts.append(1)
            raise RuntimeError("cannot come back")

    async def crash_once() -> None:
        async with ActorSystem(
            children=[ChildSpec(id="w", start=lambda: FailsOnRestart("w", journal))],
            intensity=3,
        ) as system:
            child = system.root.child("w")
            assert isinstance(child, ActorRef)
            await child.tell(Crash())
            await anyio.sleep(10)

    with pytest.raises(EscalationError):
        await crash_once()
    assert len(attempts) == 3


async def test_stopping_a_nested_supervisor() -> None:
    journal = Journal()
    async with ActorSystem() as system:
        sup = await system.start_supervisor("sup", SupervisorSpec([spec("a", journal)]))
        a = ref(sup, "a")
        sup.stop()
        assert (await sup.join()).reason == "shutdown"
        assert a.stopped
        assert "sup" not in system.root.children()
        with pytest.raises(ActorStopped):
            await sup.spawn(worker("late", journal))
        sup.stop()  # a no-op once stopped


async def test_spec_validation() -> None:
    with pytest.raises(ValueError, match="significant"):
        ChildSpec(id="x", start=SupervisorSpec(), significant=True)
    with pytest.raises(ValueError, match="without '/'"):
        ChildSpec(id="", start=SupervisorSpec())
    with pytest.raises(ValueError, match="capacity"):
        ChildSpec(id="x", start=SupervisorSpec(), capacity=0)
    with pytest.raises(ValueError, match="unique"):
        SupervisorSpec([ChildSpec(id="x", start=SupervisorSpec())] * 2)
    with pytest.raises(ValueError, match="exactly one"):
        SupervisorSpec(strategy=Strategy.SIMPLE_ONE_FOR_ONE)
    with pytest.raises(ValueError, match="intensity"):
        SupervisorSpec(intensity=-1)
    with pytest.raises(ValueError, match="throughput"):
        ActorSystem(throughput=0)
