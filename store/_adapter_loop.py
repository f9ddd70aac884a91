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
from collections.abc import Callable

import anyio.lowlevel

__all__ = ["loop_callback_poster", "running_loop_backend"]

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
