"""``InMemorySaver``: checkpoints in dicts, for tests and quick starts."""

from __future__ import annotations

import concurrent.futures as cf
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import msgspec

from actorgraph.channels._errors import CheckpointError
from actorgraph.store._config import RunnableConfig
from actorgraph.store.checkpoint._base import (
    ListQuery,
    Op,
    SaverFaces,
    made_before,
    require_parent,
    writes_target,
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


class _Entry(msgspec.Struct, frozen=True):
    # A Struct: one is made per put, and a NamedTuple's constructor costs 3x more.
    checkpoint: Checkpoint
    metadata: CheckpointMetadata
    parent_id: str | None


# (task_id, channel, value, task_path), keyed by (task_id, slot)
_Writes = dict[tuple[str, int], tuple[str, str, Any, str]]


class InMemorySaver(SaverFaces):
    """A checkpointer that keeps every checkpoint in memory, in this process.

    Checkpoints are kept as immutable snapshots (the saver copies the channel
    maps it is given; values and the per-node maps of ``versions_seen`` are
    shared, never encoded or copied, so treat them as read-only), so
    ``get_tuple`` is a dictionary lookup. Nothing survives the process: use :class:`SqliteSaver`
    for that. Thread-safe. Like every saver's, its plain methods raise
    :class:`~actorgraph.errors.EventLoopThreadError` on an event loop's thread.
    Its async methods finish without suspending, so there is nothing to cancel.
    """

    stores_at_once = True

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # thread -> namespace -> checkpoint id -> entry
        self._threads: dict[str, dict[str, dict[str, _Entry]]] = {}
        self._latest: dict[tuple[str, str], str] = {}
        self._writes: dict[tuple[str, str, str], _Writes] = {}

    # -- running ops: directly, under the lock

    async def _arun_op(self, op: Op[T]) -> T:
        return self._run_op(op)

    def _run_op(self, op: Op[T]) -> T:
        with self._lock:
            return op.fn(*op.args)

    def _submit_op(self, op: Op[T]) -> cf.Future[T]:
        future: cf.Future[T] = cf.Future()
        try:
            future.set_result(self._run_op(op))
        except Exception as error:  # noqa: BLE001 - delivered through the future
            future.set_exception(error)
        return future

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
        snapshot = msgspec.structs.replace(
            checkpoint,
            channel_values=dict(checkpoint.channel_values),
            channel_versions=dict(checkpoint.channel_versions),
            # Outer maps only: copying every node's map each step made a put
            # cost the size of the graph. The engine never changes a per-node
            # map it has handed over (it replaces them), and callers must not either.
            versions_seen=dict(checkpoint.versions_seen),
        )
        entry = _Entry(snapshot, metadata, parent_id)
        task_writes = [(task.task_id, list(task.writes), task.task_path) for task in writes]
        return Op("put", self._put, thread_id, ns, entry, task_writes, write=True)

    def _owned_put(self) -> Callable[..., RunnableConfig] | None:
        """The engine's way to store a checkpoint whose maps it made for this
        saver alone (:meth:`_put_owned`), or None when a subclass changed how
        ``put`` works (then the engine calls ``aput``)."""
        cls = type(self)
        if cls.aput is SaverFaces.aput and cls._put_op is InMemorySaver._put_op:
            return self._put_owned
        return None

    def _owned_get(self) -> Callable[[str, str, str | None], CheckpointTuple | None] | None:
        """The engine's way to read a checkpoint without building a config and
        an op (:meth:`_get_owned`), or None when a subclass changed how
        ``get_tuple`` works (then the engine calls ``aget_tuple``)."""
        cls = type(self)
        if (
            cls.aget_tuple is SaverFaces.aget_tuple
            and cls._get_tuple_op is InMemorySaver._get_tuple_op
        ):
            return self._get_owned
        return None

    def _owned_put_writes(
        self,
    ) -> Callable[[str, str, str, list[tuple[str, Any]], str, str], None] | None:
        """The engine's way to store a task's pending writes, as lists made for
        this saver alone (:meth:`_put_writes_owned`), or None when a subclass
        changed how ``put_writes`` works (then the engine calls ``aput_writes``)."""
        cls = type(self)
        if (
            cls.aput_writes is SaverFaces.aput_writes
            and cls._put_writes_op is InMemorySaver._put_writes_op
        ):
            return self._put_writes_owned
        return None

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
        task_writes: list[tuple[str, list[tuple[str, Any]], str]],
    ) -> RunnableConfig:
        """``aput`` without its copies and checks, for the engine.

        The checkpoint's maps and the write lists were made for this call and
        are never changed after it, so they are kept as they are; ``parent_id``
        is not None when there are task writes.
        """
        with self._lock:
            return self._put(thread_id, ns, _Entry(checkpoint, metadata, parent_id), task_writes)

    def _put(
        self,
        thread_id: str,
        ns: str,
        entry: _Entry,
        task_writes: list[tuple[str, list[tuple[str, Any]], str]],
    ) -> RunnableConfig:
        checkpoint_id = entry.checkpoint.id
        namespaces = self._threads.get(thread_id)
        if namespaces is None:
            namespaces = self._threads[thread_id] = {}
        entries = namespaces.get(ns)
        if entries is None:
            entries = namespaces[ns] = {}
        entries[checkpoint_id] = entry
        key = (thread_id, ns)
        latest = self._latest.get(key)
        if latest is None or checkpoint_id > latest:
            self._latest[key] = checkpoint_id
        parent_id = entry.parent_id
        if parent_id is not None and task_writes:
            writes_key = (thread_id, ns, parent_id)
            stored = self._writes.get(writes_key)
            special = SPECIAL_WRITE_INDEX
            if stored is None and len(task_writes) == 1:
                # One task, nothing stored for the parent yet (a chain's step):
                # each slot is new; a later write to a slot replaces an earlier
                # one, as in the loop below.
                task_id, task_writes_list, task_path = task_writes[0]
                self._writes[writes_key] = {
                    (task_id, special.get(channel, position)): (task_id, channel, value, task_path)
                    for position, (channel, value) in enumerate(task_writes_list)
                }
            elif stored is None:
                # Nothing stored for the parent yet (a step's usual save): every
                # (task, slot) is new, so the writes go in without the checks.
                stored = self._writes[writes_key] = {}
                done: set[str] = set()
                for task_id, task_writes_list, task_path in task_writes:
                    if task_id in done:  # the same task twice: the first write wins
                        self._put_writes(
                            thread_id, ns, parent_id, task_writes_list, task_id, task_path
                        )
                        continue
                    done.add(task_id)
                    for position, (channel, value) in enumerate(task_writes_list):
                        stored[task_id, special.get(channel, position)] = (
                            task_id,
                            channel,
                            value,
                            task_path,
                        )
            else:
                for task_id, task_writes_list, task_path in task_writes:
                    self._put_writes(thread_id, ns, parent_id, task_writes_list, task_id, task_path)
        return checkpoint_config(thread_id, ns, checkpoint_id)

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
        key = (thread_id, ns, checkpoint_id)
        stored = self._writes.get(key)
        if stored is None:
            stored = self._writes[key] = {}
        special = SPECIAL_WRITE_INDEX
        for position, (channel, value) in enumerate(writes):
            slot = special.get(channel, position)
            if slot < 0 or (task_id, slot) not in stored:
                stored[task_id, slot] = (task_id, channel, value, task_path)

    def _get_tuple_op(self, config: RunnableConfig) -> Op[CheckpointTuple | None]:
        thread_id, ns, checkpoint_id = config_target(config)
        return Op("get_tuple", self._get_tuple, thread_id, ns, checkpoint_id, write=False)

    def _get_tuple(
        self, thread_id: str, ns: str, checkpoint_id: str | None
    ) -> CheckpointTuple | None:
        if checkpoint_id is None:
            checkpoint_id = self._latest.get((thread_id, ns))
            if checkpoint_id is None:
                return None
        entry = self._threads.get(thread_id, {}).get(ns, {}).get(checkpoint_id)
        if entry is None:
            return None
        return self._tuple(thread_id, ns, entry)

    def _tuple(self, thread_id: str, ns: str, entry: _Entry) -> CheckpointTuple:
        checkpoint_id = entry.checkpoint.id
        stored = self._writes.get((thread_id, ns, checkpoint_id)) or {}
        # The order the engine applies a step's writes in: task path, task, slot.
        order = sorted(stored.items(), key=lambda item: (item[1][3], *item[0]))
        pending: list[PendingWrite] = [write[:3] for _, write in order]
        return CheckpointTuple(
            config=checkpoint_config(thread_id, ns, checkpoint_id),
            checkpoint=entry.checkpoint,
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
        rows: list[tuple[str, str, str, _Entry]] = []
        threads = (
            self._threads.items()
            if query.thread_id is None
            else [(query.thread_id, self._threads.get(query.thread_id, {}))]
        )
        for thread_id, namespaces in threads:
            for ns, entries in namespaces.items():
                if query.checkpoint_ns is not None and ns != query.checkpoint_ns:
                    continue
                for checkpoint_id, entry in entries.items():
                    if query.checkpoint_id is not None and checkpoint_id != query.checkpoint_id:
                        continue
                    rows.append((checkpoint_id, thread_id, ns, entry))
        rows.sort(key=lambda row: row[:3], reverse=True)
        page: list[CheckpointTuple] = []
        for checkpoint_id, thread_id, ns, entry in rows:
            if query.after is not None and (checkpoint_id, thread_id, ns) >= query.after:
                continue
            if query.limit is not None and len(page) >= query.limit:
                break
            if query.matches(entry.metadata):
                page.append(self._tuple(thread_id, ns, entry))
        return page, False

    def _delete_thread_op(self, thread_id: str) -> Op[None]:
        return Op("delete_thread", self._delete_thread, thread_id, write=True)

    def _delete_thread(self, thread_id: str) -> None:
        for ns in self._threads.pop(thread_id, {}):
            self._latest.pop((thread_id, ns), None)
        for key in [key for key in self._writes if key[0] == thread_id]:
            del self._writes[key]

    def _copy_thread_op(self, source: str, target: str) -> Op[None]:
        return Op("copy_thread", self._copy_thread, source, target, write=True)

    def _copy_thread(self, source: str, target: str) -> None:
        if self._threads.get(target):
            raise CheckpointError(
                f"cannot copy thread {source!r} into {target!r}: the target already has "
                "checkpoints; delete it first or pick a new thread id",
                thread_id=target,
            )
        namespaces = self._threads.get(source)
        if not namespaces:
            return
        self._threads[target] = {ns: dict(entries) for ns, entries in namespaces.items()}
        for ns in namespaces:
            self._latest[target, ns] = self._latest[source, ns]
        for (thread_id, ns, checkpoint_id), stored in list(self._writes.items()):
            if thread_id == source:
                self._writes[target, ns, checkpoint_id] = dict(stored)

    def _prune_op(self, thread_ids: Sequence[str], keep: int, cutoff: float | None) -> Op[None]:
        return Op("prune", self._prune, list(thread_ids), keep, cutoff, write=True)

    def _prune(self, thread_ids: list[str], keep: int, cutoff: float | None) -> None:
        for thread_id in thread_ids:
            for ns, entries in list(self._threads.get(thread_id, {}).items()):
                doomed = [
                    cid
                    for cid in sorted(entries, reverse=True)[keep:]
                    if made_before(entries[cid].checkpoint.ts, cutoff)
                ]
                self._drop(thread_id, ns, doomed)

    def _delete_for_runs_op(self, run_ids: Sequence[str]) -> Op[None]:
        return Op("delete_for_runs", self._delete_for_runs, set(run_ids), write=True)

    def _delete_for_runs(self, run_ids: set[str]) -> None:
        for thread_id, namespaces in list(self._threads.items()):
            for ns, entries in list(namespaces.items()):
                doomed = [cid for cid, e in entries.items() if e.metadata.run_id in run_ids]
                self._drop(thread_id, ns, doomed)

    def _drop(self, thread_id: str, ns: str, checkpoint_ids: list[str]) -> None:
        if not checkpoint_ids:
            return
        entries = self._threads[thread_id][ns]
        for checkpoint_id in checkpoint_ids:
            del entries[checkpoint_id]
            self._writes.pop((thread_id, ns, checkpoint_id), None)
        if entries:
            self._latest[thread_id, ns] = max(entries)
            return
        del self._threads[thread_id][ns]
        del self._latest[thread_id, ns]
        if not self._threads[thread_id]:
            del self._threads[thread_id]
