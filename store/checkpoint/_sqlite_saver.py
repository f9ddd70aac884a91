"""``SqliteSaver``: checkpoints in an SQLite file, under asyncio, trio and plain code."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, TypeVar

from typing_extensions import Self

from actorgraph.channels._errors import SerializationError
from actorgraph.store._config import RunnableConfig
from actorgraph.store._lazy_database import LazyDatabase
from actorgraph.store._sqlite import MEMORY, Database, JobFuture, mergeable
from actorgraph.store.checkpoint import _sqlite_rows as rows
from actorgraph.store.checkpoint._base import (
    ListQuery,
    Op,
    SaverFaces,
    require_parent,
    write_index,
    writes_target,
)
from actorgraph.store.checkpoint._deltas import BlobWrite, ListBases
from actorgraph.store.checkpoint._types import (
    ChannelVersion,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    TaskWrites,
    checkpoint_config,
    config_target,
    random_bits,
)
from actorgraph.store.serde import default_serializer

__all__ = ["SqliteSaver"]

T = TypeVar("T")


class SqliteSaver(SaverFaces):
    """A checkpointer that keeps every checkpoint in an SQLite database file.

    ``SqliteSaver("chat.db")`` opens (or creates) the file on first use;
    ``":memory:"`` keeps a private database in memory. One object serves async
    code (``aput``, ``aget_tuple`` ...) on asyncio and trio, and plain code
    (``put``, ``get_tuple`` ...); the plain methods raise
    :class:`~actorgraph.errors.EventLoopThreadError` on an event loop's thread.

    Storage grows with what changes: a checkpoint row holds channel versions,
    a channel's value is stored once per version, and a list that only grew
    (a chat's messages) is stored as its new items (see ``_deltas``). Each ``put`` is one
    transaction (checkpoint row, changed values, the step's task writes). All
    savers and stores of this process on one file share its writer thread;
    other processes may use the file at the same time.

    ``delta_cache_size`` bounds how many growing lists (per thread and
    channel) the saver remembers to store their next value as a delta; 0
    stores every value whole. ``busy_timeout`` (seconds) is how long a write
    waits for another process's lock; ``synchronous`` is SQLite's setting
    (``NORMAL``: durable across crashes of the process, not of the machine).

    The file opens on first use, on ``setup()`` / ``await saver.asetup()``, or
    on entering ``with`` / ``async with`` (``SqliteSaver.from_conn_string(path)``
    is LangGraph's spelling of the same). Close it with ``await saver.aclose()``
    / ``saver.close()`` or by leaving the block: queued writes are flushed
    first, even under cancellation.

    Raises :class:`~actorgraph.errors.DatabaseError` naming the file when it is
    not an SQLite database, is damaged, or was written by a newer actorgraph.
    ``examples/checkpoints.py`` shows it in use.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] = MEMORY,
        *,
        serializer: rows.Codec | None = None,
        busy_timeout: float = 30.0,
        synchronous: str = "NORMAL",
        delta_cache_size: int = 256,
    ) -> None:
        self.path = os.fspath(path)
        self.serializer: rows.Codec = default_serializer if serializer is None else serializer
        self._file = LazyDatabase(
            self.path,
            rows.CHECKPOINT_SCHEMA,
            "SqliteSaver",
            busy_timeout=busy_timeout,
            synchronous=synchronous,
        )
        self._reader = rows.Reader(self.serializer, self.path)
        self._bases = ListBases(delta_cache_size)

    @classmethod
    def from_conn_string(
        cls,
        path: str | os.PathLike[str],
        *,
        serializer: rows.Codec | None = None,
        busy_timeout: float = 30.0,
        synchronous: str = "NORMAL",
        delta_cache_size: int = 256,
    ) -> Self:
        """LangGraph's spelling of ``SqliteSaver(path, ...)``, for ``with`` and
        ``async with`` (which open the file on entry and close it on exit)."""
        return cls(
            path,
            serializer=serializer,
            busy_timeout=busy_timeout,
            synchronous=synchronous,
            delta_cache_size=delta_cache_size,
        )

    # -- lifecycle

    def _database(self) -> Database:
        return self._file.get()

    async def asetup(self) -> None:
        """Open the file and create the tables now rather than on first use.

        Raises:
            DatabaseError: when the file is not an SQLite database, is damaged,
                or holds a newer checkpoint schema; names the file.
        """
        await self._file.asetup()

    def setup(self) -> None:
        """:meth:`asetup` for plain code; raises EventLoopThreadError on an
        event loop's thread."""
        self._refuse_on_event_loop("setup")
        self._file.setup()

    async def aclose(self) -> None:
        """Flush queued writes and release the file (shielded from cancellation)."""
        await self._file.aclose()

    def close(self) -> None:
        """:meth:`aclose` for plain code."""
        self._refuse_on_event_loop("close")
        self._file.close()

    async def __aenter__(self) -> Self:
        await self._file.aenter()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __enter__(self) -> Self:
        self._refuse_on_event_loop("setup")
        self._file.enter()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- running ops on the database threads

    async def _arun_op(self, op: Op[T]) -> T:
        db = self._database()
        if op.bare:
            return await db.maintain(op.fn, *op.args)
        if op.write:
            return await db.write(op.fn, *op.args)
        return await db.read(op.fn, *op.args)

    def _run_op(self, op: Op[T]) -> T:
        db = self._database()
        if op.bare:
            return db.maintain_blocking(op.fn, *op.args)
        if op.write:
            return db.write_blocking(op.fn, *op.args)
        return db.read_blocking(op.fn, *op.args)

    async def acompact(self) -> None:
        """Give the space of deleted and pruned checkpoints back to the file
        system: fold the write-ahead log into the file and ``VACUUM`` it.

        Holds the file's write lock while it runs (seconds for a large file):
        other writers wait. On cancellation it finishes first (shielded, at
        most the commit timeout), then the cancellation is raised.
        """
        await self._arun_op(Op("compact", rows.compact, write=True, bare=True))

    def compact(self) -> None:
        """:meth:`acompact` for plain code."""
        self._run(Op("compact", rows.compact, write=True, bare=True))

    def _submit_op(self, op: Op[T]) -> JobFuture[T]:
        return self._database().submit_write(op.fn, *op.args)

    # -- encoding, in the caller's thread, before anything is written

    def _dumps(self, value: Any, what: str, thread_id: str, checkpoint_id: str | None) -> bytes:
        try:
            return self.serializer.dumps(value, path=what)
        except SerializationError as error:
            where = f"checkpoint {checkpoint_id}" if checkpoint_id else "a checkpoint"
            raise SerializationError(
                f"cannot store {where} of thread {thread_id!r}: {error}; nothing was written"
            ) from error

    def _write_rows(
        self,
        thread_id: str,
        ns: str,
        checkpoint_id: str,
        task_id: str,
        writes: Sequence[tuple[str, Any]],
        task_path: str,
    ) -> list[rows.WriteRow]:
        dumps = self.serializer.dumps
        out: list[rows.WriteRow] = []
        for position, (channel, value) in enumerate(writes):
            try:
                data = dumps(value)
            except SerializationError:
                # The path only labels the error: built for a write that fails.
                what = f"{channel} (written by task {task_id})"
                data = self._dumps(value, what, thread_id, checkpoint_id)
            index = write_index(channel, position)
            out.append((thread_id, ns, checkpoint_id, task_id, index, channel, data, task_path))
        return out

    # -- ops

    def _put_op(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: Mapping[str, ChannelVersion],
        writes: Sequence[TaskWrites],
    ) -> Op[RunnableConfig]:
        thread_id, ns, parent_id = config_target(config)
        require_parent(writes, thread_id, ns, parent_id)
        checkpoint_id = checkpoint.id
        blobs = [
            self._blob(thread_id, ns, checkpoint.id, channel, version, checkpoint.channel_values)
            for channel, version in new_versions.items()
        ]
        row: rows.CheckpointRow = (
            thread_id,
            ns,
            checkpoint_id,
            parent_id,
            metadata.run_id,
            metadata.source,
            metadata.step,
            rows.encode_skeleton(checkpoint),
            self._dumps(metadata.as_dict(), "metadata", thread_id, checkpoint_id),
        )
        write_rows = [
            w
            for task in writes
            for w in self._write_rows(
                thread_id, ns, parent_id or "", task.task_id, task.writes, task.task_path
            )
        ]
        return Op("put", _put_job, row, blobs, write_rows, self._bases, write=True)

    def _blob(
        self,
        thread_id: str,
        ns: str,
        checkpoint_id: str,
        channel: str,
        version: ChannelVersion,
        values: Mapping[str, Any],
    ) -> BlobWrite:
        if channel not in values:
            return BlobWrite(thread_id, ns, channel, str(version), None)
        value = values[channel]
        plan = self._bases.plan((thread_id, ns, channel), version, value)
        # One shallow copy of a list serves as the remembered snapshot and as the
        # whole value should the delta's base be gone by write time.
        snapshot = list(value) if type(value) is list else None
        if plan is None:
            blob = BlobWrite(
                thread_id,
                ns,
                channel,
                str(version),
                self._dumps(value, channel, thread_id, checkpoint_id),
                snapshot_len=len(value) if snapshot is not None else 0,
            )
        else:
            base, depth, snapshot_len, appended = plan
            whole = snapshot
            assert whole is not None  # noqa: S101 - plan() is only ever made for a list
            blob = BlobWrite(
                thread_id,
                ns,
                channel,
                str(version),
                self._dumps(appended, f"{channel} (appended items)", thread_id, checkpoint_id),
                base=base,
                depth=depth,
                snapshot_len=snapshot_len,
                fallback=lambda: self._dumps(whole, channel, thread_id, checkpoint_id),
            )
        if snapshot is not None and isinstance(version, str):
            blob.snapshot = snapshot
        return blob

    def _put_writes_op(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str,
    ) -> Op[None]:
        thread_id, ns, checkpoint_id = writes_target(config)
        write_rows = self._write_rows(thread_id, ns, checkpoint_id, task_id, writes, task_path)
        return Op("put_writes", rows.put_writes, write_rows, write=True)

    def _get_tuple_op(self, config: RunnableConfig) -> Op[CheckpointTuple | None]:
        thread_id, ns, checkpoint_id = config_target(config)
        return Op("get_tuple", self._reader.get_tuple, thread_id, ns, checkpoint_id, write=False)

    def _list_op(self, query: ListQuery) -> Op[tuple[list[CheckpointTuple], bool]]:
        return Op("list", self._reader.list_page, query, write=False)

    def _delete_thread_op(self, thread_id: str) -> Op[None]:
        self._bases.forget([thread_id])
        return Op("delete_thread", rows.delete_thread, thread_id, write=True)

    def _copy_thread_op(self, source: str, target: str) -> Op[None]:
        return Op("copy_thread", rows.copy_thread, source, target, write=True)

    def _prune_op(self, thread_ids: Sequence[str], keep: int, cutoff: float | None) -> Op[None]:
        return Op("prune", rows.prune, list(thread_ids), keep, cutoff, self.path, write=True)

    def _delete_for_runs_op(self, run_ids: Sequence[str]) -> Op[None]:
        return Op("delete_for_runs", rows.delete_for_runs, list(run_ids), self.path, write=True)

    def get_next_version(self, current: ChannelVersion | None, channel: str) -> ChannelVersion:
        """The next version of a channel: a zero-padded counter with a random
        suffix, so versions sort as strings and a fork (which counts on from an
        older checkpoint) never reuses a version with another value."""
        number = super().get_next_version(current, channel)
        return f"{number:020d}.{random_bits(48):012x}"


def _put_jobs(conn: Any, jobs: list[tuple[Any, ...]]) -> list[RunnableConfig]:
    """Neighbouring puts of a batch in a few statements (see ``mergeable``)."""
    if any(blob.base is not None for job in jobs for blob in job[1]):
        # A delta's base may be a blob of an earlier put here, not yet inserted
        # when bases are looked up: one by one.
        return [_put_job(conn, *job) for job in jobs]
    rows.put_checkpoints(
        conn,
        [job[0] for job in jobs],
        [blob for job in jobs for blob in job[1]],
        [write for job in jobs for write in job[2]],
    )
    for _, blobs, _, bases in jobs:
        bases.remember_written(blobs)
    return [checkpoint_config(row[0], row[1], row[2]) for row, *_ in jobs]


@mergeable(_put_jobs)  # replayable: remembering the lists written again is harmless
def _put_job(
    conn: Any,
    row: rows.CheckpointRow,
    blobs: list[BlobWrite],
    write_rows: list[rows.WriteRow],
    bases: ListBases,
) -> RunnableConfig:
    rows.put_checkpoint(conn, row, blobs, write_rows)
    bases.remember_written(blobs)
    return checkpoint_config(row[0], row[1], row[2])
