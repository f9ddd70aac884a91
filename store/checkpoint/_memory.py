"""``InMemorySaver``: checkpoints in dicts, for tests and quick starts."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import msgspec

from actorgraph.channels._errors import CheckpointError
from actorgraph.store._config import RunnableConfig
from actorgraph.store._sqlite_threads import JobFuture
from actorgraph.store.checkpoint._base import (
    ListQuery,
    Op,
    SaverFaces,
    made_before,
    require_parent,
    writes_target,
)
from actorgraph.store.checkpoint._memory_entries import (
    Entry,
    Rebuilds,
    relink,
    store_changes,
    store_snapshot,
)
from actorgraph.store.checkpoint._types import (
    SPECIAL_WRITE_INDEX,
    ChannelVersion,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    PendingWrite,
    TaskWrites,
    checkpoint_config,
    config_target,
)

__all__ = ["InMemorySaver"]

T = TypeVar("T")


# (task_id, channel, value, task_path), keyed by (task_id, slot)
_Writes = dict[tuple[str, int], tuple[str, str, Any, str]]
# A step's task writes as the engine hands them over: (task_id, writes, task_path)
# per task, made into _Writes only when read or added to (most never are). The
# engine's task ids may come as a call that makes the id (a hash), made then too.
_RawWrites = list[tuple["str | Callable[[], str]", list[tuple[str, Any]], str]]


class _Space:
    """The checkpoints of one thread and namespace, its newest id, and the
    pending writes of its checkpoints (by checkpoint id)."""

    __slots__ = ("entries", "latest", "writes")

    def __init__(self) -> None:
        self.entries: dict[str, Entry] = {}
        self.latest = ""
        self.writes: dict[str, _Writes | _RawWrites] = {}

    def copy(self) -> _Space:
        space = _Space()
        space.entries = dict(self.entries)
        space.latest = self.latest
        # Raw lists are never changed (they are replaced when made into _Writes).
        space.writes = {
            cid: stored if isinstance(stored, list) else dict(stored)
            for cid, stored in self.writes.items()
        }
        return space


def _made(raw: _RawWrites) -> _Writes:
    """A step's task writes as stored writes: a later write to a slot replaces
    an earlier one of the same task, and a task named again adds its writes
    as ``put_writes`` would."""
    stored: _Writes = {}
    special = SPECIAL_WRITE_INDEX
    done: set[str] = set()
    for given, task_writes, task_path in raw:
        task_id = given if isinstance(given, str) else given()
        if task_id in done:  # the same task twice: as put_writes
            _add_writes(stored, task_writes, task_id, task_path)
            continue
        done.add(task_id)
        for position, (channel, value) in enumerate(task_writes):
            stored[task_id, special.get(channel, position)] = (task_id, channel, value, task_path)
    return stored


def _add_writes(
    stored: _Writes, writes: Sequence[tuple[str, Any]], task_id: str, task_path: str
) -> None:
    special = SPECIAL_WRITE_INDEX
    for position, (channel, value) in enumerate(writes):
        slot = special.get(channel, position)
        if slot < 0 or (task_id, slot) not in stored:
            stored[task_id, slot] = (task_id, channel, value, task_path)


class InMemorySaver(SaverFaces):
    """A checkpointer that keeps every checkpoint in memory, in this process.

    Checkpoints are kept as immutable snapshots, each as the channels it
    changed on its parent checkpoint (values and the per-node maps of
    ``versions_seen`` are shared, never encoded or copied, so treat them and
    every checkpoint ``get_tuple`` returns as read-only). A read rebuilds the
    channel maps and keeps the newest rebuilds, so reading the latest
    checkpoint again is a dictionary lookup. Nothing survives the process:
    use :class:`SqliteSaver` for that. Thread-safe. Like every saver's, its
    plain methods raise :class:`~actorgraph.errors.EventLoopThreadError` on an
    event loop's thread. Its async methods finish without suspending, so
    there is nothing to cancel.
    """

    stores_at_once = True

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # thread -> namespace -> its checkpoints and writes
        self._threads: dict[str, dict[str, _Space]] = {}
        self._rebuilds = Rebuilds()

    # -- running ops: directly, under the lock

    async def _arun_op(self, op: Op[T]) -> T:
        return self._run_op(op)

    def _run_op(self, op: Op[T]) -> T:
        with self._lock:
            return op.fn(*op.args)

    def _submit_op(self, op: Op[T]) -> JobFuture[T]:
        future: JobFuture[T] = JobFuture()
        try:
            future.set_result(self._run_op(op))
        except Exception as error:  # noqa: BLE001 - delivered through the future
            future.set_exception(error)
        return future

    # -- ops

    def _space(self, thread_id: str, ns: str) -> _Space:
        namespaces = self._threads.get(thread_id)
        if namespaces is None:
            namespaces = self._threads[thread_id] = {}
        space = namespaces.get(ns)
        if space is None:
            space = namespaces[ns] = _Space()
        return space

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
        snapshot = msgspec.structs.replace(
            checkpoint,
            channel_values=dict(checkpoint.channel_values),
            channel_versions=dict(checkpoint.channel_versions),
            # Outer maps only: copying every node's map each step made a put
            # cost the size of the graph. The engine never changes a per-node
            # map it has handed over (it replaces them), and callers must not either.
            versions_seen=dict(checkpoint.versions_seen),
        )
        task_writes = [(task.task_id, list(task.writes), task.task_path) for task in writes]
        return Op(
            "put",
            self._put_snapshot,
            thread_id,
            ns,
            parent_id,
            snapshot,
            metadata,
            task_writes,
            write=True,
        )

    def _put_snapshot(
        self,
        thread_id: str,
        ns: str,
        parent_id: str | None,
        snapshot: Checkpoint,
        metadata: CheckpointMetadata,
        task_writes: _RawWrites,
    ) -> RunnableConfig:
        space = self._space(thread_id, ns)
        base = None if parent_id is None else space.entries.get(parent_id)
        entry = store_snapshot(base, snapshot, metadata, parent_id, self._rebuilds)
        return self._keep(thread_id, ns, space, entry, task_writes)

    def _owned_put(self) -> Callable[..., RunnableConfig] | None:
        """The engine's way to store a checkpoint (:meth:`_put_owned`), or None
        when a subclass changed how ``put`` works (then the engine calls ``aput``)."""
        return self._put_owned if self._untouched("aput", "_put_op") else None

    def _owned_get(self) -> Callable[[str, str, str | None], CheckpointTuple | None] | None:
        """The engine's way to read a checkpoint without building a config and
        an op (:meth:`_get_owned`), or None when a subclass changed how
        ``get_tuple`` works (then the engine calls ``aget_tuple``)."""
        return self._get_owned if self._untouched("aget_tuple", "_get_tuple_op") else None

    def _owned_put_writes(
        self,
    ) -> Callable[[str, str, str, list[tuple[str, Any]], str, str], None] | None:
        """The engine's way to store a task's pending writes, as lists made for
        this saver alone (:meth:`_put_writes_owned`), or None when a subclass
        changed how ``put_writes`` works (then the engine calls ``aput_writes``)."""
        return self._put_writes_owned if self._untouched("aput_writes", "_put_writes_op") else None

    def _untouched(self, face: str, op: str) -> bool:
        """Whether this saver's class kept the async ``face`` and the ``op``
        builder behind it as they are here: only then may the engine skip them."""
        cls = type(self)
        return getattr(cls, face) is getattr(SaverFaces, face) and getattr(cls, op) is getattr(
            InMemorySaver, op
        )

    def _put_writes_owned(
        self,
        thread_id: str,
        ns: str,
        checkpoint_id: str,
        writes: list[tuple[str, Any]],
        task_id: str,
        task_path: str,
    ) -> None:
        """``aput_writes`` of (thread, namespace, checkpoint) without building a
        config and an op, for the engine; ``writes`` is never changed after."""
        with self._lock:
            self._put_writes(thread_id, ns, checkpoint_id, writes, task_id, task_path)

    def _get_owned(
        self, thread_id: str, ns: str, checkpoint_id: str | None
    ) -> CheckpointTuple | None:
        """``aget_tuple`` of (thread, namespace, id or None for the newest), for the engine."""
        with self._lock:
            return self._get_tuple(thread_id, ns, checkpoint_id)

    def _put_owned(
        self,
        thread_id: str,
        ns: str,
        parent_id: str | None,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        task_writes: _RawWrites,
        new_versions: dict[str, ChannelVersion] | None = None,
        volatile: tuple[str, ...] = (),
    ) -> RunnableConfig:
        """``aput`` without its copies and checks, for the engine.

        With ``new_versions`` (see :func:`store_changes`: every channel that
        changed since the parent) the checkpoint's maps may be the engine's
        live ones: only the changes are copied, now. Without it the maps were made for this call and are kept
        as they are. The write lists are kept as they are; ``parent_id`` is
        not None when there are task writes.
        """
        with self._lock:
            namespaces = self._threads.get(thread_id)
            space = None if namespaces is None else namespaces.get(ns)
            if space is None:
                space = self._space(thread_id, ns)
            base = None if parent_id is None else space.entries.get(parent_id)
            if new_versions is None:
                entry = store_snapshot(base, checkpoint, metadata, parent_id, self._rebuilds)
            else:
                entry = store_changes(base, checkpoint, metadata, parent_id, new_versions, volatile)
            return self._keep(thread_id, ns, space, entry, task_writes)

    def _keep(
        self, thread_id: str, ns: str, space: _Space, entry: Entry, task_writes: _RawWrites
    ) -> RunnableConfig:
        checkpoint_id = entry.id
        space.entries[checkpoint_id] = entry
        if checkpoint_id > space.latest:
            space.latest = checkpoint_id
        parent_id = entry.parent_id
        if parent_id is not None and task_writes:
            stored = space.writes.get(parent_id)
            if stored is None:
                space.writes[parent_id] = task_writes
            else:
                made = self._made_writes(space, parent_id)
                for given, writes, task_path in task_writes:
                    task_id = given if isinstance(given, str) else given()
                    _add_writes(made, writes, task_id, task_path)
        return checkpoint_config(thread_id, ns, checkpoint_id)

    @staticmethod
    def _made_writes(space: _Space, checkpoint_id: str) -> _Writes:
        stored = space.writes.get(checkpoint_id)
        if stored is None:
            made: _Writes = {}
        elif isinstance(stored, list):
            made = _made(stored)
        else:
            return stored
        space.writes[checkpoint_id] = made
        return made

    def _put_writes_op(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str,
    ) -> Op[None]:
        thread_id, ns, checkpoint_id = writes_target(config)
        return Op(
            "put_writes",
            self._put_writes,
            thread_id,
            ns,
            checkpoint_id,
            list(writes),
            task_id,
            task_path,
            write=True,
        )

    def _put_writes(
        self,
        thread_id: str,
        ns: str,
        checkpoint_id: str,
        writes: list[tuple[str, Any]],
        task_id: str,
        task_path: str,
    ) -> None:
        space = self._space(thread_id, ns)
        _add_writes(self._made_writes(space, checkpoint_id), writes, task_id, task_path)

    def _get_tuple_op(self, config: RunnableConfig) -> Op[CheckpointTuple | None]:
        thread_id, ns, checkpoint_id = config_target(config)
        return Op("get_tuple", self._get_tuple, thread_id, ns, checkpoint_id, write=False)

    def _get_tuple(
        self, thread_id: str, ns: str, checkpoint_id: str | None
    ) -> CheckpointTuple | None:
        namespaces = self._threads.get(thread_id)
        space = None if namespaces is None else namespaces.get(ns)
        if space is None:
            return None
        entry = space.entries.get(space.latest if checkpoint_id is None else checkpoint_id)
        if entry is None:
            return None
        return self._tuple(thread_id, ns, space, entry)

    def _tuple(
        self,
        thread_id: str,
        ns: str,
        space: _Space,
        entry: Entry,
        memo: dict[int, tuple[Entry, Checkpoint]] | None = None,
    ) -> CheckpointTuple:
        checkpoint_id = entry.id
        pending: list[PendingWrite] = []
        if checkpoint_id in space.writes:
            stored = self._made_writes(space, checkpoint_id)
            # The order the engine applies a step's writes in: task path, task, slot.
            order = sorted(stored.items(), key=lambda item: (item[1][3], *item[0]))
            pending = [write[:3] for _, write in order]
        return CheckpointTuple(
            config=checkpoint_config(thread_id, ns, checkpoint_id),
            checkpoint=self._rebuilds.checkpoint(entry, memo),
            metadata=entry.metadata,
            parent_config=(
                None
                if entry.parent_id is None
                else checkpoint_config(thread_id, ns, entry.parent_id)
            ),
            pending_writes=pending,
        )

    def _list_op(self, query: ListQuery) -> Op[tuple[list[CheckpointTuple], bool]]:
        return Op("list", self._list, query, write=False)

    def _list(self, query: ListQuery) -> tuple[list[CheckpointTuple], bool]:
        rows: list[tuple[str, str, str, _Space, Entry]] = []
        threads = (
            self._threads.items()
            if query.thread_id is None
            else [(query.thread_id, self._threads.get(query.thread_id, {}))]
        )
        for thread_id, namespaces in threads:
            for ns, space in namespaces.items():
                if query.checkpoint_ns is not None and ns != query.checkpoint_ns:
                    continue
                for checkpoint_id, entry in space.entries.items():
                    if query.checkpoint_id is not None and checkpoint_id != query.checkpoint_id:
                        continue
                    rows.append((checkpoint_id, thread_id, ns, space, entry))
        rows.sort(key=lambda row: row[:3], reverse=True)
        page: list[CheckpointTuple] = []
        memo: dict[int, tuple[Entry, Checkpoint]] = {}
        for checkpoint_id, thread_id, ns, space, entry in rows:
            if query.after is not None and (checkpoint_id, thread_id, ns) >= query.after:
                continue
            if query.limit is not None and len(page) >= query.limit:
                break
            if query.matches(entry.metadata):
                page.append(self._tuple(thread_id, ns, space, entry, memo))
        return page, False

    def _delete_thread_op(self, thread_id: str) -> Op[None]:
        return Op("delete_thread", self._delete_thread, thread_id, write=True)

    def _delete_thread(self, thread_id: str) -> None:
        self._threads.pop(thread_id, None)

    def _copy_thread_op(self, source: str, target: str) -> Op[None]:
        return Op("copy_thread", self._copy_thread, source, target, write=True)

    def _copy_thread(self, source: str, target: str) -> None:
        if any(space.entries for space in self._threads.get(target, {}).values()):
            raise CheckpointError(
                f"cannot copy thread {source!r} into {target!r}: the target already has "
                "checkpoints; delete it first or pick a new thread id",
                thread_id=target,
            )
        namespaces = self._threads.get(source)
        if not namespaces:
            return
        # Entries never change once stored: the copy shares them.
        copied = self._threads.setdefault(target, {})
        for ns, space in namespaces.items():
            copy = space.copy()
            earlier = copied.get(ns)
            if earlier is not None:  # writes stored for checkpoints it does not have
                copy.writes = {**earlier.writes, **copy.writes}
            copied[ns] = copy

    def _prune_op(self, thread_ids: Sequence[str], keep: int, cutoff: float | None) -> Op[None]:
        return Op("prune", self._prune, list(thread_ids), keep, cutoff, write=True)

    def _prune(self, thread_ids: list[str], keep: int, cutoff: float | None) -> None:
        for thread_id in thread_ids:
            for ns, space in list(self._threads.get(thread_id, {}).items()):
                entries = space.entries
                doomed = [
                    cid
                    for cid in sorted(entries, reverse=True)[keep:]
                    if made_before(entries[cid].ts, cutoff)
                ]
                self._drop(thread_id, ns, doomed)

    def _delete_for_runs_op(self, run_ids: Sequence[str]) -> Op[None]:
        return Op("delete_for_runs", self._delete_for_runs, set(run_ids), write=True)

    def _delete_for_runs(self, run_ids: set[str]) -> None:
        for thread_id, namespaces in list(self._threads.items()):
            for ns, space in list(namespaces.items()):
                doomed = [cid for cid, e in space.entries.items() if e.metadata.run_id in run_ids]
                self._drop(thread_id, ns, doomed)

    def _drop(self, thread_id: str, ns: str, checkpoint_ids: list[str]) -> None:
        if not checkpoint_ids:
            return
        space = self._threads[thread_id][ns]
        entries = space.entries
        for checkpoint_id in checkpoint_ids:
            del entries[checkpoint_id]
            space.writes.pop(checkpoint_id, None)
        if entries:
            space.latest = max(entries)
            relink(entries, self._rebuilds)
            return
        del self._threads[thread_id][ns]
        if not self._threads[thread_id]:
            del self._threads[thread_id]
