"""The blocking faces of the store and the cache: thin portals over their async core.

There is one implementation of every operation, the async one. A blocking call
runs it in the event loop that owns the calling worker thread (a thread started
by ``anyio.to_thread.run_sync``), or in a fresh event loop when plain code with
no loop calls it. On the event loop's own thread a blocking call would stall
every task of that loop, so it raises instead of deadlocking.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import anyio

from actorgraph.channels._errors import EventLoopThreadError
from actorgraph.store._adapter_loop import running_loop_backend

__all__ = ["refuse_on_event_loop", "run_blocking"]

T = TypeVar("T")


def refuse_on_event_loop(name: str) -> None:
    """Raise when the blocking method ``name`` is called on an event loop's thread.

    Raises:
        EventLoopThreadError: naming the async method to await instead.
    """
    backend = running_loop_backend()
    if backend is None:
        return
    raise EventLoopThreadError(
        f"{name}() blocks until it is done and was called on a thread that runs an "
        f"event loop ({backend}), where it would stall every task; use `await a{name}(...)` there, "
        f"or call {name}() from a worker thread (anyio.to_thread.run_sync)."
    )


def run_blocking(name: str, func: Callable[[], Awaitable[T]]) -> T:
    """Run ``func()`` to completion from blocking code and return its result.

    ``name`` is the blocking method being called (``"put"``), used in the error.

    Raises:
        EventLoopThreadError: when called on a thread that runs an event loop;
            the message names the async method to await instead.
    """
    refuse_on_event_loop(name)
    started = False

    async def call() -> T:
        nonlocal started
        started = True
        return await func()

    try:
        # Inside a worker thread of a running loop: hop back onto that loop, so
        # the store's resources stay owned by one loop.
        return anyio.from_thread.run(call)
    except RuntimeError:
        if started:
            raise
    # Plain code with no event loop anywhere in sight: run one just for this call.
    return anyio.run(call)
