"""trio versions of the two primitives the dispatcher uses on every message.

Built on ``trio.lowlevel`` parking, which is what trio's own ``Event`` does,
minus the backend lookup anyio adds to every call. A cancelled waiter is
unparked by trio through the abort callback, as with any trio primitive.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import trio

__all__ = ["OneWaiterEvent", "checkpoint", "clock"]

checkpoint = trio.lowlevel.checkpoint


def clock() -> Callable[[], float]:
    """Trio's clock (what ``anyio.current_time`` reads)."""
    return trio.lowlevel.current_clock().current_time


class OneWaiterEvent:
    """An event at most one task waits on (a reply, a parked worker)."""

    __slots__ = ("_set", "_task")

    def __init__(self) -> None:
        self._set = False
        self._task: trio.lowlevel.Task | None = None

    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        if not self._set:
            self._set = True
            task = self._task
            if task is not None:
                self._task = None
                trio.lowlevel.reschedule(task)

    def _abort(self, _: Any) -> trio.lowlevel.Abort:
        self._task = None
        return trio.lowlevel.Abort.SUCCEEDED

    async def wait(self) -> None:
        if self._set:
            await trio.lowlevel.checkpoint()
            return
        self._task = trio.lowlevel.current_task()
        await trio.lowlevel.wait_task_rescheduled(self._abort)
