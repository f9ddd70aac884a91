"""Times the per-call overhead of Runnables.

Run: ``python -m benchmarks.bench_runnables``. Prints microseconds per call, on
asyncio, for: a bare coroutine (the floor), a class that overrides ``ainvoke``
directly (what the compiled graph does), an async ``RunnableLambda`` (native
path, no observers), the same with a ``RunHandler`` observing, a three-step
sequence, a two-branch parallel, ``abatch`` of 100, and the sync ``invoke``
portal (one reused event loop per thread) for a direct subclass and for a
sync lambda (which runs in a worker thread).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio

from actorgraph.runnables import (
    RunHandler,
    Runnable,
    RunnableConfig,
    RunnableLambda,
    RunnableParallel,
)


async def _inc(x: int) -> int:
    return x + 1


class _Direct(Runnable[int, int]):
    async def ainvoke(self, input: int, config: RunnableConfig | None = None, **kwargs: Any) -> int:
        return input + 1


async def _per_call(make: Callable[[], Awaitable[Any]], n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        await make()
    return (time.perf_counter() - start) / n * 1e6


async def _main() -> None:
    n = 20_000
    lam = RunnableLambda(_inc)
    seq = lam | RunnableLambda(_inc) | RunnableLambda(_inc)
    par = RunnableParallel(a=lam, b=lam)
    observed: RunnableConfig = {"callbacks": [RunHandler()]}
    rows = [
        ("bare coroutine", await _per_call(lambda: _inc(1), n)),
        ("direct ainvoke subclass", await _per_call(lambda: _Direct().ainvoke(1), n)),
        ("RunnableLambda(async).ainvoke", await _per_call(lambda: lam.ainvoke(1), n)),
        ("... observed by a RunHandler", await _per_call(lambda: lam.ainvoke(1, observed), n)),
        ("sequence of 3 ainvoke", await _per_call(lambda: seq.ainvoke(1), n // 4)),
        ("parallel of 2 ainvoke", await _per_call(lambda: par.ainvoke(1), n // 4)),
        (
            "abatch of 100 (per input)",
            await _per_call(lambda: lam.abatch(list(range(100))), 100) / 100,
        ),
    ]
    for name, micros in rows:
        print(f"{name:32s} {micros:8.2f} us")


def _sync_inc(x: int) -> int:
    return x + 1


def main() -> None:
    anyio.run(_main)
    lam = RunnableLambda(_sync_inc)
    direct = _Direct()
    n = 300
    start = time.perf_counter()
    for _ in range(n):
        direct.invoke(1)
    print(f"{'sync invoke, direct subclass':32s} {(time.perf_counter() - start) / n * 1e6:8.2f} us")
    start = time.perf_counter()
    for _ in range(n):
        lam.invoke(1)
    print(f"{'sync invoke, sync lambda':32s} {(time.perf_counter() - start) / n * 1e6:8.2f} us")


if __name__ == "__main__":
    main()
