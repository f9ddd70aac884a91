"""Inference of the message API, checked by mypy (``make types``) and run by pytest."""

from __future__ import annotations

from typing_extensions import assert_type

from actorgraph.chat_models import BaseChatModel
from actorgraph.graph import add_messages
from actorgraph.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    ToolCall,
    convert_to_messages,
    message_chunk_to_message,
)
from actorgraph.testing import FakeChatModel


def test_message_types_are_inferred() -> None:
    chunk = AIMessageChunk("a") + AIMessageChunk("b")
    assert_type(chunk, AIMessageChunk)
    assert_type(message_chunk_to_message(chunk), AIMessage)
    assert_type(convert_to_messages("hi"), list[BaseMessage])
    assert_type(add_messages([], "hi"), list[BaseMessage])
    assert_type(AIMessage("x").tool_calls, list[ToolCall])
    model = FakeChatModel(["ok"])
    assert_type(model.bind_tools([]), FakeChatModel)
    assert_type(model.invoke("q"), AIMessage)
    assert isinstance(model, BaseChatModel)
