"""The checkpoint tables and the jobs that read and write them.

Each function here runs on a database thread (``actorgraph.store._sqlite``)
with a connection inside a transaction; values arrive already encoded and
leave decoded, so the event loop neither encodes large blobs nor waits on I/O.

Layout: one row per checkpoint (its channel versions, not its values), one row
per (thread, namespace, channel, version) in ``checkpoint_blobs`` — a channel's
value is stored when it changes and shared by every later checkpoint that has
the same version — and one row per task write in ``checkpoint_writes``.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Sequence
from typing import Any, Final, Protocol

import msgspec

from actorgraph.channels._errors import CheckpointError
from actorgraph.store._log import EventLog
from actorgraph.store._sqlite import Schema, mergeable
from actorgraph.store.checkpoint._base import ListQuery, made_before
from actorgraph.store.checkpoint._deltas import BlobWrite, decode_chain, read_chains, with_bases
from actorgraph.store.checkpoint._types import (
    ChannelVersion,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    PendingWrite,
    checkpoint_config,
)

__all__ = [
    "CHECKPOINT_SCHEMA",
    "CheckpointRow",
    "Codec",
    "Reader",
    "WriteRow",
    "compact",
    "copy_thread",
    "delete_for_runs",
    "delete_thread",
    "encode_skeleton",
    "prune",
    "put_checkpoint",
    "put_checkpoints",
    "put_writes",
]

_log = EventLog("actorgraph.store.checkpoint")

CHECKPOINT_SCHEMA: Final = Schema(
    "checkpoints",
    (
        """CREATE TABLE checkpoints (
            thread_id TEXT NOT NULL,
            checkpoint_ns TEXT NOT NULL,
            checkpoint_id TEXT NOT NULL,
            parent_checkpoint_id TEXT,
            run_id TEXT,
            source TEXT NOT NULL,
            step INTEGER NOT NULL,
            checkpoint BLOB NOT NULL,
            metadata BLOB NOT NULL,
            PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id))""",
        "CREATE INDEX checkpoints_by_run ON checkpoints (run_id) WHERE run_id IS NOT NULL",
        """CREATE TABLE checkpoint_blobs (
            thread_id TEXT NOT NULL,
            checkpoint_ns TEXT NOT NULL,
            channel TEXT NOT NULL,
            version TEXT NOT NULL,
            value BLOB,
            base_version TEXT,
            depth INTEGER NOT NULL,
            compression TEXT,
            PRIMARY KEY (thread_id, checkpoint_ns, channel, version))""",
        """CREATE TABLE checkpoint_writes (
            thread_id TEXT NOT NULL,
            checkpoint_ns TEXT NOT NULL,
            checkpoint_id TEXT NOT NULL,
            task_id TEXT NOT NULL,
            idx INTEGER NOT NULL,
            channel TEXT NOT NULL,
            value BLOB NOT NULL,
            task_path TEXT NOT NULL,
            PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id, task_id, idx))""",
    ),
)

# (thread_id, ns, checkpoint_id, parent_id, run_id, source, step, skeleton, metadata)
CheckpointRow = tuple[str, str, str, "str | None", "str | None", str, int, bytes, bytes]
# (thread_id, ns, checkpoint_id, task_id, idx, channel, value, task_path)
WriteRow = tuple[str, str, str, str, int, str, bytes, str]

_PAGE: Final = 64
_COLUMN_FILTERS: Final = {"source": str, "step": int, "run_id": str}


class Codec(Protocol):
    """What the saver needs of a serializer (``actorgraph.store.serde.Serializer``)."""

    def dumps(self, obj: Any, *, path: str = "value") -> bytes: ...

    def loads(self, data: bytes) -> Any: ...


class _Skeleton(msgspec.Struct, array_like=True, frozen=True):
    """A checkpoint without its values, as stored in ``checkpoints.checkpoint``."""

    v: int
    ts: str
    channel_versions: dict[str, ChannelVersion]
    versions_seen: dict[str, dict[str, ChannelVersion]]
    updated_channels: list[str] | None


_skeleton_decoder: Final = msgspec.msgpack.Decoder(_Skeleton)
_skeleton_encoder: Final = msgspec.msgpack.Encoder()


def encode_skeleton(checkpoint: Checkpoint) -> bytes:
    """The stored form of ``checkpoint`` minus its channel values."""
    return _skeleton_encoder.encode(
        _Skeleton(
            checkpoint.v,
            checkpoint.ts,
            checkpoint.channel_versions,
            checkpoint.versions_seen,
            checkpoint.updated_channels,
        )
    )


# --- writes ------------------------------------------------------------------------------


def put_checkpoint(
    conn: sqlite3.Connection,
    row: CheckpointRow,
    blobs: Sequence[BlobWrite],
    writes: Sequence[WriteRow],
) -> None:
    """One superstep's commit: the checkpoint row, its changed values, the
    writes of the tasks that produced it."""
    put_checkpoints(conn, [row], blobs, writes)


def put_checkpoints(
    conn: sqlite3.Connection,
    checkpoint_rows: Sequence[CheckpointRow],
    blobs: Sequence[BlobWrite],
    writes: Sequence[WriteRow],
) -> None:
    """Several puts at once (in order), in a few multi-row statements.

    No blob may be a delta on a blob of the same call: bases are looked up
    (``BlobWrite.prepare``) before anything here is inserted.
    """
    cursor = conn.cursor()
    _insert_rows(cursor, "INSERT OR REPLACE INTO checkpoints VALUES ", "", 9, checkpoint_rows)
    for blob in blobs:
        blob.prepare(conn)
    blob_rows = [blob.row() for blob in blobs]
    inserted = _insert_rows(
        cursor, "INSERT INTO checkpoint_blobs VALUES ", " ON CONFLICT DO NOTHING", 8, blob_rows
    )
    if inserted < len(blob_rows):
        # Some version was stored before: the rows just inserted compare equal
        # and stay, a reused version gets the newest value (as one by one).
        for blob in blobs:
            _replace_reused_version(conn, blob)
    put_writes(cursor, writes)


#: Rows per statement of a multi-row insert: a batch goes in chunks of these
#: sizes, so a few statement shapes (kept in the statement cache) serve every
#: batch, and a statement stays under SQLite's oldest limit of 999 parameters.
_CHUNKS: Final = (64, 32, 16, 8, 4, 3, 2, 1)


@functools.lru_cache(maxsize=128)
def _insert_sql(head: str, tail: str, width: int, count: int) -> str:
    values = "(" + ", ".join("?" * width) + ")"
    return head + ", ".join([values] * count) + tail


def _insert_rows(
    cursor: sqlite3.Cursor | sqlite3.Connection,
    head: str,
    tail: str,
    width: int,
    rows: Sequence[tuple[Any, ...]],
) -> int:
    """Insert ``rows`` in order with few statements; return how many went in."""
    inserted = 0
    position = 0
    total = len(rows)
    for size in _CHUNKS:
        while total - position >= size:
            chunk = rows[position : position + size]
            sql = _insert_sql(head, tail, width, size)
            inserted += cursor.execute(sql, [value for row in chunk for value in row]).rowcount
            position += size
    return inserted


def _replace_reused_version(conn: sqlite3.Connection, blob: BlobWrite) -> None:
    # A version names one value. Reusing it for another (a fork that counts
    # versions from 1 again, say) would make older checkpoints read the new
    # value; the newest one must be right, so it wins, and the caller hears of it.
    thread_id, ns, channel, version, value, base, depth, compression = blob.row()
    old = conn.execute(
        "SELECT value, base_version, compression FROM checkpoint_blobs WHERE thread_id = ? "
        "AND checkpoint_ns = ? AND channel = ? AND version = ?",
        (thread_id, ns, channel, version),
    ).fetchone()
    if old is not None and tuple(old) == (value, base, compression):
        return
    conn.execute(
        "UPDATE checkpoint_blobs SET value = ?, base_version = ?, depth = ?, compression = ? "
        "WHERE thread_id = ? AND checkpoint_ns = ? AND channel = ? AND version = ?",
        (value, base, depth, compression, thread_id, ns, channel, version),
    )
    _log.warning(
        "checkpoint.version_reused",
        thread_id=thread_id,
        checkpoint_ns=ns,
        channel=channel,
        version=version,
        hint="give every change a new version: use saver.get_next_version",
    )


def _put_many_writes(conn: sqlite3.Connection, jobs: list[tuple[Any, ...]]) -> list[None]:
    put_writes(conn, [write for (writes,) in jobs for write in writes])
    return [None] * len(jobs)


@mergeable(_put_many_writes)
def put_writes(conn: sqlite3.Connection | sqlite3.Cursor, writes: Sequence[WriteRow]) -> None:
    """Task writes: a special channel's slot is replaced, any other is kept."""
    special = [w for w in writes if w[4] < 0]
    regular = [w for w in writes if w[4] >= 0]
    if special:
        _insert_rows(conn, "INSERT OR REPLACE INTO checkpoint_writes VALUES ", "", 8, special)
    if regular:
        _insert_rows(conn, "INSERT OR IGNORE INTO checkpoint_writes VALUES ", "", 8, regular)


def delete_thread(conn: sqlite3.Connection, thread_id: str) -> None:
    for table in ("checkpoints", "checkpoint_blobs", "checkpoint_writes"):
        conn.execute(f"DELETE FROM {table} WHERE thread_id = ?", (thread_id,))  # noqa: S608 - fixed names


def copy_thread(conn: sqlite3.Connection, source: str, target: str) -> None:
    if conn.execute("SELECT 1 FROM checkpoints WHERE thread_id = ? LIMIT 1", (target,)).fetchone():
        raise CheckpointError(
            f"cannot copy thread {source!r} into {target!r}: the target already has "
            "checkpoints; delete it first or pick a new thread id",
            thread_id=target,
        )
    conn.execute(
        "INSERT INTO checkpoints SELECT ?, checkpoint_ns, checkpoint_id, parent_checkpoint_id, "
        "run_id, source, step, checkpoint, metadata FROM checkpoints WHERE thread_id = ?",
        (target, source),
    )
    conn.execute(
        "INSERT INTO checkpoint_blobs SELECT ?, checkpoint_ns, channel, version, value, "
        "base_version, depth, compression FROM checkpoint_blobs WHERE thread_id = ?",
        (target, source),
    )
    conn.execute(
        "INSERT INTO checkpoint_writes SELECT ?, checkpoint_ns, checkpoint_id, task_id, idx, "
        "channel, value, task_path FROM checkpoint_writes WHERE thread_id = ?",
        (target, source),
    )


def prune(
    conn: sqlite3.Connection,
    thread_ids: Sequence[str],
    keep: int,
    cutoff: float | None,
    path: str,
) -> None:
    for thread_id in thread_ids:
        namespaces = conn.execute(
            "SELECT DISTINCT checkpoint_ns FROM checkpoints WHERE thread_id = ?", (thread_id,)
        ).fetchall()
        for (ns,) in namespaces:
            found = conn.execute(
                "SELECT checkpoint_id, checkpoint FROM checkpoints WHERE thread_id = ? "
                "AND checkpoint_ns = ? ORDER BY checkpoint_id DESC LIMIT -1 OFFSET ?",
                (thread_id, ns, keep),
            ).fetchall()
            doomed = [
                cid
                for cid, data in found
                if cutoff is None
                or made_before(_decode_skeleton(data, path, thread_id, ns, cid).ts, cutoff)
            ]
            _drop(conn, thread_id, ns, doomed, path)


def delete_for_runs(conn: sqlite3.Connection, run_ids: Sequence[str], path: str) -> None:
    doomed: dict[tuple[str, str], list[str]] = {}
    for run_id in run_ids:
        rows = conn.execute(
            "SELECT thread_id, checkpoint_ns, checkpoint_id FROM checkpoints WHERE run_id = ?",
            (run_id,),
        ).fetchall()
        for thread_id, ns, checkpoint_id in rows:
            doomed.setdefault((thread_id, ns), []).append(checkpoint_id)
    for (thread_id, ns), checkpoint_ids in doomed.items():
        _drop(conn, thread_id, ns, checkpoint_ids, path)


def _drop(
    conn: sqlite3.Connection, thread_id: str, ns: str, checkpoint_ids: list[str], path: str
) -> None:
    """Delete checkpoints with their writes, then the values no remaining one uses."""
    if not checkpoint_ids:
        return
    keys = [(thread_id, ns, cid) for cid in checkpoint_ids]
    where = "WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ?"
    conn.executemany(f"DELETE FROM checkpoints {where}", keys)  # noqa: S608 - fixed text
    conn.executemany(f"DELETE FROM checkpoint_writes {where}", keys)  # noqa: S608 - fixed text
    used: set[tuple[str, str]] = set()
    remaining = conn.execute(
        "SELECT checkpoint_id, checkpoint FROM checkpoints WHERE thread_id = ? AND checkpoint_ns = ?",
        (thread_id, ns),
    )
    for checkpoint_id, data in remaining:
        skeleton = _decode_skeleton(data, path, thread_id, ns, checkpoint_id)
        used.update((ch, str(v)) for ch, v in skeleton.channel_versions.items())
    used = with_bases(conn, thread_id, ns, used)
    stored = conn.execute(
        "SELECT channel, version FROM checkpoint_blobs WHERE thread_id = ? AND checkpoint_ns = ?",
        (thread_id, ns),
    ).fetchall()
    conn.executemany(
        "DELETE FROM checkpoint_blobs WHERE thread_id = ? AND checkpoint_ns = ? "
        "AND channel = ? AND version = ?",
        [(thread_id, ns, ch, v) for ch, v in stored if (ch, v) not in used],
    )


def compact(conn: sqlite3.Connection) -> None:
    """Fold the write-ahead log in and rebuild the file without free pages."""
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    conn.execute("VACUUM")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()


# --- reads ---------------------------------------------------------------------------------

_SELECT: Final = (
    "SELECT thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, checkpoint, metadata "
    "FROM checkpoints "
)


def _decode_skeleton(
    data: bytes, path: str, thread_id: str, ns: str, checkpoint_id: str
) -> _Skeleton:
    try:
        return _skeleton_decoder.decode(data)
    except msgspec.DecodeError as error:
        raise _damaged(path, thread_id, ns, checkpoint_id, "the checkpoint row", error) from None


def _damaged(
    path: str, thread_id: str, ns: str, checkpoint_id: str, what: str, error: Exception
) -> CheckpointError:
    return CheckpointError(
        f"{path}: cannot decode {what} of checkpoint {checkpoint_id} in thread "
        f"{thread_id!r} (namespace {ns!r}): {error}. The stored data is damaged or was "
        "written by something else; delete the thread or restore the file from a backup.",
        thread_id=thread_id,
        checkpoint_ns=ns,
        checkpoint_id=checkpoint_id,
    )


class Reader:
    """Turns checkpoint rows back into :class:`CheckpointTuple` on a database thread."""

    def __init__(self, codec: Codec, path: str) -> None:
        self.codec = codec
        self.path = path

    def get_tuple(
        self, conn: sqlite3.Connection, thread_id: str, ns: str, checkpoint_id: str | None
    ) -> CheckpointTuple | None:
        if checkpoint_id is None:
            row = conn.execute(
                _SELECT + "WHERE thread_id = ? AND checkpoint_ns = ? "
                "ORDER BY checkpoint_id DESC LIMIT 1",
                (thread_id, ns),
            ).fetchone()
        else:
            row = conn.execute(
                _SELECT + "WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ?",
                (thread_id, ns, checkpoint_id),
            ).fetchone()
        return None if row is None else self._tuple(conn, row)

    def list_page(
        self, conn: sqlite3.Connection, query: ListQuery
    ) -> tuple[list[CheckpointTuple], bool]:
        sql, params = _list_sql(query)
        page: list[CheckpointTuple] = []
        rows = conn.execute(sql, (*params, _PAGE)).fetchall()
        for row in rows:
            query.after = (row[2], row[0], row[1])
            if query.limit is not None and len(page) >= query.limit:
                break
            metadata = self._metadata(row)
            if query.matches(metadata):
                page.append(self._tuple(conn, row, metadata))
        if query.limit is not None:
            query.limit -= len(page)
            if query.limit <= 0:
                return page, False
        return page, len(rows) == _PAGE

    def _metadata(self, row: Any) -> CheckpointMetadata:
        thread_id, ns, checkpoint_id = row[0], row[1], row[2]
        try:
            return CheckpointMetadata.from_dict(self.codec.loads(row[5]))
        except Exception as error:
            raise _damaged(
                self.path, thread_id, ns, checkpoint_id, "the metadata", error
            ) from error

    def _tuple(
        self, conn: sqlite3.Connection, row: Any, metadata: CheckpointMetadata | None = None
    ) -> CheckpointTuple:
        thread_id, ns, checkpoint_id, parent_id, data = row[:5]
        skeleton = _decode_skeleton(data, self.path, thread_id, ns, checkpoint_id)
        values = self._values(conn, thread_id, ns, checkpoint_id, skeleton.channel_versions)
        writes = conn.execute(
            "SELECT task_id, channel, value FROM checkpoint_writes WHERE thread_id = ? "
            "AND checkpoint_ns = ? AND checkpoint_id = ? ORDER BY task_path, task_id, idx",
            (thread_id, ns, checkpoint_id),
        ).fetchall()
        pending: list[PendingWrite] = [
            (task_id, channel, self._decode(value, thread_id, ns, checkpoint_id, channel))
            for task_id, channel, value in writes
        ]
        return CheckpointTuple(
            config=checkpoint_config(thread_id, ns, checkpoint_id),
            checkpoint=Checkpoint(
                id=checkpoint_id,
                ts=skeleton.ts,
                channel_values=values,
                channel_versions=skeleton.channel_versions,
                versions_seen=skeleton.versions_seen,
                updated_channels=skeleton.updated_channels,
                v=skeleton.v,
            ),
            metadata=metadata if metadata is not None else self._metadata(row),
            parent_config=(
                None if parent_id is None else checkpoint_config(thread_id, ns, parent_id)
            ),
            pending_writes=pending,
        )

    def _values(
        self,
        conn: sqlite3.Connection,
        thread_id: str,
        ns: str,
        checkpoint_id: str,
        versions: dict[str, ChannelVersion],
    ) -> dict[str, Any]:
        wanted = {channel: str(version) for channel, version in versions.items()}
        chains = read_chains(conn, thread_id, ns, wanted)
        values: dict[str, Any] = {}
        for channel, version in wanted.items():
            rows = chains.get(channel)
            if rows is None:
                continue  # no row: the channel had a version but no value (it was emptied)
            try:
                found, value = decode_chain(rows, version, self.codec.loads)
            except Exception as error:
                raise _damaged(
                    self.path, thread_id, ns, checkpoint_id, f"channel {channel!r}", error
                ) from error
            if found:
                values[channel] = value
        return values

    def _decode(
        self, data: bytes, thread_id: str, ns: str, checkpoint_id: str, channel: str
    ) -> Any:
        try:
            return self.codec.loads(data)
        except Exception as error:
            raise _damaged(
                self.path, thread_id, ns, checkpoint_id, f"channel {channel!r}", error
            ) from error


def _list_sql(query: ListQuery) -> tuple[str, list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    if query.thread_id is not None:
        where.append("thread_id = ?")
        params.append(query.thread_id)
    if query.checkpoint_ns is not None:
        where.append("checkpoint_ns = ?")
        params.append(query.checkpoint_ns)
    if query.checkpoint_id is not None:
        where.append("checkpoint_id = ?")
        params.append(query.checkpoint_id)
    for key, kind in _COLUMN_FILTERS.items():
        value = query.filter.get(key)
        if type(value) is kind:  # other types are compared in Python, exactly
            where.append(f"{key} = ?")
            params.append(value)
    if query.after is not None:
        if query.thread_id is not None and query.checkpoint_ns is not None:
            where.append("checkpoint_id < ?")  # walks the primary key backwards
            params.append(query.after[0])
        else:
            where.append("(checkpoint_id, thread_id, checkpoint_ns) < (?, ?, ?)")
            params.extend(query.after)
    clause = f"WHERE {' AND '.join(where)} " if where else ""
    sql = (
        _SELECT + clause + "ORDER BY checkpoint_id DESC, thread_id DESC, checkpoint_ns DESC LIMIT ?"
    )
    return sql, params
