"""The ``add_messages`` reducer and ``MessagesState``.

``add_messages(left, right)`` merges a write into a list of messages:

- ``right`` may be one message-like value or a list of them (see
  :func:`actorgraph.messages.convert_to_messages`): strings become
  ``HumanMessage``s, dicts and ``(role, content)`` tuples are read as messages;
  chunks are stored as the full messages they add up to;
- a message whose ``id`` is already in ``left`` replaces that message in place;
  any other message is appended (a later message with the same id in ``right``
  replaces an earlier one);
- ``RemoveMessage(id=...)`` deletes that message, and names an id that is not in
  the list raises :class:`~actorgraph.errors.InvalidMessageError` (a
  ``ValueError``) naming it;
- ``RemoveMessage(id=REMOVE_ALL_MESSAGES)`` drops every message before it, those
  of ``left`` and those earlier in ``right``; the messages after it are the result;
- a message without an id gets a deterministic one (see
  :mod:`actorgraph.graph._message_ids`), never a random one, so replaying or
  resuming a write never stores a message twice. Stored messages are copies:
  the objects a node returned are never mutated.

Neither argument is mutated; the result is a new list.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Annotated, cast

from typing_extensions import TypedDict

from actorgraph._messages.chunks import message_chunk_to_message
from actorgraph._messages.convert import Messages, convert_to_messages
from actorgraph._messages.types import (
    REMOVE_ALL_MESSAGES,
    AIMessage,
    AIMessageChunk,
    AnyMessage,
    BaseMessage,
    HumanMessage,
    RemoveMessage,
    SystemMessage,
    ToolMessage,
)
from actorgraph.channels._errors import InvalidMessageError
from actorgraph.graph._message_ids import derive_message_id, next_scoped_id

__all__ = ["REMOVE_ALL_MESSAGES", "MessagesState", "add_messages"]

_id_of = operator.attrgetter("id")
_shallow_copy: Callable[[BaseMessage], BaseMessage] = operator.methodcaller("__copy__")


def add_messages(left: Messages | None, right: Messages | None) -> list[BaseMessage]:
    """Merge ``right`` into ``left`` by message id; see the module docstring.

    Raises :class:`~actorgraph.errors.InvalidMessageError` when a value is not
    message-like (naming its position) or a ``RemoveMessage`` names an unknown id.
    """
    known = _recall(left)
    if known is None:
        old, ids, where = _index_left(left)
        shared = False
    else:
        old, ids, where = known
        shared = True
    new = _as_stored(right, "right", old)
    # The common write: new messages with ids the history does not hold. The
    # result is the history plus them, and its index is the old one extended.
    if len(new) == 1:
        message = new[0]
        new_id = message.id
        if type(message) in _STORED_TYPES and new_id not in where:
            merged = old + new
            if shared:
                where = dict(where)
            where[new_id] = len(old)
            _remember(merged, [*ids, new_id], where)
            return merged
    elif set(map(type, new)) <= _STORED_TYPES:
        new_ids = list(map(_id_of, new))
        if where.keys().isdisjoint(new_ids) and len(set(new_ids)) == len(new_ids):
            merged = old + new
            if shared:
                where = dict(where)
            where.update(zip(new_ids, range(len(old), len(merged)), strict=True))
            _remember(merged, ids + new_ids, where)
            return merged
    return _merge(old, new, where)


def _merge(
    old: list[BaseMessage], new: list[BaseMessage], where: dict[str | None, int]
) -> list[BaseMessage]:
    # The general merge: replacements by id, removals, remove-all. ``where`` may
    # be a remembered index: it is read, never changed.
    cut = _last_remove_all(new)
    if cut is not None:
        old, new, where = [], new[cut + 1 :], {}
    merged: list[BaseMessage | None] = list(old)
    added: dict[str | None, int] = {}
    removed = False
    for message in new:
        at = added.get(message.id)
        if at is None:
            at = where.get(message.id)
        if isinstance(message, RemoveMessage):
            if at is None or merged[at] is None:
                raise InvalidMessageError(
                    f"RemoveMessage(id={message.id!r}) names a message that is not in "
                    f"the list (ids present: {_some_ids(merged)}); remove only ids "
                    f"you read from the state"
                )
            merged[at] = None
            removed = True
        elif at is None:
            added[message.id] = len(merged)
            merged.append(message)
        else:
            merged[at] = message
    # Without removals no None was placed in ``merged``.
    result = [m for m in merged if m is not None] if removed else cast("list[BaseMessage]", merged)
    if set(map(type, result)) <= _STORED_TYPES:
        ids = list(map(_id_of, result))
        _remember(result, ids, dict(zip(ids, range(len(ids)), strict=True)))
    return result


# What a stored history holds: messages with ids, no chunks, no removals.
_STORED_TYPES = frozenset({HumanMessage, AIMessage, SystemMessage, ToolMessage})

# Histories this reducer returned, by ``id()``: the list itself, a copy of its
# items, their ids and the id index. An agent's next write extends the last
# history, so it is checked (C-level compares) instead of indexed again. Each
# entry holds its list, so an ``id()`` is never reused while remembered; a few
# are kept, a list no longer remembered is simply indexed again.
_Known = tuple[list[BaseMessage], list[BaseMessage], list[str | None], dict[str | None, int]]
_KNOWN: dict[int, _Known] = {}
_KEEP = 32


def _remember(
    messages: list[BaseMessage], ids: list[str | None], where: dict[str | None, int]
) -> None:
    known = _KNOWN
    if len(known) >= _KEEP:
        # Forgetting all at once is O(1) per call; evicting the oldest one by one
        # makes a dict scan its deleted slots. A forgotten history is indexed again.
        known.clear()
    known[id(messages)] = (messages, list(messages), ids, where)


def _recall(
    left: object,
) -> tuple[list[BaseMessage], list[str | None], dict[str | None, int]] | None:
    # A remembered history is used only if it is item for item what was stored
    # (a node may have changed the list in place) and every id is still the one
    # indexed (a node may have changed a message's id in place).
    entry = _KNOWN.get(id(left))
    if entry is None or entry[0] is not left:
        return None
    messages, items, ids, where = entry
    # A comprehension reads ``id`` faster than map(attrgetter) on these structs.
    if messages != items or [m.id for m in messages] != ids:
        return None
    return messages, ids, where


def _index_left(
    left: Messages | None,
) -> tuple[list[BaseMessage], list[str | None], dict[str | None, int]]:
    # A history this reducer stored but no longer remembers: check and index it
    # with C-level passes (map/zip) instead of coercing it again.
    if type(left) is list and set(map(type, left)) <= _STORED_TYPES:
        ids: list[str | None] = list(map(_id_of, left))
        if None not in ids:
            return left, ids, dict(zip(ids, range(len(ids)), strict=True))
    old = _as_stored(left, "left", None)
    ids = list(map(_id_of, old))
    return old, ids, dict(zip(ids, range(len(ids)), strict=True))


def _as_stored(
    value: Messages | None, side: str, left: list[BaseMessage] | None
) -> list[BaseMessage]:
    if value is None:
        return []
    try:
        messages = convert_to_messages(value)
    except InvalidMessageError as exc:
        raise InvalidMessageError(f"add_messages ({side} side): {exc}") from None
    seed: str | None = None
    for i, message in enumerate(messages):
        if isinstance(message, AIMessageChunk):
            message = messages[i] = message_chunk_to_message(message)
        if message.id is None:
            new_id = next_scoped_id() if left is not None else None
            if new_id is None:
                if seed is None:
                    seed = _seed_from(left, side)
                new_id = derive_message_id(seed, i)
            # A shallow copy (no __post_init__: the message was checked when built).
            stored = messages[i] = _shallow_copy(message)
            stored.id = new_id
    return messages


def _seed_from(left: list[BaseMessage] | None, side: str) -> str:
    if left is None:
        return side
    last = left[-1].id if left else ""
    return f"{side}|{last}|{len(left)}"


def _last_remove_all(messages: list[BaseMessage]) -> int | None:
    for i in range(len(messages) - 1, -1, -1):
        message = messages[i]
        if isinstance(message, RemoveMessage) and message.id == REMOVE_ALL_MESSAGES:
            return i
    return None


def _some_ids(messages: list[BaseMessage | None]) -> str:
    ids = [m.id for m in messages if m is not None]
    shown = ", ".join(repr(i) for i in ids[:5])
    return shown + (f", ... {len(ids) - 5} more" if len(ids) > 5 else "") if ids else "none"


class MessagesState(TypedDict):
    """A state with one key, ``messages``, merged by :func:`add_messages`.

    Subclass it to add keys: ``class State(MessagesState): summary: str``.
    """

    messages: Annotated[list[AnyMessage], add_messages]
