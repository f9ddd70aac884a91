"""For the engine: give the messages of one task's write their ids at write time.

``add_messages`` derives ids for id-less messages from the current
:func:`~actorgraph.graph._message_ids.message_id_scope`. When the engine applies a
channel's writes from several tasks in one ``update`` call it cannot open a scope
per write; it can instead stamp each write as the task hands it in::

    if channel_reducer is add_messages:
        value = stamp_message_ids(value, f"{task_id}:{write_index}")

The write then carries its ids and the reducer keeps them, whatever order the
writes are applied in and however often they are replayed.
"""

from __future__ import annotations

from actorgraph._messages.convert import Messages
from actorgraph._messages.types import BaseMessage
from actorgraph.graph._message_ids import message_id_scope
from actorgraph.graph.message import _as_stored

__all__ = ["stamp_message_ids"]


def stamp_message_ids(value: Messages, seed: str) -> list[BaseMessage]:
    """``value`` read as messages, chunks joined, each id-less one given the id
    derived from ``seed`` and its position. Raises
    :class:`~actorgraph.errors.InvalidMessageError` naming the position of a value
    that is not message-like."""
    with message_id_scope(seed):
        return _as_stored(value, "write", [])
