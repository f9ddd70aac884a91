"""Reading message-like values (dicts, tuples, strings) as messages.

What is accepted, everywhere messages are (``add_messages``, chat models, agents):

- a message object, taken as it is;
- a plain string, read as a :class:`HumanMessage`;
- a ``(role, content)`` tuple;
- a dict with ``"role"`` (``user``, ``assistant``, ``system``, ``developer``,
  ``tool``) or ``"type"`` (``human``, ``ai``, ``system``, ``tool``, ``remove``,
  ``AIMessageChunk``): the encoded form of a message or an OpenAI-style dict.
  ``content`` may be missing (empty); the message's own fields (``id``, ``name``,
  ``tool_calls``, ``tool_call_id``, ...) are read and type-checked; any other key
  goes to ``additional_kwargs``. OpenAI-style tool calls
  (``{"type": "function", "function": {"name", "arguments"}}``) become
  :class:`ToolCall` dicts, or invalid tool calls when ``arguments`` is not JSON.

Anything else raises :class:`~actorgraph.errors.InvalidMessageError` naming the
position and the value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import msgspec

from actorgraph._messages.types import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    InvalidToolCall,
    MessageContent,
    RemoveMessage,
    SystemMessage,
    ToolCall,
    ToolMessage,
)
from actorgraph.channels._errors import InvalidMessageError

__all__ = ["MessageLike", "Messages", "convert_to_messages", "to_message"]

MessageLike = BaseMessage | str | tuple[str, MessageContent] | Mapping[str, Any]
"""One value that can be read as a message."""

Messages = MessageLike | Iterable[MessageLike]
"""One message-like value or a list of them."""

_CLASSES: dict[str, type[BaseMessage]] = {
    "human": HumanMessage,
    "user": HumanMessage,
    "ai": AIMessage,
    "assistant": AIMessage,
    "system": SystemMessage,
    "developer": SystemMessage,
    "tool": ToolMessage,
    "remove": RemoveMessage,
    "AIMessageChunk": AIMessageChunk,
}
_FIELDS: dict[type[BaseMessage], frozenset[str]] = {
    cls: frozenset(f.name for f in msgspec.structs.fields(cls)) for cls in _CLASSES.values()
}
_ACCEPTED = "a message, a str, a (role, content) tuple or a dict with 'role' or 'type'"


def convert_to_messages(messages: Messages) -> list[BaseMessage]:
    """Read ``messages`` (one message-like value or a list of them) as messages.

    A single message, string, tuple or dict gives a one-element list. Raises
    :class:`~actorgraph.errors.InvalidMessageError` naming the position and value
    of the first item that is not message-like.
    """
    if type(messages) is list:
        # The usual write: a list of message objects; skips the ABC checks below.
        return [
            item if isinstance(item, BaseMessage) else to_message(item, position)
            for position, item in enumerate(messages)
        ]
    if isinstance(messages, (BaseMessage, str, tuple, Mapping)):
        return [to_message(messages, 0)]
    if not isinstance(messages, Iterable):
        raise InvalidMessageError(
            f"expected a message or a list of messages, got {type(messages).__name__}: "
            f"{messages!r:.200}; give {_ACCEPTED}, or a list of them"
        )
    return [to_message(item, position) for position, item in enumerate(messages)]


def to_message(value: object, position: int = 0) -> BaseMessage:
    """Read one message-like ``value``; ``position`` is named in the error if it is not."""
    if isinstance(value, BaseMessage):
        return value
    if isinstance(value, str):
        return HumanMessage(value)
    if isinstance(value, tuple):
        if len(value) != 2 or not isinstance(value[0], str):
            raise _error(position, value, "a tuple must be (role, content)")
        return _build(value[0], {"content": value[1]}, position, value)
    if isinstance(value, Mapping):
        fields = dict(value)
        role = fields.pop("role", None)
        kind = fields.pop("type", None)
        if role is None:
            role = kind
        if not isinstance(role, str):
            raise _error(position, value, "a dict needs a 'role' or 'type' key")
        return _build(role, fields, position, value)
    raise _error(position, value, f"expected {_ACCEPTED}")


def _build(role: str, fields: dict[str, Any], position: int, value: object) -> BaseMessage:
    cls = _CLASSES.get(role)
    if cls is None:
        raise _error(position, value, f"unknown role {role!r}; use one of {sorted(_CLASSES)}")
    if fields.get("content") is None:
        fields["content"] = ""
    known = _FIELDS[cls]
    extra = {key: fields.pop(key) for key in list(fields) if key not in known}
    if extra:
        fields["additional_kwargs"] = {**fields.get("additional_kwargs", {}), **extra}
    if issubclass(cls, AIMessage) and fields.get("tool_calls"):
        fields["tool_calls"], invalid = _read_tool_calls(fields["tool_calls"], position, value)
        if invalid:
            fields["invalid_tool_calls"] = [*fields.get("invalid_tool_calls", ()), *invalid]
    try:
        return msgspec.convert(fields, cls)
    except (msgspec.ValidationError, TypeError) as exc:
        raise _error(position, value, f"not a valid {cls.__name__}: {exc}") from None


def _read_tool_calls(
    calls: object, position: int, value: object
) -> tuple[list[ToolCall], list[InvalidToolCall]]:
    if not isinstance(calls, list):
        raise _error(position, value, "'tool_calls' must be a list")
    good: list[ToolCall] = []
    bad: list[InvalidToolCall] = []
    for call in calls:
        function = call.get("function") if isinstance(call, Mapping) else None
        if not isinstance(function, Mapping):
            good.append(call)  # checked by msgspec.convert with the rest
            continue
        name, arguments, id_ = function.get("name"), function.get("arguments"), call.get("id")
        try:
            args = msgspec.json.decode(arguments or "{}")
        except (msgspec.DecodeError, TypeError) as exc:
            bad.append(
                {
                    "name": name,
                    "args": arguments,
                    "id": id_,
                    "error": str(exc),
                    "type": "invalid_tool_call",
                }
            )
        else:
            good.append({"name": str(name), "args": args, "id": id_, "type": "tool_call"})
    return good, bad


def _error(position: int, value: object, reason: str) -> InvalidMessageError:
    return InvalidMessageError(
        f"message at position {position} ({type(value).__name__}: {value!r:.200}) "
        f"cannot be read as a message: {reason}"
    )
