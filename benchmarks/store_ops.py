"""Throughput of the long-term store's basic operations, both stores side by side.

    python benchmarks/store_ops.py [--n 2000] [--backend asyncio|trio]

For each store: ``aput`` one at a time, ``abatch`` of puts, ``aget``,
``asearch`` with a filter over the namespace, and the blocking ``put``/``get``
from plain code (each call runs its own event loop).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import anyio

from actorgraph.store import BaseStore, InMemoryStore, PutOp, SqliteStore


async def _timed(label: str, n: int, run: Callable[[], Awaitable[object]]) -> None:
    start = time.perf_counter()
    await run()
    seconds = time.perf_counter() - start
    print(f"  {label:<28} {n / seconds:>10,.0f} ops/s  ({seconds * 1e6 / n:7.1f} µs/op)")


async def _bench(store: BaseStore, n: int) -> None:
    ns = ("bench", "user")

    async def puts() -> None:
        for i in range(n):
            await store.aput(ns, f"k{i}", {"i": i, "text": "hello", "even": i % 2 == 0})

    async def batch() -> None:
        await store.abatch([PutOp(ns, f"b{i}", {"i": i}) for i in range(n)])

    async def gets() -> None:
        for i in range(n):
            await store.aget(ns, f"k{i}")

    searches = max(1, n // 100)

    async def search() -> None:
        for _ in range(searches):
            await store.asearch(ns, filter={"even": True, "i": {"$gte": n // 2}}, limit=10)

    await _timed("aput, one at a time", n, puts)
    await _timed("abatch of puts", n, batch)
    await _timed("aget", n, gets)
    await _timed(f"asearch filter over {2 * n}", searches, search)


def _blocking(store: BaseStore, n: int) -> None:
    start = time.perf_counter()
    for i in range(n):
        store.put(("blocking",), f"k{i}", {"i": i})
        store.get(("blocking",), f"k{i}")
    seconds = time.perf_counter() - start
    print(f"  {'blocking put+get (plain)':<28} {2 * n / seconds:>10,.0f} ops/s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--backend", default="asyncio", choices=["asyncio", "trio"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        stores: list[tuple[str, BaseStore]] = [
            ("InMemoryStore", InMemoryStore()),
            ("SqliteStore (file)", SqliteStore(Path(folder) / "bench.db")),
        ]
        for name, store in stores:
            print(f"{name} on {args.backend}")
            anyio.run(_bench, store, args.n, backend=args.backend)
            _blocking(store, args.n // 4)
            store.close()


if __name__ == "__main__":
    main()
