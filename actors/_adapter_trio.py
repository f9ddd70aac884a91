"""trio versions of the primitives the dispatcher uses on every message.

Built on ``trio.lowlevel`` parking, which is what trio's own ``Event`` does,
minus the backend lookup anyio adds to every call. A cancelled waiter is
unparked by trio through the abort callback, as with any trio primitive.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import trio

__all__ = ["SPINS", "OneWaiterEvent", "checkpoint", "clock", "pause"]

# Passes an idle dispatcher worker makes before it parks. trio runs each batch
# of ready tasks in either order, so half the time the worker that has just
# answered a caller looks for work before that caller ran and sent again; one
# more pass then finds the next message, where parking would cost a park and a
# wake-up (about 1 µs of a 12 µs ask). asyncio runs ready tasks in order: one
# pass is enough there.
SPINS = 2

checkpoint = _checkpoint = trio.lowlevel.checkpoint
pause = trio.lowlevel.cancel_shielded_checkpoint
_current_task = trio.lowlevel.current_task
_wait_task_rescheduled = trio.lowlevel.wait_task_rescheduled
_reschedule = trio.lowlevel.reschedule


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
                _reschedule(task)

    def _abort(self, _: Any) -> trio.lowlevel.Abort:
        self._task = None
        return trio.lowlevel.Abort.SUCCEEDED

    async def wait(self) -> None:
        # The task is taken here, not by a plain function returning the trap's
        # coroutine: that would name whichever task called it (a parent that
        # passes ``wait`` to ``start_soon``) instead of the one that parks.
        if self._set:
            await _checkpoint()
            return
        self._task = _current_task()
        await _wait_task_rescheduled(self._abort)
