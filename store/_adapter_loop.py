"""The two event-loop facts the SQLite threads need, per backend.

anyio offers only a *blocking* call from a foreign thread into the loop
(``anyio.from_thread.run_sync``). The database threads must never block on an
event loop (the loop may be busy, closing or gone), so they post completions
with the backends' own non-blocking primitives: ``loop.call_soon_threadsafe`` on
asyncio, ``TrioToken.run_sync_soon`` on trio. This module is the only place in
the store layer that names a backend.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Callable

import anyio.lowlevel

__all__ = ["held_wakes", "loop_batch_poster", "loop_callback_poster", "running_loop_backend"]

Poster = Callable[[Callable[[], object]], None]


def loop_callback_poster() -> Poster:
    """Return ``post(callback)``, callable from any thread, that runs ``callback``
    soon in the event loop of the calling task and never blocks.

    A post after the loop has finished is dropped: its waiter is gone with it.
    """
    native = anyio.lowlevel.current_token().native_token
    if isinstance(native, asyncio.AbstractEventLoop):
        loop = native

        def post_asyncio(callback: Callable[[], object]) -> None:
            try:
                loop.call_soon_threadsafe(callback)
            except RuntimeError:  # the loop is closed: nobody waits any more
                return

        return post_asyncio

    import trio  # only reached under trio, so trio stays an optional dependency

    token: trio.lowlevel.TrioToken = native  # type: ignore[assignment]

    def post_trio(callback: Callable[[], object]) -> None:
        try:
            token.run_sync_soon(callback)
        except trio.RunFinishedError:
            return

    return post_trio


class _Inbox:
    """Callbacks for one event loop, posted from any thread, run in batches.

    Each ``call_soon_threadsafe`` writes to the loop's wake-up socket (a
    system call, and a release of the GIL the posting thread then has to win
    back); a database thread finishing a batch of 50 jobs would pay that 50
    times. Here only a post into an empty inbox wakes the loop; the callbacks
    posted before the loop gets to the inbox ride along, in posting order.
    """

    __slots__ = ("_items", "_lock", "_wake", "native")

    def __init__(self, native: object, wake: Poster) -> None:
        self.native = native
        self._wake = wake
        self._items: list[Callable[[], object]] = []
        self._lock = threading.Lock()

    def post(self, callback: Callable[[], object]) -> None:
        with self._lock:
            items = self._items
            items.append(callback)
            first = len(items) == 1
        if first:
            held: list[_Inbox] | None = getattr(_held, "inboxes", None)
            if held is None:
                self._wake(self._drain)
            else:
                held.append(self)

    def wake(self) -> None:
        self._wake(self._drain)

    def _drain(self) -> None:
        with self._lock:
            items, self._items = self._items, []
        position = 0
        try:
            for position, callback in enumerate(items):  # noqa: B007 - read on failure
                callback()
        except BaseException:
            # The rest still run (in a later pass); the loop reports this one.
            for rest in items[position + 1 :]:
                self.post(rest)
            raise


_inboxes = threading.local()
_held = threading.local()


class held_wakes:  # noqa: N801 - used like a function: ``with held_wakes():``
    """Within the block, posts of this thread wake their loops once, at the
    end (a database thread delivering a batch of results): the loop then
    runs them in one pass instead of waking for the first few alone.
    Nested blocks leave the waking to the outermost one."""

    __slots__ = ("_inboxes", "_outer")

    def __enter__(self) -> None:
        self._outer = getattr(_held, "inboxes", None) is None
        if self._outer:
            self._inboxes: list[_Inbox] = []
            _held.inboxes = self._inboxes

    def __exit__(self, *exc_info: object) -> None:
        if self._outer:
            _held.inboxes = None
            for inbox in self._inboxes:
                inbox.wake()


def loop_batch_poster() -> Poster:
    """:func:`loop_callback_poster` for threads that finish work in batches:
    callbacks posted while the loop has not yet run the previous ones join
    them, so a batch costs one wake-up of the loop, not one per callback.

    Callbacks run in posting order. Call it in the loop's thread; the poster
    may then be called from any thread.
    """
    native = anyio.lowlevel.current_token().native_token
    inbox: _Inbox | None = getattr(_inboxes, "inbox", None)
    if inbox is None or inbox.native is not native:
        # One loop per thread at a time: a new loop in this thread replaces the old inbox.
        inbox = _inboxes.inbox = _Inbox(native, loop_callback_poster())
    return inbox.post


def running_loop_backend() -> str | None:
    """Name the event loop running in this thread (``"asyncio"``, ``"trio"``), or
    ``None`` in plain code and in worker threads.

    This also sees an asyncio loop from inside a plain callback, not only a task.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        return "asyncio"
    trio = sys.modules.get("trio")  # a trio run implies trio was imported
    if trio is not None and trio.lowlevel.in_trio_run():
        return "trio"
    return None
