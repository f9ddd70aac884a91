"""Checkpoint savers on a growing chat thread: time per superstep and file size.

Each step appends one message (a dict of ~200 bytes) to ``messages`` and bumps
``step``, then saves a checkpoint as the engine does with ``durability="sync"``
(``aput`` with the changed channels only). Compares actorgraph's savers with
LangGraph's (``InMemorySaver`` from langgraph-checkpoint, ``AsyncSqliteSaver``
from langgraph-checkpoint-sqlite) when those are installed.

    .venv/bin/python benchmarks/checkpoint_savers.py [STEPS]
"""

from __future__ import annotations

import importlib
import sqlite3
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio

from actorgraph.store import CheckpointMetadata, InMemorySaver, SqliteSaver
from actorgraph.store.checkpoint import Checkpoint, new_checkpoint_id

Result = tuple[float, float, int]  # µs per put, µs per get, file bytes


def message(i: int) -> dict[str, Any]:
    return {"id": f"m{i}", "role": "user" if i % 2 else "ai", "content": "lorem ipsum " * 14}


def our_checkpoint(values: dict[str, Any], versions: dict[str, Any], step: int) -> tuple[Any, Any]:
    checkpoint = Checkpoint(
        id=new_checkpoint_id(),
        ts="2026-01-01T00:00:00+00:00",
        channel_values=values,
        channel_versions=versions,
    )
    return checkpoint, CheckpointMetadata(source="loop", step=step)


def langgraph_checkpoint(
    values: dict[str, Any], versions: dict[str, Any], step: int
) -> tuple[Any, Any]:
    base = importlib.import_module("langgraph.checkpoint.base")
    checkpoint = {
        "v": 4,
        "id": str(base.id.uuid6(clock_seq=-1)),
        "ts": "2026-01-01T00:00:00+00:00",
        "channel_values": values,
        "channel_versions": versions,
        "versions_seen": {},
        "updated_channels": None,
    }
    return checkpoint, {"source": "loop", "step": step}


async def chat(saver: Any, steps: int, path: Path | None, make: Any = our_checkpoint) -> Result:
    """Drive ``saver`` through a chat of ``steps`` messages; time put and get."""
    config: Any = {"configurable": {"thread_id": "bench", "checkpoint_ns": ""}}
    versions: dict[str, Any] = {}
    messages: list[dict[str, Any]] = []
    start = time.perf_counter()
    for i in range(steps):
        messages = [*messages, message(i)]
        new = {ch: saver.get_next_version(versions.get(ch), None) for ch in ("messages", "step")}
        versions = {**versions, **new}
        checkpoint, metadata = make({"messages": messages, "step": i}, versions, i)
        config = await saver.aput(config, checkpoint, metadata, new)
    put = (time.perf_counter() - start) / steps * 1e6
    start = time.perf_counter()
    for _ in range(20):
        await saver.aget_tuple(config)
    get = (time.perf_counter() - start) / 20 * 1e6
    if isinstance(saver, SqliteSaver):
        await saver.aclose()
    return put, get, _size(path)


async def langgraph_sqlite(path: Path, steps: int) -> Result:
    aio = importlib.import_module("langgraph.checkpoint.sqlite.aio")
    async with aio.AsyncSqliteSaver.from_conn_string(str(path)) as saver:
        return await chat(saver, steps, path, langgraph_checkpoint)


def _size(path: Path | None) -> int:
    """Bytes of the database once its write-ahead log is folded in."""
    if path is None:
        return 0
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def main() -> None:
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    runs: list[tuple[str, str, Callable[[Path], Awaitable[Result]]]] = [
        ("actorgraph InMemorySaver", "asyncio", lambda p: chat(InMemorySaver(), steps, None)),
        ("actorgraph SqliteSaver", "asyncio", lambda p: chat(SqliteSaver(p), steps, p)),
        ("actorgraph SqliteSaver", "trio", lambda p: chat(SqliteSaver(p), steps, p)),
    ]
    try:
        memory = importlib.import_module("langgraph.checkpoint.memory")
        runs.append(
            (
                "LangGraph InMemorySaver",
                "asyncio",
                lambda p: chat(memory.InMemorySaver(), steps, None, langgraph_checkpoint),
            )
        )
        importlib.import_module("langgraph.checkpoint.sqlite.aio")
        runs.append(("LangGraph AsyncSqliteSaver", "asyncio", lambda p: langgraph_sqlite(p, steps)))
    except ImportError:
        print("(LangGraph's savers not installed: skipped)")
    print(f"{steps} steps, one message appended per step")
    print(f"{'saver':<28} {'backend':<8} {'put µs':>9} {'get µs':>9} {'file KiB':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        for i, (name, backend, run) in enumerate(runs):
            put, get, size = anyio.run(run, Path(tmp) / f"{i}.db", backend=backend)
            print(f"{name:<28} {backend:<8} {put:9.1f} {get:9.1f} {size / 1024:9.0f}")


if __name__ == "__main__":
    main()
