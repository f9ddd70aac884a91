"""The long-term store's API: items, operations, configuration and ``BaseStore``.

A store keeps JSON documents under hierarchical namespaces, shared across
threads and runs: ``put``, ``get``, ``delete``, ``search`` (filters and semantic
search) and ``list_namespaces``, each with an async twin (``aput`` ...). Every
call is one operation of ``abatch``, the one async implementation; the blocking
methods are portals over it. See ``InMemoryStore`` and ``SqliteStore``.
"""

from __future__ import annotations

import abc
import time
from collections.abc import Iterable
from contextlib import AsyncExitStack
from datetime import datetime
from types import TracebackType
from typing import Any, ClassVar, Literal, NamedTuple, TypeAlias, cast

import anyio
import anyio.abc
import msgspec
from typing_extensions import NotRequired, Self, TypedDict

from actorgraph.store._portal import run_blocking

__all__ = [
    "NOT_PROVIDED",
    "BaseStore",
    "GetOp",
    "IndexConfig",
    "Item",
    "ListNamespacesOp",
    "MatchCondition",
    "NamespaceMatchType",
    "NamespacePath",
    "NotProvided",
    "Op",
    "PutOp",
    "Result",
    "SearchItem",
    "SearchOp",
    "TTLConfig",
]


class Item(msgspec.Struct, kw_only=True):
    """A stored document with its place and timestamps.

    ``value`` is the document (a dict with string keys, JSON values).
    ``created_at`` is when the key was first written and survives overwrites;
    ``updated_at`` is the last write. Both are timezone-aware UTC datetimes.
    """

    namespace: tuple[str, ...]
    key: str
    value: dict[str, Any]
    created_at: datetime
    updated_at: datetime

    def dict(self) -> dict[str, Any]:
        """A JSON-ready dict: namespace as a list, timestamps as ISO 8601 strings."""
        return {
            "namespace": list(self.namespace),
            "key": self.key,
            "value": self.value,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


class SearchItem(Item, kw_only=True):
    """An item returned by ``search``; ``score`` is the cosine similarity to the
    query, or None when there was no query or the item has no vector."""

    score: float | None = None

    def dict(self) -> dict[str, Any]:
        """Like ``Item.dict`` plus ``score``."""
        return {**super().dict(), "score": self.score}


NamespacePath = tuple[str, ...]
"""A namespace pattern for ``list_namespaces``; the label ``"*"`` matches any label."""

NamespaceMatchType = Literal["prefix", "suffix"]


class MatchCondition(NamedTuple):
    """A namespace pattern anchored at the start (``prefix``) or end (``suffix``)."""

    match_type: NamespaceMatchType
    path: NamespacePath


class GetOp(NamedTuple):
    """Read one item; ``refresh_ttl`` restarts its expiry timer."""

    namespace: tuple[str, ...]
    key: str
    refresh_ttl: bool = True


class SearchOp(NamedTuple):
    """Find items under a namespace prefix, filtered and optionally ranked by ``query``."""

    namespace_prefix: tuple[str, ...]
    filter: dict[str, Any] | None = None
    limit: int = 10
    offset: int = 0
    query: str | None = None
    refresh_ttl: bool = True


class PutOp(NamedTuple):
    """Write (``value`` a dict) or delete (``value`` None) one item.

    ``index``: None uses the store's configured fields, False skips embedding,
    a list of field paths embeds those. ``ttl``: minutes until expiry, None for never.
    """

    namespace: tuple[str, ...]
    key: str
    value: dict[str, Any] | None
    # The documented field name; it shadows tuple.index, which nobody calls on an op.
    index: Literal[False] | list[str] | None = None  # type: ignore[assignment]
    ttl: float | None = None


class ListNamespacesOp(NamedTuple):
    """List namespaces that hold items, matching every condition, truncated to ``max_depth``."""

    match_conditions: tuple[MatchCondition, ...] | None = None
    max_depth: int | None = None
    limit: int = 100
    offset: int = 0


Op: TypeAlias = GetOp | SearchOp | PutOp | ListNamespacesOp
Result: TypeAlias = Item | list[SearchItem] | list[tuple[str, ...]] | None


class IndexConfig(TypedDict):
    """Semantic search configuration.

    ``dims``: the embedding size. ``embed``: a function ``texts -> vectors``
    (plain or async) or an object with ``embed_documents``/``embed_query``.
    ``fields``: paths of the text to embed (``"text"``, ``"a.b[*].c"``; ``"$"``,
    the default, is the whole document).
    """

    dims: int
    embed: Any
    fields: NotRequired[list[str] | None]


class TTLConfig(TypedDict, total=False):
    """Expiry configuration, all durations in minutes.

    ``refresh_on_read`` (default True): get/search restart an item's timer.
    ``default_ttl`` (default None, never): the ttl of a ``put`` that gives none.
    ``sweep_interval_minutes`` (default None): how often the sweeper started by
    ``async with store`` deletes expired items.
    """

    refresh_on_read: bool
    default_ttl: float | None
    sweep_interval_minutes: float | None


class NotProvided:
    """The type of ``NOT_PROVIDED``: "use the store's default"."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NOT_PROVIDED"


NOT_PROVIDED = NotProvided()


class BaseStore(abc.ABC):
    """A store of JSON documents under namespaces, with both faces.

    Subclasses implement ``abatch`` and ``asweep_ttl``; everything else is built
    on them. The blocking methods raise EventLoopThreadError (a RuntimeError)
    when called on an event loop's thread: await the ``a``-prefixed twin there.

    ``async with store:`` opens the store's resources and, when
    ``ttl["sweep_interval_minutes"]`` is set, runs the expiry sweeper in a task
    group owned by the ``async with`` block; leaving the block cancels it.
    """

    supports_ttl: ClassVar[bool] = True

    def __init__(self, *, ttl: TTLConfig | None = None) -> None:
        self.ttl_config: TTLConfig = dict(ttl or {})  # type: ignore[assignment]
        default_ttl = self.ttl_config.get("default_ttl")
        if default_ttl is not None and not _positive(default_ttl):
            raise ValueError(
                f"ttl['default_ttl'] must be a positive number of minutes, got {default_ttl!r}."
            )
        interval = self.ttl_config.get("sweep_interval_minutes")
        if interval is not None and not _positive(interval):
            raise ValueError(
                f"ttl['sweep_interval_minutes'] must be a positive number, got {interval!r}."
            )
        self._clock = time.time
        self._sweeper_scope: anyio.CancelScope | None = None
        self._exit_stack: AsyncExitStack | None = None

    # --- what a store implements -------------------------------------------------------

    @abc.abstractmethod
    async def abatch(self, ops: Iterable[Op]) -> list[Result]:
        """Run ``ops`` in order; result ``i`` answers ``ops[i]``.

        Raises:
            InvalidNamespaceError: for a malformed namespace, before anything is done.
            ValueError: for an unknown filter operator or a malformed op.
            SerializationError: for a value that is not JSON; nothing of the batch is written.

        Cancelled before the batch reaches storage (for example while the
        embedder runs), nothing of it is written; a batch already committing
        finishes first, and the cancellation follows.
        """

    @abc.abstractmethod
    async def asweep_ttl(self) -> int:
        """Delete every expired item now; return how many were deleted."""

    async def aclose(self) -> None:  # noqa: B027 - a hook; most stores hold nothing
        """Release the store's resources (``async with`` calls it on exit).

        Shielded from cancellation while it flushes what is queued.
        """

    def _batch_blocking(self, name: str, ops: list[Op]) -> list[Result]:
        """Run ``ops`` from blocking code; ``name`` is the public method called.

        By default a portal over ``abatch``; a store whose core can run in place
        overrides it (with the same checks, refusing an event loop's thread).
        """
        return run_blocking(name, lambda: self.abatch(ops))

    # --- the ops behind each method -------------------------------------------------

    def _get_op(self, namespace: tuple[str, ...], key: str, refresh_ttl: bool | None) -> GetOp:
        if refresh_ttl is None:
            refresh_ttl = bool(self.ttl_config.get("refresh_on_read", True))
        return GetOp(namespace, key, refresh_ttl)

    def _search_op(
        self,
        namespace_prefix: tuple[str, ...],
        query: str | None,
        filter: dict[str, Any] | None,
        limit: int,
        offset: int,
        refresh_ttl: bool | None,
    ) -> SearchOp:
        if refresh_ttl is None:
            refresh_ttl = bool(self.ttl_config.get("refresh_on_read", True))
        return SearchOp(namespace_prefix, filter, limit, offset, query, refresh_ttl)

    def _put_op(
        self,
        namespace: tuple[str, ...],
        key: str,
        value: dict[str, Any],
        index: Literal[False] | list[str] | None,
        ttl: float | NotProvided | None,
    ) -> PutOp:
        if isinstance(ttl, NotProvided):
            ttl = self.ttl_config.get("default_ttl")
        return PutOp(namespace, key, value, index, ttl)

    @staticmethod
    def _list_op(
        prefix: NamespacePath | None,
        suffix: NamespacePath | None,
        max_depth: int | None,
        limit: int,
        offset: int,
    ) -> ListNamespacesOp:
        conditions = []
        if prefix:
            conditions.append(MatchCondition("prefix", prefix))
        if suffix:
            conditions.append(MatchCondition("suffix", suffix))
        return ListNamespacesOp(tuple(conditions), max_depth, limit, offset)

    # --- async face ----------------------------------------------------------------

    async def aget(
        self, namespace: tuple[str, ...], key: str, *, refresh_ttl: bool | None = None
    ) -> Item | None:
        """The item at ``namespace``/``key``, or None; restarts its ttl unless told not to.

        ``refresh_ttl`` None follows ``ttl["refresh_on_read"]`` (default True).
        """
        return _one_item(await self.abatch([self._get_op(namespace, key, refresh_ttl)]))

    async def asearch(
        self,
        namespace_prefix: tuple[str, ...],
        /,
        *,
        query: str | None = None,
        filter: dict[str, Any] | None = None,
        limit: int = 10,
        offset: int = 0,
        refresh_ttl: bool | None = None,
    ) -> list[SearchItem]:
        """Items under ``namespace_prefix`` that match ``filter``, paged.

        Without ``query`` they come in creation order (the newest last). With a
        ``query`` (needs an index) they are ranked by cosine similarity, best
        first; matching items without a vector follow with score None.
        """
        op = self._search_op(namespace_prefix, query, filter, limit, offset, refresh_ttl)
        return _items(await self.abatch([op]))

    async def aput(
        self,
        namespace: tuple[str, ...],
        key: str,
        value: dict[str, Any],
        index: Literal[False] | list[str] | None = None,
        *,
        ttl: float | NotProvided | None = NOT_PROVIDED,
    ) -> None:
        """Write ``value`` at ``namespace``/``key``; an existing item is replaced
        (keeping its ``created_at``).

        ``index``: None embeds the configured fields, False none, a list those
        paths. ``ttl``: minutes until expiry, None never; by default the store's
        ``default_ttl``.

        Raises:
            InvalidNamespaceError: for a malformed namespace.
            SerializationError: when ``value`` is not JSON; names the path.
        """
        await self.abatch([self._put_op(namespace, key, value, index, ttl)])

    async def adelete(self, namespace: tuple[str, ...], key: str) -> None:
        """Delete the item at ``namespace``/``key`` (nothing happens if it is absent)."""
        await self.abatch([PutOp(namespace, key, None)])

    async def alist_namespaces(
        self,
        *,
        prefix: NamespacePath | None = None,
        suffix: NamespacePath | None = None,
        max_depth: int | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[tuple[str, ...]]:
        """Namespaces that hold items, sorted; ``"*"`` in ``prefix``/``suffix``
        matches any label, and ``max_depth`` truncates (and deduplicates)."""
        op = self._list_op(prefix, suffix, max_depth, limit, offset)
        return _namespaces(await self.abatch([op]))

    # --- blocking face ----------------------------------------------------------------

    def batch(self, ops: Iterable[Op]) -> list[Result]:
        """Blocking ``abatch``."""
        return self._batch_blocking("batch", list(ops))

    def get(
        self, namespace: tuple[str, ...], key: str, *, refresh_ttl: bool | None = None
    ) -> Item | None:
        """Blocking ``aget``."""
        return _one_item(self._batch_blocking("get", [self._get_op(namespace, key, refresh_ttl)]))

    def search(
        self,
        namespace_prefix: tuple[str, ...],
        /,
        *,
        query: str | None = None,
        filter: dict[str, Any] | None = None,
        limit: int = 10,
        offset: int = 0,
        refresh_ttl: bool | None = None,
    ) -> list[SearchItem]:
        """Blocking ``asearch``."""
        op = self._search_op(namespace_prefix, query, filter, limit, offset, refresh_ttl)
        return _items(self._batch_blocking("search", [op]))

    def put(
        self,
        namespace: tuple[str, ...],
        key: str,
        value: dict[str, Any],
        index: Literal[False] | list[str] | None = None,
        *,
        ttl: float | NotProvided | None = NOT_PROVIDED,
    ) -> None:
        """Blocking ``aput``."""
        self._batch_blocking("put", [self._put_op(namespace, key, value, index, ttl)])

    def delete(self, namespace: tuple[str, ...], key: str) -> None:
        """Blocking ``adelete``."""
        self._batch_blocking("delete", [PutOp(namespace, key, None)])

    def list_namespaces(
        self,
        *,
        prefix: NamespacePath | None = None,
        suffix: NamespacePath | None = None,
        max_depth: int | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[tuple[str, ...]]:
        """Blocking ``alist_namespaces``."""
        op = self._list_op(prefix, suffix, max_depth, limit, offset)
        return _namespaces(self._batch_blocking("list_namespaces", [op]))

    def close(self) -> None:
        """Blocking ``aclose``."""
        run_blocking("close", self.aclose)

    def sweep_ttl(self) -> int:
        """Blocking ``asweep_ttl``."""
        return run_blocking("sweep_ttl", self.asweep_ttl)

    # --- expiry sweeper ------------------------------------------------------------------

    async def run_ttl_sweeper(
        self,
        interval_minutes: float | None = None,
        *,
        task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED,
    ) -> None:
        """Delete expired items every ``interval_minutes`` until cancelled.

        The interval defaults to ``ttl["sweep_interval_minutes"]``. Run it in
        your own task group (``tg.start_soon(store.run_ttl_sweeper)``); it
        holds nothing between sweeps, so cancelling it at any moment is safe.

        Raises:
            ValueError: when no interval is given or configured.
        """
        interval = interval_minutes or self.ttl_config.get("sweep_interval_minutes")
        if not interval or not _positive(interval):
            raise ValueError(
                "The ttl sweeper needs an interval: pass interval_minutes or configure "
                "ttl={'sweep_interval_minutes': N} on the store."
            )
        with anyio.CancelScope() as scope:
            self._sweeper_scope = scope
            task_status.started()
            try:
                while True:
                    await self.asweep_ttl()
                    await anyio.sleep(interval * 60)
            finally:
                self._sweeper_scope = None

    def start_ttl_sweeper(
        self, task_group: anyio.abc.TaskGroup, interval_minutes: float | None = None
    ) -> None:
        """Start ``run_ttl_sweeper`` in ``task_group``; ``stop_ttl_sweeper`` ends it."""
        task_group.start_soon(self.run_ttl_sweeper, interval_minutes)

    def stop_ttl_sweeper(self) -> bool:
        """Cancel the running sweeper; return whether one was running."""
        scope, self._sweeper_scope = self._sweeper_scope, None
        if scope is None:
            return False
        scope.cancel()
        return True

    def __enter__(self) -> Self:
        """``with store:`` releases the store at the end (no sweeper: that needs
        ``async with`` or your task group)."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        stack = AsyncExitStack()
        await stack.__aenter__()
        try:
            stack.push_async_callback(self.aclose)
            if self.ttl_config.get("sweep_interval_minutes"):
                task_group = await stack.enter_async_context(anyio.create_task_group())
                stack.callback(task_group.cancel_scope.cancel)
                await task_group.start(self.run_ttl_sweeper)
        except BaseException:
            await stack.aclose()
            raise
        self._exit_stack = stack
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        stack, self._exit_stack = self._exit_stack, None
        if stack is not None:
            # The sweeper's task group must be exited in this task's own scope, so
            # no shield here; aclose shields the flush itself.
            await stack.__aexit__(exc_type, exc, tb)


def _positive(number: Any) -> bool:
    return isinstance(number, (int, float)) and not isinstance(number, bool) and number > 0


def _one_item(results: list[Result]) -> Item | None:
    found = results[0]
    assert found is None or isinstance(found, Item)  # noqa: S101 - narrows the union
    return found


def _items(results: list[Result]) -> list[SearchItem]:
    return cast("list[SearchItem]", results[0])


def _namespaces(results: list[Result]) -> list[tuple[str, ...]]:
    return cast("list[tuple[str, ...]]", results[0])
