"""``AIMessageChunk + AIMessageChunk``: streamed pieces join into the full message."""

from __future__ import annotations

from typing import Any

import pytest

from actorgraph._messages.chunks import parse_partial_json
from actorgraph.messages import AIMessage, AIMessageChunk, HumanMessage, message_chunk_to_message


def test_text_chunks_join_into_the_full_text() -> None:
    pieces = [AIMessageChunk(t, id="run-1") for t in ["The", " sky", " is", " blue"]]
    full = pieces[0] + pieces[1:]
    assert full.text == "The sky is blue"
    assert full.content_blocks == [{"type": "text", "text": "The sky is blue"}]
    assert full.id == "run-1"
    assert sum(pieces[1:], pieces[0]) == full


def test_tool_call_chunks_join_by_index_and_parse() -> None:
    args = ['{"lo', "catio", 'n": "B', "osto", 'n"}']
    chunks = [
        AIMessageChunk(
            "",
            tool_call_chunks=[
                {
                    "name": "get_weather" if i == 0 else None,
                    "args": piece,
                    "id": "c1" if i == 0 else None,
                    "index": 0,
                }
            ],
        )
        for i, piece in enumerate(args)
    ]
    full = chunks[0] + chunks[1:]
    assert full.tool_calls == [
        {"name": "get_weather", "args": {"location": "Boston"}, "id": "c1", "type": "tool_call"}
    ]
    assert full.tool_call_chunks[0]["args"] == '{"location": "Boston"}'
    # A partial chunk already parses as far as it goes.
    assert (chunks[0] + chunks[1]).tool_calls[0]["args"] == {}
    assert (chunks[0] + chunks[1:3]).tool_calls[0]["args"] == {"location": "B"}


def test_tool_call_chunks_with_different_indexes_stay_apart() -> None:
    a = AIMessageChunk("", tool_call_chunks=[{"name": "f", "args": "{}", "id": "1", "index": 0}])
    b = AIMessageChunk("", tool_call_chunks=[{"name": "g", "args": "{}", "id": "2", "index": 1}])
    assert [c["name"] for c in (a + b).tool_calls] == ["f", "g"]


def test_unparseable_arguments_become_an_invalid_tool_call() -> None:
    chunk = AIMessageChunk(
        "", tool_call_chunks=[{"name": "f", "args": "}x", "id": "1", "index": 0}]
    )
    assert chunk.tool_calls == []
    assert chunk.invalid_tool_calls[0]["name"] == "f"
    assert "not valid JSON" in str(chunk.invalid_tool_calls[0]["error"])
    listy = AIMessageChunk(
        "", tool_call_chunks=[{"name": "f", "args": "[1]", "id": "1", "index": 0}]
    )
    assert listy.invalid_tool_calls[0]["error"] == "arguments are not a JSON object"


def test_usage_is_summed_and_metadata_merged() -> None:
    a = AIMessageChunk(
        "a",
        usage_metadata={
            "input_tokens": 1,
            "output_tokens": 2,
            "total_tokens": 3,
            "output_token_details": {"reasoning": 1},
        },
        response_metadata={"model_name": "m", "logprobs": [1], "nested": {"x": 1}},
    )
    b = AIMessageChunk(
        "b",
        usage_metadata={
            "input_tokens": 0,
            "output_tokens": 5,
            "total_tokens": 5,
            "output_token_details": {"reasoning": 2},
        },
        response_metadata={"model_name": "m", "logprobs": [2], "nested": {"y": 2}, "stop": "end"},
        chunk_position="last",
    )
    full = a + b
    assert full.usage_metadata == {
        "input_tokens": 1,
        "output_tokens": 7,
        "total_tokens": 8,
        "output_token_details": {"reasoning": 3},
    }
    assert full.response_metadata == {
        "model_name": "m",
        "logprobs": [1, 2],
        "nested": {"x": 1, "y": 2},
        "stop": "end",
    }
    assert full.chunk_position == "last"
    assert (AIMessageChunk("x") + b).usage_metadata == b.usage_metadata
    assert (a + AIMessageChunk("x")).usage_metadata == a.usage_metadata


def test_content_block_lists_merge_by_index() -> None:
    a = AIMessageChunk([{"type": "text", "text": "Hel", "index": 0}])
    b = AIMessageChunk(
        [{"type": "text", "text": "lo", "index": 0}, {"type": "reasoning", "index": 1}]
    )
    c = AIMessageChunk(
        [{"type": "reasoning", "reasoning": "hm", "extras": {"a": 1}, "index": 1}, "tail"]
    )
    d = AIMessageChunk([{"type": "reasoning", "extras": {"b": 2}, "index": 1, "n": 1}])
    e = AIMessageChunk([{"type": "reasoning", "index": 1, "n": 2}])
    full = a + [b, c, d, e]  # noqa: RUF005 - a chunk plus a list of chunks is the API
    assert full.content == [
        {"type": "text", "text": "Hello", "index": 0},
        {"type": "reasoning", "index": 1, "reasoning": "hm", "extras": {"a": 1, "b": 2}, "n": 2},
        "tail",
    ]
    assert full.text == "Hellotail"


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [
        ("", [{"type": "text", "text": "x"}], [{"type": "text", "text": "x"}]),
        ("a", [{"type": "text", "text": "x"}], ["a", {"type": "text", "text": "x"}]),
        (["a"], "b", ["ab"]),
        ([{"type": "text", "text": "a"}], "b", [{"type": "text", "text": "a"}, "b"]),
        ([{"type": "text", "text": "a"}], "", [{"type": "text", "text": "a"}]),
        ([{"type": "x", "index": 0}], ["s"], [{"type": "x", "index": 0}, "s"]),
    ],
)
def test_mixed_text_and_block_content(left: Any, right: Any, expected: Any) -> None:
    assert (AIMessageChunk(left) + AIMessageChunk(right)).content == expected


def test_adding_something_else_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        AIMessageChunk("a") + HumanMessage("b")  # type: ignore[operator]
    with pytest.raises(TypeError):
        AIMessageChunk("a") + ["b"]  # type: ignore[list-item]  # noqa: RUF005 - the error case


def test_first_id_and_name_win_and_parsed_calls_concatenate_without_chunks() -> None:
    a = AIMessageChunk("", tool_calls=[{"name": "f", "args": {}, "id": "1"}])
    b = AIMessageChunk("", id="r", name="n", tool_calls=[{"name": "g", "args": {}, "id": "2"}])
    full = a + b
    assert (full.id, full.name) == ("r", "n")
    assert [c["name"] for c in full.tool_calls] == ["f", "g"]


def test_chunk_to_message() -> None:
    chunk = AIMessageChunk(
        "hi", id="r", tool_call_chunks=[{"name": "f", "args": '{"a": 1}', "id": "1", "index": 0}]
    )
    message = message_chunk_to_message(chunk)
    assert type(message) is AIMessage
    assert message == AIMessage(
        "hi", id="r", tool_calls=[{"name": "f", "args": {"a": 1}, "id": "1", "type": "tool_call"}]
    )
    human = HumanMessage("x")
    assert message_chunk_to_message(human) is human


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", None),
        ('{"a": "b', {"a": "b"}),
        ('{"a": [1, 2', {"a": [1, 2]}),
        ('{"a": "x\\', {"a": "x"}),
        ('{"a": 1, "b', {"a": 1}),
        ('{"a": {"b": 1}}', {"a": {"b": 1}}),
    ],
)
def test_parse_partial_json(text: str, expected: Any) -> None:
    if expected is None:
        with pytest.raises(ValueError, match="not valid JSON"):
            parse_partial_json(text)
    else:
        assert parse_partial_json(text) == expected


def test_parse_partial_json_rejects_mismatched_brackets() -> None:
    with pytest.raises(ValueError, match="not valid JSON"):
        parse_partial_json("]{")
