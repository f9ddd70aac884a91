"""Actors and messages the actor tests share."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial

import anyio
import anyio.lowlevel
import msgspec

from actorgraph.actors import Actor, DownNotice


class Ping(msgspec.Struct, frozen=True):
    n: int = 0


class Crash(msgspec.Struct, frozen=True):
    pass


class Exit(msgspec.Struct, frozen=True):
    pass


class Nap(msgspec.Struct, frozen=True):
    seconds: float


Cmd = Ping | Crash | Exit | Nap


class Journal:
    """What happened, in order, as (event, actor name) pairs."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []
        self.handled: list[tuple[str, int]] = []

    def count(self, event: str, name: str) -> int:
        return self.events.count((event, name))

    def names(self, event: str) -> list[str]:
        return [name for kind, name in self.events if kind == event]


class Worker(Actor[Cmd, int]):
    """Replies to Ping with its n; crashes, exits or naps on command."""

    def __init__(self, name: str, journal: Journal) -> None:
        self.name = name
        self.journal = journal

    async def started(self) -> None:
        self.journal.events.append(("start", self.name))

    async def restarted(self, reason: BaseException | str) -> None:
        self.journal.events.append(("restart", self.name))

    async def stopping(self, reason: str) -> None:
        self.journal.events.append(("stopping", self.name))

    async def down(self, notice: DownNotice) -> None:
        self.journal.events.append(("down:" + notice.reason, notice.path))

    async def receive(self, msg: Cmd) -> int:
        if isinstance(msg, Ping):
            self.journal.handled.append((self.name, msg.n))
            self.journal.events.append(("ping", self.name))
            return msg.n
        if isinstance(msg, Crash):
            raise RuntimeError(f"{self.name} was told to crash")
        if isinstance(msg, Exit):
            self.stop()
            return -1
        await anyio.sleep(msg.seconds)
        return 0


def worker(name: str, journal: Journal) -> partial[Worker]:
    return partial(Worker, name, journal)


async def settle() -> None:
    """Let the supervisors react to everything sent so far.

    Plain checkpoints rather than ``wait_all_tasks_blocked``, which polls every
    0.1 s on asyncio; what the tests wait for takes a handful of passes.
    """
    for _ in range(64):
        await anyio.lowlevel.checkpoint()


async def record_error(
    errors: list[BaseException], kind: type[BaseException], call: Callable[[], Awaitable[object]]
) -> None:
    """Await ``call()`` and keep the error of type ``kind`` it raises."""
    try:
        await call()
    except kind as exc:
        errors.append(exc)
