"""Random concurrent traffic, crashes and stops: every call ends in a documented way.

Whatever the interleaving, every ask returns or raises one of the documented
errors, the supervisor keeps its children consistent, and leaving the system
stops every actor and leaves no task behind.
"""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from hypothesis import given, settings

from actorgraph.actors import (
    ActorCrashed,
    ActorRef,
    ActorStopped,
    ActorSystem,
    AskTimeout,
    ChildSpec,
    MailboxFull,
    RestartType,
    Strategy,
    Supervisor,
    SupervisorSpec,
)
from tests.actors.support import Crash, Exit, Journal, Nap, Ping, settle, worker
from tests.strategies import actor_ops, restart_strategies

pytestmark = pytest.mark.anyio

DOCUMENTED = (ActorCrashed, ActorStopped, AskTimeout, MailboxFull)


@settings(max_examples=60, deadline=None)
@given(ops=actor_ops, strategy=restart_strategies)
async def test_random_traffic_ends_cleanly(ops: list[tuple[str, int]], strategy: Strategy) -> None:
    journal = Journal()
    kinds = [RestartType.PERMANENT, RestartType.TRANSIENT, RestartType.TEMPORARY]
    specs = [
        ChildSpec(id=f"a{i}", start=worker(f"a{i}", journal), restart=kinds[i % 3], capacity=4)
        for i in range(4)
    ]
    outcomes: list[str] = []
    refs: list[ActorRef[Any, Any]] = []
    before = len(anyio.get_running_tasks())
    async with ActorSystem() as system:
        sup = await system.start_supervisor(
            "pool", SupervisorSpec(specs, strategy=strategy, intensity=1000)
        )
        refs.extend(c for c in sup.children().values() if isinstance(c, ActorRef))

        async def run(op: str, index: int) -> None:
            ref = refs[index % len(refs)]
            try:
                if op == "tell":
                    await ref.tell(Ping(index))
                elif op == "crash":
                    await ref.tell(Crash())
                elif op == "exit":
                    await ref.tell(Exit())
                elif op == "ask":
                    assert await ref.ask(Ping(index), timeout=1) == index
                elif op == "ask_crash":
                    await ref.ask(Crash(), timeout=1)
                elif op == "stop":
                    ref.stop()
                elif op == "nap":
                    await ref.tell(Nap(0.001))
                else:
                    refs.append(await sup.spawn(worker(f"s{index}", journal), capacity=4))
                outcomes.append("ok")
            except DOCUMENTED as exc:
                outcomes.append(type(exc).__name__)

        async with anyio.create_task_group() as tg:
            for op, index in ops:
                tg.start_soon(run, op, index)
        await settle()
        for name, child in sup.children().items():
            assert isinstance(child, ActorRef)
            assert not child.stopped, name
    assert len(outcomes) == len(ops)
    assert all(ref.stopped for ref in refs)
    assert len(anyio.get_running_tasks()) == before


@settings(max_examples=40, deadline=None)
@given(ops=actor_ops, strategy=restart_strategies)
async def test_random_failures_in_nested_trees(
    ops: list[tuple[str, int]], strategy: Strategy
) -> None:
    journal = Journal()
    teams = [
        ChildSpec(
            id=f"team{t}",
            start=SupervisorSpec(
                [ChildSpec(id=f"m{t}{i}", start=worker(f"m{t}{i}", journal)) for i in range(2)],
                strategy=strategy,
                intensity=1,
            ),
        )
        for t in range(3)
    ]
    before = len(anyio.get_running_tasks())
    async with ActorSystem() as system:
        pool = await system.start_supervisor(
            "pool", SupervisorSpec(teams, strategy=strategy, intensity=1000)
        )

        async def run(op: str, index: int) -> None:
            team = pool.children().get(f"team{index % 3}")
            if not isinstance(team, Supervisor) or team.stopped:
                return
            member = team.children().get(f"m{index % 3}{index % 2}")
            if not isinstance(member, ActorRef):
                return
            try:
                if op in {"crash", "ask_crash"}:
                    await member.tell(Crash())
                elif op == "stop" and index % 4 == 0:
                    team.stop()
                elif op == "ask":
                    await member.ask(Ping(index), timeout=1)
                else:
                    await member.tell(Ping(index))
            except DOCUMENTED:
                pass

        async with anyio.create_task_group() as tg:
            for op, index in ops:
                tg.start_soon(run, op, index)
        await settle()
        for team in pool.children().values():
            assert isinstance(team, Supervisor)
            assert not team.stopped
    assert len(anyio.get_running_tasks()) == before
