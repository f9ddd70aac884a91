"""Use actorgraph's savers from LangGraph: :class:`LangGraphSaver` presents an
:class:`~actorgraph.store.SqliteSaver` (or an
:class:`~actorgraph.store.InMemorySaver`) as a LangGraph
``BaseCheckpointSaver``::

    from langgraph.graph import StateGraph
    from actorgraph.store import SqliteSaver
    from actorgraph.store.langgraph_compat import LangGraphSaver

    graph = builder.compile(checkpointer=LangGraphSaver(SqliteSaver("chat.db")))

It passes LangGraph's own conformance suite (``langgraph-checkpoint-conformance``)
for every capability, base and extended. Needs the ``langgraph`` extra
(``pip install actorgraph[langgraph]``). Values go through actorgraph's
serializer: importing this module registers LangChain's message classes and
LangGraph's ``Send``, ``Interrupt`` and ``Command`` with the default registry;
register the other classes a graph stores with
:func:`actorgraph.store.serde.register`.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver as _LangGraphBase
from langgraph.checkpoint.base import ChannelVersions as _LangGraphVersions
from langgraph.checkpoint.base import Checkpoint as _LangGraphCheckpoint
from langgraph.checkpoint.base import CheckpointMetadata as _LangGraphMetadata
from langgraph.checkpoint.base import CheckpointTuple as _LangGraphTuple

from actorgraph.store.checkpoint import Checkpoint, CheckpointTuple, InMemorySaver, SqliteSaver
from actorgraph.store.serde import default_registry

__all__ = ["LangGraphSaver"]

_STRATEGIES = {"keep_latest": 1, "delete": 0}

_LANGCHAIN_MESSAGES = (
    "AIMessage",
    "AIMessageChunk",
    "ChatMessage",
    "ChatMessageChunk",
    "FunctionMessage",
    "FunctionMessageChunk",
    "HumanMessage",
    "HumanMessageChunk",
    "RemoveMessage",
    "SystemMessage",
    "SystemMessageChunk",
    "ToolMessage",
    "ToolMessageChunk",
)


def _register_langchain_messages() -> None:
    """LangGraph chat graphs keep LangChain messages in their state; make the
    default serializer know them (pydantic models: encoded field by field)."""
    messages = importlib.import_module("langchain_core.messages")
    for name in _LANGCHAIN_MESSAGES:
        cls = getattr(messages, name, None)
        if isinstance(cls, type) and not default_registry.is_registered(cls):
            default_registry.register(cls)


def _register_langgraph_types() -> None:
    """What LangGraph itself writes into checkpoints: ``Send`` packets (pending
    sends), ``Interrupt`` values, ``Command`` (when the ``langgraph`` package is
    installed; ``langgraph-checkpoint`` alone does not have them)."""
    try:
        types = importlib.import_module("langgraph.types")
    except ImportError:
        return
    send = types.Send
    if not default_registry.is_registered(send):
        default_registry.register(
            send,
            encode=lambda packet: [packet.node, packet.arg, packet.timeout],
            decode=lambda fields: send(fields[0], fields[1], timeout=fields[2]),
        )
    for cls in (types.Interrupt, types.Command):
        if not default_registry.is_registered(cls):
            default_registry.register(cls)


_register_langchain_messages()
_register_langgraph_types()


def _to_checkpoint(checkpoint: _LangGraphCheckpoint) -> Checkpoint:
    # LangGraph's legacy ``pending_sends`` key is dropped: it is always empty now.
    return Checkpoint(
        id=checkpoint["id"],
        ts=checkpoint["ts"],
        channel_values=dict(checkpoint.get("channel_values") or {}),
        channel_versions=dict(checkpoint.get("channel_versions") or {}),
        versions_seen={k: dict(v) for k, v in (checkpoint.get("versions_seen") or {}).items()},
        updated_channels=checkpoint.get("updated_channels"),
        v=checkpoint.get("v", 1),
    )


def _from_tuple(found: CheckpointTuple | None) -> _LangGraphTuple | None:
    return None if found is None else _converted(found)


def _converted(found: CheckpointTuple) -> _LangGraphTuple:
    cp = found.checkpoint
    checkpoint: _LangGraphCheckpoint = {
        "v": cp.v,
        "id": cp.id,
        "ts": cp.ts,
        "channel_values": cp.channel_values,
        "channel_versions": cp.channel_versions,
        "versions_seen": cp.versions_seen,
        "updated_channels": cp.updated_channels,
    }
    metadata: Any = found.metadata.as_dict()
    return _LangGraphTuple(
        config=found.config,
        checkpoint=checkpoint,
        metadata=metadata,
        parent_config=found.parent_config,
        pending_writes=list(found.pending_writes),
    )


def _keep(strategy: str) -> int:
    try:
        return _STRATEGIES[strategy]
    except KeyError:
        raise ValueError(
            f"unknown prune strategy {strategy!r}: use 'keep_latest' or 'delete'"
        ) from None


class LangGraphSaver(_LangGraphBase[Any]):
    """A LangGraph checkpointer backed by an actorgraph saver.

    Every method forwards to ``saver``, converting LangGraph's dict shapes to
    actorgraph's Structs and back; ``get_next_version`` is the saver's (fork-safe
    string versions for ``SqliteSaver``). The plain methods raise
    :class:`~actorgraph.errors.EventLoopThreadError` on an event loop's thread
    when the saver would block it. Cancellation behaves as in the saver.
    """

    def __init__(self, saver: SqliteSaver | InMemorySaver) -> None:
        super().__init__()
        self.saver = saver

    # -- async

    async def aget_tuple(self, config: Any) -> _LangGraphTuple | None:
        return _from_tuple(await self.saver.aget_tuple(config))

    async def alist(
        self,
        config: Any,
        *,
        filter: dict[str, Any] | None = None,
        before: Any = None,
        limit: int | None = None,
    ) -> AsyncIterator[_LangGraphTuple]:
        async for found in self.saver.alist(config, filter=filter, before=before, limit=limit):
            yield _converted(found)

    async def aput(
        self,
        config: Any,
        checkpoint: _LangGraphCheckpoint,
        metadata: _LangGraphMetadata,
        new_versions: _LangGraphVersions,
    ) -> Any:
        meta: Mapping[str, Any] = dict(metadata)
        return await self.saver.aput(config, _to_checkpoint(checkpoint), meta, new_versions)

    async def aput_writes(
        self,
        config: Any,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        await self.saver.aput_writes(config, writes, task_id, task_path)

    async def adelete_thread(self, thread_id: str) -> None:
        await self.saver.adelete_thread(thread_id)

    async def adelete_for_runs(self, run_ids: Sequence[str]) -> None:
        await self.saver.adelete_for_runs(run_ids)

    async def acopy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        await self.saver.acopy_thread(source_thread_id, target_thread_id)

    async def aprune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        await self.saver.aprune(thread_ids, keep=_keep(strategy))

    # -- plain

    def get_tuple(self, config: Any) -> _LangGraphTuple | None:
        return _from_tuple(self.saver.get_tuple(config))

    def list(
        self,
        config: Any,
        *,
        filter: dict[str, Any] | None = None,
        before: Any = None,
        limit: int | None = None,
    ) -> Iterator[_LangGraphTuple]:
        for found in self.saver.list(config, filter=filter, before=before, limit=limit):
            yield _converted(found)

    def put(
        self,
        config: Any,
        checkpoint: _LangGraphCheckpoint,
        metadata: _LangGraphMetadata,
        new_versions: _LangGraphVersions,
    ) -> Any:
        meta: Mapping[str, Any] = dict(metadata)
        return self.saver.put(config, _to_checkpoint(checkpoint), meta, new_versions)

    def put_writes(
        self,
        config: Any,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        self.saver.put_writes(config, writes, task_id, task_path)

    def delete_thread(self, thread_id: str) -> None:
        self.saver.delete_thread(thread_id)

    def delete_for_runs(self, run_ids: Sequence[str]) -> None:
        self.saver.delete_for_runs(run_ids)

    def copy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        self.saver.copy_thread(source_thread_id, target_thread_id)

    def prune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        self.saver.prune(thread_ids, keep=_keep(strategy))

    def get_next_version(self, current: Any, channel: Any) -> Any:
        return self.saver.get_next_version(current, channel)
