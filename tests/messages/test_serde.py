"""Messages round-trip through the checkpoint serializer, under stable names."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given

from actorgraph.graph import add_messages
from actorgraph.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    RemoveMessage,
    SystemMessage,
    ToolMessage,
)
from actorgraph.store.serde import default_registry, dumps, loads
from tests.strategies import message_lists

EVERY_KIND: list[BaseMessage] = [
    SystemMessage("be brief", id="s"),
    HumanMessage([{"type": "text", "text": "hi"}, "there"], id="h", name="alice"),
    AIMessage(
        "",
        id="a",
        tool_calls=[{"name": "f", "args": {"when": (1, 2), "ids": {3}}, "id": "c1"}],
        invalid_tool_calls=[{"name": "g", "args": "{", "id": "c2", "error": "bad"}],
        usage_metadata={
            "input_tokens": 8,
            "output_tokens": 304,
            "total_tokens": 312,
            "output_token_details": {"reasoning": 2},
        },
        response_metadata={"model_name": "m"},
        additional_kwargs={"refusal": None},
    ),
    AIMessageChunk(
        "pi", id="c", tool_call_chunks=[{"name": "f", "args": "{}", "id": "x", "index": 0}]
    ),
    ToolMessage("ok", tool_call_id="c1", status="error", artifact={"rows": [(1, "a")]}),
    RemoveMessage(id="h"),
]


@pytest.mark.parametrize("message", EVERY_KIND, ids=lambda m: type(m).__name__)
def test_every_kind_round_trips_exactly(message: BaseMessage) -> None:
    back = loads(dumps(message))
    assert back == message
    assert type(back) is type(message)


def test_nested_python_values_keep_their_types() -> None:
    state: dict[str, Any] = {"messages": EVERY_KIND}
    back = loads(dumps(state))
    assert back == state
    assert back["messages"][2].tool_calls[0]["args"]["when"] == (1, 2)
    assert back["messages"][4].artifact == {"rows": [(1, "a")]}


def test_the_stored_names_are_the_public_ones() -> None:
    data = dumps(HumanMessage("hi"))
    assert b"actorgraph.messages.HumanMessage" in data
    assert b"_messages" not in data
    assert default_registry is not None


def test_defaults_are_not_written() -> None:
    small = dumps(HumanMessage("hi"))
    assert b"additional_kwargs" not in small
    assert b"response_metadata" not in small
    assert len(small) < len(dumps(HumanMessage("hi", additional_kwargs={"a": 1})))


@given(message_lists, message_lists)
def test_stored_histories_round_trip(left: list[BaseMessage], right: list[BaseMessage]) -> None:
    history = add_messages(left, right)
    assert loads(dumps(history)) == history
