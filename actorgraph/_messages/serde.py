"""Registers the message types with the serializer, under stable public names.

The names (``actorgraph.messages.HumanMessage``, ...) are what checkpoints store,
so moving the classes between private modules never breaks old data. Fields left
at their defaults are not written, which keeps long histories small.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec

from actorgraph._messages.types import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    RemoveMessage,
    SystemMessage,
    ToolMessage,
)
from actorgraph.store.serde import register

__all__ = ["MESSAGE_TYPES", "register_message_types"]

MESSAGE_TYPES: tuple[type[BaseMessage], ...] = (
    HumanMessage,
    AIMessage,
    AIMessageChunk,
    SystemMessage,
    ToolMessage,
    RemoveMessage,
)

_NOTHING = object()


def _codec(cls: type[BaseMessage]) -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    defaults = []
    for info in msgspec.structs.fields(cls):
        if info.default is not msgspec.NODEFAULT:
            default: Any = info.default
        elif info.default_factory is not msgspec.NODEFAULT:
            default = info.default_factory()
        else:
            default = _NOTHING
        defaults.append((info.name, default))

    def encode(message: Any) -> dict[str, Any]:
        return {
            name: value
            for name, default in defaults
            if (value := getattr(message, name)) is not default and value != default
        }

    def decode(payload: Any) -> BaseMessage:
        if type(payload) is not dict:
            raise TypeError(
                f"expected the fields of a {cls.__name__}, got {type(payload).__name__}"
            )
        return cls(**payload)

    return encode, decode


def register_message_types() -> None:
    """Register every message type with the default serializer registry (idempotent)."""
    for cls in MESSAGE_TYPES:
        encode, decode = _codec(cls)
        register(cls, name=f"actorgraph.messages.{cls.__name__}", encode=encode, decode=decode)
