"""Growing lists stored as deltas, so a chat's storage grows with its messages.

A message list changes at every step, always by appending. Stored whole at each
version it would cost O(steps²) bytes (and O(steps²) encoding time). Instead,
when a channel's new value is the last stored list of that channel plus new
items (the same objects, checked by identity), only the new items are stored,
with a link to the version they extend. A whole copy is stored again once the
list has doubled since the last whole copy, or after ``MAX_CHAIN`` links, so
storage stays linear in the list's length (about three copies' worth) and a read
decodes one whole copy and at most ``MAX_CHAIN - 1`` short deltas.

A delta links only to a version this process saw committed; if that row is gone
by the time the delta is written (another process pruned it), the writer stores
the whole value instead. Versions must name one value each: deltas are made only
for string versions (``SqliteSaver.get_next_version`` makes unique ones), never
for plain counters, which forks reuse.
"""

from __future__ import annotations

import operator
import sqlite3
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any, Final

__all__ = [
    "COMPRESS_ABOVE",
    "MAX_CHAIN",
    "BlobWrite",
    "ListBases",
    "decode_chain",
    "read_chains",
    "with_bases",
]

MAX_CHAIN: Final = 128
#: Stored values longer than this many bytes are zlib-compressed (level 1) when
#: that saves at least a tenth; messages and documents usually shrink 3-5x.
COMPRESS_ABOVE: Final = 2048

_Key = tuple[str, str, str]  # thread, namespace, channel


class BlobWrite:
    """One row of ``checkpoint_blobs`` to write: a whole value (``base`` None,
    ``value`` None for an emptied channel) or the items appended to ``base``."""

    __slots__ = (
        "base",
        "channel",
        "compression",
        "depth",
        "fallback",
        "ns",
        "snapshot",
        "snapshot_len",
        "thread_id",
        "value",
        "version",
    )

    def __init__(
        self,
        thread_id: str,
        ns: str,
        channel: str,
        version: str,
        value: bytes | None,
        *,
        base: str | None = None,
        depth: int = 0,
        snapshot_len: int = 0,
        fallback: Callable[[], bytes] | None = None,
    ) -> None:
        self.thread_id = thread_id
        self.ns = ns
        self.channel = channel
        self.version = version
        self.value = value
        self.base = base
        self.depth = depth
        self.fallback = fallback
        self.compression: str | None = None
        #: The list this row stores, for ``ListBases.remember`` once written,
        #: and the length of the whole copy its chain starts from.
        self.snapshot: list[Any] | None = None
        self.snapshot_len = snapshot_len

    def row(self) -> tuple[str, str, str, str, bytes | None, str | None, int, str | None]:
        return (
            self.thread_id,
            self.ns,
            self.channel,
            self.version,
            self.value,
            self.base,
            self.depth,
            self.compression,
        )

    def prepare(self, conn: sqlite3.Connection) -> None:
        """In the writer thread, just before the insert: store the whole value
        if the base row is gone (pruned meanwhile), and compress a large value
        (here rather than in the caller, so the event loop does not wait)."""
        if self.base is not None and self.fallback is not None:
            found = conn.execute(
                "SELECT 1 FROM checkpoint_blobs WHERE thread_id = ? AND checkpoint_ns = ? "
                "AND channel = ? AND version = ?",
                (self.thread_id, self.ns, self.channel, self.base),
            ).fetchone()
            if found is None:
                self.value, self.base, self.depth = self.fallback(), None, 0
                self.snapshot_len = len(self.snapshot or ())
        if self.compression is None and self.value is not None and len(self.value) > COMPRESS_ABOVE:
            packed = zlib.compress(self.value, 1)
            if len(packed) * 10 < len(self.value) * 9:
                self.value, self.compression = packed, "zlib"


class ListBases:
    """The last committed list of each (thread, namespace, channel) in this
    process, which the next list of that channel may extend. Thread-safe.

    It holds references to the items of those lists, so it is bounded: at most
    ``size`` lists, the least recently written forgotten first (their next
    value is then stored whole). 0 turns deltas off.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._lock = threading.Lock()
        # key -> (version, list, links since the whole copy, length of that copy)
        self._known: OrderedDict[_Key, tuple[str, list[Any], int, int]] = OrderedDict()

    def plan(
        self, key: _Key, version: object, value: object
    ) -> tuple[str, int, int, list[Any]] | None:
        """``(base_version, depth, snapshot_len, appended_items)`` if ``value`` can
        be stored as a delta on the remembered list, else ``None``."""
        if type(value) is not list or not isinstance(version, str):
            return None
        with self._lock:
            known = self._known.get(key)
        if known is None:
            return None
        base_version, base, depth, snapshot_len = known
        n = len(base)
        if depth + 1 >= MAX_CHAIN or len(value) < n or len(value) >= 2 * snapshot_len:
            return None
        if base_version == version or not all(map(operator.is_, value[:n], base)):
            return None
        return base_version, depth + 1, snapshot_len, value[n:]

    def remember(
        self, key: _Key, version: str, value: list[Any], depth: int, snapshot_len: int
    ) -> None:
        with self._lock:
            self._known[key] = (version, value, depth, snapshot_len)
            self._known.move_to_end(key)
            while len(self._known) > self.size:
                self._known.popitem(last=False)

    def remember_written(self, blobs: Iterable[BlobWrite]) -> None:
        """Remember the lists just written (in the writer thread, inside the
        transaction; a rollback is harmless: a delta's base is checked again
        when the delta is written)."""
        for blob in blobs:
            if blob.snapshot is not None:
                key = (blob.thread_id, blob.ns, blob.channel)
                self.remember(key, blob.version, blob.snapshot, blob.depth, blob.snapshot_len)

    def forget(self, thread_ids: Iterable[str] | None = None) -> None:
        """Forget the given threads (all of them for ``None``)."""
        with self._lock:
            if thread_ids is None:
                self._known.clear()
                return
            doomed = set(thread_ids)
            for key in [key for key in self._known if key[0] in doomed]:
                del self._known[key]


def _unpack(value: bytes, compression: str | None) -> bytes:
    if compression is None:
        return value
    if compression == "zlib":
        return zlib.decompress(value)
    raise LookupError(f"unknown compression {compression!r} (written by a newer actorgraph?)")


def _chains_sql(count: int) -> str:
    pairs = ", ".join(f"(?{4 + 2 * i}, ?{5 + 2 * i})" for i in range(count))
    return f"""
WITH RECURSIVE want(channel, version) AS (VALUES {pairs}),
chain(channel, value, base, compression, n) AS (
    SELECT b.channel, b.value, b.base_version, b.compression, 0
    FROM want JOIN checkpoint_blobs AS b
    ON b.thread_id = ?1 AND b.checkpoint_ns = ?2 AND b.channel = want.channel
    AND b.version = want.version
    UNION ALL
    SELECT c.channel, b.value, b.base_version, b.compression, c.n + 1
    FROM chain AS c JOIN checkpoint_blobs AS b
    ON b.thread_id = ?1 AND b.checkpoint_ns = ?2 AND b.channel = c.channel AND b.version = c.base
    WHERE c.base IS NOT NULL AND c.n < ?3
)
SELECT channel, value, base, compression FROM chain ORDER BY channel, n
"""  # noqa: S608 - only placeholders are formatted in


def read_chains(
    conn: sqlite3.Connection, thread_id: str, ns: str, versions: dict[str, str]
) -> dict[str, list[tuple[bytes | None, str | None, str | None]]]:
    """The stored rows of several channels at once (one query): per channel, its
    row at the given version then the rows it extends, newest first. A channel
    without a row is absent."""
    if not versions:
        return {}
    params: list[Any] = [thread_id, ns, MAX_CHAIN]
    for channel, version in versions.items():
        params += (channel, version)
    chains: dict[str, list[tuple[bytes | None, str | None, str | None]]] = {}
    for channel, value, base, compression in conn.execute(_chains_sql(len(versions)), params):
        chains.setdefault(channel, []).append((value, base, compression))
    return chains


def decode_chain(
    rows: list[tuple[bytes | None, str | None, str | None]],
    version: str,
    decode: Callable[[bytes], Any],
) -> tuple[bool, Any]:
    """``(True, value)`` from a channel's rows (as :func:`read_chains` gives
    them); ``(False, None)`` for an emptied channel."""
    if not rows or rows[0][0] is None:
        return False, None
    last_value, last_base, last_compression = rows[-1]
    if last_base is not None or last_value is None:  # a broken link: the data is damaged
        raise LookupError(f"the stored value version {version} extends ({last_base}) is missing")
    value = decode(_unpack(last_value, last_compression))
    if len(rows) > 1:
        value = list(value)
        for piece, _, compression in reversed(rows[:-1]):
            value.extend(decode(_unpack(piece, compression)))  # type: ignore[arg-type]
    return True, value


def with_bases(
    conn: sqlite3.Connection, thread_id: str, ns: str, used: set[tuple[str, str]]
) -> set[tuple[str, str]]:
    """``used`` plus every version the used ones extend, transitively."""
    links = {
        (channel, version): (channel, base)
        for channel, version, base in conn.execute(
            "SELECT channel, version, base_version FROM checkpoint_blobs WHERE thread_id = ? "
            "AND checkpoint_ns = ? AND base_version IS NOT NULL",
            (thread_id, ns),
        )
    }
    keep = set(used)
    todo = [key for key in used if key in links]
    while todo:
        base = links[todo.pop()]
        if base not in keep:
            keep.add(base)
            if base in links:
                todo.append(base)
    return keep
