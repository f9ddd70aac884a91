"""Run the engine to completion from plain sync code, as cheaply as possible.

``anyio.run`` spends about 0.3 ms setting up its asyncio backend on every call;
the engine is pure anyio and runs as well on a bare ``asyncio.run`` loop, which
costs about a third of that. A sync ``invoke`` on a small graph is mostly this
cost, so it is worth the adapter.

The loop ``run_to_completion`` creates is private to the call, so a sync node
that is the only task of its step can run right on it instead of paying a
worker-thread hop (:func:`loop_hidden`): blocking that loop blocks no one else.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

__all__ = ["loop_hidden", "run_to_completion"]

T = TypeVar("T")


def run_to_completion(func: Callable[[], Awaitable[T]]) -> T:
    """Run ``func()`` on a fresh event loop in this thread and return its result."""

    async def main() -> T:
        return await func()

    return asyncio.run(main())


@contextmanager
def loop_hidden() -> Iterator[None]:
    """Run plain sync code on the loop's thread as if no loop were running.

    The sync code of a node may call sync faces (``graph.invoke``, a chat
    model's ``invoke``), which refuse to run inside a running loop; with the
    loop hidden they start a nested loop of their own, as they would in a plain
    thread. The private loop is suspended meanwhile, which is what running the
    node inline means anyway. The loop is restored on exit, errors included.
    """
    loop = asyncio._get_running_loop()
    asyncio._set_running_loop(None)
    try:
        yield
    finally:
        asyncio._set_running_loop(loop)
