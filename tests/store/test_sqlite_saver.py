"""What only the SQLite saver has: files, bad data on disk, several processes,
the write-behind queue, and its lifecycle."""

from __future__ import annotations

import base64
import itertools
import random
import sqlite3
import textwrap
import threading
from pathlib import Path
from typing import Any

import anyio
import msgspec
import pytest

from actorgraph.errors import (
    CheckpointError,
    DatabaseError,
    EventLoopThreadError,
    SerializationError,
)
from actorgraph.store import InMemorySaver, RunnableConfig, SqliteSaver
from actorgraph.store.checkpoint import Checkpoint, TaskWrites, empty_checkpoint
from tests.store._processes import run_together

pytestmark = pytest.mark.anyio


def config(thread_id: str) -> RunnableConfig:
    return {"configurable": {"thread_id": thread_id, "checkpoint_ns": ""}}


def checkpoint(values: dict[str, Any]) -> Checkpoint:
    return msgspec.structs.replace(
        empty_checkpoint(), channel_values=values, channel_versions=dict.fromkeys(values, 1)
    )


async def test_not_a_database_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("not a database, just text\n" * 100)
    saver = SqliteSaver(path)
    with pytest.raises(DatabaseError, match="not an SQLite database") as caught:
        await saver.aget_tuple(config("t"))
    assert caught.value.path == str(path)
    await saver.aclose()


async def test_truncated_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "cut.db"
    async with SqliteSaver(path) as saver:
        parent = config("t")
        for step in range(40):
            # Incompressible values, so the file is large whatever the saver compresses.
            blob = base64.b64encode(random.Random(step).randbytes(3000)).decode()
            parent = await saver.aput(
                parent,
                checkpoint({"blob": blob, "step": step}),
                {"step": step},
                {"blob": step, "step": step},
            )
        # Fold the write-ahead log into the file, so cutting the file loses data
        # whether or not the last connection checkpointed the log on close.
        await saver.acompact()
    for leftover in (tmp_path / "cut.db-wal", tmp_path / "cut.db-shm"):
        leftover.unlink(missing_ok=True)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])

    async def read_all() -> None:
        async with SqliteSaver(path) as saver:
            async for _ in saver.alist(config("t")):
                pass

    with pytest.raises(DatabaseError, match=r"corrupt or truncated") as caught:
        await read_all()
    assert str(path) in str(caught.value)


@pytest.mark.parametrize(
    ("table", "column", "what"),
    [
        ("checkpoint_blobs", "value", "channel 'a'"),
        ("checkpoints", "checkpoint", "the checkpoint row"),
        ("checkpoints", "metadata", "the metadata"),
        ("checkpoint_writes", "value", "channel 'w'"),
    ],
)
async def test_garbage_in_a_table_names_file_thread_and_checkpoint(
    tmp_path: Path, table: str, column: str, what: str
) -> None:
    path = tmp_path / "garbage.db"
    async with SqliteSaver(path) as saver:
        stored = await saver.aput(config("t"), checkpoint({"a": 1}), {}, {"a": 1})
        await saver.aput_writes(stored, [("w", 2)], "task")
    conn = sqlite3.connect(path)
    conn.execute(f"UPDATE {table} SET {column} = ?", (b"\x00garbage\xff",))  # noqa: S608 - test names
    conn.commit()
    conn.close()
    checkpoint_id = stored["configurable"]["checkpoint_id"]
    async with SqliteSaver(path) as saver:
        with pytest.raises(CheckpointError) as caught:
            await saver.aget_tuple(config("t"))
    message = str(caught.value)
    assert str(path) in message
    assert what in message
    assert "'t'" in message
    assert checkpoint_id in message
    assert caught.value.checkpoint_id == checkpoint_id


async def test_file_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    async with SqliteSaver(path) as saver:
        await saver.aput(config("t"), checkpoint({"a": 1}), {}, {"a": 1})
    conn = sqlite3.connect(path)
    conn.execute("UPDATE actorgraph_schema SET version = 99 WHERE component = 'checkpoints'")
    conn.commit()
    conn.close()
    with pytest.raises(DatabaseError, match="newer actorgraph"):
        async with SqliteSaver(path):
            pass


async def test_two_savers_on_one_file_share_the_writer(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    async with SqliteSaver(path) as first, SqliteSaver(tmp_path / "." / "shared.db") as second:
        await first.aput(config("t"), checkpoint({"a": 1}), {}, {"a": 1})
        seen = await second.aget_tuple(config("t"))
        assert seen is not None
        assert seen.checkpoint.channel_values == {"a": 1}
        assert first._database()._shared is second._database()._shared


def test_plain_code_with_a_context_manager(tmp_path: Path) -> None:
    with SqliteSaver(tmp_path / "plain.db") as saver:
        stored = saver.put(config("t"), checkpoint({"a": 1}), {}, {"a": 1})
        assert saver.get_tuple(stored) is not None
    with pytest.raises(DatabaseError, match="closed"):
        saver.get_tuple(stored)
    with SqliteSaver(tmp_path / "plain.db") as again:
        assert [t.checkpoint.channel_values for t in again.list(config("t"))] == [{"a": 1}]


async def test_cancelled_put_is_all_or_nothing(tmp_path: Path) -> None:
    async with SqliteSaver(tmp_path / "cancel.db") as saver:
        parent = await saver.aput(config("t"), checkpoint({"a": 0}), {}, {"a": 0})
        for attempt in range(20):
            versions = {"a": attempt + 1, "b": attempt + 1}
            cp = msgspec.structs.replace(
                checkpoint({"a": attempt, "b": "z" * 10_000}), channel_versions=versions
            )
            with anyio.move_on_after(0.0002 * attempt):
                await saver.aput(
                    parent,
                    cp,
                    {"step": attempt},
                    versions,
                    writes=[TaskWrites("task", [("a", attempt)])],
                )
        async for item in saver.alist(config("t")):
            if item.metadata.step >= 0 and item.parent_config is not None:
                # Every checkpoint that exists is whole.
                assert item.checkpoint.channel_values["b"] == "z" * 10_000


async def test_write_behind_commits_in_order_and_flushes(tmp_path: Path) -> None:
    async with SqliteSaver(tmp_path / "behind.db") as saver:
        async with saver.write_behind(max_pending=4) as queue:
            parent = config("t")
            for step in range(30):
                parent = await queue.put(
                    parent, checkpoint({"step": step}), {"step": step}, {"step": step + 1}
                )
                await queue.put_writes(parent, [("step", step)], f"task-{step}")
            assert queue.pending <= 4 * 2
        steps = [t.metadata.step async for t in saver.alist(config("t"))]
        assert steps == list(range(29, -1, -1))
        latest = await saver.aget_tuple(config("t"))
        assert latest is not None
        assert latest.pending_writes == [("task-29", "step", 29)]


async def test_write_behind_applies_backpressure(tmp_path: Path) -> None:
    release = threading.Event()
    async with SqliteSaver(tmp_path / "pressure.db") as saver:
        blocker = saver._database().submit_write(lambda conn: release.wait(10))
        async with saver.write_behind(max_pending=2) as queue:
            first = await queue.put(config("t"), checkpoint({"a": 1}), {}, {"a": 1})
            await queue.put_writes(first, [("a", 1)], "task")
            with anyio.move_on_after(0.2) as scope:
                await queue.put(first, checkpoint({"a": 2}), {}, {"a": 2})  # no room: waits
            assert scope.cancelled_caught
            assert queue.pending == 2
            release.set()
        assert blocker.result() is True
        assert len([t async for t in saver.alist(config("t"))]) == 1


async def test_write_behind_flushes_on_cancellation(tmp_path: Path) -> None:
    release = threading.Event()
    async with SqliteSaver(tmp_path / "flush.db") as saver:
        saver._database().submit_write(lambda conn: release.wait(10))
        with anyio.CancelScope() as scope:
            async with saver.write_behind(max_pending=8) as queue:
                await queue.put(config("t"), checkpoint({"a": 1}), {}, {"a": 1})
                scope.cancel()
                threading.Timer(0.1, release.set).start()
                await anyio.sleep(10)  # cancelled here; the exit still flushes
        assert scope.cancelled_caught
        assert await saver.aget_tuple(config("t")) is not None


async def test_write_behind_reports_a_failed_write(tmp_path: Path) -> None:
    async with SqliteSaver(tmp_path / "fail.db") as saver:
        await saver.asetup()
        await saver._database().write(lambda conn: conn.execute("DROP TABLE checkpoint_writes"))

        async def queue_writes() -> None:
            async with saver.write_behind() as queue:
                stored = await queue.put(config("t"), checkpoint({}), {}, {})
                await queue.put_writes(stored, [("x", 1)], "task")
                await queue.flush()

        with pytest.raises(DatabaseError, match="no such table"):
            await queue_writes()
        with pytest.raises(ValueError, match="max_pending"):
            async with saver.write_behind(max_pending=0):
                pass


async def test_write_behind_rejects_bad_values_at_once() -> None:
    saver = SqliteSaver()
    async with saver.write_behind() as queue:
        with pytest.raises(SerializationError, match="bad"):
            await queue.put(config("t"), checkpoint({"bad": object()}), {}, {"bad": 1})
        assert queue.pending == 0
    await saver.aclose()


async def test_write_behind_on_the_memory_saver() -> None:
    saver = InMemorySaver()
    async with saver.write_behind(max_pending=1) as queue:
        stored = await queue.put(config("t"), checkpoint({"a": 1}), {}, {"a": 1})
        with pytest.raises(CheckpointError):
            await queue.put_writes(config("t"), [("a", 1)], "task")
        await queue.put_writes(stored, [("a", 2)], "task")
    got = await saver.aget_tuple(stored)
    assert got is not None
    assert got.pending_writes == [("task", "a", 2)]


_WORKER = textwrap.dedent(
    """
    import sys, time
    import anyio
    import msgspec
    from actorgraph.store import CheckpointMetadata, SqliteSaver
    from actorgraph.store.checkpoint import TaskWrites, empty_checkpoint

    async def main(path, worker, steps, start_at):
        await anyio.sleep(max(0.0, start_at - time.time()))
        async with SqliteSaver(path) as saver:
            parent = {"configurable": {"thread_id": f"w{worker}", "checkpoint_ns": ""}}
            version = None
            for step in range(steps):
                version = saver.get_next_version(version, "log")
                cp = msgspec.structs.replace(
                    empty_checkpoint(),
                    channel_values={"log": step, "owner": worker},
                    channel_versions={"log": version, "owner": 1},
                )
                new = {"log": version, "owner": 1} if step == 0 else {"log": version}
                writes = [TaskWrites(f"task{step}", [("log", step)])] if step else []
                parent = await saver.aput(
                    parent, cp, CheckpointMetadata(source="loop", step=step), new, writes=writes
                )

    anyio.run(main, sys.argv[4], int(sys.argv[1]), int(sys.argv[5]), float(sys.argv[2]),
              backend=sys.argv[3])
    """
)


def test_four_processes_on_one_new_file(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    steps = 500
    run_together(_WORKER, str(path), str(steps))

    with SqliteSaver(path) as saver:
        for w in range(4):
            history = list(saver.list(config(f"w{w}")))
            assert [t.metadata.step for t in history] == list(range(steps - 1, -1, -1))
            assert history[0].checkpoint.channel_values == {"log": steps - 1, "owner": w}
            # Each checkpoint's parent is the one before it, and every step's
            # task writes are stored with that parent.
            for newer, older in itertools.pairwise(history):
                assert newer.parent_config == older.config
                assert older.pending_writes == [
                    (f"task{newer.metadata.step}", "log", newer.metadata.step)
                ]
            assert all(t.checkpoint.channel_values["log"] == t.metadata.step for t in history[::50])


async def test_compact_gives_space_back(tmp_path: Path) -> None:
    path = tmp_path / "compact.db"
    async with SqliteSaver(path) as saver:
        parent = config("t")
        for step in range(60):
            cp = msgspec.structs.replace(
                checkpoint({"blob": str(step) * 20_000}), channel_versions={"blob": step + 1}
            )
            parent = await saver.aput(parent, cp, {"step": step}, {"blob": step + 1})
        await saver.aprune(["t"], keep="latest")
        before = _file_size(path)
        await saver.acompact()
        after = _file_size(path)
        assert after < before / 4
        latest = await saver.aget_tuple(config("t"))
        assert latest is not None
        assert latest.checkpoint.channel_values == {"blob": "59" * 20_000}

    def plain_code() -> None:
        with SqliteSaver(path) as again:
            again.compact()
            assert again.get_tuple(config("t")) is not None

    await anyio.to_thread.run_sync(plain_code)


def _file_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


async def test_blocking_setup_names_the_async_way(tmp_path: Path) -> None:
    saver = SqliteSaver(tmp_path / "enter.db")
    with pytest.raises(EventLoopThreadError, match="async with saver"):
        saver.__enter__()
    await saver.aclose()


def test_released_migrations_never_change() -> None:
    """A file written by this version must open in every later one: released
    migration steps are frozen; change the tables by appending a step."""
    import hashlib

    from actorgraph.store.checkpoint._sqlite_rows import CHECKPOINT_SCHEMA

    released = ["26286ad553c2588e", "dce708ed4aea940c", "1574a30b8acc9114", "69e77be731a64806"]
    steps = [
        hashlib.sha256(step.encode()).hexdigest()[:16]
        for step in CHECKPOINT_SCHEMA.migrations
        if isinstance(step, str)
    ]
    assert steps[: len(released)] == released


async def test_blocking_close_on_the_loop_keeps_the_saver_usable(tmp_path: Path) -> None:
    saver = SqliteSaver(tmp_path / "close.db")
    await saver.aput(config("t"), checkpoint({"a": 1}), {}, {"a": 1})
    with pytest.raises(EventLoopThreadError, match="aclose"):
        saver.close()
    assert await saver.aget_tuple(config("t")) is not None
    await saver.aclose()
