"""Neighbouring puts in one batch of the SQLite writer run as a few multi-row
statements (``_sqlite_threads.mergeable``): they must store exactly what the
same puts store one by one, fail alone, and drop what was cancelled."""

from __future__ import annotations

import os
import sqlite3
import tempfile
import threading
from collections.abc import Callable
from functools import partial
from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings

from actorgraph.errors import DatabaseError
from actorgraph.store import _sqlite
from actorgraph.store.checkpoint import SqliteSaver
from actorgraph.store.checkpoint import _sqlite_rows as rows
from actorgraph.store.checkpoint._types import (
    ChannelVersion,
    Checkpoint,
    CheckpointMetadata,
    TaskWrites,
)
from tests.strategies import merged_puts


@_sqlite.replayable
def _held(conn: sqlite3.Connection, gate: threading.Event) -> None:
    # Holds the writer (replayable: it only waits) so the jobs queued meanwhile form one batch.
    gate.wait(10)


def _tables(conn: sqlite3.Connection) -> dict[str, list[tuple[Any, ...]]]:
    return {
        table: sorted(conn.execute(f"SELECT * FROM {table}").fetchall(), key=repr)  # noqa: S608 - fixed names
        for table in ("checkpoints", "checkpoint_blobs", "checkpoint_writes")
    }


def _in_one_batch(saver: SqliteSaver, submit: Callable[[], list[Any]]) -> list[Any]:
    """Run ``submit`` (which queues jobs) while the writer is held, then wait."""
    db = saver._database()
    gate = threading.Event()
    held = db.submit_write(_held, gate)
    futures = submit()
    gate.set()
    held.result(timeout=10)
    return [future.exception(timeout=10) or future.result() for future in futures]


def _ops(
    saver: SqliteSaver, puts: list[tuple[str, dict[str, tuple[int, Any]], list[Any]]]
) -> list[Any]:
    parents: dict[str, str] = {}
    ops = []
    for number, (thread, channels, writes) in enumerate(puts):
        checkpoint_id = f"{number:04d}"
        versions: dict[str, ChannelVersion] = {
            channel: f"{version:020d}.0" for channel, (version, _) in channels.items()
        }
        checkpoint = Checkpoint(
            id=checkpoint_id,
            ts="2026-11-22T00:00:00+00:00",
            channel_values={channel: value for channel, (_, value) in channels.items()},
            channel_versions=versions,
            versions_seen={},
            updated_channels=sorted(channels),
        )
        parent = parents.get(thread)
        configurable = {"thread_id": thread, "checkpoint_ns": ""}
        if parent is not None:
            configurable["checkpoint_id"] = parent
        task_writes = [TaskWrites(f"task-{number}", writes, "")] if parent and writes else []
        metadata = CheckpointMetadata(source="loop", step=number, parents={}, run_id=None, extra={})
        ops.append(
            saver._put_op(
                {"configurable": configurable}, checkpoint, metadata, versions, task_writes
            )
        )
        parents[thread] = checkpoint_id
    return ops


@settings(max_examples=25)
@given(merged_puts())
def test_a_merged_batch_stores_what_puts_one_by_one_store(
    puts: list[tuple[str, dict[str, tuple[int, Any]], list[Any]]],
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        stored = []
        for batched in (False, True):
            with SqliteSaver(os.path.join(folder, f"{batched}.db"), delta_cache_size=0) as saver:
                ops = _ops(saver, puts)
                db = saver._database()
                if batched:
                    results = _in_one_batch(saver, partial(list, map(saver._submit_op, ops)))
                else:
                    results = [db.write_blocking(op.fn, *op.args) for op in ops]
                stored.append((results, db.read_blocking(_tables)))
        assert stored[1] == stored[0]


def test_a_failing_job_of_a_merged_batch_fails_alone(tmp_path: Any) -> None:
    def writes(task: str, value: object) -> list[Any]:
        return [("t1", "", "0001", task, 0, "a", value, "")]

    with SqliteSaver(tmp_path / "c.db") as saver:
        db = saver._database()
        jobs = [
            writes("good-1", b"\x01"),
            writes("bad", {"not": "bytes"}),
            writes("good-2", b"\x02"),
        ]
        outcomes = _in_one_batch(
            saver, lambda: [db.submit_write(rows.put_writes, job) for job in jobs]
        )
        assert outcomes[0] is None
        assert outcomes[2] is None
        assert isinstance(outcomes[1], DatabaseError)
        tasks = db.read_blocking(
            lambda conn: conn.execute("SELECT task_id FROM checkpoint_writes").fetchall()
        )
        assert sorted(task for (task,) in tasks) == ["good-1", "good-2"]


def test_a_put_cancelled_in_the_queue_is_dropped_from_its_merged_batch(tmp_path: Any) -> None:
    with SqliteSaver(tmp_path / "c.db", delta_cache_size=0) as saver:
        ops = _ops(
            saver, [("t1", {"a": (1, 1)}, []), ("t2", {"a": (1, 2)}, []), ("t3", {"a": (1, 3)}, [])]
        )

        def submit() -> list[Any]:
            futures = [saver._submit_op(op) for op in ops]
            assert futures[1].cancel()
            return [futures[0], futures[2]]

        with mock.patch.object(rows, "put_checkpoints", wraps=rows.put_checkpoints) as spy:
            outcomes = _in_one_batch(saver, submit)
        assert [len(call.args[1]) for call in spy.call_args_list] == [2]  # one merged statement set
        assert [config["configurable"]["thread_id"] for config in outcomes] == ["t1", "t3"]
        threads = saver._database().read_blocking(
            lambda conn: conn.execute("SELECT thread_id FROM checkpoints").fetchall()
        )
        assert sorted(thread for (thread,) in threads) == ["t1", "t3"]


def test_deltas_on_a_list_in_a_merged_batch_read_back_whole(tmp_path: Any) -> None:
    with SqliteSaver(tmp_path / "c.db") as saver:
        base = [1, 2, 3, 4]
        puts: list[tuple[str, dict[str, tuple[int, Any]], list[Any]]] = [
            ("t1", {"m": (1, base)}, []),
            ("t1", {"m": (2, [*base, 5])}, []),
            ("t1", {"m": (3, [*base, 5, 6])}, []),
        ]
        first = _ops(saver, puts[:1])[0]
        saver._database().write_blocking(first.fn, *first.args)
        ops = _ops(saver, puts)[1:]
        assert any(blob.base is not None for op in ops for blob in op.args[1])
        _in_one_batch(saver, lambda: [saver._submit_op(op) for op in ops])
        for number, expected in ((1, [*base, 5]), (2, [*base, 5, 6])):
            config = {
                "configurable": {
                    "thread_id": "t1",
                    "checkpoint_ns": "",
                    "checkpoint_id": f"{number:04d}",
                }
            }
            found = saver.get_tuple(config)  # type: ignore[arg-type]
            assert found is not None
            assert found.checkpoint.channel_values == {"m": expected}


@pytest.mark.parametrize("count", [0, 1, 5, 64, 85, 150])
def test_rows_go_in_in_order_in_chunks(count: int) -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v INTEGER)")
    data = [(k % 70, k) for k in range(count)]
    inserted = rows._insert_rows(conn, "INSERT OR REPLACE INTO t VALUES ", "", 2, data)
    assert inserted == count
    assert dict(conn.execute("SELECT k, v FROM t").fetchall()) == dict(
        data
    )  # the last of a key wins
