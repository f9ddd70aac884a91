"""The ``messages`` stream mode: chat-model tokens from inside nodes, with metadata."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from actorgraph._messages.types import BaseMessage
from actorgraph._streaming import message_sink
from actorgraph.actors.pregel._spec import NodeCall
from actorgraph.actors.pregel._task import Task
from actorgraph.actors.pregel._types import Command

__all__ = ["stream_messages"]

_SEEN = "messages.seen"


def _messages_in(result: Any, bare: bool = False) -> list[BaseMessage]:
    """Messages a node returned (in its update dict or its Commands' updates).

    With ``bare`` (a task call) a returned message, or list of them, counts too.
    """
    found: list[BaseMessage] = []
    updates: list[Any] = []
    if bare and isinstance(result, BaseMessage):
        return [result]
    if bare and isinstance(result, (list, tuple)):
        return [item for item in result if isinstance(item, BaseMessage)]
    if isinstance(result, dict):
        updates.append(result)
    elif isinstance(result, Command):
        updates.append(result.update)
    elif isinstance(result, (list, tuple)):
        updates.extend(c.update for c in result if isinstance(c, Command))
    for update in updates:
        if not isinstance(update, dict):
            continue
        for value in update.values():
            items = value if isinstance(value, (list, tuple)) else (value,)
            found.extend(item for item in items if isinstance(item, BaseMessage))
    return found


def stream_messages(call: NodeCall, *, bare: bool = False) -> NodeCall:
    """Wrap a node for runs that stream ``messages`` (the engine uses it only then).

    Chat models called inside the node (at any depth, on any thread the node
    uses) stream ``(chunk, metadata)`` pairs; metadata holds the task's
    ``langgraph_*`` keys plus the model's ``tags`` and ``ls_*`` keys. Messages
    the node returns that were not streamed (a tool's reply, say) follow when
    the node finishes; with ``bare`` (task calls) so do returned messages.
    """

    async def call_streaming(task: Task) -> Any:
        run = task.run
        seen: set[str] = run.extras.setdefault(_SEEN, set())
        base = task.config.get("metadata", {})

        async def sink(chunk: BaseMessage, metadata: Mapping[str, Any]) -> None:
            if chunk.id:
                seen.add(chunk.id)
            await run.emit_live("messages", (chunk, {**base, **metadata}))

        with message_sink(sink):
            result = await call(task)
        for message in _messages_in(result, bare):
            if message.id is None or message.id not in seen:
                if message.id:
                    seen.add(message.id)
                await run.emit_live("messages", (message, dict(base)))
        return result

    return call_streaming
