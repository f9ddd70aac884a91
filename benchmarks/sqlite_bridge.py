"""How much a call into SQLite costs from async code, per bridge.

Compares the store layer (``actorgraph.store._sqlite``: a writer thread and
reader threads per file, results posted back to the loop) with a per-call
``anyio.to_thread.run_sync`` bridge, with aiosqlite (asyncio only, when
installed) and with plain blocking ``sqlite3`` in the loop thread. Every write
commits (WAL, synchronous=NORMAL); every read is a point select.

    .venv/bin/python benchmarks/sqlite_bridge.py [N]
"""

from __future__ import annotations

import importlib
import sqlite3
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path

import anyio

from actorgraph.store._sqlite import Schema, open_database

SCHEMA = Schema("bench", ("CREATE TABLE kv (k INTEGER PRIMARY KEY, v TEXT NOT NULL)",))


def put(conn: sqlite3.Connection, k: int) -> None:
    conn.execute("INSERT OR REPLACE INTO kv (k, v) VALUES (?, 'x')", (k,))


def get(conn: sqlite3.Connection, k: int) -> object:
    return conn.execute("SELECT v FROM kv WHERE k = ?", (k,)).fetchone()


def plain_connection(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE IF NOT EXISTS kv (k INTEGER PRIMARY KEY, v TEXT NOT NULL)")
    return conn


def committed_put(conn: sqlite3.Connection, k: int) -> None:
    conn.execute("BEGIN IMMEDIATE")
    put(conn, k)
    conn.execute("COMMIT")


async def timed(n: int, op: Callable[[int], Awaitable[object]]) -> float:
    start = time.perf_counter()
    for i in range(n):
        await op(i)
    return (time.perf_counter() - start) / n * 1e6


async def bench_layer(path: Path, n: int) -> tuple[float, float, float]:
    async with open_database(path, schema=SCHEMA) as db:
        write = await timed(n, lambda i: db.write(put, i))
        read = await timed(n, lambda i: db.read(get, i))
        start = time.perf_counter()
        async with anyio.create_task_group() as tg:
            for i in range(n):
                tg.start_soon(db.write, put, i)
        burst = (time.perf_counter() - start) / n * 1e6
    return write, read, burst


async def bench_to_thread(path: Path, n: int) -> tuple[float, float, float]:
    conn = plain_connection(path)
    limiter = anyio.CapacityLimiter(1)
    write = await timed(
        n, lambda i: anyio.to_thread.run_sync(committed_put, conn, i, limiter=limiter)
    )
    read = await timed(n, lambda i: anyio.to_thread.run_sync(get, conn, i, limiter=limiter))
    start = time.perf_counter()
    async with anyio.create_task_group() as tg:
        for i in range(n):
            tg.start_soon(
                partial(anyio.to_thread.run_sync, committed_put, conn, i, limiter=limiter)
            )
    burst = (time.perf_counter() - start) / n * 1e6
    conn.close()
    return write, read, burst


async def bench_blocking(path: Path, n: int) -> tuple[float, float, float]:
    conn = plain_connection(path)

    async def write_op(i: int) -> None:
        committed_put(conn, i)

    async def read_op(i: int) -> object:
        return get(conn, i)

    write = await timed(n, write_op)
    read = await timed(n, read_op)
    conn.close()
    return write, read, float("nan")


async def bench_aiosqlite(path: Path, n: int) -> tuple[float, float, float]:
    aiosqlite = importlib.import_module("aiosqlite")
    async with aiosqlite.connect(path, isolation_level=None) as db:
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("PRAGMA synchronous=NORMAL")
        await db.execute("CREATE TABLE IF NOT EXISTS kv (k INTEGER PRIMARY KEY, v TEXT NOT NULL)")

        async def write_op(i: int) -> None:
            await db.execute("BEGIN IMMEDIATE")
            await db.execute("INSERT OR REPLACE INTO kv (k, v) VALUES (?, 'x')", (i,))
            await db.execute("COMMIT")

        async def read_op(i: int) -> object:
            cursor = await db.execute("SELECT v FROM kv WHERE k = ?", (i,))
            return await cursor.fetchone()

        write = await timed(n, write_op)
        read = await timed(n, read_op)
    return write, read, float("nan")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    benches: list[tuple[str, str, Callable[[Path, int], Awaitable[tuple[float, float, float]]]]] = [
        ("store layer", "asyncio", bench_layer),
        ("store layer", "trio", bench_layer),
        ("to_thread per call", "asyncio", bench_to_thread),
        ("to_thread per call", "trio", bench_to_thread),
        ("blocking sqlite3", "asyncio", bench_blocking),
    ]
    try:
        importlib.import_module("aiosqlite")
        benches.append(("aiosqlite", "asyncio", bench_aiosqlite))
    except ImportError:
        print("(aiosqlite not installed: skipped)")
    print(f"{'bridge':<20} {'backend':<8} {'write µs':>9} {'read µs':>8} {'burst µs':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        for i, (name, backend, bench) in enumerate(benches):
            path = Path(tmp) / f"{i}.db"
            write, read, burst = anyio.run(bench, path, n, backend=backend)
            print(f"{name:<20} {backend:<8} {write:9.1f} {read:8.1f} {burst:9.1f}")


if __name__ == "__main__":
    main()
