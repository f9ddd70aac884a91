"""Registers the message types with the serializer, under stable public names.

The names (``actorgraph.messages.HumanMessage``, ...) are what checkpoints store,
so moving the classes between private modules never breaks old data. The
serializer's own Struct codec leaves out fields at their defaults (the message
structs set ``omit_defaults``), which keeps long histories small, and it brings
every value back exactly (a tuple in tool-call arguments stays a tuple).
"""

from __future__ import annotations

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


def register_message_types() -> None:
    """Register every message type with the default serializer registry (idempotent)."""
    for cls in MESSAGE_TYPES:
        register(cls, name=f"actorgraph.messages.{cls.__name__}")
