"""The backend-specific pieces of the sync portal and of detached producers.

* :func:`run_in_thread_loop`: ``anyio.run`` builds and tears down an event loop
  (and its worker threads) on every call, about 0.3 ms; a sync ``invoke`` of a
  short chain spends most of its time there. Each thread instead keeps one
  ``asyncio.Runner`` and runs every call as a fresh main task on it, in a copy
  of the caller's context. A call made while that loop is suspended under it
  (a sync node run inline calling ``invoke`` again) gets the next runner of a
  per-thread stack, so nesting works and is reused too. Runners close when
  their thread ends (at interpreter exit for the main thread).
* :func:`loop_hidden`: run plain sync code on the loop's thread as if no loop
  were running (see :mod:`actorgraph.actors._portal`).
* :func:`spawn_detached`: start a task that belongs to no task group, so an
  async iterator can feed a consumer live without the consumer's code running
  inside a task group between yields (anyio forbids yielding there).
"""

from __future__ import annotations

import asyncio
import atexit
import contextvars
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from actorgraph.actors._adapter import _current_library

__all__ = ["THREAD_LOOP_AVAILABLE", "loop_hidden", "run_in_thread_loop", "spawn_detached"]

T = TypeVar("T")

THREAD_LOOP_AVAILABLE = sys.version_info >= (3, 11)


class _ThreadLoops:
    """The runners of one thread: index ``depth`` serves calls nested that deep."""

    __slots__ = ("depth", "runners")

    def __init__(self) -> None:
        self.runners: list[Any] = []
        self.depth = 0

    def close(self) -> None:
        for runner in self.runners:
            runner.close()
        self.runners.clear()

    def __del__(self) -> None:
        self.close()


_local = threading.local()


def _thread_loops() -> _ThreadLoops:
    loops: _ThreadLoops | None = getattr(_local, "loops", None)
    if loops is None:
        loops = _local.loops = _ThreadLoops()
        if threading.current_thread() is threading.main_thread():
            atexit.register(loops.close)
    return loops


def run_in_thread_loop(main: Callable[[], Awaitable[T]]) -> T:
    """Run ``main()`` to completion on this thread's reused asyncio loop, in a copy
    of the caller's context. Python 3.11+ (``asyncio.Runner``)."""
    loops = _thread_loops()
    depth = loops.depth
    if depth == len(loops.runners):
        loops.runners.append(asyncio.Runner())  # type: ignore[attr-defined, unused-ignore]
    runner = loops.runners[depth]

    async def wrapper() -> T:
        return await main()

    loops.depth = depth + 1
    try:
        result: T = runner.run(wrapper(), context=contextvars.copy_context())
    finally:
        loops.depth = depth
    return result


@contextmanager
def loop_hidden() -> Iterator[None]:
    """Run plain sync code on the loop's thread as if no loop were running.

    The sync code of a node may call sync faces (``graph.invoke``, a chat
    model's ``invoke``), which refuse to run inside a running loop; with the
    loop hidden they run on a nested loop, as they would in a plain thread.
    The hidden loop is suspended meanwhile, which is what running the node
    inline means anyway. The loop is restored on exit, errors included.
    """
    loop = asyncio._get_running_loop()
    asyncio._set_running_loop(None)
    try:
        yield
    finally:
        asyncio._set_running_loop(loop)


def spawn_detached(func: Callable[[], Awaitable[None]]) -> None:
    """Start ``func()`` as a task of the running loop that no task group owns.

    It runs in a copy of the current context. ``func`` must not raise (a trio
    system task that raises crashes the whole run): catch and hand errors on.
    Whoever spawns it owns it: cancel it with a cancel scope it opens, and wait
    for it with an event it sets.
    """
    context = contextvars.copy_context()
    if _current_library() == "trio":
        import trio

        trio.lowlevel.spawn_system_task(func, context=context)
        return

    async def main() -> None:
        await func()

    loop = asyncio.get_running_loop()
    task = context.run(loop.create_task, main())
    # asyncio keeps only weak references to tasks: hold it until it ends.
    _running.add(task)
    task.add_done_callback(_running.discard)


_running: set[asyncio.Task[None]] = set()
