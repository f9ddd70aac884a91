"""Trimming a history to a token budget, and the approximate token count."""

from __future__ import annotations

import pytest

from actorgraph.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    MessageLike,
    SystemMessage,
    ToolMessage,
    count_tokens_approximately,
    get_buffer_string,
    trim_messages,
)


def chars(messages: list[BaseMessage]) -> int:
    """One token per character of text: easy to reason about in tests."""
    return sum(len(m.text) for m in messages)


HISTORY: list[BaseMessage] = [
    SystemMessage("sys"),  # 3
    HumanMessage("aaaa"),  # 4
    AIMessage("bbbb"),  # 4
    HumanMessage("cccc"),  # 4
    AIMessage("dd", tool_calls=[{"name": "f", "args": {}, "id": "1"}]),  # 2
    ToolMessage("ee", tool_call_id="1"),  # 2
]


def texts(messages: list[BaseMessage]) -> list[str]:
    return [m.text for m in messages]


def test_last_keeps_the_newest_messages_that_fit() -> None:
    out = trim_messages(HISTORY, max_tokens=8, token_counter=chars)
    assert texts(out) == ["cccc", "dd", "ee"]


def test_first_keeps_the_oldest() -> None:
    out = trim_messages(HISTORY, max_tokens=11, token_counter=chars, strategy="first")
    assert texts(out) == ["sys", "aaaa", "bbbb"]


def test_start_on_end_on_and_the_system_message() -> None:
    out = trim_messages(
        HISTORY,
        max_tokens=14,
        token_counter=chars,
        start_on="human",
        end_on=("human", ToolMessage),
        include_system=True,
    )
    assert texts(out) == ["sys", "cccc", "dd", "ee"]
    out = trim_messages(HISTORY, max_tokens=100, token_counter=chars, end_on=HumanMessage)
    assert texts(out) == ["sys", "aaaa", "bbbb", "cccc"]
    assert trim_messages(HISTORY, max_tokens=2, token_counter=chars, include_system=True) == []


def test_partial_messages_keep_whole_lines() -> None:
    history: list[BaseMessage] = [HumanMessage("one\ntwo\nthree"), AIMessage("end")]
    out = trim_messages(history, max_tokens=9, token_counter=chars, allow_partial=True)
    assert texts(out) == ["three", "end"]
    out = trim_messages(
        history, max_tokens=8, token_counter=chars, strategy="first", allow_partial=True
    )
    assert texts(out) == ["one\ntwo\n"]
    assert history[0].text == "one\ntwo\nthree"
    assert trim_messages(history, max_tokens=4, token_counter=chars, allow_partial=True) == [
        AIMessage("end")
    ]


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="max_tokens must be >= 0"):
        trim_messages(HISTORY, max_tokens=-1)
    with pytest.raises(ValueError, match="apply to strategy='last'"):
        trim_messages(HISTORY, max_tokens=1, strategy="first", start_on="human")


def test_the_default_counter_is_the_approximate_one() -> None:
    history: list[MessageLike] = ["hi! I'm bob", ("ai", "Hi Bob! How are you?"), "write a poem"]
    budget = count_tokens_approximately(history[1:])
    out = trim_messages(history, max_tokens=budget)
    assert texts(out) == ["Hi Bob! How are you?", "write a poem"]


def test_approximate_count() -> None:
    assert count_tokens_approximately([HumanMessage("abcd")]) == 4  # 1 + 3 per message
    assert count_tokens_approximately("abcde") == 5
    named = HumanMessage("abcd", name="bobby")
    assert count_tokens_approximately([named]) == 6
    assert count_tokens_approximately([named], count_name=False) == 4
    with_call = AIMessage("", tool_calls=[{"name": "f", "args": {"x": 1}, "id": "1"}])
    assert count_tokens_approximately([with_call]) > 3
    blocks = HumanMessage([{"type": "text", "text": "hi"}])
    assert count_tokens_approximately(
        [blocks], chars_per_token=1.0, extra_tokens_per_message=0
    ) == len('[{"type":"text","text":"hi"}]')


def test_buffer_string() -> None:
    assert get_buffer_string(HISTORY) == "\n".join(
        ["System: sys", "Human: aaaa", "AI: bbbb", "Human: cccc", "AI: dd", "Tool: ee"]
    )
    assert get_buffer_string(["q", ("ai", "a")], human_prefix="U", ai_prefix="B") == "U: q\nB: a"
