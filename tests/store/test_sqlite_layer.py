"""The SQLite layer under the savers and the store: threads, transactions,
schemas, bad files and cancellation, on asyncio and trio."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest

from actorgraph.errors import DatabaseError, EventLoopThreadError
from actorgraph.store import _sqlite, _sqlite_threads
from actorgraph.store._sqlite import MEMORY, Schema, attach_database, open_database
from tests.store._processes import run_together

pytestmark = pytest.mark.anyio

KV = Schema("kv", ("CREATE TABLE kv (k INTEGER PRIMARY KEY, v TEXT NOT NULL)",))
KV2 = Schema("kv", (*KV.migrations, "ALTER TABLE kv ADD COLUMN note TEXT"))


def put(conn: sqlite3.Connection, k: int, v: str) -> int:
    conn.execute("INSERT OR REPLACE INTO kv (k, v) VALUES (?, ?)", (k, v))
    return k


def get(conn: sqlite3.Connection, k: int) -> str | None:
    row = conn.execute("SELECT v FROM kv WHERE k = ?", (k,)).fetchone()
    return None if row is None else str(row[0])


def count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM kv").fetchone()[0])


def fail_after_put(conn: sqlite3.Connection, k: int) -> None:
    put(conn, k, "half")
    raise LookupError(f"job {k} failed")


@pytest.fixture(params=["memory", "file"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return MEMORY if request.param == "memory" else str(tmp_path / "kv.db")


async def test_write_then_read(location: str) -> None:
    async with open_database(location, schema=KV) as db:
        assert await db.write(put, 1, "one") == 1
        assert await db.read(get, 1) == "one"
        assert await db.read(get, 2) is None
        assert db.path == location


async def test_failing_job_keeps_nothing_and_others_commit(location: str) -> None:
    async with open_database(location, schema=KV) as db:
        with pytest.raises(LookupError, match="job 7 failed"):
            await db.write(fail_after_put, 7)
        assert await db.read(get, 7) is None

        # Queued together, the jobs share one transaction; each has its own savepoint.
        futures = [db.submit_write(put, k, "ok") for k in range(5)]
        bad = db.submit_write(fail_after_put, 99)
        futures += [db.submit_write(put, k, "ok") for k in range(5, 10)]
        for future in futures:
            await _sqlite.await_future(future)
        with pytest.raises(LookupError):
            await _sqlite.await_future(bad)
        assert await db.read(count) == 10
        assert await db.read(get, 99) is None


async def test_sqlite_error_names_the_file(location: str) -> None:
    def bad_sql(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO missing VALUES (1)")

    async with open_database(location, schema=KV) as db:
        with pytest.raises(DatabaseError, match="no such table: missing") as caught:
            await db.write(bad_sql)
        assert caught.value.path == location
        assert location in str(caught.value)


async def test_two_handles_on_one_file_share_the_writer(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    async with open_database(path, schema=KV) as first:
        async with open_database(str(tmp_path / "." / "shared.db"), schema=KV) as second:
            assert first._shared is second._shared
            await first.write(put, 1, "from first")
            assert await second.read(get, 1) == "from first"
        # The second close leaves the file open for the first.
        assert await first.read(get, 1) == "from first"
    assert str(path.resolve()) not in _sqlite_threads._registry


async def test_memory_databases_are_private() -> None:
    async with open_database(MEMORY, schema=KV) as a, open_database(MEMORY, schema=KV) as b:
        await a.write(put, 1, "a")
        assert await b.read(get, 1) is None


async def test_forward_migration_and_newer_file_refused(tmp_path: Path) -> None:
    path = tmp_path / "versions.db"
    async with open_database(path, schema=KV) as db:
        await db.write(put, 1, "v1")
    async with open_database(path, schema=KV2) as db:
        await db.write(lambda conn: conn.execute("UPDATE kv SET note = 'n'"))
        assert await db.read(get, 1) == "v1"
    with pytest.raises(
        DatabaseError, match=r"version 2.*newer actorgraph.*up to version 1"
    ) as caught:
        async with open_database(path, schema=KV):
            pass
    assert caught.value.path == str(path)
    assert str(path) in str(caught.value)


async def test_not_a_database_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"these are my notes, not a database\n" * 200)
    with pytest.raises(DatabaseError, match="not an SQLite database") as caught:
        async with open_database(path, schema=KV):
            pass
    assert str(path) in str(caught.value)
    assert path.read_bytes().startswith(b"these are my notes")  # left untouched


async def test_truncated_database_file(tmp_path: Path) -> None:
    path = tmp_path / "cut.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE big (k INTEGER PRIMARY KEY, v BLOB)")
    conn.executemany("INSERT INTO big VALUES (?, ?)", [(i, b"x" * 500) for i in range(400)])
    conn.commit()
    conn.close()
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])

    def scan(conn: sqlite3.Connection) -> int:
        return len(conn.execute("SELECT v FROM big").fetchall())

    with pytest.raises(DatabaseError, match="corrupt or truncated") as caught:
        async with open_database(path, schema=KV) as db:
            await db.read(scan)
    assert str(path) in str(caught.value)


async def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match="cannot open"):
        async with open_database(tmp_path / "no" / "such" / "dir.db", schema=KV):
            pass


async def test_locked_longer_than_busy_timeout(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    async with open_database(path, schema=KV, busy_timeout=0.05) as db:
        blocker = sqlite3.connect(path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(DatabaseError, match="stayed locked"):
                await db.write(put, 1, "x")
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        assert await db.write(put, 1, "x") == 1


def test_retry_busy_retries_until_it_passes() -> None:
    attempts = []

    def flaky() -> str:
        attempts.append(1)
        if len(attempts) < 3:
            raise sqlite3.OperationalError("database is locked")
        return "done"

    assert _sqlite_threads.retry_busy(flaky, timeout=5) == "done"
    assert len(attempts) == 3


async def test_cancelled_read_is_interrupted(location: str) -> None:
    def endless(conn: sqlite3.Connection) -> int:
        sql = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT max(x) FROM c"
        return int(conn.execute(sql).fetchone()[0])

    async with open_database(location, schema=KV) as db:
        with anyio.move_on_after(0.2) as scope:
            await db.read(endless)
        assert scope.cancelled_caught
        # The thread is free again: the next job runs at once.
        with anyio.fail_after(10):
            await db.write(put, 1, "after")
            assert await db.read(get, 1) == "after"


async def test_cancelled_write_still_commits(location: str) -> None:
    started = threading.Event()

    def slow_put(conn: sqlite3.Connection) -> None:
        started.set()
        time.sleep(0.3)
        put(conn, 5, "slow")

    async with open_database(location, schema=KV) as db:
        with anyio.CancelScope() as scope:
            async with anyio.create_task_group() as tg:
                tg.start_soon(db.write, slow_put)
                await anyio.to_thread.run_sync(started.wait)
                scope.cancel()
        assert scope.cancelled_caught
        assert await db.read(get, 5) == "slow"


async def test_cancelled_queued_write_is_dropped(location: str) -> None:
    release = threading.Event()
    async with open_database(location, schema=KV) as db:
        blocking = db.submit_write(lambda conn: release.wait(10))
        with anyio.move_on_after(0.05):
            await db.write(put, 9, "dropped")
        release.set()
        await _sqlite.await_future(blocking)
        assert await db.read(get, 9) is None


async def test_blocking_faces_refuse_the_event_loop_thread(location: str) -> None:
    async with open_database(location, schema=KV) as db:
        with pytest.raises(EventLoopThreadError, match="await"):
            db.write_blocking(put, 1, "x")
        with pytest.raises(EventLoopThreadError):
            db.read_blocking(get, 1)
        with pytest.raises(EventLoopThreadError):
            db.ready_blocking()
        with pytest.raises(EventLoopThreadError):
            db.close()
        # From a worker thread the blocking faces work.
        await anyio.to_thread.run_sync(db.write_blocking, put, 1, "x")
        assert await anyio.to_thread.run_sync(db.read_blocking, get, 1) == "x"


def test_plain_code_uses_the_blocking_faces(tmp_path: Path) -> None:
    db = attach_database(tmp_path / "plain.db", schema=KV)
    db.ready_blocking()
    db.write_blocking(put, 3, "plain")
    assert db.read_blocking(get, 3) == "plain"
    db.close()
    db.close()  # idempotent
    assert db.closed
    with pytest.raises(DatabaseError, match="closed"):
        db.read_blocking(get, 3)


async def test_closed_handle_refuses_work() -> None:
    async with open_database(MEMORY, schema=KV) as db:
        pass
    with pytest.raises(DatabaseError, match="closed"):
        await db.write(put, 1, "x")


async def test_close_flushes_queued_writes(tmp_path: Path) -> None:
    path = tmp_path / "flush.db"
    db = attach_database(path, schema=KV)
    futures = [db.submit_write(put, k, "queued") for k in range(50)]
    await db.aclose()
    assert all(f.done() and f.exception() is None for f in futures)
    async with open_database(path, schema=KV) as again:
        assert await again.read(count) == 50


def test_bad_synchronous_setting() -> None:
    with pytest.raises(ValueError, match="synchronous"):
        attach_database(MEMORY, synchronous="sometimes")


_STARTER = textwrap.dedent(
    """
    import sqlite3, sys, time
    import anyio
    from actorgraph.store._sqlite import Schema, open_database

    SCHEMA = Schema("kv", (
        "CREATE TABLE kv (k INTEGER PRIMARY KEY, v TEXT NOT NULL)",
        "CREATE INDEX kv_v ON kv (v)",
    ))

    def put(conn, k, v):
        conn.execute("INSERT INTO kv (k, v) VALUES (?, ?)", (k, v))

    async def main(path, worker, start_at):
        await anyio.sleep(max(0.0, start_at - time.time()))
        async with open_database(path, schema=SCHEMA) as db:
            for i in range(100):
                await db.write(put, worker * 1000 + i, f"w{worker}")

    anyio.run(main, sys.argv[4], int(sys.argv[1]), float(sys.argv[2]),
              backend=sys.argv[3])
    """
)


def test_processes_open_a_new_file_at_the_same_moment(tmp_path: Path) -> None:
    for attempt in range(3):
        path = tmp_path / f"race{attempt}.db"
        run_together(_STARTER, str(path))
        conn = sqlite3.connect(path)
        rows = conn.execute("SELECT v, count(*) FROM kv GROUP BY v ORDER BY v").fetchall()
        conn.close()
        assert rows == [(f"w{w}", 100) for w in range(4)]


async def test_maintenance_runs_outside_a_transaction(location: str) -> None:
    def vacuum(conn: sqlite3.Connection) -> bool:
        conn.execute("VACUUM")  # refused inside a transaction
        return conn.in_transaction

    async with open_database(location, schema=KV) as db:
        futures = [db.submit_write(put, k, "v") for k in range(5)]
        assert await db.maintain(vacuum) is False
        for future in futures:
            await _sqlite.await_future(future)
        assert await db.read(count) == 5
        assert await anyio.to_thread.run_sync(db.maintain_blocking, vacuum) is False


def test_queued_writes_finish_at_interpreter_exit(tmp_path: Path) -> None:
    path = tmp_path / "exit.db"
    script = textwrap.dedent(
        """
        import sys, time
        from actorgraph.store._sqlite import Schema, attach_database

        db = attach_database(sys.argv[1], schema=Schema("kv", (
            "CREATE TABLE kv (k INTEGER PRIMARY KEY, v TEXT NOT NULL)",)))

        def slow_put(conn, k):
            time.sleep(0.001)
            conn.execute("INSERT INTO kv VALUES (?, 'x')", (k,))

        for k in range(200):
            db.submit_write(slow_put, k)
        # no close, no wait: the interpreter exits with the writes queued
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr.decode()
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT count(*) FROM kv").fetchone()[0] == 200
    conn.close()


# --- the background WAL checkpoint -----------------------------------------------------


def _until(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    return condition()


def _autocheckpoint_pages(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0])


async def test_commits_leave_the_log_to_the_checkpointer_thread(tmp_path: Path) -> None:
    async with open_database(tmp_path / "log.db", schema=KV) as db:
        # The writer's own checkpoint is only a distant backstop.
        assert await db.write(_autocheckpoint_pages) == _sqlite_threads._WAL_BACKSTOP_PAGES
        checkpointer = db._shared.checkpointer
        assert checkpointer is not None
        assert checkpointer.is_alive()
        checkpointer.interval = 2
        for k in range(6):
            await db.write(put, k, "v" * 5000)
        assert await anyio.to_thread.run_sync(_until, lambda: checkpointer.runs > 0)
        assert await db.read(count) == 6
    # Closing the file ends its checkpointer (which reports before its thread returns).
    await anyio.to_thread.run_sync(checkpointer.join, 10)
    assert not checkpointer.is_alive()


def test_checkpoint_interval_follows_the_log_size() -> None:
    class Answers:
        def __init__(self, row: tuple[int, int, int]) -> None:
            self.row = row

        def execute(self, sql: str) -> Answers:
            assert sql == "PRAGMA wal_checkpoint(PASSIVE)"
            return self

        def fetchone(self) -> tuple[int, int, int]:
            return self.row

    shared = _sqlite_threads.SharedFile.__new__(_sqlite_threads.SharedFile)
    shared.path = "x.db"
    checkpointer = _sqlite_threads._Checkpointer(shared)
    start = checkpointer.interval
    checkpointer._checkpoint(Answers((0, 10, 10)))  # type: ignore[arg-type]
    assert checkpointer.interval == start * 2  # small logs: checkpoint less often
    checkpointer._checkpoint(Answers((1, 10, 0)))  # type: ignore[arg-type]
    assert checkpointer.interval == start * 2  # busy: nothing learnt
    checkpointer._checkpoint(Answers((0, 50_000, 50_000)))  # type: ignore[arg-type]
    assert checkpointer.interval == start  # large logs: more often
    assert checkpointer.runs == 3


async def test_memory_database_has_no_checkpointer() -> None:
    async with open_database(MEMORY, schema=KV) as db:
        assert db._shared.checkpointer is None
        await db.write(put, 1, "one")


# --- replayable jobs: one transaction without savepoints -----------------------------


@_sqlite.replayable
def replayable_put(conn: sqlite3.Connection, k: int, v: str) -> int:
    return put(conn, k, v)


@_sqlite.replayable
def replayable_fail(conn: sqlite3.Connection, k: int) -> None:
    fail_after_put(conn, k)


@_sqlite.replayable
def _held(conn: sqlite3.Connection, gate: threading.Event) -> None:
    # Holds the writer (replayable: it only waits) so the jobs queued
    # meanwhile form one batch.
    gate.wait(10)


async def _batch(db: _sqlite.Database, jobs: list[tuple[Any, ...]]) -> list[Any]:
    gate = threading.Event()
    first = db.submit_write(_held, gate)
    futures = [db.submit_write(fn, *args) for fn, *args in jobs]
    gate.set()
    await _sqlite.await_future(first)
    for future in futures:  # job futures block a plain thread until done
        await anyio.to_thread.run_sync(future.exception)
    return [future.exception() or future.result() for future in futures]


async def test_replayable_jobs_share_a_transaction_without_savepoints(
    location: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []
    original = _sqlite_threads._JobConnection.execute

    def spy(self: Any, sql: str, parameters: Any = ()) -> sqlite3.Cursor:
        seen.append(sql)
        return original(self, sql, parameters)

    async with open_database(location, schema=KV) as db:
        await db.ready()
        monkeypatch.setattr(_sqlite_threads._JobConnection, "execute", spy)
        outcomes = await _batch(db, [(replayable_put, k, "ok") for k in range(5)])
        assert outcomes == list(range(5))
        assert not [sql for sql in seen if "SAVEPOINT" in sql]
        assert await db.read(count) == 5


async def test_a_failing_replayable_job_fails_alone(location: str) -> None:
    async with open_database(location, schema=KV) as db:
        jobs: list[tuple[Any, ...]] = [(replayable_put, k, "ok") for k in range(3)]
        jobs += [(replayable_fail, 99), *((replayable_put, k, "ok") for k in range(3, 6))]
        outcomes = await _batch(db, jobs)
        assert outcomes[:3] == [0, 1, 2]
        assert isinstance(outcomes[3], LookupError)
        assert outcomes[4:] == [3, 4, 5]
        assert await db.read(count) == 6
        assert await db.read(get, 99) is None
