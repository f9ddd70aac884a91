"""The threads behind :mod:`actorgraph.store._sqlite`: per database file one
writer thread (the process's only writing connection to it, batching queued
jobs into one transaction) and reader threads, found through a process-wide
registry keyed by the resolved path. See ``_sqlite`` for the why.
"""

from __future__ import annotations

import atexit
import concurrent.futures as cf
import contextlib
import itertools
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Any, Final, Generic, TypeVar

from actorgraph.channels._errors import DatabaseError
from actorgraph.store._adapter_loop import held_wakes

__all__ = [
    "MEMORY",
    "Job",
    "JobFuture",
    "SharedFile",
    "acquire_file",
    "database_error",
    "mergeable",
    "release_file",
    "replayable",
    "retry_busy",
]

T = TypeVar("T")

MEMORY: Final = ":memory:"

_MAX_BATCH = 64
#: The writer's own WAL checkpoint, only if the background one falls this far
#: behind (pages): it bounds the log should that thread be starved.
_WAL_BACKSTOP_PAGES = 8000
#: Log size (pages) the background checkpoints aim at, as SQLite's default.
_WAL_TARGET_PAGES = 1000
_SQLITE_BUSY = 5
_SQLITE_LOCKED = 6


# --- jobs ------------------------------------------------------------------------------

_PENDING: Final = 0
_RUNNING: Final = 1
_CANCELLED: Final = 2  # cancelled, the worker not told yet
_DROPPED: Final = 3  # cancelled, and the worker knows
_FINISHED: Final = 4

# One lock for every future: each holds it for a few bytecodes, and a lock
# (with a condition) per job cost more than the rest of submitting it.
_futures_lock = threading.Lock()


class JobFuture(Generic[T]):
    """The outcome of a job: the part of :class:`concurrent.futures.Future`
    the SQLite layer uses, without its per-future condition and locks.

    Completed by a database thread; callbacks run in the completing thread
    (or at once if already done); :meth:`result` blocks a plain thread (a
    wait object is made only then). Cancelling succeeds only before a worker
    claims the job (``set_running_or_notify_cancel``), as for
    ``concurrent.futures``; ``result`` then raises its ``CancelledError``.
    """

    __slots__ = ("_callbacks", "_error", "_result", "_state", "_waiter")

    def __init__(self) -> None:
        self._state = _PENDING
        self._result: T | None = None
        self._error: BaseException | None = None
        self._callbacks: list[Callable[[JobFuture[T]], object]] | None = None
        self._waiter: threading.Event | None = None

    def done(self) -> bool:
        return self._state >= _CANCELLED

    def cancelled(self) -> bool:
        return _CANCELLED <= self._state <= _DROPPED

    def running(self) -> bool:
        return self._state == _RUNNING

    def cancel(self) -> bool:
        """Cancel the job unless a worker has claimed it; whether it is cancelled."""
        with _futures_lock:
            state = self._state
            if state in (_RUNNING, _FINISHED):
                return False
            if state != _PENDING:
                return True
            self._state = _CANCELLED
            callbacks, self._callbacks = self._callbacks, None
            waiter = self._waiter
        self._completed(callbacks, waiter)
        return True

    def set_running_or_notify_cancel(self) -> bool:
        """Claim the job for a worker: False if it was cancelled (drop it)."""
        with _futures_lock:
            state = self._state
            if state == _PENDING:
                self._state = _RUNNING
                return True
            if state == _CANCELLED:
                self._state = _DROPPED
                return False
        raise RuntimeError(f"a job future in state {state} cannot start")

    def set_result(self, result: T) -> None:
        self._finish(result, None)

    def set_exception(self, error: BaseException) -> None:
        self._finish(None, error)

    def _finish(self, result: T | None, error: BaseException | None) -> None:
        with _futures_lock:
            if self._state >= _CANCELLED:
                raise cf.InvalidStateError(f"the job future is already done: {self._state}")
            self._result = result
            self._error = error
            self._state = _FINISHED
            callbacks, self._callbacks = self._callbacks, None
            waiter = self._waiter
        self._completed(callbacks, waiter)

    def _completed(
        self,
        callbacks: list[Callable[[JobFuture[T]], object]] | None,
        waiter: threading.Event | None,
    ) -> None:
        # Taken with the final state under the lock: add_done_callback and
        # _wait now see a done future and neither register nor wait.
        if waiter is not None:
            waiter.set()
        if callbacks is not None:
            for callback in callbacks:
                callback(self)

    def add_done_callback(self, callback: Callable[[JobFuture[T]], object]) -> None:
        """Call ``callback(self)`` when done: in the completing thread, or now."""
        with _futures_lock:
            if self._state < _CANCELLED:
                if self._callbacks is None:
                    self._callbacks = [callback]
                else:
                    self._callbacks.append(callback)
                return
        callback(self)

    def _wait(self, timeout: float | None) -> None:
        with _futures_lock:
            if self._state >= _CANCELLED:
                return
            waiter = self._waiter
            if waiter is None:
                waiter = self._waiter = threading.Event()
        if not waiter.wait(timeout):
            raise cf.TimeoutError()

    def result(self, timeout: float | None = None) -> T:
        """The job's result (blocking up to ``timeout`` seconds); raises its
        exception, ``CancelledError`` or ``TimeoutError``."""
        self._wait(timeout)
        if self._state != _FINISHED:
            raise cf.CancelledError()
        if self._error is not None:
            raise self._error
        return self._result  # type: ignore[return-value]

    def exception(self, timeout: float | None = None) -> BaseException | None:
        """The job's exception or None (blocking like :meth:`result`)."""
        self._wait(timeout)
        if self._state != _FINISHED:
            raise cf.CancelledError()
        return self._error


class Job(Generic[T]):
    """``fn(conn, *args)`` to run on a database thread, and its future.

    A read runs in a read snapshot on a reader; a write in a transaction on the
    writer, batched with its neighbours; a *bare* write alone on the writer,
    outside any transaction (for ``VACUUM`` and WAL checkpoints).
    """

    __slots__ = (
        "args",
        "bare",
        "fn",
        "future",
        "merged",
        "replayable",
        "running_on",
        "write",
    )

    def __init__(
        self, fn: Callable[..., T], args: tuple[Any, ...], *, write: bool, bare: bool = False
    ) -> None:
        self.fn = fn
        self.args = args
        self.write = write
        self.bare = bare
        self.replayable = fn in _REPLAYABLE
        self.merged = _MERGED.get(fn)
        self.future: JobFuture[T] = JobFuture()
        self.running_on: _Worker | None = None


_STOP: Final = None  # the sentinel that ends a worker thread
_OUTLIVE_SECONDS: Final = 10.0  # how long the writer waits for the others to close

_REPLAYABLE: set[Callable[..., Any]] = set()
#: job function -> the function that runs many such jobs at once
_MERGED: dict[Callable[..., Any], Callable[[Any, list[tuple[Any, ...]]], list[Any]]] = {}
F = TypeVar("F", bound=Callable[..., Any])


def replayable(fn: F) -> F:
    """Mark a write job that may run again after its transaction was rolled
    back: it only writes to the database (and remembers what it wrote in ways
    that a second run repeats harmlessly).

    Batches of such jobs share a transaction without a savepoint each (two
    statements less per job); if one of them fails, the batch is rolled back
    and run again with savepoints, so the failing job still fails alone.
    """
    _REPLAYABLE.add(fn)
    return fn


def mergeable(
    merged: Callable[[Any, list[tuple[Any, ...]]], list[Any]],
) -> Callable[[F], F]:
    """Mark a :func:`replayable` write job whose neighbours of the same kind
    in a batch may run together: ``merged(conn, [args, ...])`` does what the
    jobs would do one after the other and returns their results in order.

    It exists for fewer statements per batch: each statement hands the GIL
    back and forth between the writer and a busy event loop, which can keep
    the writer waiting for it each time. If the merged run fails, the batch
    runs again job by job (each in a savepoint), so a failing job fails alone.
    """

    def mark(fn: F) -> F:
        _MERGED[fn] = merged
        return replayable(fn)

    return mark


# --- connections -----------------------------------------------------------------------


class _JobConnection(sqlite3.Connection):
    """A connection that remembers the cursors opened on it, so the worker can
    close them when the job that opened them returns.

    A statement left unfinished keeps its connection on the snapshot it started
    in, even after the worker's ``ROLLBACK`` or ``COMMIT``: a job that read
    lazily and kept its cursor (in a closure, a returned generator, or an
    exception's traceback) would make every later job on that reader miss newer
    commits. Closing what the job opened ends the snapshot with the job.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.opened: list[sqlite3.Cursor] = []

    def cursor(self, factory: Any = sqlite3.Cursor) -> Any:
        cursor = super().cursor(factory)
        self.opened.append(cursor)
        return cursor

    # The C methods of the base class open their cursors out of sight of ``cursor()``.
    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        cursor: sqlite3.Cursor = self.cursor()
        return cursor.execute(sql, parameters)

    def executemany(self, sql: str, parameters: Any, /) -> sqlite3.Cursor:
        cursor: sqlite3.Cursor = self.cursor()
        return cursor.executemany(sql, parameters)

    def executescript(self, sql_script: str, /) -> sqlite3.Cursor:
        cursor: sqlite3.Cursor = self.cursor()
        return cursor.executescript(sql_script)

    def close_cursors(self) -> None:
        """Close (and so reset) every cursor opened since the last call."""
        opened, self.opened = self.opened, []
        for cursor in opened:
            cursor.close()


# --- errors ----------------------------------------------------------------------------


def _is_busy(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED)
    text = str(exc)  # Python 3.10 has no error codes on exceptions
    return "locked" in text or "busy" in text


def database_error(exc: sqlite3.Error, path: str) -> DatabaseError:
    text = str(exc)
    if "not a database" in text:
        message = (
            f"{path} is not an SQLite database (or is encrypted): {text}. "
            "Point the saver or store at a new file, or at the right one."
        )
    elif "malformed" in text or "corrupt" in text:
        message = (
            f"{path} is corrupt or truncated: {text}. Restore it from a backup, or "
            f"recover what is left with `sqlite3 {path} .recover`."
        )
    elif _is_busy(exc):
        message = (
            f"{path} stayed locked by another connection longer than the busy "
            f"timeout: {text}. Raise busy_timeout, or find the process holding "
            "a long transaction."
        )
    elif "unable to open" in text:
        message = f"cannot open {path}: {text}. Check that its folder exists and is writable."
    else:
        message = f"{path}: {text}"
    error = DatabaseError(message, path=path)
    error.__cause__ = exc
    return error


def retry_busy(op: Callable[[], T], timeout: float) -> T:
    """Run ``op``, retrying while SQLite reports busy without having waited.

    SQLite calls its busy handler in most cases but not all (for example while a
    brand-new file switches to WAL in another process, or during WAL recovery),
    so the few setup steps exposed to that get a retry loop of their own.
    """
    deadline = time.monotonic() + timeout
    delay = 0.001
    while True:
        try:
            return op()
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc) or time.monotonic() >= deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.05)


# --- threads ---------------------------------------------------------------------------


class _Worker(threading.Thread):
    """One thread, one connection, one queue of jobs."""

    def __init__(
        self, shared: SharedFile, jobs: queue.SimpleQueue[Job[Any] | None], *, writer: bool
    ):
        role = "writer" if writer else "reader"
        super().__init__(name=f"actorgraph-sqlite-{role}:{shared.path}", daemon=True)
        self.shared = shared
        self.jobs = jobs
        self.writer = writer
        self.conn: _JobConnection | None = None
        self._current: Job[Any] | None = None
        self._lock = threading.Lock()

    def interrupt(self, job: Job[Any]) -> None:
        """Interrupt ``job``'s statement if it is still the one running here."""
        with self._lock:
            if self._current is job and self.conn is not None:
                self.conn.interrupt()

    def run(self) -> None:
        try:
            self._serve()
        finally:
            if self.writer:
                self._outlive_the_others()
            if self.conn is not None:
                self.conn.close()
            self.shared.worker_exited()

    def _outlive_the_others(self) -> None:
        # SQLite folds the log into the file and deletes it on the last close
        # only; two connections closing at the same moment can each see the
        # other still open, which leaves the log behind. The writer's
        # connection closes after the readers' and the checkpointer's.
        # (Bounded: a thread that never ends must not hold the file open.)
        shared = self.shared
        others: list[threading.Thread] = [w for w in shared.workers if w is not self]
        if shared.checkpointer is not None:
            others.append(shared.checkpointer)
        for thread in others:
            if thread.is_alive() and thread is not threading.current_thread():
                thread.join(timeout=_OUTLIVE_SECONDS)

    def _serve(self) -> None:
        shared = self.shared
        error: DatabaseError | None = None
        try:
            if self.writer:
                self.conn = shared.connect(writer=True)
            else:
                shared.writer_connected.wait()
                error = shared.open_error
                if error is None:
                    self.conn = shared.connect(writer=False)
        except sqlite3.Error as exc:
            error = database_error(exc, shared.path)
        finally:
            if self.writer:
                shared.open_error = error
                shared.writer_connected.set()
        while True:
            job = self.jobs.get()
            if job is _STOP:
                return
            if error is not None:
                if job.future.set_running_or_notify_cancel():
                    job.future.set_exception(error)
                continue
            if not job.write or job.bare:
                self._alone(job)
                continue
            batch = [job]
            stop = False
            while len(batch) < _MAX_BATCH:
                try:
                    more = self.jobs.get_nowait()
                except queue.Empty:
                    break
                if more is _STOP:
                    stop = True
                    break
                if not more.write or more.bare:  # keep order: it ends the batch
                    self._write(batch)
                    batch = []
                    self._alone(more)
                    continue
                batch.append(more)
            self._write(batch)
            if stop:
                return

    def _start(self, job: Job[Any]) -> bool:
        if not job.future.set_running_or_notify_cancel():
            return False
        job.running_on = self
        with self._lock:
            self._current = job
        return True

    def _finish(self) -> None:
        with self._lock:
            self._current = None

    def _alone(self, job: Job[Any]) -> None:
        """A read (in a snapshot, rolled back after) or a bare write."""
        conn = self.conn
        assert conn is not None  # noqa: S101 - set before any job is served
        if not self._start(job):
            return
        try:
            if not job.bare:
                retry_busy(lambda: conn.execute("BEGIN"), self.shared.busy_timeout)
            result = job.fn(conn, *job.args)
        except BaseException as exc:  # noqa: BLE001 - delivered to the caller
            self._finish()
            self._end_job(conn)
            job.future.set_exception(self._translate(exc))
            return
        self._finish()
        self._end_job(conn)  # a read-only snapshot: nothing to keep
        job.future.set_result(result)

    @staticmethod
    def _end_job(conn: _JobConnection) -> None:
        conn.close_cursors()
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        conn.close_cursors()

    def _write(self, batch: list[Job[Any]]) -> None:
        conn = self.conn
        assert conn is not None  # noqa: S101 - set before any job is served
        done: list[tuple[Job[Any], bool, Any]] = []
        try:
            if len(batch) > 1 and all(job.replayable for job in batch):
                done = self._together(conn, batch)
            else:
                for job in batch:
                    # Claimed one by one, so a job cancelled while an earlier one runs is dropped.
                    if not job.future.set_running_or_notify_cancel():
                        continue
                    if not conn.in_transaction:
                        retry_busy(
                            lambda: conn.execute("BEGIN IMMEDIATE"), self.shared.busy_timeout
                        )
                    if len(batch) == 1:
                        try:
                            done.append((job, True, job.fn(conn, *job.args)))
                        finally:
                            conn.close_cursors()
                    else:
                        done.append((job, *self._in_savepoint(conn, job)))
            if conn.in_transaction:
                conn.execute("COMMIT")
                self.shared.committed()
            conn.close_cursors()
        except BaseException as exc:  # noqa: BLE001 - delivered to the callers
            self._end_job(conn)
            error = self._translate(exc)
            # Nothing of the batch was committed: every job not dropped gets the error.
            done = [
                (job, False, error)
                for job in batch
                if job.future.running() or job.future.set_running_or_notify_cancel()
            ]
        if len(done) == 1:
            _deliver(*done[0])
            return
        # The callers' loops wake once for the whole batch, not per job.
        with held_wakes():
            for outcome in done:
                _deliver(*outcome)

    def _together(
        self, conn: _JobConnection, batch: list[Job[Any]]
    ) -> list[tuple[Job[Any], bool, Any]]:
        """Run replayable jobs in one transaction without savepoints; after a
        failure, roll back and run them again, a savepoint each."""
        claimed: list[Job[Any]] = []
        done: list[tuple[Job[Any], bool, Any]] = []
        position = 0
        try:
            while position < len(batch):
                job = batch[position]
                merged = job.merged
                end = position + 1
                if merged is not None:
                    while end < len(batch) and batch[end].fn is job.fn:
                        end += 1
                # Claimed group by group, so a job cancelled while an earlier one runs is dropped.
                group = [
                    each
                    for each in batch[position:end]
                    if each.future.set_running_or_notify_cancel()
                ]
                position = end
                if not group:
                    continue
                claimed += group
                if not conn.in_transaction:
                    retry_busy(lambda: conn.execute("BEGIN IMMEDIATE"), self.shared.busy_timeout)
                try:
                    if merged is not None and len(group) > 1:
                        results = merged(conn, [each.args for each in group])
                        done += zip(group, itertools.repeat(True), results)
                    else:
                        done.append((group[0], True, group[0].fn(conn, *group[0].args)))
                finally:
                    conn.close_cursors()
        except Exception:  # noqa: BLE001 - the jobs run again, one savepoint each
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            retry_busy(lambda: conn.execute("BEGIN IMMEDIATE"), self.shared.busy_timeout)
            done = [(job, *self._in_savepoint(conn, job)) for job in claimed]
            for job in batch[position:]:
                if job.future.set_running_or_notify_cancel():
                    done.append((job, *self._in_savepoint(conn, job)))
        return done

    def _in_savepoint(self, conn: _JobConnection, job: Job[Any]) -> tuple[bool, Any]:
        conn.execute("SAVEPOINT job")
        try:
            result = job.fn(conn, *job.args)
        except Exception as exc:  # noqa: BLE001 - delivered to the caller
            conn.close_cursors()
            conn.execute("ROLLBACK TO job")
            conn.execute("RELEASE job")
            return False, self._translate(exc)
        conn.close_cursors()
        conn.execute("RELEASE job")
        return True, result

    def _translate(self, exc: BaseException) -> BaseException:
        if isinstance(exc, sqlite3.Error):
            return database_error(exc, self.shared.path)
        return exc


def _deliver(job: Job[Any], ok: bool, value: Any) -> None:
    if ok:
        job.future.set_result(value)
    else:
        job.future.set_exception(value)


class _Checkpointer(threading.Thread):
    """Folds the write-ahead log into the database file beside the writer.

    SQLite's automatic checkpoint runs inside the commit that crosses its
    threshold: that commit copies the log into the file and waits for two
    fsyncs (tens of milliseconds on a busy disk) while every queued write
    waits behind it. Here a thread of its own, on a connection of its own,
    runs a ``PASSIVE`` checkpoint (it never blocks readers or the writer)
    every ``interval`` commits, adapting the interval so a checkpoint copies
    about ``_WAL_TARGET_PAGES`` pages. A failed checkpoint is retried at the
    next signal; the writer's own backstop bounds the log meanwhile.
    """

    def __init__(self, shared: SharedFile) -> None:
        super().__init__(name=f"actorgraph-sqlite-checkpointer:{shared.path}", daemon=True)
        self.shared = shared
        self.wake = threading.Event()
        self.stopping = False
        self.interval = 128  # about 1,000 pages at a small put's 4-8 pages per commit
        self.runs = 0  # checkpoints done, for tests

    def run(self) -> None:
        conn: sqlite3.Connection | None = None
        try:
            self.shared.writer_connected.wait()
            if self.shared.open_error is not None:
                return
            while True:
                self.wake.wait()
                self.wake.clear()
                if self.stopping:
                    return
                with contextlib.suppress(sqlite3.Error):
                    if conn is None:
                        conn = sqlite3.connect(
                            self.shared.path, isolation_level=None, check_same_thread=False
                        )
                    self._checkpoint(conn)
        finally:
            if conn is not None:
                conn.close()
            self.shared.worker_exited()

    def _checkpoint(self, conn: sqlite3.Connection) -> None:
        busy, log, _ = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        self.runs += 1
        if busy:
            return
        if log < _WAL_TARGET_PAGES // 2:
            self.interval = min(self.interval * 2, 1024)
        elif log > _WAL_TARGET_PAGES * 2:
            self.interval = max(self.interval // 2, 8)

    def stop(self) -> None:
        self.stopping = True
        self.wake.set()


class SharedFile:
    """The threads and connections of one database file in this process."""

    def __init__(
        self, key: str, path: str, *, busy_timeout: float, readers: int, synchronous: str
    ) -> None:
        self.key = key
        self.path = path
        self.busy_timeout = busy_timeout
        self.synchronous = synchronous
        self.memory = path == MEMORY
        self.refs = 0
        self.writes: queue.SimpleQueue[Job[Any] | None] = queue.SimpleQueue()
        # An in-memory database lives in one connection: its reads queue for the writer.
        self.reads = self.writes if self.memory else queue.SimpleQueue()
        self.writer_connected = threading.Event()
        self.open_error: DatabaseError | None = None
        self.stopped: JobFuture[None] = JobFuture()
        self.stopped.set_running_or_notify_cancel()
        writer = _Worker(self, self.writes, writer=True)
        self.workers = [writer]
        self.checkpointer: _Checkpointer | None = None
        self._commits = 0
        if not self.memory:
            self.workers += [_Worker(self, self.reads, writer=False) for _ in range(readers)]
            self.checkpointer = _Checkpointer(self)
        threads: list[threading.Thread] = [*self.workers]
        if self.checkpointer is not None:
            threads.append(self.checkpointer)
        self._alive = len(threads)
        self._alive_lock = threading.Lock()
        for thread in threads:
            thread.start()

    def committed(self) -> None:
        """Called by the writer after each commit: wake the checkpointer now and then."""
        checkpointer = self.checkpointer
        if checkpointer is None:
            return
        self._commits += 1
        if self._commits >= checkpointer.interval:
            self._commits = 0
            checkpointer.wake.set()

    def connect(self, *, writer: bool) -> _JobConnection:
        conn = sqlite3.connect(
            self.path,
            factory=_JobConnection,
            timeout=self.busy_timeout,
            isolation_level=None,  # transactions are explicit: BEGIN IMMEDIATE for writes
            check_same_thread=False,  # interrupt() comes from the cancelling thread
        )
        try:
            if writer:
                retry_busy(
                    lambda: conn.execute("PRAGMA journal_mode=WAL").fetchone(), self.busy_timeout
                )
                conn.execute(f"PRAGMA synchronous={self.synchronous}")
                if not self.memory:
                    # The log is folded into the file by the checkpointer thread, so
                    # a commit never waits for that copy and its two fsyncs.
                    conn.execute(f"PRAGMA wal_autocheckpoint={_WAL_BACKSTOP_PAGES}")
            else:
                conn.execute("PRAGMA query_only=ON")
            # Touch the schema now, so a file that is not a database fails at open.
            retry_busy(
                lambda: conn.execute("SELECT count(*) FROM sqlite_master").fetchone(),
                self.busy_timeout,
            )
        except BaseException:
            conn.close()
            raise
        conn.close_cursors()
        return conn

    def submit(self, job: Job[Any]) -> None:
        (self.writes if job.write else self.reads).put(job)

    def interrupt(self, job: Job[Any]) -> None:
        worker = job.running_on
        if worker is not None:
            worker.interrupt(job)

    def stop(self) -> None:
        self.writes.put(_STOP)
        if not self.memory:
            for _ in self.workers[1:]:
                self.reads.put(_STOP)
        if self.checkpointer is not None:
            self.checkpointer.stop()

    def worker_exited(self) -> None:
        with self._alive_lock:
            self._alive -= 1
            last = self._alive == 0
        if last:
            self.stopped.set_result(None)


_registry: dict[str, SharedFile] = {}
_registry_lock = threading.Lock()


def _forget_registry_in_child() -> None:
    # A forked child has the parent's registry but none of its threads.
    global _registry_lock
    _registry.clear()
    _registry_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_registry_in_child)


def _finish_at_exit(timeout: float = 10.0) -> None:
    """At interpreter exit, let every file's threads finish their queued jobs
    (writes submitted and not yet committed, handles never closed) instead of
    dying with them; bounded by ``timeout`` seconds in all."""
    with _registry_lock:
        files = list(_registry.values())
        _registry.clear()
    for shared in files:
        shared.stop()
    deadline = time.monotonic() + timeout
    for shared in files:
        with contextlib.suppress(cf.TimeoutError):
            shared.stopped.result(timeout=max(0.0, deadline - time.monotonic()))


atexit.register(_finish_at_exit)


_memory_serial = itertools.count()


def _registry_key(path: str | os.PathLike[str]) -> tuple[str, str]:
    text = os.fspath(path)
    if text == MEMORY or text == "":
        # Every in-memory database is its own. A counter, not an object's id:
        # ids are reused as soon as the object is freed, which made two live
        # in-memory databases share one registry entry (and one database).
        return f"{MEMORY}#{next(_memory_serial)}", MEMORY
    return os.path.realpath(text), text


def acquire_file(
    path: str | os.PathLike[str], *, busy_timeout: float, readers: int, synchronous: str
) -> SharedFile:
    """Return the threads of ``path`` in this process, starting them if needed,
    and count one more user."""
    key, display = _registry_key(path)
    with _registry_lock:
        shared = _registry.get(key)
        if shared is None:
            shared = SharedFile(
                key, display, busy_timeout=busy_timeout, readers=readers, synchronous=synchronous
            )
            _registry[key] = shared
        shared.refs += 1
    return shared


def release_file(shared: SharedFile) -> JobFuture[None] | None:
    """Count one user less; the last one stops the threads (after the queued
    jobs) and gets the future that completes when they have ended."""
    with _registry_lock:
        shared.refs -= 1
        if shared.refs > 0:
            return None
        if _registry.get(shared.key) is shared:
            del _registry[shared.key]
    shared.stop()
    return shared.stopped
