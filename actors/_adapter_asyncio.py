"""asyncio versions of the two primitives the dispatcher uses on every message.

anyio's ``Event`` and ``checkpoint`` look the backend up on each call; on the hot
path that lookup costs as much as the work. These are the same operations done
directly. Cancellation is unchanged: anyio cancels an asyncio task by cancelling
the future it awaits, and ``sleep(0)`` is what anyio's own checkpoint awaits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

__all__ = ["OneWaiterEvent", "checkpoint", "clock", "in_task", "running"]


def running() -> bool:
    """Whether an asyncio loop runs in this thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def in_task() -> bool:
    """Whether the caller runs inside an asyncio task (not plain code, not a
    trio task, even one in guest mode on an asyncio loop)."""
    loop = asyncio._get_running_loop()
    return loop is not None and asyncio.current_task(loop) is not None


def clock() -> Callable[[], float]:
    """The running loop's clock (what ``anyio.current_time`` reads)."""
    return asyncio.get_running_loop().time


async def checkpoint() -> None:
    """A cancellation and scheduling point."""
    await asyncio.sleep(0)


class OneWaiterEvent:
    """An event at most one task waits on (a reply, a parked worker)."""

    __slots__ = ("_future", "_set")

    def __init__(self) -> None:
        self._set = False
        self._future: asyncio.Future[None] | None = None

    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        if not self._set:
            self._set = True
            future = self._future
            if future is not None and not future.done():
                future.set_result(None)

    async def wait(self) -> None:
        if self._set:
            await asyncio.sleep(0)
            return
        self._future = future = asyncio.get_running_loop().create_future()
        try:
            await future
        finally:
            self._future = None
