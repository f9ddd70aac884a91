"""``InMemoryStore``: the long-term store in a dict, for tests and quick starts.

It behaves like ``SqliteStore`` in every respect (the same checks, the same
JSON round trip, ttl and semantic search), only nothing survives the process.
Values are kept as JSON bytes: what you read back is a fresh copy, and a value
that could not be stored in SQLite cannot be stored here either.
"""

from __future__ import annotations

import heapq
import threading
from collections.abc import Iterable, Iterator
from typing import Any

from actorgraph.store._portal import refuse_on_event_loop
from actorgraph.store._store_engine import (
    Prepared,
    PreparedPut,
    PreparedSearch,
    Row,
    answer_list_op,
    decode_document,
    prepare,
    prepare_blocking,
    ranked_ids,
    take_page,
)
from actorgraph.store._store_query import namespace_matches
from actorgraph.store._store_vectors import IndexSpec
from actorgraph.store.base_store import (
    BaseStore,
    GetOp,
    IndexConfig,
    Item,
    ListNamespacesOp,
    Op,
    Result,
    TTLConfig,
)

__all__ = ["InMemoryStore"]


class _Entry:
    __slots__ = (
        "created_at",
        "doc",
        "expires_at",
        "id",
        "snapshot",
        "ttl",
        "updated_at",
        "vectors",
    )

    def __init__(
        self,
        id: int,
        doc: bytes,
        created_at: float,
        vectors: list[tuple[str, bytes]] | None,
        ttl: float | None,
        now: float,
    ) -> None:
        self.id = id
        self.doc = doc
        self.snapshot = decode_document(doc)  # for filters; readers get fresh copies
        self.created_at = created_at
        self.updated_at = now
        self.vectors = vectors
        self.ttl = ttl
        self.expires_at = None if ttl is None else now + ttl * 60.0


class InMemoryStore(BaseStore):
    """A dict-backed store with the full store API (see ``BaseStore``).

    ``index`` enables semantic search (``IndexConfig``); ``ttl`` sets expiry
    defaults (``TTLConfig``). Thread-safe: each batch applies under a lock, and
    no lock is held while the embedder runs.

    Raises:
        ValueError: for a malformed ``index`` or ``ttl`` configuration.

    Example: ``examples/long_term_store.py`` (with ``SqliteStore``; the API is the same).
    """

    def __init__(self, *, index: IndexConfig | None = None, ttl: TTLConfig | None = None) -> None:
        super().__init__(ttl=ttl)
        self.index_config = index
        self._index = IndexSpec(index) if index is not None else None
        self._data: dict[tuple[str, ...], dict[str, _Entry]] = {}
        self._next_id = 0
        self._lock = threading.Lock()

    async def abatch(self, ops: Iterable[Op]) -> list[Result]:
        """Run ``ops`` in order (see ``BaseStore.abatch``)."""
        return self._apply(await prepare(ops, self._index))

    def _batch_blocking(self, name: str, ops: list[Op]) -> list[Result]:
        # Nothing here waits on I/O, so blocking callers run it in place: no event
        # loop to start, no hop to one (a sync embedder is called directly).
        refuse_on_event_loop(name)
        return self._apply(prepare_blocking(ops, self._index))

    def _apply(self, prepared: list[Prepared]) -> list[Result]:
        results: list[Result] = []
        with self._lock:  # a batch is atomic, as one SQLite transaction is
            for op in prepared:
                if isinstance(op, GetOp):
                    results.append(self._get(op))
                elif isinstance(op, PreparedPut):
                    self._put(op)
                    results.append(None)
                elif isinstance(op, PreparedSearch):
                    results.append(self._search(op))
                else:
                    results.append(self._list(op))
        return results

    async def asweep_ttl(self) -> int:
        """Delete every expired item now; return how many were deleted."""
        return self._sweep()

    def sweep_ttl(self) -> int:
        """Blocking ``asweep_ttl``; raises EventLoopThreadError on an event loop's thread."""
        refuse_on_event_loop("sweep_ttl")
        return self._sweep()

    def _sweep(self) -> int:
        now = self._clock()
        deleted = 0
        with self._lock:
            for namespace, entries in list(self._data.items()):
                for key, entry in list(entries.items()):
                    if entry.expires_at is not None and entry.expires_at <= now:
                        del entries[key]
                        deleted += 1
                if not entries:
                    del self._data[namespace]
        return deleted

    # --- one op each ---------------------------------------------------------------------

    def _live(self, namespace: tuple[str, ...], key: str, now: float) -> _Entry | None:
        entries = self._data.get(namespace)
        entry = entries.get(key) if entries else None
        if entry is None or entry.expires_at is None or entry.expires_at > now:
            return entry
        return None  # expired: invisible, and left for the sweeper as in SQLite

    def _drop(self, namespace: tuple[str, ...], key: str) -> None:
        entries = self._data.get(namespace)
        if entries is not None:
            entries.pop(key, None)
            if not entries:
                del self._data[namespace]

    @staticmethod
    def _refresh(entry: _Entry, now: float) -> None:
        if entry.ttl is not None:
            entry.expires_at = now + entry.ttl * 60.0

    def _get(self, op: GetOp) -> Item | None:
        now = self._clock()
        entry = self._live(op.namespace, op.key, now)
        if entry is None:
            return None
        if op.refresh_ttl:
            self._refresh(entry, now)
        return _row(op.namespace, op.key, entry).item()

    def _put(self, op: PreparedPut) -> None:
        if op.doc is None:
            self._drop(op.namespace, op.key)
            return
        now = self._clock()
        previous = self._live(op.namespace, op.key, now)
        if previous is None:
            # An expired entry goes first, so the new one takes its creation-order place.
            self._drop(op.namespace, op.key)
            self._next_id += 1
            entry = _Entry(self._next_id, op.doc, now, op.vectors, op.ttl, now)
            self._data.setdefault(op.namespace, {})[op.key] = entry
            return
        previous.doc = op.doc
        previous.snapshot = decode_document(op.doc)
        previous.updated_at = now
        previous.vectors = op.vectors
        previous.ttl = op.ttl
        previous.expires_at = None if op.ttl is None else now + op.ttl * 60.0

    def _list(self, op: ListNamespacesOp) -> list[tuple[str, ...]]:
        now = self._clock()
        live = [
            namespace
            for namespace, entries in self._data.items()
            if any(e.expires_at is None or e.expires_at > now for e in entries.values())
        ]
        return answer_list_op(live, op)

    def _search(self, prepared: PreparedSearch) -> list[Any]:
        op = prepared.op
        now = self._clock()

        def live(namespace: tuple[str, ...], entries: dict[str, _Entry]) -> Iterator[Any]:
            for key, entry in entries.items():
                if entry.expires_at is None or entry.expires_at > now:
                    yield entry.id, namespace, key, entry

        # Each namespace's dict is already in creation order (an overwrite keeps
        # its place), so a lazy merge gives the global order without a sort.
        merged = heapq.merge(
            *(
                live(namespace, entries)
                for namespace, entries in self._data.items()
                if namespace_matches(namespace, op.namespace_prefix, suffix=False)
            ),
            key=lambda candidate: candidate[0],
        )

        def ordered() -> Iterator[tuple[Row, float | None]]:
            if prepared.query_vector is None:
                for _, namespace, key, entry in merged:
                    yield _row(namespace, key, entry), None
                return
            candidates = list(merged)
            by_id = {candidate[0]: candidate for candidate in candidates}
            vectors = [
                (entry.id, blob) for _, _, _, entry in candidates for _, blob in entry.vectors or ()
            ]
            ranked = ranked_ids(prepared.query_vector, vectors)
            for item_id, score in ranked:
                _, namespace, key, entry = by_id[item_id]
                yield _row(namespace, key, entry), score
            scored = {item_id for item_id, _ in ranked}
            for item_id, namespace, key, entry in candidates:
                if item_id not in scored:
                    yield _row(namespace, key, entry), None

        page = take_page(ordered(), op.filter, op.offset, op.limit)
        if op.refresh_ttl:
            for item in page:
                self._refresh(self._data[item.namespace][item.key], now)
        return page


def _row(namespace: tuple[str, ...], key: str, entry: _Entry) -> Row:
    return Row(
        entry.id, namespace, key, entry.doc, entry.created_at, entry.updated_at, entry.snapshot
    )
