"""SQLite for the store layer: one writer per database file, under asyncio, trio
and plain threads alike.

Every durable part of actorgraph (checkpoint savers, the long-term store, the
node cache) reaches SQLite through this module and nothing else::

    async with open_database(path, schema=MY_SCHEMA) as db:
        await db.write(insert_rows, rows)       # runs insert_rows(conn, rows)
        found = await db.read(select_rows, key)  # runs select_rows(conn, key)

Why it is built this way (figures from ``benchmarks/sqlite_bridge.py`` on the
shared 2-core development machine, µs per committed write / point read):
this layer 104 / 100 on asyncio and 138 / 126 on trio, 63 per write when many
tasks write at once (batched commits); ``anyio.to_thread`` per call 141 / 139
and 166 / 152, 172-203 under the same burst; aiosqlite 269 / 166 on asyncio
(three round trips for BEGIN, INSERT, COMMIT) and nothing on trio, where it
fails at once. aiosqlite is therefore not a dependency: one code path serves
both backends.

- Each database file gets its own threads: one **writer** thread that owns the
  only writing connection of the process, and reader threads with read-only connections
  (WAL lets them read while the writer writes). A call posts a job to a queue
  and the thread posts the result back to the caller's event loop without
  blocking (``_adapter_loop``); the results of a batch reach a loop with one
  wake-up, and a job's future is a light one of this layer (no lock and
  condition per job). A job is a plain function run on the thread's
  connection, so a caller does a whole unit of work (a superstep's checkpoint,
  its task writes and its channel blobs) in one hop and one transaction.
- The writer drains its queue in batches: the jobs waiting together share one
  ``BEGIN IMMEDIATE`` ... ``COMMIT`` (one fsync), each inside its own
  ``SAVEPOINT`` so one failing job rolls back alone. A result is delivered
  only after its commit.
- The write-ahead log is folded into the file by a **checkpointer** thread of
  the file (a ``PASSIVE`` checkpoint on its own connection every few dozen to
  hundreds of commits), not by SQLite's automatic checkpoint, which would run
  inside a commit and make it and every write queued behind it wait for the
  copy and two fsyncs (tens of ms on a busy disk). The writer keeps SQLite's
  automatic checkpoint only as a distant backstop (8,000 pages).
- Jobs marked :func:`replayable` (they only write rows, so a second run after
  a rollback repeats them exactly) share a batch's transaction without a
  savepoint each; if one fails, the batch is rolled back and run again with
  savepoints, so it still fails alone. Neighbouring jobs marked
  :func:`mergeable` (checkpoint puts, task writes) run as one call that
  inserts all their rows with a few multi-row statements: each statement
  hands the GIL to a busy event loop and waits to get it back.
- One writer per file per process: openers of the same file (two savers, a
  saver and a store) share it through a registry keyed by the resolved path.
  Across processes SQLite's own locks serialize writers: WAL, a busy timeout,
  ``BEGIN IMMEDIATE`` (no read-to-write upgrade deadlocks) and a retry loop
  around the few steps that can report "busy" without waiting (switching to
  WAL on a new file), so several processes can open one new file at the same
  moment without "database is locked".
- Schemas are named components with forward migrations, recorded in the
  ``actorgraph_schema`` table; a file written by a newer version is refused.
- Cancellation: a queued job is dropped; a running read is interrupted
  (``sqlite3_interrupt``); a running write is never cut midway — the caller
  waits for its commit, shielded, up to ``commit_timeout``.
- Nothing queued is lost: closing the last handle of a file flushes its
  queue first, and at interpreter exit every file's queue is flushed (bounded)
  even for handles never closed. ``maintain`` runs a job alone, outside any
  transaction (``VACUUM``).

The machine is shared (load average 4-5 on 2 cores), so figures move between
runs; another run measured this layer at 58 / 48 µs on asyncio (``to_thread``
163 / 84, aiosqlite 180 / 99). The ranking held in every run.

The module is private: the savers, the store and the cache build on it; users
see only their paths.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeAlias, TypeVar

import anyio

from actorgraph.channels._errors import DatabaseError, EventLoopThreadError
from actorgraph.store._adapter_loop import loop_batch_poster, running_loop_backend
from actorgraph.store._sqlite_threads import (
    MEMORY,
    Job,
    JobFuture,
    SharedFile,
    acquire_file,
    mergeable,
    release_file,
    replayable,
)

__all__ = [
    "MEMORY",
    "Database",
    "JobFuture",
    "Migration",
    "Schema",
    "attach_database",
    "await_future",
    "mergeable",
    "open_database",
    "replayable",
]

T = TypeVar("T")

#: One migration step: a single SQL statement, or a function run on the connection.
Migration: TypeAlias = "str | Callable[[sqlite3.Connection], None]"

_SCHEMA_TABLE = "actorgraph_schema"


@dataclass(frozen=True)
class Schema:
    """The tables of one component (``"checkpoints"``, ``"store"``, ``"cache"``).

    ``migrations`` are applied in order, each once per database file; the
    version of the schema is their count. Only ever append to the list: a
    released step must not change. Opening a file whose recorded version of
    ``name`` is higher than ``len(migrations)`` raises :class:`DatabaseError`.
    """

    name: str
    migrations: tuple[Migration, ...]

    @property
    def version(self) -> int:
        """The version this code writes: the number of migrations."""
        return len(self.migrations)


# --- completion ---------------------------------------------------------------------


async def await_future(future: JobFuture[T]) -> T:
    """Wait for ``future`` (completed by a database thread) without blocking the
    event loop, then return its result or raise its exception.

    On cancellation the future is left alone; callers decide whether to cancel it.
    """
    if not future.done():
        event = anyio.Event()
        post = loop_batch_poster()
        future.add_done_callback(lambda _: post(event.set))
        await event.wait()
    return future.result()


def _refuse_on_event_loop(method: str) -> None:
    backend = running_loop_backend()
    if backend is not None:
        raise EventLoopThreadError(
            f"{method}() blocks, and this thread runs an event loop ({backend}): "
            f"await the async method (a{method.rpartition('.')[2]}, or the "
            "async face of the same object) instead"
        )


# --- the handle ------------------------------------------------------------------------


def _setup_schemas(conn: sqlite3.Connection, schemas: Sequence[Schema], path: str) -> None:
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS {_SCHEMA_TABLE} "
        "(component TEXT PRIMARY KEY, version INTEGER NOT NULL) WITHOUT ROWID"
    )
    for schema in schemas:
        row = conn.execute(
            f"SELECT version FROM {_SCHEMA_TABLE} WHERE component = ?",  # noqa: S608 - a constant
            (schema.name,),
        ).fetchone()
        current = 0 if row is None else int(row[0])
        if current > schema.version:
            raise DatabaseError(
                f"{path} holds {schema.name!r} tables of version {current}, written by a "
                f"newer actorgraph; this one knows up to version {schema.version}. "
                "Upgrade actorgraph, or use another file.",
                path=path,
            )
        for step in schema.migrations[current:]:
            if isinstance(step, str):
                conn.execute(step)
            else:
                step(conn)
        if current < schema.version:
            conn.execute(
                f"INSERT OR REPLACE INTO {_SCHEMA_TABLE} (component, version) VALUES (?, ?)",  # noqa: S608
                (schema.name, schema.version),
            )


class Database:
    """A handle on one SQLite file (or one in-memory database).

    Obtain it from :func:`open_database` (async, closes itself) or
    :func:`attach_database` (plain, for objects that open lazily; close it with
    :meth:`aclose` or :meth:`close`). Handles on the same file share its
    threads; the file is released when the last handle closes.

    A *job* is a function ``fn(conn, *args)`` run on a database thread with a
    :class:`sqlite3.Connection`. It must not keep the connection, start or end
    transactions, or touch the event loop; whatever it raises reaches the caller
    (``sqlite3`` errors as :class:`DatabaseError` naming the file). The cursors
    it opens are closed when it returns (an unfinished one would pin the
    connection to an old snapshot), so it returns rows, never a cursor.
    """

    def __init__(
        self, shared: SharedFile, schemas: Sequence[Schema], *, commit_timeout: float
    ) -> None:
        self._shared = shared
        self._commit_timeout = commit_timeout
        self._closed = False
        self._setup = self.submit_write(_setup_schemas, tuple(schemas), shared.path)

    @property
    def path(self) -> str:
        """The file as the opener named it (``":memory:"`` for memory)."""
        return self._shared.path

    @property
    def closed(self) -> bool:
        """Whether :meth:`aclose` or :meth:`close` was called on this handle."""
        return self._closed

    # -- writes

    def submit_write(self, fn: Callable[..., T], *args: Any) -> JobFuture[T]:
        """Queue ``fn(conn, *args)`` as a write and return its future at once.

        Writes run in submission order, each in a transaction (shared with the
        writes queued beside it, under a savepoint of its own); the future
        completes after the commit. This is the building block of write-behind
        queues; :meth:`write` is the usual way.
        """
        return self._submit(fn, args, write=True)

    async def write(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(conn, *args)`` in a write transaction; return its result once
        committed.

        Raises what ``fn`` raises (then nothing it did is kept) and
        :class:`DatabaseError` for the file. On cancellation a write that has not
        started is dropped; one that has started is waited for (shielded, at
        most ``commit_timeout`` seconds) so a commit is never cut midway, and
        the cancellation is raised after.
        """
        await self._ensure_ready()
        return await self._until_written(self.submit_write(fn, *args))

    async def maintain(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(conn, *args)`` on the writer alone and outside a transaction,
        for statements that refuse one (``VACUUM``, ``PRAGMA wal_checkpoint``).
        Cancellation as for :meth:`write`."""
        await self._ensure_ready()
        return await self._until_written(self._submit(fn, args, write=True, bare=True))

    async def _until_written(self, future: JobFuture[T]) -> T:
        try:
            return await await_future(future)
        except anyio.get_cancelled_exc_class():
            if not future.cancel():
                with anyio.CancelScope(shield=True) as scope:
                    scope.deadline = anyio.current_time() + self._commit_timeout
                    await _settled(future)
            raise

    def _submit(
        self, fn: Callable[..., T], args: tuple[Any, ...], *, write: bool, bare: bool = False
    ) -> JobFuture[T]:
        self._check_open()
        job = Job(fn, args, write=write, bare=bare)
        self._shared.submit(job)
        return job.future

    def write_blocking(self, fn: Callable[..., T], *args: Any) -> T:
        """:meth:`write` for plain code: blocks this thread until the commit.

        Raises :class:`EventLoopThreadError` on a thread that runs an event loop.
        """
        _refuse_on_event_loop("Database.write_blocking")
        self._setup.result()
        return self.submit_write(fn, *args).result()

    def maintain_blocking(self, fn: Callable[..., T], *args: Any) -> T:
        """:meth:`maintain` for plain code."""
        _refuse_on_event_loop("Database.maintain_blocking")
        self._setup.result()
        return self._submit(fn, args, write=True, bare=True).result()

    # -- reads

    async def read(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(conn, *args)`` on a read connection, in one snapshot.

        Reads run beside the writer (WAL) and see every write whose ``write``
        has returned. On cancellation a queued read is dropped and a running one
        is interrupted.
        """
        await self._ensure_ready()
        self._check_open()
        job = Job(fn, args, write=False)
        self._shared.submit(job)
        try:
            return await await_future(job.future)
        except anyio.get_cancelled_exc_class():
            if not job.future.cancel():
                self._shared.interrupt(job)
            raise

    def read_blocking(self, fn: Callable[..., T], *args: Any) -> T:
        """:meth:`read` for plain code; raises :class:`EventLoopThreadError` on
        a thread that runs an event loop."""
        _refuse_on_event_loop("Database.read_blocking")
        self._setup.result()
        return self._submit(fn, args, write=False).result()

    # -- lifecycle

    async def ready(self) -> None:
        """Wait until the file is open and the schemas are in place.

        Raises :class:`DatabaseError` if the file is not a usable SQLite
        database or holds a newer schema.
        """
        await await_future(self._setup)

    def ready_blocking(self) -> None:
        """:meth:`ready` for plain code."""
        _refuse_on_event_loop("Database.ready_blocking")
        self._setup.result()

    async def aclose(self) -> None:
        """Release this handle; the last handle on a file stops its threads after
        they finish the queued jobs. Shielded from cancellation (bounded by
        ``commit_timeout``): queued writes are flushed, never dropped."""
        stopped = self._release()
        if stopped is not None:
            with anyio.CancelScope(shield=True) as scope:
                scope.deadline = anyio.current_time() + self._commit_timeout
                await await_future(stopped)

    def close(self) -> None:
        """:meth:`aclose` for plain code."""
        _refuse_on_event_loop("Database.close")
        stopped = self._release()
        if stopped is not None:
            stopped.result(timeout=self._commit_timeout)

    async def _ensure_ready(self) -> None:
        if not self._setup.done():
            await await_future(self._setup)
        elif self._setup.exception() is not None:
            self._setup.result()

    def _check_open(self) -> None:
        if self._closed:
            raise DatabaseError(
                f"the database handle on {self.path} is closed; open it again", path=self.path
            )

    def _release(self) -> JobFuture[None] | None:
        if self._closed:
            return None
        self._closed = True
        return release_file(self._shared)


async def _settled(future: JobFuture[Any]) -> None:
    """Wait for ``future`` to finish, whatever its outcome."""
    # The outcome belongs to the cancelled caller, who raises its cancellation.
    with contextlib.suppress(BaseException):
        await await_future(future)


def attach_database(
    path: str | os.PathLike[str],
    *,
    schema: Schema | Sequence[Schema] = (),
    busy_timeout: float = 30.0,
    readers: int = 2,
    commit_timeout: float = 60.0,
    synchronous: str = "NORMAL",
) -> Database:
    """Return a handle on ``path`` at once, starting its threads if this process
    has none for it, and queue the schema setup.

    Errors of opening (not a database, newer schema) surface on the first
    ``ready``/``read``/``write``. ``busy_timeout``, ``readers`` and
    ``synchronous`` are taken from the first opener of a file in the process.
    ``":memory:"`` gives a private in-memory database per call.
    """
    schemas = (schema,) if isinstance(schema, Schema) else tuple(schema)
    if synchronous.upper() not in {"OFF", "NORMAL", "FULL", "EXTRA"}:
        raise ValueError(f"synchronous must be OFF, NORMAL, FULL or EXTRA, not {synchronous!r}")
    shared = acquire_file(
        path, busy_timeout=busy_timeout, readers=max(1, readers), synchronous=synchronous.upper()
    )
    return Database(shared, schemas, commit_timeout=commit_timeout)


@asynccontextmanager
async def open_database(
    path: str | os.PathLike[str],
    *,
    schema: Schema | Sequence[Schema] = (),
    busy_timeout: float = 30.0,
    readers: int = 2,
    commit_timeout: float = 60.0,
    synchronous: str = "NORMAL",
) -> AsyncIterator[Database]:
    """Open ``path`` with ``schema`` applied, yield the :class:`Database`, close it
    on exit (flushing queued writes, shielded).

    Raises :class:`DatabaseError` naming the file if it is not an SQLite
    database, is truncated or corrupt, or holds a newer schema. See
    :func:`attach_database` for the arguments.
    """
    db = attach_database(
        path,
        schema=schema,
        busy_timeout=busy_timeout,
        readers=readers,
        commit_timeout=commit_timeout,
        synchronous=synchronous,
    )
    try:
        await db.ready()
        yield db
    finally:
        await db.aclose()
