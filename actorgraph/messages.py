"""Messages: what a conversation between users, models and tools is made of.

The message types are ``msgspec.Struct``s tagged by ``type``, so a list of mixed
messages encodes and decodes as a tagged union::

    from actorgraph.messages import AIMessage, HumanMessage, convert_to_messages

    convert_to_messages(["hi", ("assistant", "hello"), {"role": "user", "content": "?"}])
    # [HumanMessage(content='hi'), AIMessage(content='hello'), HumanMessage(content='?')]

Equality is structural and includes ``id``: two messages are equal when they are of
the same class and every field is equal. ``add_messages`` (in
:mod:`actorgraph.graph.message`) gives each message it stores an id, so compare
``(m.type, m.content)`` pairs when the ids do not matter.
"""

from __future__ import annotations

from actorgraph._messages.chunks import message_chunk_to_message
from actorgraph._messages.convert import MessageLike, Messages, convert_to_messages
from actorgraph._messages.trim import (
    count_tokens_approximately,
    get_buffer_string,
    trim_messages,
)
from actorgraph._messages.types import (
    AIMessage,
    AIMessageChunk,
    AnyMessage,
    BaseMessage,
    HumanMessage,
    InputTokenDetails,
    InvalidToolCall,
    MessageContent,
    OutputTokenDetails,
    RemoveMessage,
    SystemMessage,
    ToolCall,
    ToolCallChunk,
    ToolMessage,
    UsageMetadata,
)

__all__ = [
    "AIMessage",
    "AIMessageChunk",
    "AnyMessage",
    "BaseMessage",
    "HumanMessage",
    "InputTokenDetails",
    "InvalidToolCall",
    "MessageContent",
    "MessageLike",
    "Messages",
    "OutputTokenDetails",
    "RemoveMessage",
    "SystemMessage",
    "ToolCall",
    "ToolCallChunk",
    "ToolMessage",
    "UsageMetadata",
    "convert_to_messages",
    "count_tokens_approximately",
    "get_buffer_string",
    "message_chunk_to_message",
    "trim_messages",
]
