"""The node cache: results of earlier node runs, keyed by namespace and key, with a ttl.

The engine's ``CachePolicy`` looks a task's key up before running it and stores
its writes after; users pick a backend with ``compile(cache=...)``:
``InMemoryCache`` for one process, ``SqliteCache`` to keep results across
processes and restarts. Values are arbitrary node outputs, so both go through
the serializer (``actorgraph.store.serde``): what comes back is a fresh copy,
and a value that cannot be encoded fails at ``set`` with its path named.
"""

from __future__ import annotations

import abc
import os
import sqlite3
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias

import msgspec
from typing_extensions import Self

from actorgraph.channels._errors import SerializationError
from actorgraph.store._lazy_database import LazyDatabase
from actorgraph.store._portal import run_blocking
from actorgraph.store._sqlite import MEMORY, Schema
from actorgraph.store._store_query import checked_ttl
from actorgraph.store.serde import SerializerProtocol, default_serializer

__all__ = [
    "CACHE_SCHEMA",
    "BaseCache",
    "FullKey",
    "InMemoryCache",
    "Namespace",
    "SqliteCache",
]

Namespace: TypeAlias = tuple[str, ...]
FullKey: TypeAlias = tuple[Namespace, str]
"""A cache entry's address: its namespace (for example the node) and its key."""


def _check_key(full_key: Any) -> FullKey:
    try:
        namespace, key = full_key
    except (TypeError, ValueError):
        raise ValueError(
            f"Cache key {full_key!r} must be a (namespace, key) pair, "
            "e.g. (('my_node',), 'input-hash')."
        ) from None
    _check_namespace(namespace)
    if not isinstance(key, str):
        raise ValueError(f"Cache key {key!r} in namespace {namespace!r} must be a string.")
    return tuple(namespace), key


def _check_namespace(namespace: Any) -> Namespace:
    if isinstance(namespace, str) or not isinstance(namespace, (tuple, list)):
        raise ValueError(f"Cache namespace {namespace!r} must be a tuple of strings.")
    if not all(isinstance(label, str) for label in namespace):
        raise ValueError(f"Cache namespace {namespace!r} must hold only strings.")
    return tuple(namespace)


class BaseCache(abc.ABC):
    """A namespaced cache of serialized values with per-entry ttl (seconds).

    Subclasses implement ``aget``, ``aset`` and ``aclear``; the blocking
    ``get``/``set``/``clear`` are portals over them and raise
    EventLoopThreadError on an event loop's thread. On cancellation a write
    that has not reached storage is dropped; one already committing finishes.
    """

    def __init__(self, *, serde: SerializerProtocol | None = None) -> None:
        self.serde: SerializerProtocol = default_serializer if serde is None else serde
        self._clock = time.time

    def _encode(self, pairs: Mapping[FullKey, tuple[Any, int | float | None]]) -> list[Any]:
        """Check and serialize every entry before anything is stored.

        Raises:
            ValueError: for a malformed key or ttl.
            SerializationError: naming the entry whose value cannot be encoded.
        """
        now = self._clock()
        rows = []
        for full_key, (value, ttl) in pairs.items():
            namespace, key = _check_key(full_key)
            seconds = checked_ttl(ttl, f"cache entry {(namespace, key)!r}", "seconds")
            try:
                tag, data = self.serde.dumps_typed(value)
            except SerializationError as exc:
                raise SerializationError(
                    f"cache entry {key!r} in {namespace!r} cannot be stored: {exc}"
                ) from exc
            expires = None if seconds is None else now + seconds
            rows.append((namespace, key, tag, data, expires))
        return rows

    @abc.abstractmethod
    async def aget(self, keys: Sequence[FullKey]) -> dict[FullKey, Any]:
        """The live entries among ``keys`` (misses and expired entries are absent).

        Raises:
            ValueError: for a malformed key.
            DeserializationError: for a stored value that no longer decodes.
        """

    @abc.abstractmethod
    async def aset(self, pairs: Mapping[FullKey, tuple[Any, int | float | None]]) -> None:
        """Store each ``key: (value, ttl_seconds)``; ttl None keeps it until cleared.

        Raises:
            ValueError, SerializationError: before anything is stored.
        """

    @abc.abstractmethod
    async def aclear(self, namespaces: Sequence[Namespace] | None = None) -> None:
        """Delete the entries of ``namespaces`` (exact namespaces), or all entries."""

    async def aclose(self) -> None:  # noqa: B027 - a hook; the memory cache holds nothing
        """Release the cache's resources."""

    def get(self, keys: Sequence[FullKey]) -> dict[FullKey, Any]:
        """Blocking ``aget``."""
        return run_blocking("get", lambda: self.aget(keys))

    def set(self, pairs: Mapping[FullKey, tuple[Any, int | float | None]]) -> None:
        """Blocking ``aset``."""
        run_blocking("set", lambda: self.aset(pairs))

    def clear(self, namespaces: Sequence[Namespace] | None = None) -> None:
        """Blocking ``aclear``."""
        run_blocking("clear", lambda: self.aclear(namespaces))

    def close(self) -> None:
        """Blocking ``aclose``."""
        run_blocking("close", self.aclose)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class InMemoryCache(BaseCache):
    """The node cache in a dict, for one process. Thread-safe.

    ``serde`` defaults to actorgraph's serializer.
    """

    def __init__(self, *, serde: SerializerProtocol | None = None) -> None:
        super().__init__(serde=serde)
        self._entries: dict[Namespace, dict[str, tuple[str, bytes, float | None]]] = {}
        self._lock = threading.Lock()

    async def aget(self, keys: Sequence[FullKey]) -> dict[FullKey, Any]:
        """See ``BaseCache.aget``."""
        now = self._clock()
        found: dict[FullKey, tuple[str, bytes]] = {}
        with self._lock:
            for full_key in keys:
                namespace, key = _check_key(full_key)
                entries = self._entries.get(namespace)
                entry = entries.get(key) if entries else None
                if entry is None:
                    continue
                tag, data, expires = entry
                if expires is not None and expires <= now:
                    del entries[key]  # type: ignore[union-attr]
                    continue
                found[(namespace, key)] = (tag, data)
        return {full_key: self.serde.loads_typed(pair) for full_key, pair in found.items()}

    async def aset(self, pairs: Mapping[FullKey, tuple[Any, int | float | None]]) -> None:
        """See ``BaseCache.aset``."""
        rows = self._encode(pairs)
        with self._lock:
            for namespace, key, tag, data, expires in rows:
                self._entries.setdefault(namespace, {})[key] = (tag, data, expires)

    async def aclear(self, namespaces: Sequence[Namespace] | None = None) -> None:
        """See ``BaseCache.aclear``."""
        with self._lock:
            if namespaces is None:
                self._entries.clear()
                return
            for namespace in namespaces:
                self._entries.pop(_check_namespace(namespace), None)


CACHE_SCHEMA = Schema(
    "cache",
    (
        """CREATE TABLE node_cache (
            ns TEXT NOT NULL,
            key TEXT NOT NULL,
            tag TEXT NOT NULL,
            value BLOB NOT NULL,
            expires_at REAL,
            PRIMARY KEY (ns, key)
        ) WITHOUT ROWID""",
        "CREATE INDEX node_cache_expiry ON node_cache (expires_at) WHERE expires_at IS NOT NULL",
    ),
)
"""The node cache's table; shares the file's migration record with other components."""

_ns_encoder = msgspec.json.Encoder()


def _ns_text(namespace: Namespace) -> str:
    # JSON, not a joined string: node names may hold any character.
    return _ns_encoder.encode(list(namespace)).decode()


def _select(
    conn: sqlite3.Connection, keys: Sequence[tuple[str, str]], now: float
) -> list[tuple[str, str, str, bytes]]:
    found = []
    for ns, key in keys:
        row = conn.execute(
            "SELECT tag, value FROM node_cache WHERE ns = ? AND key = ? "
            "AND (expires_at IS NULL OR expires_at > ?)",
            (ns, key, now),
        ).fetchone()
        if row is not None:
            found.append((ns, key, row[0], row[1]))
    return found


def _upsert(conn: sqlite3.Connection, rows: Sequence[tuple[Any, ...]], now: float) -> None:
    # Expired entries are dropped on the way, so the table does not grow with them.
    conn.execute("DELETE FROM node_cache WHERE expires_at <= ?", (now,))
    conn.executemany("INSERT OR REPLACE INTO node_cache VALUES (?, ?, ?, ?, ?)", rows)


def _delete(conn: sqlite3.Connection, namespaces: Sequence[str] | None) -> None:
    if namespaces is None:
        conn.execute("DELETE FROM node_cache")
    else:
        conn.executemany("DELETE FROM node_cache WHERE ns = ?", [(ns,) for ns in namespaces])


class SqliteCache(BaseCache):
    """The node cache in an SQLite file (or ``":memory:"``), shared by every
    process that opens the file. Works on asyncio, trio and plain threads.

    The file is opened on first use, on ``setup()``/``await cache.asetup()``,
    or on entering ``with``/``async with SqliteCache(path) as cache:``, and
    shared with the other actorgraph objects on it in this process. Release it
    with ``close()``/``aclose()`` or by leaving the block.

    Raises:
        DatabaseError: on first use, when the file is not an SQLite database or
            holds a newer cache schema; names the file.
    """

    def __init__(
        self, path: str | os.PathLike[str] = MEMORY, *, serde: SerializerProtocol | None = None
    ) -> None:
        super().__init__(serde=serde)
        self._file = LazyDatabase(path, CACHE_SCHEMA, "SqliteCache")

    @classmethod
    def from_conn_string(
        cls, path: str | os.PathLike[str], *, serde: SerializerProtocol | None = None
    ) -> Self:
        """LangGraph's spelling of ``SqliteCache(path, ...)``, for ``with``/``async with``."""
        return cls(path, serde=serde)

    @property
    def path(self) -> str:
        """The database file as given (``":memory:"`` for memory)."""
        return self._file.path

    async def asetup(self) -> None:
        """Open the file and create the table now rather than on first use.

        Raises:
            DatabaseError: when the file is not an SQLite database or holds a
                newer cache schema; names the file.
        """
        await self._file.asetup()

    def setup(self) -> None:
        """Blocking ``asetup``; raises EventLoopThreadError on an event loop's thread."""
        self._file.setup()

    async def __aenter__(self) -> Self:
        """Open the file (errors surface here); the block's end closes it."""
        await self._file.aenter()
        return self

    def __enter__(self) -> Self:
        """Open the file (errors surface here); the block's end closes it."""
        self._file.enter()
        return self

    async def aget(self, keys: Sequence[FullKey]) -> dict[FullKey, Any]:
        """See ``BaseCache.aget``."""
        wanted = {}
        for full_key in keys:
            namespace, key = _check_key(full_key)
            wanted[(_ns_text(namespace), key)] = (namespace, key)
        if not wanted:
            return {}
        rows = await self._file.get().read(_select, list(wanted), self._clock())
        return {
            wanted[(ns, key)]: self.serde.loads_typed((tag, bytes(data)))
            for ns, key, tag, data in rows
        }

    async def aset(self, pairs: Mapping[FullKey, tuple[Any, int | float | None]]) -> None:
        """See ``BaseCache.aset``. Committed when it returns."""
        rows = [
            (_ns_text(namespace), key, tag, data, expires)
            for namespace, key, tag, data, expires in self._encode(pairs)
        ]
        if rows:
            await self._file.get().write(_upsert, rows, self._clock())

    async def aclear(self, namespaces: Sequence[Namespace] | None = None) -> None:
        """See ``BaseCache.aclear``."""
        texts = None if namespaces is None else [_ns_text(_check_namespace(n)) for n in namespaces]
        await self._file.get().write(_delete, texts)

    async def aclose(self) -> None:
        """Release the database file; queued writes are flushed first (shielded).
        Using the cache afterwards raises DatabaseError."""
        await self._file.aclose()

    def close(self) -> None:
        """Blocking ``aclose``; raises EventLoopThreadError on an event loop's thread."""
        self._file.close()
