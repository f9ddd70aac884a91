"""One asyncio event loop per thread for the sync faces, kept between calls.

``anyio.run`` builds and tears down an event loop, and the worker threads that
come with it, on every call; a sync ``invoke`` of a short chain spends most of
its time there. The sync faces instead reuse one ``asyncio.Runner`` per thread:
each call runs as a fresh main task in the caller's context, and the loop is
closed when its thread ends (or at interpreter exit for the main thread).
Nothing from one call outlives it: Runnables keep every task inside a task
group of the call. ``asyncio.Runner`` is Python 3.11+; on 3.10 the sync faces
use ``anyio.run``.
"""

from __future__ import annotations

import asyncio
import atexit
import contextvars
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import TypeVar

__all__ = ["THREAD_LOOP_AVAILABLE", "run_in_thread_loop"]

T = TypeVar("T")


THREAD_LOOP_AVAILABLE = sys.version_info >= (3, 11)

if sys.version_info >= (3, 11):

    class _ThreadLoop:
        """Owns the runner of one thread; closing it when the thread's locals go."""

        __slots__ = ("runner",)

        def __init__(self) -> None:
            self.runner = asyncio.Runner()

        def close(self) -> None:
            self.runner.close()

        def __del__(self) -> None:
            self.close()

    _local = threading.local()

    def _thread_loop() -> _ThreadLoop:
        holder: _ThreadLoop | None = getattr(_local, "holder", None)
        if holder is None:
            holder = _local.holder = _ThreadLoop()
            if threading.current_thread() is threading.main_thread():
                atexit.register(holder.close)
        return holder

    def run_in_thread_loop(main: Callable[[], Awaitable[T]]) -> T:
        """Run ``main()`` to completion on this thread's reused event loop, in a copy
        of the caller's context."""

        async def wrapper() -> T:
            return await main()

        result: T = _thread_loop().runner.run(wrapper(), context=contextvars.copy_context())
        return result

else:  # pragma: no cover - Python 3.10

    def run_in_thread_loop(main: Callable[[], Awaitable[T]]) -> T:
        """Not available before Python 3.11 (no ``asyncio.Runner``)."""
        raise NotImplementedError("asyncio.Runner needs Python 3.11")
