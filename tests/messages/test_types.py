"""The message structs: fields, defaults, text, blocks, equality, rendering, encoding."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from actorgraph.messages import (
    AIMessage,
    AIMessageChunk,
    AnyMessage,
    HumanMessage,
    RemoveMessage,
    SystemMessage,
    ToolCall,
    ToolMessage,
)


def test_content_is_positional_and_the_rest_keyword_only() -> None:
    message = HumanMessage("hi", id="m1", name="alice")
    assert (message.content, message.id, message.name) == ("hi", "m1", "alice")
    assert message.type == "human"
    with pytest.raises(TypeError):
        HumanMessage("hi", "m1")  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        (HumanMessage("x"), "human"),
        (AIMessage("x"), "ai"),
        (SystemMessage("x"), "system"),
        (ToolMessage("x", tool_call_id="c"), "tool"),
        (RemoveMessage(id="x"), "remove"),
        (AIMessageChunk("x"), "AIMessageChunk"),
    ],
)
def test_type_names_match_the_documented_values(message: AnyMessage, kind: str) -> None:
    assert message.type == kind


def test_ai_message_defaults() -> None:
    message = AIMessage("hi")
    assert message.tool_calls == []
    assert message.invalid_tool_calls == []
    assert message.usage_metadata is None
    assert message.additional_kwargs == {}
    assert message.response_metadata == {}


def test_tool_calls_get_their_type_without_mutating_the_given_dict() -> None:
    call: ToolCall = {"name": "get_weather", "args": {"city": "SF"}, "id": "c1"}
    message = AIMessage("", tool_calls=[call])
    assert message.tool_calls == [
        {"name": "get_weather", "args": {"city": "SF"}, "id": "c1", "type": "tool_call"}
    ]
    assert "type" not in call


def test_tool_message_fields() -> None:
    message = ToolMessage("done", tool_call_id="c1", name="t", artifact={"page": 0})
    assert (message.status, message.artifact, message.tool_call_id) == (
        "success",
        {"page": 0},
        "c1",
    )
    with pytest.raises(TypeError, match="tool_call_id"):
        ToolMessage("done")  # type: ignore[call-arg]


def test_remove_message_requires_an_id() -> None:
    assert RemoveMessage(id="m1").content == ""
    with pytest.raises(TypeError, match="id"):
        RemoveMessage()  # type: ignore[call-arg]


def test_content_must_be_text_or_blocks() -> None:
    with pytest.raises(TypeError, match=r"HumanMessage\.content must be a str or a list"):
        HumanMessage(42)  # type: ignore[arg-type]


def test_text_joins_text_blocks_and_strings() -> None:
    blocks: list[str | dict[str, Any]] = [
        {"type": "text", "text": "Hello"},
        {"type": "image", "url": "http://x"},
        " world",
        {"type": "text", "text": 3},
    ]
    assert HumanMessage(blocks).text == "Hello world"
    assert HumanMessage("plain").text == "plain"


def test_content_blocks_of_text_and_tool_calls() -> None:
    message = AIMessage(
        "", tool_calls=[{"name": "get_weather", "args": {"city": "SF"}, "id": "c1"}]
    )
    assert message.content_blocks == [
        {"type": "tool_call", "name": "get_weather", "args": {"city": "SF"}, "id": "c1"}
    ]
    assert HumanMessage("hi").content_blocks == [{"type": "text", "text": "hi"}]
    assert HumanMessage(["a", {"type": "image", "url": "u"}]).content_blocks == [
        {"type": "text", "text": "a"},
        {"type": "image", "url": "u"},
    ]


def test_tool_call_blocks_already_in_content_are_not_repeated() -> None:
    block = {"type": "tool_call", "name": "f", "args": {}, "id": "c1"}
    message = AIMessage([block], tool_calls=[{"name": "f", "args": {}, "id": "c1"}])
    assert message.content_blocks == [block]


def test_equality_is_structural_and_includes_the_id() -> None:
    assert HumanMessage("hi") == HumanMessage("hi")
    assert HumanMessage("hi", id="1") != HumanMessage("hi", id="2")
    assert AIMessage("hi") != AIMessageChunk("hi")
    assert HumanMessage("hi") != SystemMessage("hi")  # type: ignore[comparison-overlap]


def test_repr_leaves_out_defaults() -> None:
    assert repr(HumanMessage("Hi")) == "HumanMessage(content='Hi')"


def test_pretty_repr_of_a_tool_calling_ai_message() -> None:
    message = AIMessage(
        "checking",
        name="bot",
        tool_calls=[{"name": "get_weather", "args": {"city": "SF"}, "id": "c1"}],
        invalid_tool_calls=[{"name": "bad", "args": "{", "id": "c2", "error": "not JSON"}],
    )
    text = message.pretty_repr()
    lines = text.splitlines()
    assert lines[0] == " Ai Message ".center(80, "=")
    assert "Name: bot" in lines
    assert "checking" in lines
    assert "  get_weather (c1)" in lines
    assert "    city: SF" in lines
    assert "  Error: not JSON" in lines


def test_pretty_print_writes_the_rendering(capsys: pytest.CaptureFixture[str]) -> None:
    HumanMessage(["a", {"type": "text", "text": "b"}]).pretty_print()
    out = capsys.readouterr().out
    assert out.splitlines()[0] == " Human Message ".center(80, "=")
    assert out.splitlines()[-1] == "ab"
    AIMessageChunk("x").pretty_print()
    assert "Ai Message Chunk" in capsys.readouterr().out


@pytest.mark.parametrize("codec", [msgspec.json, msgspec.msgpack])
def test_a_mixed_list_round_trips_as_a_tagged_union(codec: Any) -> None:
    history: list[AnyMessage] = [
        SystemMessage("be brief"),
        HumanMessage("hi", id="1", name="alice"),
        AIMessage(
            "",
            id="2",
            tool_calls=[{"name": "f", "args": {"x": [1, 2]}, "id": "c1"}],
            usage_metadata={"input_tokens": 8, "output_tokens": 304, "total_tokens": 312},
        ),
        ToolMessage("ok", tool_call_id="c1", status="error", artifact={"k": 1}),
        AIMessageChunk("pi", tool_call_chunks=[{"name": "f", "args": "{}", "id": "c", "index": 0}]),
        RemoveMessage(id="1"),
    ]
    decoded = codec.decode(codec.encode(history), type=list[AnyMessage])
    assert decoded == history
    assert [type(m) for m in decoded] == [type(m) for m in history]


def test_encoding_carries_the_type_tag_and_leaves_out_defaults() -> None:
    assert msgspec.json.encode(HumanMessage("hi")) == b'{"type":"human","content":"hi"}'


def test_decoding_checks_field_types() -> None:
    with pytest.raises(msgspec.ValidationError, match="tool_call_id"):
        msgspec.json.decode(b'{"type":"tool","content":"x"}', type=AnyMessage)


def test_tool_message_writes_other_values_as_text() -> None:
    assert ToolMessage(42, tool_call_id="c").content == "42"  # type: ignore[arg-type]
    assert ToolMessage({"a": [1]}, tool_call_id="c").content == '{"a":[1]}'  # type: ignore[arg-type]
    assert ToolMessage(object, tool_call_id="c").content == str(object)  # type: ignore[arg-type]
    assert ToolMessage("x", tool_call_id=7).tool_call_id == "7"  # type: ignore[arg-type]


def test_model_copy_and_model_dump() -> None:
    message = AIMessage("old", id="1", response_metadata={"k": [1]})
    changed = message.model_copy(update={"content": "new"})
    assert (changed.content, changed.id, message.content) == ("new", "1", "old")
    assert changed.response_metadata is message.response_metadata
    deep = message.model_copy(deep=True)
    assert deep == message
    assert deep.response_metadata is not message.response_metadata
    with pytest.raises(TypeError, match="nope"):
        message.model_copy(update={"nope": 1})
    assert HumanMessage("hi", id="1").model_dump() == {"type": "human", "content": "hi", "id": "1"}
