"""Reading dicts, tuples and strings as messages, and the errors for anything else."""

from __future__ import annotations

from typing import Any

import pytest

from actorgraph.errors import InvalidMessageError
from actorgraph.messages import (
    AIMessage,
    AIMessageChunk,
    HumanMessage,
    RemoveMessage,
    SystemMessage,
    ToolMessage,
    convert_to_messages,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("hi", HumanMessage("hi")),
        (("user", "hi"), HumanMessage("hi")),
        (("human", "hi"), HumanMessage("hi")),
        (("assistant", "yo"), AIMessage("yo")),
        (("ai", "yo"), AIMessage("yo")),
        (("system", "be"), SystemMessage("be")),
        (("developer", "be"), SystemMessage("be")),
        ({"role": "user", "content": "hi"}, HumanMessage("hi")),
        ({"type": "human", "content": "hi", "id": "1"}, HumanMessage("hi", id="1")),
        ({"role": "assistant", "content": None}, AIMessage("")),
        ({"role": "ai"}, AIMessage("")),
        (
            {"role": "tool", "content": "r", "tool_call_id": "c1", "name": "t"},
            ToolMessage("r", tool_call_id="c1", name="t"),
        ),
        ({"type": "remove", "id": "m1"}, RemoveMessage(id="m1")),
        ({"type": "AIMessageChunk", "content": "p"}, AIMessageChunk("p")),
        (
            {"role": "user", "content": [{"type": "text", "text": "hi"}]},
            HumanMessage([{"type": "text", "text": "hi"}]),
        ),
    ],
)
def test_message_like_values(value: Any, expected: Any) -> None:
    assert convert_to_messages(value) == [expected]
    assert convert_to_messages([value, value]) == [expected, expected]


def test_message_objects_are_kept_as_they_are() -> None:
    message = HumanMessage("hi")
    assert convert_to_messages([message])[0] is message
    assert convert_to_messages(iter([message]))[0] is message


def test_unknown_dict_keys_go_to_additional_kwargs() -> None:
    (message,) = convert_to_messages(
        {"role": "assistant", "content": "x", "refusal": None, "additional_kwargs": {"a": 1}}
    )
    assert message.additional_kwargs == {"a": 1, "refusal": None}


def test_dict_tool_calls_in_both_shapes() -> None:
    (message,) = convert_to_messages(
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {"name": "f", "args": {"x": 1}, "id": "c1"},
                {
                    "id": "c2",
                    "type": "function",
                    "function": {"name": "g", "arguments": '{"y": 2}'},
                },
                {"id": "c3", "type": "function", "function": {"name": "h", "arguments": "{oops"}},
            ],
        }
    )
    assert isinstance(message, AIMessage)
    assert message.tool_calls == [
        {"name": "f", "args": {"x": 1}, "id": "c1", "type": "tool_call"},
        {"name": "g", "args": {"y": 2}, "id": "c2", "type": "tool_call"},
    ]
    assert [(c["name"], c["args"]) for c in message.invalid_tool_calls] == [("h", "{oops")]


@pytest.mark.parametrize(
    ("value", "match"),
    [
        ([1], r"position 0 \(int: 1\).*expected a message, a str"),
        (["ok", object()], r"position 1 \(object"),
        ([("user", "a", "b")], r"a tuple must be \(role, content\)"),
        ([(1, "a")], r"a tuple must be \(role, content\)"),
        ([{"content": "x"}], r"a dict needs a 'role' or 'type' key"),
        ([{"role": "wizard", "content": "x"}], r"unknown role 'wizard'; use one of"),
        ([{"role": "tool", "content": "x"}], r"not a valid ToolMessage.*tool_call_id"),
        ([{"role": "user", "content": 5}], r"not a valid HumanMessage.*\$\.content"),
        ([{"role": "assistant", "tool_calls": "f"}], r"'tool_calls' must be a list"),
        (5, r"expected a message or a list of messages, got int"),
    ],
)
def test_bad_values_name_their_position_and_value(value: Any, match: str) -> None:
    with pytest.raises(InvalidMessageError, match=match):
        convert_to_messages(value)


def test_the_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="position 0"):
        convert_to_messages([None])  # type: ignore[list-item]
