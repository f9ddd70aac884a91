"""The part of a batch that does not depend on where items live.

``prepare`` checks every op before anything is touched (so a bad op leaves the
store as it was), encodes documents to JSON, and calls the embedder once for
all the texts of the batch. ``ranked_ids`` and ``take_page`` turn candidates
into the page a search returns. Both stores call them, so their answers agree.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any, NamedTuple, TypeAlias

import msgspec

from actorgraph.channels._errors import DeserializationError, SerializationError
from actorgraph.store._store_query import (
    check_filter,
    checked_ttl,
    compile_filter,
    select_namespaces,
    validate_namespace,
    validate_prefix,
)
from actorgraph.store._store_vectors import IndexSpec, cosine_scores, pack_vector
from actorgraph.store.base_store import (
    GetOp,
    Item,
    ListNamespacesOp,
    MatchCondition,
    Op,
    PutOp,
    SearchItem,
    SearchOp,
)

__all__ = [
    "Prepared",
    "PreparedPut",
    "PreparedSearch",
    "Row",
    "answer_list_op",
    "decode_document",
    "prepare",
    "prepare_blocking",
    "ranked_ids",
    "take_page",
    "to_datetime",
]

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(dict[str, Any])


def decode_document(doc: bytes) -> dict[str, Any]:
    """A stored JSON document as a dict."""
    return _decoder.decode(doc)


def to_datetime(timestamp: float) -> datetime:
    """A UTC datetime from seconds since the epoch."""
    return datetime.fromtimestamp(timestamp, timezone.utc)


class PreparedPut(NamedTuple):
    """A checked write: the JSON document (None deletes) and its vectors.

    ``vectors`` is None when the item is not indexed, else ``(field, blob)`` pairs.
    """

    namespace: tuple[str, ...]
    key: str
    doc: bytes | None
    vectors: list[tuple[str, bytes]] | None
    ttl: float | None


class PreparedSearch(NamedTuple):
    """A checked search with its query already embedded (None without a query)."""

    op: SearchOp
    query_vector: bytes | None


Prepared: TypeAlias = GetOp | PreparedPut | PreparedSearch | ListNamespacesOp


class Row(NamedTuple):
    """A stored item as both stores hand it to ``take_page``; ``id`` is creation order."""

    id: int
    namespace: tuple[str, ...]
    key: str
    # The JSON document: bytes in memory, text as SQLite hands it back (decoded
    # as it is, rather than copied into bytes first).
    doc: bytes | str
    created_at: float
    updated_at: float
    # The store's own decoded copy, only for filtering (memory keeps one); None: decode doc.
    snapshot: dict[str, Any] | None = None

    def value(self) -> dict[str, Any]:
        """A fresh decoded copy of the document.

        Raises:
            DeserializationError: when the stored bytes are not a JSON object
                (a damaged file); names the namespace and key.
        """
        try:
            return _decoder.decode(self.doc)
        except msgspec.DecodeError as exc:
            raise DeserializationError(
                f"The stored value at {self.namespace!r} key {self.key!r} is not a JSON "
                f"object ({exc}); the database was changed outside actorgraph or is "
                "damaged. Put the item again or delete it."
            ) from exc

    def item(self) -> Item:
        return Item(
            namespace=self.namespace,
            key=self.key,
            value=self.value(),
            created_at=to_datetime(self.created_at),
            updated_at=to_datetime(self.updated_at),
        )


def _bad_path(value: Any, path: str) -> tuple[str, str] | None:
    """The first path in ``value`` that JSON cannot hold, with the reason."""
    if isinstance(value, Mapping):
        for k, v in value.items():
            if not isinstance(k, str):
                return f"{path}[{k!r}]", f"a key of type {type(k).__name__} (keys must be strings)"
            found = _bad_path(v, f"{path}[{k!r}]")
            if found:
                return found
        return None
    if isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            found = _bad_path(v, f"{path}[{i}]")
            if found:
                return found
        return None
    if value is None or isinstance(value, (str, int, float, bool)):
        if isinstance(value, float) and not math.isfinite(value):
            return path, f"{value}, which JSON cannot hold (it would come back as null)"
        return None
    return path, f"type {type(value).__name__!r} is not JSON"


def _encode(namespace: tuple[str, ...], key: str, value: Any) -> bytes:
    where = f"store value at {namespace!r} key {key!r}"
    if not isinstance(value, Mapping):
        raise SerializationError(
            f"The {where} is a {type(value).__name__}; a stored value must be a dict, "
            "e.g. {'text': ...}."
        )
    found = _bad_path(value, "value")
    if found is not None:
        path, reason = found
        raise SerializationError(
            f"The {where} cannot be stored: {path}: {reason}; store JSON data "
            "(dict, list, str, int, float, bool, None)."
        )
    try:
        return _encoder.encode(value)
    except (
        TypeError,
        ValueError,
        OverflowError,
    ) as exc:  # pragma: no cover - _bad_path saw it first
        raise SerializationError(f"The {where} cannot be stored as JSON: {exc}") from exc


def _check_key(key: Any, namespace: tuple[str, ...]) -> str:
    if not isinstance(key, str) or not key:
        raise ValueError(f"Store key {key!r} in {namespace!r} must be a non-empty string.")
    return key


def _check_page(limit: Any, offset: Any, what: str) -> None:
    for name, number in (("limit", limit), ("offset", offset)):
        if not isinstance(number, int) or isinstance(number, bool) or number < 0:
            raise ValueError(f"{what}: {name} must be an int >= 0, got {number!r}.")


def _check_index(index: Any, namespace: tuple[str, ...], key: str) -> None:
    if index is None or index is False:
        return
    if isinstance(index, str) or not isinstance(index, Sequence):
        raise ValueError(
            f"index for {namespace!r} key {key!r} must be None, False or a list of field "
            f"paths, got {index!r}."
        )
    if not all(isinstance(path, str) for path in index):
        raise ValueError(f"index for {namespace!r} key {key!r} holds a non-string path: {index!r}.")


def _check_list(op: ListNamespacesOp) -> ListNamespacesOp:
    conditions: list[MatchCondition] = []
    for condition in op.match_conditions or ():
        match_type, path = condition
        if match_type not in ("prefix", "suffix"):
            raise ValueError(
                f"Namespace match type must be 'prefix' or 'suffix', got {match_type!r}."
            )
        conditions.append(MatchCondition(match_type, validate_prefix(path, allow_wildcard=True)))
    depth = op.max_depth
    if depth is not None and (not isinstance(depth, int) or isinstance(depth, bool) or depth < 1):
        raise ValueError(f"list_namespaces: max_depth must be an int >= 1 or None, got {depth!r}.")
    _check_page(op.limit, op.offset, "list_namespaces")
    return ListNamespacesOp(tuple(conditions), depth, op.limit, op.offset)


_Texts: TypeAlias = dict[str, list[tuple[int, str]]]
"""Each text to embed, with the (op position, field) pairs that need its vector."""


def _check_ops(ops: Iterable[Op], index: IndexSpec | None) -> tuple[list[Any], _Texts]:
    checked: list[Any] = []
    texts: dict[str, list[tuple[int, str]]] = {}
    for op in ops:
        if isinstance(op, GetOp):
            namespace = validate_namespace(op.namespace)
            checked.append(GetOp(namespace, _check_key(op.key, namespace), bool(op.refresh_ttl)))
        elif isinstance(op, PutOp):
            namespace = validate_namespace(op.namespace)
            key = _check_key(op.key, namespace)
            if op.value is None:
                checked.append(PreparedPut(namespace, key, None, None, None))
                continue
            doc = _encode(namespace, key, op.value)
            _check_index(op.index, namespace, key)
            ttl = checked_ttl(op.ttl, f"{namespace!r} key {key!r}", "minutes")
            vectors: list[tuple[str, bytes]] | None = None
            if index is not None and op.index is not False:
                vectors = []
                for field, text in index.texts(op.value, op.index):
                    texts.setdefault(text, []).append((len(checked), field))
            checked.append(PreparedPut(namespace, key, doc, vectors, ttl))
        elif isinstance(op, SearchOp):
            prefix = validate_prefix(op.namespace_prefix)
            check_filter(op.filter)
            _check_page(op.limit, op.offset, f"search in {prefix!r}")
            if op.query is not None and index is None:
                raise ValueError(
                    f"search({prefix!r}, query={op.query!r}) needs semantic search; create "
                    "the store with index={'dims': ..., 'embed': ..., 'fields': [...]}."
                )
            checked.append(PreparedSearch(op._replace(namespace_prefix=prefix), None))
        elif isinstance(op, ListNamespacesOp):
            checked.append(_check_list(op))
        else:
            raise TypeError(
                f"Unknown store operation {op!r}; use GetOp, PutOp, SearchOp or ListNamespacesOp."
            )
    return checked, texts


def _attach_vectors(
    checked: list[Any], texts: _Texts, vectors: Sequence[Sequence[float]], dims: int
) -> None:
    for places, vector in zip(texts.values(), vectors, strict=True):
        for position, field in places:
            put = checked[position]
            what = f"field {field!r} of {put.namespace!r} key {put.key!r}"
            put.vectors.append((field, pack_vector(vector, dims=dims, what=what)))


def _queries(checked: list[Any]) -> set[str]:
    return {
        op.op.query for op in checked if isinstance(op, PreparedSearch) and op.op.query is not None
    }


def _attach_queries(checked: list[Any], vectors: Mapping[str, bytes]) -> list[Prepared]:
    for position, op in enumerate(checked):
        if isinstance(op, PreparedSearch) and op.op.query is not None:
            checked[position] = op._replace(query_vector=vectors[op.op.query])
    return checked


async def prepare(ops: Iterable[Op], index: IndexSpec | None) -> list[Prepared]:
    """Check, encode and embed a batch; raise before anything is written.

    Raises:
        InvalidNamespaceError, ValueError, TypeError, SerializationError: naming
            the op's namespace/key/field at fault.

    On cancellation (while the embedder runs) nothing has been written.
    """
    checked, texts = _check_ops(ops, index)
    if index is None:
        return checked
    embedder = index.embedder
    if texts:
        _attach_vectors(checked, texts, await embedder.embed_documents(list(texts)), index.dims)
    return _attach_queries(checked, {q: await embedder.embed_query(q) for q in _queries(checked)})


def prepare_blocking(ops: Iterable[Op], index: IndexSpec | None) -> list[Prepared]:
    """``prepare`` for the blocking face: the same checks, the embedder called in place."""
    checked, texts = _check_ops(ops, index)
    if index is None:
        return checked
    embedder = index.embedder
    if texts:
        _attach_vectors(checked, texts, embedder.embed_documents_blocking(list(texts)), index.dims)
    return _attach_queries(
        checked, {q: embedder.embed_query_blocking(q) for q in _queries(checked)}
    )


def answer_list_op(
    namespaces: Iterable[tuple[str, ...]], op: ListNamespacesOp
) -> list[tuple[str, ...]]:
    """The answer to a checked ``ListNamespacesOp`` over the namespaces holding items."""
    prefix = suffix = None
    for condition in op.match_conditions or ():
        if condition.match_type == "prefix":
            prefix = condition.path
        else:
            suffix = condition.path
    return select_namespaces(
        namespaces,
        prefix=prefix,
        suffix=suffix,
        max_depth=op.max_depth,
        limit=op.limit,
        offset=op.offset,
    )


def ranked_ids(query: bytes, vectors: Sequence[tuple[int, bytes]]) -> list[tuple[int, float]]:
    """Item ids by their best field's cosine similarity, best first (ties: older first)."""
    scores = cosine_scores(query, [blob for _, blob in vectors])
    best: dict[int, float] = {}
    for (item_id, _), score in zip(vectors, scores, strict=True):
        if score > best.get(item_id, -2.0):
            best[item_id] = score
    return sorted(best.items(), key=lambda pair: (-pair[1], pair[0]))


def take_page(
    rows: Iterable[tuple[Row, float | None]],
    filter: Mapping[str, Any] | None,
    offset: int,
    limit: int,
) -> list[SearchItem]:
    """The ``offset``/``limit`` page of the rows that match ``filter``, in order."""
    page: list[SearchItem] = []
    if limit == 0:
        return page
    skipped = 0
    matches = compile_filter(filter)
    for row, score in rows:
        snapshot = row.snapshot
        value = row.value() if snapshot is None else snapshot
        if matches is not None and not matches(value):
            continue
        if skipped < offset:
            skipped += 1
            continue
        page.append(
            SearchItem(
                namespace=row.namespace,
                key=row.key,
                # A caller gets its own copy, never the store's snapshot.
                value=value if snapshot is None else row.value(),
                created_at=to_datetime(row.created_at),
                updated_at=to_datetime(row.updated_at),
                score=score,
            )
        )
        if len(page) >= limit:
            break
    return page
