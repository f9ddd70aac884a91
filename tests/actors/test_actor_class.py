"""The Actor base class: accepted types, default hooks, lifecycle events."""

from __future__ import annotations

from typing import Any, Generic, Optional, TypeVar, Union

import anyio
import msgspec
import pytest
import structlog
from structlog.testing import capture_logs

from actorgraph.actors import Actor, ActorSystem, ChildSpec, DownNotice, EscalationError
from actorgraph.actors._actor import accepted_types
from tests.actors.support import Crash, Journal, Ping, settle, worker

pytestmark = pytest.mark.anyio

T = TypeVar("T")


class A(msgspec.Struct):
    pass


class B(msgspec.Struct):
    pass


class Generic1(Actor[T], Generic[T]):
    async def receive(self, msg: T) -> None:
        return None


class Concrete(Generic1[A]):
    pass


class OldUnion(Actor[Union[A, B]]):  # noqa: UP007 - the spelling older code uses
    async def receive(self, msg: A | B) -> None:
        return None


class WithOptional(Actor[Optional[A]]):  # noqa: UP045 - the spelling older code uses
    async def receive(self, msg: A | None) -> None:
        return None


class OfList(Actor[list[int]]):
    async def receive(self, msg: list[int]) -> None:
        return None


class OfAny(Actor[Any]):
    async def receive(self, msg: Any) -> None:
        return None


class AnyInUnion(Actor[Union[A, Any]]):  # noqa: UP007 - collapses to Any
    async def receive(self, msg: Any) -> None:
        return None


class Inherits(Concrete):
    pass


def test_accepted_types_follow_the_declared_type() -> None:
    assert accepted_types(Concrete) == (A,)
    assert accepted_types(Inherits) == (A,)
    assert accepted_types(OldUnion) == (A, B)
    assert accepted_types(WithOptional) == (A, type(None))
    assert accepted_types(OfList) == (list,)
    assert accepted_types(OfAny) == (object,)
    assert accepted_types(AnyInUnion) == (object,)
    assert accepted_types(Generic1) == (object,)
    assert accepted_types(Concrete) is accepted_types(Concrete)  # cached


class NoReceive(Actor[A]):
    pass


class Plain(Actor[Ping, int]):
    """Uses the default hooks; restarted calls started."""

    starts = 0

    async def started(self) -> None:
        type(self).starts += 1
        assert self.path.endswith("/plain")

    async def receive(self, msg: Ping) -> int:
        if msg.n < 0:
            raise ValueError(msg.n)
        return msg.n


async def test_default_hooks() -> None:
    Plain.starts = 0
    async with ActorSystem(children=[ChildSpec(id="plain", start=Plain)], intensity=5) as system:
        plain = system.lookup("/system/plain")
        await plain.tell(Ping(-1))  # type: ignore[union-attr]
        assert await plain.ask(Ping(3)) == 3  # type: ignore[union-attr]
        assert Plain.starts == 2  # the default restarted() called started()
        missing = await system.spawn(NoReceive)
        await missing.tell(A())
        notice = await missing.join()
        assert isinstance(notice.error, NotImplementedError)
        assert "NoReceive must define async receive" in str(notice.error)


async def test_an_actor_can_watch_and_stop_itself() -> None:
    journal = Journal()
    async with ActorSystem() as system:
        watcher = await system.spawn(worker("watcher", journal), name="watcher")
        target = await system.spawn(worker("target", journal), name="target")
        actor = watcher._actor
        assert actor is not None
        actor.watch(target)
        assert actor.ref is watcher
        await target.tell(Crash())
        await settle()
        assert ("down:crashed", "/system/target") in journal.events


async def test_events_are_silent_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    journal = Journal()
    structlog.reset_defaults()  # as in an application that never configured structlog
    assert not structlog.is_configured()
    async with ActorSystem() as system:
        ref = await system.spawn(worker("w", journal), name="w")
        await ref.tell(Crash())
        await settle()
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == ""


async def test_lifecycle_events_carry_the_path() -> None:
    journal = Journal()
    with capture_logs() as logs:
        async with ActorSystem(
            children=[ChildSpec(id="w", start=worker("w", journal))], intensity=5
        ) as system:
            ref = system.lookup("/system/w")
            await ref.tell(Crash())  # type: ignore[union-attr]
            await settle()
    events = [(e["event"], e.get("path")) for e in logs]
    assert ("actor.started", "/system/w") in events
    assert ("actor.crashed", "/system/w") in events
    assert ("supervisor.restart", "/system") in events
    assert ("actor.stopped", "/system/w") in events
    crashed = next(e for e in logs if e["event"] == "actor.crashed")
    assert "told to crash" in crashed["reason"]


async def test_escalation_event() -> None:
    journal = Journal()

    async def crash_once() -> None:
        async with ActorSystem(
            children=[ChildSpec(id="w", start=worker("w", journal))], intensity=0
        ) as system:
            ref = system.lookup("/system/w")
            await ref.tell(Crash())  # type: ignore[union-attr]
            await anyio.sleep(5)

    with capture_logs() as logs, pytest.raises(EscalationError):
        await crash_once()
    escalate = next(e for e in logs if e["event"] == "supervisor.escalate")
    assert escalate["path"] == "/system"
    assert escalate["child"] == "w"
    assert "told to crash" in escalate["reason"]


def test_down_notice_is_plain_data() -> None:
    notice = DownNotice("/system/a", "normal")
    assert notice.error is None
    assert msgspec.structs.asdict(notice) == {
        "path": "/system/a",
        "reason": "normal",
        "error": None,
    }
