"""Run the engine to completion from plain sync code, as cheaply as possible.

``anyio.run`` spends about 0.3 ms setting up its asyncio backend on every call;
the engine is pure anyio and runs as well on a bare ``asyncio.run`` loop, which
costs about a third of that. A sync ``invoke`` on a small graph is mostly this
cost, so it is worth the adapter.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

__all__ = ["run_to_completion"]

T = TypeVar("T")


def run_to_completion(func: Callable[[], Awaitable[T]]) -> T:
    """Run ``func()`` on a fresh event loop in this thread and return its result."""

    async def main() -> T:
        return await func()

    return asyncio.run(main())
