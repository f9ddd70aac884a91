"""``add_messages``: append, replace by id, remove, remove all, coercion, ids."""

from __future__ import annotations

import typing

import msgspec
import pytest
from hypothesis import given

from actorgraph.errors import InvalidMessageError
from actorgraph.graph import REMOVE_ALL_MESSAGES, MessagesState, add_messages
from actorgraph.graph._message_ids import message_id_scope
from actorgraph.graph.message import REMOVE_ALL_MESSAGES as REMOVE_ALL_FROM_MESSAGE
from actorgraph.messages import (
    AIMessage,
    AIMessageChunk,
    AnyMessage,
    BaseMessage,
    HumanMessage,
    RemoveMessage,
    ToolMessage,
)
from tests.strategies import message_lists


def pairs(messages: list[BaseMessage]) -> list[tuple[str, object]]:
    return [(m.type, m.content) for m in messages]


def test_appends_and_gives_every_message_an_id() -> None:
    out = add_messages([{"role": "user", "content": "hi!"}], [("ai", "hello world")])
    assert pairs(out) == [("human", "hi!"), ("ai", "hello world")]
    assert all(m.id for m in out)
    assert len({m.id for m in out}) == 2


def test_accepts_single_values() -> None:
    out = add_messages("hi, my name is bob", ("assistant", "Called node X"))
    assert pairs(out) == [("human", "hi, my name is bob"), ("ai", "Called node X")]
    out = add_messages(out, AIMessage("x"))
    assert pairs(out)[-1] == ("ai", "x")
    assert add_messages(None, None) == []
    assert pairs(add_messages(None, "a")) == [("human", "a")]


def test_a_message_with_a_known_id_replaces_it_in_place() -> None:
    call = {"name": "q", "args": {}, "id": "t1"}
    first = add_messages(
        [HumanMessage("q", id="h")],
        [AIMessage("q1", id="m1", tool_calls=[call])],  # type: ignore[list-item]
    )
    second = add_messages(first, [AIMessage("q2", id="m1")])
    assert pairs(second) == [("human", "q"), ("ai", "q2")]
    assert [m.id for m in second] == ["h", "m1"]


def test_a_later_duplicate_in_one_write_replaces_the_earlier() -> None:
    out = add_messages([], [AIMessage("a", id="x"), HumanMessage("b"), AIMessage("c", id="x")])
    assert pairs(out) == [("ai", "c"), ("human", "b")]


def test_remove_message_deletes_by_id() -> None:
    history = add_messages([], ["hi! I'm bob", ("ai", "Hi Bob!"), "what's my name?"])
    out = add_messages(history, [RemoveMessage(id=m.id) for m in history[:2] if m.id])
    assert pairs(out) == [("human", "what's my name?")]


def test_remove_then_re_add_in_one_write_keeps_the_position() -> None:
    history = [HumanMessage("a", id="1"), HumanMessage("b", id="2")]
    out = add_messages(history, [RemoveMessage(id="1"), HumanMessage("a2", id="1")])
    assert pairs(out) == [("human", "a2"), ("human", "b")]


def test_removing_an_unknown_id_names_it() -> None:
    history = [HumanMessage("a", id="1")]
    with pytest.raises(InvalidMessageError, match=r"RemoveMessage\(id='nope'\).*'1'"):
        add_messages(history, RemoveMessage(id="nope"))
    with pytest.raises(ValueError, match="ids present: none"):
        add_messages([], RemoveMessage(id="nope"))
    with pytest.raises(InvalidMessageError, match=r"RemoveMessage\(id='1'\)"):
        add_messages(history, [RemoveMessage(id="1"), RemoveMessage(id="1")])


def test_the_error_lists_a_few_ids_only() -> None:
    history = [HumanMessage(str(i), id=str(i)) for i in range(8)]
    with pytest.raises(InvalidMessageError, match=r"'4', \.\.\. 3 more"):
        add_messages(history, RemoveMessage(id="x"))


def test_remove_all_clears_everything_before_it() -> None:
    history = add_messages([], ["a", "b"])
    assert add_messages(history, [RemoveMessage(id=REMOVE_ALL_MESSAGES)]) == []
    out = add_messages(
        history, [AIMessage("gone"), RemoveMessage(id=REMOVE_ALL_MESSAGES), AIMessage("x")]
    )
    assert pairs(out) == [("ai", "x")]
    assert REMOVE_ALL_FROM_MESSAGE == REMOVE_ALL_MESSAGES == "__remove_all__"


def test_messages_after_remove_all_still_merge_by_id() -> None:
    out = add_messages(
        [HumanMessage("old", id="1")],
        [
            RemoveMessage(id=REMOVE_ALL_MESSAGES),
            AIMessage("x", id="a"),
            AIMessage("y", id="a"),
            HumanMessage("z", id="b"),
            RemoveMessage(id="b"),
        ],
    )
    assert pairs(out) == [("ai", "y")]
    with pytest.raises(InvalidMessageError, match="'1'"):
        add_messages(
            [HumanMessage("old", id="1")],
            [RemoveMessage(id=REMOVE_ALL_MESSAGES), RemoveMessage(id="1")],
        )


def test_chunks_are_stored_as_full_messages() -> None:
    out = add_messages([], [AIMessageChunk("a", id="r") + AIMessageChunk("b")])
    assert out == [AIMessage("ab", id="r")]
    assert type(out[0]) is AIMessage


def test_bad_input_names_the_side_and_position() -> None:
    with pytest.raises(InvalidMessageError, match=r"add_messages \(right side\).*position 1"):
        add_messages([], ["ok", 42])  # type: ignore[list-item]
    with pytest.raises(InvalidMessageError, match=r"add_messages \(left side\).*position 0"):
        add_messages([42], [])  # type: ignore[list-item]


def test_the_given_objects_are_never_mutated() -> None:
    left = [HumanMessage("a")]
    right = [AIMessage("b")]
    out = add_messages(left, right)
    assert left[0].id is None
    assert right[0].id is None
    assert out[0] is not left[0]
    assert out[1] is not right[0]
    with_ids = [HumanMessage("c", id="c")]
    assert add_messages(with_ids, [])[0] is with_ids[0]


def test_ids_are_deterministic_outside_a_scope() -> None:
    history = [HumanMessage("a", id="1")]
    first = add_messages(history, ["x", "y"])
    again = add_messages(history, ["x", "y"])
    assert first == again
    grown = add_messages(first, ["x", "y"])
    assert len({m.id for m in grown}) == 5


def test_ids_do_not_collide_after_a_removal() -> None:
    history = add_messages([], ["a", "b"])
    shrunk = add_messages(history, RemoveMessage(id=history[1].id or ""))
    out = add_messages(shrunk, ["c", "d"])
    assert len({m.id for m in out}) == 3


def test_a_scope_derives_ids_from_its_seed_and_a_counter() -> None:
    with message_id_scope("run-1/task-7") as scope:
        first = add_messages([HumanMessage("q", id="h")], ["a", AIMessage("b", id="keep")])
        second = add_messages(first, ["c"])
        assert scope.count == 2
    with message_id_scope("run-1/task-7"):
        replay = add_messages([HumanMessage("q", id="h")], ["a", AIMessage("b", id="keep")])
        replay = add_messages(replay, ["c"])
    assert replay == second
    with message_id_scope("run-1/task-8"):
        other = add_messages([HumanMessage("q", id="h")], ["a"])
    assert other[1].id != first[1].id


def test_replaying_a_write_in_its_scope_does_not_duplicate() -> None:
    history = [HumanMessage("q", id="h")]
    with message_id_scope("task"):
        once = add_messages(history, [AIMessage("answer")])
    with message_id_scope("task"):
        twice = add_messages(once, [AIMessage("answer")])
    assert twice == once


def test_scopes_nest_and_restore() -> None:
    with message_id_scope("outer"):
        with message_id_scope("inner"):
            inner = add_messages([], "a")
        outer = add_messages([], "a")
    outside = add_messages([], "a")
    assert len({inner[0].id, outer[0].id, outside[0].id}) == 3


@given(message_lists, message_lists)
def test_merge_laws(raw_left: list[BaseMessage], right: list[BaseMessage]) -> None:
    left = add_messages([], raw_left)  # a stored state: every id present and unique
    out = add_messages(left, right)
    ids = [m.id for m in out]
    assert None not in ids
    assert len(set(ids)) == len(ids)
    # The last write of each explicit id is stored; each id-less write is appended.
    last = {m.id: m for m in right if m.id is not None}
    assert all(message in out for message in last.values())
    fresh = sum(1 for m in right if m.id is None)
    assert len(out) == len({m.id for m in left} | set(last)) + fresh
    # Messages keep their order of first appearance.
    assert [m.id for m in out[: len(left)]] == [m.id for m in left]


@given(message_lists, message_lists)
def test_replaying_any_write_in_its_scope_changes_nothing(
    raw_left: list[BaseMessage], right: list[BaseMessage]
) -> None:
    left = add_messages([], raw_left)
    with message_id_scope("task-1"):
        out = add_messages(left, right)
    with message_id_scope("task-1"):
        assert add_messages(out, right) == out


def test_messages_state_declares_the_reducer() -> None:
    hints = typing.get_type_hints(MessagesState, include_extras=True)
    annotated = hints["messages"]
    assert typing.get_origin(annotated) is typing.Annotated
    assert annotated.__metadata__ == (add_messages,)
    assert typing.get_args(annotated)[0] == list[AnyMessage]

    class State(MessagesState):
        summary: str

    assert set(typing.get_type_hints(State)) == {"messages", "summary"}


def test_messages_state_values_round_trip() -> None:
    state: MessagesState = {
        "messages": [HumanMessage("hi", id="1"), ToolMessage("r", tool_call_id="c", id="2")]
    }
    decoded = msgspec.msgpack.decode(msgspec.msgpack.encode(state), type=MessagesState)
    assert decoded == state


def test_stamped_writes_keep_their_ids_in_any_order() -> None:
    from actorgraph.graph._message_writes import stamp_message_ids

    first = stamp_message_ids(["a", AIMessage("b", id="keep")], "task-1:0")
    second = stamp_message_ids(("ai", "c"), "task-2:0")
    assert first == stamp_message_ids(["a", AIMessage("b", id="keep")], "task-1:0")
    assert first[1].id == "keep"
    one_way = add_messages(add_messages([], first), second)
    other_way = add_messages(add_messages([], second), first)
    assert {m.id for m in one_way} == {m.id for m in other_way}
    assert add_messages(one_way, first) == one_way
    with pytest.raises(InvalidMessageError, match=r"\(write side\).*position 0"):
        stamp_message_ids([3], "t")  # type: ignore[list-item]
