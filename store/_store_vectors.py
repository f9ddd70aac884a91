"""Embeddings for semantic search: calling the user's embedder, packing vectors, scoring.

Vectors are kept as unit-length float32 blobs (``array('f')`` bytes), so cosine
similarity is a dot product, the same blob goes into SQLite as it is, and the
in-memory store holds exactly what the SQLite store holds. Scoring uses NumPy
when it is installed (the ``vectors`` extra) and a pure-Python loop otherwise;
``benchmarks/store_vector_search.py`` measures both.
"""

from __future__ import annotations

import importlib
import inspect
import math
import operator
import sys
from array import array
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, cast

import anyio

from actorgraph.store._portal import run_blocking
from actorgraph.store._store_query import texts_at_path, tokenize_path

__all__ = [
    "Embedder",
    "IndexSpec",
    "cosine_scores",
    "pack_vector",
    "using_numpy",
]

_BIG_ENDIAN = sys.byteorder == "big"


def pack_vector(vector: Sequence[float], *, dims: int, what: str) -> bytes:
    """The unit-length float32 blob of ``vector`` (a zero vector stays zero).

    Raises:
        ValueError: when the vector does not have ``dims`` numbers; ``what`` names it.
    """
    if len(vector) != dims:
        raise ValueError(
            f"The embedding of {what} has {len(vector)} dimensions but the index was "
            f"configured with dims={dims}; make index['dims'] match the embedding model."
        )
    norm = math.sqrt(math.fsum(x * x for x in vector))
    packed = array("f", (x / norm for x in vector) if norm else vector)
    if _BIG_ENDIAN:  # pragma: no cover - the blobs are little-endian on every machine
        packed.byteswap()
    return packed.tobytes()


def _unpack(blob: bytes) -> array[float]:
    vector = array("f", blob)
    if _BIG_ENDIAN:  # pragma: no cover
        vector.byteswap()
    return vector


def _numpy() -> Any:
    try:
        return importlib.import_module("numpy")  # the optional ``vectors`` extra
    except ImportError:
        return None


_np: Any = _numpy()
_sumprod: Callable[[Sequence[float], Sequence[float]], float] | None = getattr(
    math, "sumprod", None
)


def using_numpy() -> bool:
    """Whether scoring runs vectorized through NumPy."""
    return _np is not None


def _python_scores(query: bytes, blobs: Sequence[bytes]) -> list[float]:
    q = _unpack(query)
    if _sumprod is not None:  # pragma: no cover - Python 3.12+: a C loop
        dot = _sumprod
        return [dot(q, _unpack(blob)) for blob in blobs]
    mul = operator.mul
    return [sum(map(mul, q, _unpack(blob))) for blob in blobs]


def _numpy_scores(
    query: bytes, blobs: Sequence[bytes]
) -> list[float]:  # pragma: no cover - the vectors extra
    np = _np
    q = np.frombuffer(query, dtype="<f4")
    matrix = np.frombuffer(b"".join(blobs), dtype="<f4").reshape(len(blobs), q.shape[0])
    return cast("list[float]", (matrix @ q).tolist())


def cosine_scores(
    query: bytes, blobs: Sequence[bytes], *, vectorized: bool | None = None
) -> list[float]:
    """Cosine similarity of the packed ``query`` with each packed blob, in order.

    ``vectorized`` forces (True) or avoids (False) NumPy; by default NumPy is
    used when it is installed.
    """
    if not blobs:
        return []
    use_numpy = using_numpy() if vectorized is None else vectorized
    return _numpy_scores(query, blobs) if use_numpy else _python_scores(query, blobs)


EmbedFunc = Callable[[Sequence[str]], Any]


class Embedder:
    """Calls the user's embedder, whatever its shape, from async code.

    ``embed`` is a function ``texts -> vectors`` (plain or ``async def``) or an
    object with LangChain's ``embed_documents``/``embed_query`` methods (and
    optionally their ``aembed_*`` twins). A plain function runs in a worker
    thread so a slow model never stalls the event loop.
    """

    __slots__ = ("_documents", "_query", "dims")

    def __init__(self, embed: Any, dims: int) -> None:
        self.dims = dims
        if isinstance(embed, str):
            raise ValueError(
                f"index['embed'] is the string {embed!r}; actorgraph does not load models "
                "by name. Pass a function texts -> vectors (sync or async) or an object "
                "with embed_documents()/embed_query()."
            )
        documents = getattr(embed, "aembed_documents", None) or getattr(
            embed, "embed_documents", None
        )
        query = getattr(embed, "aembed_query", None) or getattr(embed, "embed_query", None)
        if documents is None:
            if not callable(embed):
                raise TypeError(
                    f"index['embed'] is a {type(embed).__name__}, which cannot embed text; "
                    "pass a function texts -> vectors or an object with embed_documents()."
                )
            documents = embed
        self._documents: EmbedFunc = documents
        self._query: Callable[[str], Any] | None = query

    @staticmethod
    async def _call(func: Callable[..., Any], arg: Any) -> Any:
        if _is_async(func):
            return await cast("Callable[..., Awaitable[Any]]", func)(arg)
        return await anyio.to_thread.run_sync(func, arg)

    @staticmethod
    def _call_blocking(func: Callable[..., Any], arg: Any) -> Any:
        if _is_async(func):
            return run_blocking("embed", lambda: cast("Callable[..., Awaitable[Any]]", func)(arg))
        return func(arg)

    @staticmethod
    def _one_per_text(found: Any, texts: Sequence[str]) -> list[Sequence[float]]:
        vectors: list[Sequence[float]] = list(found)
        if len(vectors) != len(texts):
            raise ValueError(
                f"The embedding function returned {len(vectors)} vectors for {len(texts)} "
                "texts; it must return one vector per text, in order."
            )
        return vectors

    def _pack_query(self, vector: Sequence[float], text: str) -> bytes:
        return pack_vector(vector, dims=self.dims, what=f"the query {text!r}")

    async def embed_documents(self, texts: Sequence[str]) -> list[Sequence[float]]:
        """One vector per text; a plain function runs in a worker thread.

        Raises:
            ValueError: when the embedder returns a different number of vectors.
        """
        return self._one_per_text(await self._call(self._documents, list(texts)), texts)

    def embed_documents_blocking(self, texts: Sequence[str]) -> list[Sequence[float]]:
        """``embed_documents`` from blocking code: a plain function runs in place."""
        return self._one_per_text(self._call_blocking(self._documents, list(texts)), texts)

    async def embed_query(self, text: str) -> bytes:
        """The packed vector of a search query."""
        if self._query is None:
            return self._pack_query((await self.embed_documents([text]))[0], text)
        return self._pack_query(await self._call(self._query, text), text)

    def embed_query_blocking(self, text: str) -> bytes:
        """``embed_query`` from blocking code."""
        if self._query is None:
            return self._pack_query(self.embed_documents_blocking([text])[0], text)
        return self._pack_query(self._call_blocking(self._query, text), text)


def _is_async(func: Callable[..., Any]) -> bool:
    call = getattr(func, "__call__", None)  # noqa: B004 - async callable objects count too
    return inspect.iscoroutinefunction(func) or inspect.iscoroutinefunction(call)


class IndexSpec:
    """A store's index configuration, checked once: dims, embedder, default fields."""

    __slots__ = ("dims", "embedder", "fields")

    def __init__(self, config: Mapping[str, Any]) -> None:
        dims = config.get("dims")
        if not isinstance(dims, int) or isinstance(dims, bool) or dims <= 0:
            raise ValueError(
                f"index['dims'] must be a positive int (the embedding size), got {dims!r}."
            )
        if "embed" not in config:
            raise ValueError("index needs 'embed': a function texts -> vectors (sync or async).")
        fields = config.get("fields") or ["$"]
        if isinstance(fields, str) or not all(isinstance(f, str) for f in fields):
            raise ValueError(f"index['fields'] must be a list of field paths, got {fields!r}.")
        for path in fields:
            tokenize_path(path)
        self.dims: int = dims
        self.embedder = Embedder(config["embed"], dims)
        self.fields: tuple[str, ...] = tuple(fields)

    def texts(self, value: Mapping[str, Any], index: Sequence[str] | None) -> list[tuple[str, str]]:
        """``(field name, text)`` pairs to embed for a document.

        ``index`` overrides the configured fields. A path that selects several
        texts names each one ``path.i``; an item's score is its best field's.
        """
        out: list[tuple[str, str]] = []
        for path in self.fields if index is None else index:
            texts = texts_at_path(value, path)
            if len(texts) == 1:
                out.append((path, texts[0]))
            else:
                out.extend((f"{path}.{i}", text) for i, text in enumerate(texts))
        return out
