"""Where streamed chat-model tokens go while a graph runs (the ``messages`` mode).

A run that streams ``messages`` installs a sink around each task with
:func:`message_sink`; chat models call :func:`emit_message_chunk` for every chunk
they produce. Outside a run, or when the run does not stream messages, there is no
sink and emitting costs one context-variable lookup.

The sink is awaited, so a slow consumer slows the model down instead of growing a
buffer. It receives the chunk (an ``AIMessageChunk``, or a whole message when the
model does not stream) and the model's metadata: ``tags`` (the config's tags then
the model's), ``ls_model_name``, ``ls_model_type`` and the config's ``metadata``.
The engine adds its own keys (``langgraph_node``, ``langgraph_step``, ...).

A model tagged ``"nostream"`` (or ``"langsmith:nostream"``) is not streamed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Protocol

from actorgraph._messages.types import BaseMessage

__all__ = [
    "NOSTREAM_TAGS",
    "MessageSink",
    "current_message_sink",
    "emit_message_chunk",
    "message_sink",
]

NOSTREAM_TAGS = frozenset({"nostream", "langsmith:nostream"})


class MessageSink(Protocol):
    """Receives each streamed chunk with its metadata; may block for backpressure."""

    async def __call__(self, chunk: BaseMessage, metadata: Mapping[str, Any], /) -> None: ...


_SINK: ContextVar[MessageSink | None] = ContextVar("actorgraph_message_sink", default=None)


@contextmanager
def message_sink(sink: MessageSink | None) -> Iterator[None]:
    """Send the chunks emitted inside the block to ``sink`` (``None``: to nowhere).

    The previous sink is restored on exit, on errors and on cancellation alike.
    """
    token = _SINK.set(sink)
    try:
        yield
    finally:
        _SINK.reset(token)


def current_message_sink() -> MessageSink | None:
    """The sink of the current task, or ``None`` when nothing listens."""
    return _SINK.get()


async def emit_message_chunk(chunk: BaseMessage, metadata: Mapping[str, Any] | None = None) -> None:
    """Hand ``chunk`` to the current sink; does nothing when there is none.

    Waits while the sink applies backpressure; cancellation while waiting
    propagates to the caller (the chunk is then not delivered).
    """
    sink = _SINK.get()
    if sink is not None:
        await sink(chunk, metadata or {})
