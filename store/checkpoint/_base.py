"""What every checkpoint saver offers, and the two faces built once for all.

A saver implements each operation once, as an :class:`Op` (a function plus
whether it writes); :class:`SaverFaces` turns every op into an async method
(``aput``) and a plain one (``put``), so the two faces cannot drift apart.
"""

from __future__ import annotations

import abc
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar, Generic, Literal, Protocol, TypeAlias, TypeVar, runtime_checkable

from actorgraph.channels._errors import CheckpointError, EventLoopThreadError
from actorgraph.store._adapter_loop import running_loop_backend
from actorgraph.store._config import RunnableConfig
from actorgraph.store._sqlite_threads import JobFuture
from actorgraph.store.checkpoint._types import (
    SPECIAL_WRITE_INDEX,
    ChannelVersion,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    TaskWrites,
    as_metadata,
    config_target,
)
from actorgraph.store.checkpoint._write_behind import WriteBehind, open_write_behind

__all__ = [
    "BaseCheckpointSaver",
    "Keep",
    "ListQuery",
    "Op",
    "SaverFaces",
    "made_before",
    "require_parent",
    "validate_keep",
    "write_index",
    "writes_target",
]

T = TypeVar("T")

Keep: TypeAlias = 'Literal["latest"] | int'
"""How much of each thread ``prune`` keeps: ``"latest"`` or the newest N checkpoints
of every namespace (0 deletes them all)."""


@runtime_checkable
class BaseCheckpointSaver(Protocol):
    """What the engine needs from a checkpointer; ``InMemorySaver`` and
    ``SqliteSaver`` implement it, and so can your own.

    Every async method has a plain twin without the ``a`` (``aput``/``put``)
    that blocks its thread; the blocking ones raise
    :class:`~actorgraph.errors.EventLoopThreadError` on an event loop's thread
    when they would block it.
    """

    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata | Mapping[str, Any],
        new_versions: Mapping[str, ChannelVersion],
        *,
        writes: Sequence[TaskWrites] = (),
    ) -> RunnableConfig: ...

    async def aput_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None: ...

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None: ...

    def alist(
        self,
        config: RunnableConfig | None,
        *,
        filter: Mapping[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]: ...

    async def adelete_thread(self, thread_id: str) -> None: ...

    async def acopy_thread(self, source_thread_id: str, target_thread_id: str) -> None: ...

    async def aprune(
        self,
        thread_ids: Sequence[str],
        *,
        keep: Keep = "latest",
        older_than: timedelta | None = None,
    ) -> None: ...

    def put(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata | Mapping[str, Any],
        new_versions: Mapping[str, ChannelVersion],
        *,
        writes: Sequence[TaskWrites] = (),
    ) -> RunnableConfig: ...

    def put_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None: ...

    def get_tuple(self, config: RunnableConfig) -> CheckpointTuple | None: ...

    def list(
        self,
        config: RunnableConfig | None,
        *,
        filter: Mapping[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> Iterator[CheckpointTuple]: ...

    def delete_thread(self, thread_id: str) -> None: ...

    def copy_thread(self, source_thread_id: str, target_thread_id: str) -> None: ...

    def prune(
        self,
        thread_ids: Sequence[str],
        *,
        keep: Keep = "latest",
        older_than: timedelta | None = None,
    ) -> None: ...

    def get_next_version(self, current: ChannelVersion | None, channel: str) -> ChannelVersion: ...


class Op(Generic[T]):
    """One operation of a saver: ``fn(*args)`` on its storage, reading or writing.

    ``name`` is the public method it serves, for error messages.
    """

    __slots__ = ("args", "bare", "fn", "name", "write")

    def __init__(
        self, name: str, fn: Callable[..., T], *args: Any, write: bool, bare: bool = False
    ) -> None:
        self.name = name
        self.fn = fn
        self.args = args
        self.write = write
        self.bare = bare  # outside any transaction (VACUUM)


class ListQuery:
    """Which checkpoints ``list`` returns, and where the next page starts."""

    __slots__ = ("after", "checkpoint_id", "checkpoint_ns", "filter", "limit", "thread_id")

    def __init__(
        self,
        config: RunnableConfig | None,
        filter: Mapping[str, Any] | None,
        before: RunnableConfig | None,
        limit: int | None,
    ) -> None:
        configurable = (config or {}).get("configurable") or {}
        thread_id = configurable.get("thread_id")
        ns = configurable.get("checkpoint_ns")
        checkpoint_id = configurable.get("checkpoint_id")
        self.thread_id = None if thread_id is None else str(thread_id)
        self.checkpoint_ns = None if ns is None else str(ns)
        self.checkpoint_id = None if checkpoint_id is None else str(checkpoint_id)
        self.filter = dict(filter or {})
        if limit is not None and limit < 0:
            raise ValueError(f"limit must be None or >= 0, not {limit}")
        self.limit = limit
        # Pages continue below (checkpoint_id, thread_id, checkpoint_ns) of the
        # last row; ``before`` starts the first page below its checkpoint.
        before_id = ((before or {}).get("configurable") or {}).get("checkpoint_id")
        self.after: tuple[str, str, str] | None = (
            None if before_id is None else (str(before_id), "", "")
        )

    def matches(self, metadata: CheckpointMetadata) -> bool:
        """Whether ``metadata`` has every key/value of the filter."""
        if not self.filter:
            return True
        flat = metadata.as_dict()
        return all(key in flat and flat[key] == value for key, value in self.filter.items())


def validate_keep(keep: Keep) -> int:
    if keep == "latest":
        return 1
    if isinstance(keep, int) and not isinstance(keep, bool) and keep >= 0:
        return keep
    raise ValueError(f'keep must be "latest" or a count >= 0, not {keep!r}')


def _prune_args(
    thread_ids: Sequence[str], keep: Keep, older_than: timedelta | None
) -> tuple[list[str], int, float | None]:
    count = validate_keep(keep)
    if older_than is None:
        return [str(t) for t in thread_ids], count, None
    if not isinstance(older_than, timedelta) or older_than < timedelta(0):
        raise ValueError(f"older_than must be a timedelta >= 0, not {older_than!r}")
    return [str(t) for t in thread_ids], count, time.time() - older_than.total_seconds()


def made_before(ts: str, cutoff: float | None) -> bool:
    """Whether a checkpoint with timestamp ``ts`` was made before ``cutoff``
    (always, for no cutoff). A ``ts`` without a zone is read as UTC; one that
    is not an ISO 8601 time is never "before", so pruning by age keeps it."""
    if cutoff is None:
        return True
    try:
        made = datetime.fromisoformat(ts)
    except (TypeError, ValueError):
        return False
    if made.tzinfo is None:
        made = made.replace(tzinfo=timezone.utc)
    return made.timestamp() < cutoff


class SaverFaces(abc.ABC):
    """The public methods of a saver, both faces, built on its ops.

    A subclass provides the ops (``_put_op`` ...) and how to run one
    (``_arun_op``, ``_run_op``, ``_submit_op``).
    """

    #: True when ``aput`` stores without suspending and keeps its own copies of
    #: the maps it is given: the engine then neither queues puts (durability
    #: "async") nor copies a checkpoint's maps before handing them over.
    stores_at_once: ClassVar[bool] = False

    # -- what a backend provides

    @abc.abstractmethod
    async def _arun_op(self, op: Op[T]) -> T: ...

    @abc.abstractmethod
    def _run_op(self, op: Op[T]) -> T: ...

    @abc.abstractmethod
    def _submit_op(self, op: Op[T]) -> JobFuture[T]:
        """Start ``op`` now and return its future (for write-behind queues)."""

    @abc.abstractmethod
    def _put_op(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: Mapping[str, ChannelVersion],
        writes: Sequence[TaskWrites],
    ) -> Op[RunnableConfig]: ...

    @abc.abstractmethod
    def _put_writes_op(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str,
    ) -> Op[None]: ...

    @abc.abstractmethod
    def _get_tuple_op(self, config: RunnableConfig) -> Op[CheckpointTuple | None]: ...

    @abc.abstractmethod
    def _list_op(self, query: ListQuery) -> Op[tuple[list[CheckpointTuple], bool]]:
        """One page of ``list``; ``True`` when more may follow (``query.after``
        and ``query.limit`` are advanced by the op)."""

    @abc.abstractmethod
    def _delete_thread_op(self, thread_id: str) -> Op[None]: ...

    @abc.abstractmethod
    def _copy_thread_op(self, source: str, target: str) -> Op[None]: ...

    @abc.abstractmethod
    def _prune_op(self, thread_ids: Sequence[str], keep: int, cutoff: float | None) -> Op[None]:
        """Delete, per namespace, the checkpoints after the newest ``keep`` that
        were made before ``cutoff`` (seconds since the epoch; None: all of them)."""

    @abc.abstractmethod
    def _delete_for_runs_op(self, run_ids: Sequence[str]) -> Op[None]: ...

    # -- the async face

    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata | Mapping[str, Any],
        new_versions: Mapping[str, ChannelVersion],
        *,
        writes: Sequence[TaskWrites] = (),
    ) -> RunnableConfig:
        """Store ``checkpoint`` as the child of ``config``'s checkpoint and return
        the config that points at it.

        Only the channels in ``new_versions`` are stored anew; the others are
        shared with the earlier checkpoints of the thread and namespace that
        stored them at the same version (so list every channel the step
        changed, and every channel of a thread's first checkpoint). ``writes`` (the tasks of the step that
        produced this checkpoint) are stored with the parent checkpoint in the
        same transaction, so a crash keeps both or neither.

        Raises :class:`~actorgraph.errors.CheckpointError` for a config without
        ``thread_id``, :class:`~actorgraph.errors.SerializationError` naming the
        channel for a value that cannot be stored (nothing is written then).
        Cancellation never leaves half a checkpoint: the commit finishes first.
        """
        return await self._arun_op(
            self._put_op(config, checkpoint, as_metadata(metadata), new_versions, writes)
        )

    async def aput_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        """Store the writes of task ``task_id`` as pending writes of ``config``'s
        checkpoint. Idempotent per (task, position); a write to a special
        channel (``__error__``, ``__interrupt__`` ...) replaces the earlier one."""
        await self._arun_op(self._put_writes_op(config, writes, task_id, task_path))

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        """The checkpoint ``config`` names (its ``checkpoint_id``, else the newest
        of its thread and namespace) with metadata, parent and pending writes,
        or ``None``.

        Raises :class:`~actorgraph.errors.CheckpointError` naming the thread and
        checkpoint when stored data cannot be decoded. Cancelling it abandons
        the read (a running SQLite statement is interrupted).
        """
        return await self._arun_op(self._get_tuple_op(config))

    def alist(
        self,
        config: RunnableConfig | None,
        *,
        filter: Mapping[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        """Checkpoints newest first: of ``config``'s thread (and namespace, when
        the config names one; every thread for ``None``), whose metadata has
        every ``filter`` item, older than ``before``, at most ``limit``.

        Fetched page by page; leaving the ``async for`` early is free (the
        iterator holds no resource, so there is nothing to close), and so is
        cancelling it mid-page.
        """
        return _Listing(self, ListQuery(config, filter, before, limit))

    async def adelete_thread(self, thread_id: str) -> None:
        """Delete every checkpoint, pending write and stored value of the thread,
        in every namespace, in one transaction (all or nothing, also when
        cancelled)."""
        await self._arun_op(self._delete_thread_op(str(thread_id)))

    async def acopy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        """Copy a thread's whole history (every namespace, pending writes and
        values, same checkpoint ids) to a new thread.

        Raises :class:`~actorgraph.errors.CheckpointError` if the target thread
        already has checkpoints.
        """
        await self._arun_op(self._copy_thread_op(str(source_thread_id), str(target_thread_id)))

    async def aprune(
        self,
        thread_ids: Sequence[str],
        *,
        keep: Keep = "latest",
        older_than: timedelta | None = None,
    ) -> None:
        """Keep only the newest ``keep`` checkpoints (``"latest"`` = 1) of each
        namespace of each thread; delete the rest with their pending writes and
        the stored values no kept checkpoint uses.

        With ``older_than``, only checkpoints made longer ago than that are
        deleted, and the newest ``keep`` are kept whatever their age
        (``keep=0, older_than=timedelta(days=30)``: everything older than 30
        days). A checkpoint whose ``ts`` is not an ISO 8601 time is kept.

        Raises:
            ValueError: for a ``keep`` that is not ``"latest"`` or a count >= 0,
                or an ``older_than`` that is not a timedelta >= 0.
        """
        await self._arun_op(self._prune_op(*_prune_args(thread_ids, keep, older_than)))

    async def adelete_for_runs(self, run_ids: Sequence[str]) -> None:
        """Delete the checkpoints (and their pending writes) made by these runs."""
        await self._arun_op(self._delete_for_runs_op([str(r) for r in run_ids]))

    # -- the plain face

    def put(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata | Mapping[str, Any],
        new_versions: Mapping[str, ChannelVersion],
        *,
        writes: Sequence[TaskWrites] = (),
    ) -> RunnableConfig:
        """:meth:`aput` for plain code."""
        return self._run(
            self._put_op(config, checkpoint, as_metadata(metadata), new_versions, writes)
        )

    def put_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        """:meth:`aput_writes` for plain code."""
        self._run(self._put_writes_op(config, writes, task_id, task_path))

    def get_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        """:meth:`aget_tuple` for plain code."""
        return self._run(self._get_tuple_op(config))

    def list(
        self,
        config: RunnableConfig | None,
        *,
        filter: Mapping[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> Iterator[CheckpointTuple]:
        """:meth:`alist` for plain code."""
        query = ListQuery(config, filter, before, limit)
        more = True
        while more:
            page, more = self._run(self._list_op(query))
            yield from page

    def delete_thread(self, thread_id: str) -> None:
        """:meth:`adelete_thread` for plain code."""
        self._run(self._delete_thread_op(str(thread_id)))

    def copy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        """:meth:`acopy_thread` for plain code."""
        self._run(self._copy_thread_op(str(source_thread_id), str(target_thread_id)))

    def prune(
        self,
        thread_ids: Sequence[str],
        *,
        keep: Keep = "latest",
        older_than: timedelta | None = None,
    ) -> None:
        """:meth:`aprune` for plain code."""
        self._run(self._prune_op(*_prune_args(thread_ids, keep, older_than)))

    def delete_for_runs(self, run_ids: Sequence[str]) -> None:
        """:meth:`adelete_for_runs` for plain code."""
        self._run(self._delete_for_runs_op([str(r) for r in run_ids]))

    # -- write-behind

    def write_behind(
        self, max_pending: int = 8, *, flush_timeout: float = 60.0
    ) -> AbstractAsyncContextManager[WriteBehind]:
        """A bounded queue of writes that commit in the background, for
        ``durability="async"``; see :class:`WriteBehind`::

            async with saver.write_behind(max_pending=8) as queue:
                next_config = await queue.put(config, checkpoint, metadata, versions)

        Leaving the block flushes every queued write, shielded from
        cancellation for at most ``flush_timeout`` seconds, and raises the
        first write that failed.
        """
        return open_write_behind(self, max_pending, flush_timeout)

    # -- versions

    def get_next_version(self, current: ChannelVersion | None, channel: str) -> ChannelVersion:
        """The version a channel gets when it changes: ``current + 1`` as an int."""
        if current is None:
            return 1
        if isinstance(current, int):
            return current + 1
        return int(str(current).split(".", 1)[0]) + 1

    def _run(self, op: Op[T]) -> T:
        self._refuse_on_event_loop(op.name)
        return self._run_op(op)

    def _refuse_on_event_loop(self, name: str) -> None:
        # Refused on a loop's thread by every saver, even one that would not
        # block there, so code that works with one saver works with all.
        backend = running_loop_backend()
        if backend is not None:
            raise EventLoopThreadError(
                f"{type(self).__name__}.{name}() is for plain code, and this thread runs "
                f"an event loop ({backend}): use {_async_twin(name)} instead"
            )


def _async_twin(name: str) -> str:
    if name == "setup":
        return "`async with saver:` (or `await saver.asetup()`)"
    if name == "close":
        return "`await saver.aclose()`"
    return f"`await saver.a{name}(...)`"


class _Listing:
    """The async iterator of :meth:`SaverFaces.alist`: one op per page."""

    __slots__ = ("_buffer", "_more", "_query", "_saver")

    def __init__(self, saver: SaverFaces, query: ListQuery) -> None:
        self._saver = saver
        self._query = query
        self._buffer: deque[CheckpointTuple] = deque()
        self._more = True

    def __aiter__(self) -> _Listing:
        return self

    async def __anext__(self) -> CheckpointTuple:
        while not self._buffer:
            if not self._more:
                raise StopAsyncIteration
            page, self._more = await self._saver._arun_op(self._saver._list_op(self._query))
            self._buffer.extend(page)
        return self._buffer.popleft()


def require_parent(
    writes: Sequence[TaskWrites], thread_id: str, checkpoint_ns: str, parent_id: str | None
) -> None:
    """Task writes belong to the parent checkpoint: refuse them without one."""
    if writes and parent_id is None:
        raise CheckpointError(
            "task writes were given for the first checkpoint of a thread; they belong "
            "to the checkpoint the tasks started from: pass that checkpoint's config",
            thread_id=thread_id,
            checkpoint_ns=checkpoint_ns,
        )


def writes_target(config: RunnableConfig) -> tuple[str, str, str]:
    """``(thread_id, checkpoint_ns, checkpoint_id)`` of the checkpoint that task
    writes attach to; raises :class:`CheckpointError` without a checkpoint id."""
    thread_id, ns, checkpoint_id = config_target(config)
    if checkpoint_id is None:
        raise CheckpointError(
            "put_writes needs the config of a checkpoint (with checkpoint_id), as returned by put",
            thread_id=thread_id,
            checkpoint_ns=ns,
        )
    return thread_id, ns, checkpoint_id


def write_index(channel: str, position: int) -> int:
    """The slot of a task's write: fixed for special channels, else its position."""
    return SPECIAL_WRITE_INDEX.get(channel, position)
