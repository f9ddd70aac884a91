"""Sync faces over async code: call a coroutine function or drain an async iterator.

From plain code (no event loop in this thread) the work runs in a fresh event loop
(asyncio). From a worker thread started by ``anyio.to_thread`` (for example a sync
node of a running graph) it runs on that thread's event loop, with the caller's
context variables. From inside a running event loop it raises ``RuntimeError``
naming the async method to await instead, since blocking there would deadlock.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from typing import Any, TypeVar

import anyio
import anyio.from_thread

__all__ = ["iterate_sync", "run_sync"]

T = TypeVar("T")


# Both probes raise a RuntimeError subclass when there is nothing to find (which
# one depends on the anyio version), and nothing else.


def _in_worker_thread() -> bool:
    try:
        anyio.from_thread.check_cancelled()
    except RuntimeError:
        return False
    return True


def _refuse_inside_loop(async_name: str) -> None:
    try:
        anyio.get_current_task()
    except RuntimeError:
        return
    raise RuntimeError(
        f"this sync method was called from inside a running event loop, where it "
        f"would block the loop; await the async method `{async_name}` instead"
    )


def run_sync(async_name: str, func: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
    """Run ``func(*args, **kwargs)`` to completion from sync code (see the module doc).

    ``async_name`` names the async method for the error raised inside a loop.
    """
    _refuse_inside_loop(async_name)
    call = functools.partial(func, *args, **kwargs)

    async def runner() -> T:
        return await call()

    if _in_worker_thread():
        return anyio.from_thread.run(runner)
    return anyio.run(runner)


def iterate_sync(async_name: str, make: Callable[[], AsyncIterator[T]]) -> Generator[T, None, None]:
    """Iterate the async iterator ``make()`` from sync code (see the module doc).

    In a worker thread items arrive one by one as they are produced; from plain
    code the iterator is drained in one event loop first. Closing the returned
    iterator early closes the async one.
    """
    _refuse_inside_loop(async_name)
    if not _in_worker_thread():

        async def drain() -> list[T]:
            return [item async for item in make()]

        yield from anyio.run(drain)
        return
    iterator = make()

    async def step() -> tuple[bool, T | None]:
        try:
            return True, await iterator.__anext__()
        except StopAsyncIteration:
            return False, None

    try:
        while True:
            more, item = anyio.from_thread.run(step)
            if not more:
                return
            yield item  # type: ignore[misc]
    finally:
        closer = getattr(iterator, "aclose", None)
        if closer is not None:
            anyio.from_thread.run(closer)
