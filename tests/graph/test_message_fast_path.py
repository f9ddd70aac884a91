"""``add_messages``' append path and remembered index give what the general merge gives."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actorgraph.errors import InvalidMessageError
from actorgraph.graph import REMOVE_ALL_MESSAGES, add_messages
from actorgraph.graph import message as message_module
from actorgraph.graph._message_ids import message_id_scope
from actorgraph.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    RemoveMessage,
    ToolMessage,
)
from tests.strategies import message_history_ops, message_lists


def general(left: Any, right: Any) -> list[BaseMessage]:
    """The merge without the remembered index and without the append path."""
    old, _, where = message_module._index_left(left)
    return message_module._merge(old, message_module._as_stored(right, "right", old), where)


def outcome(merge: Any, left: Any, right: Any, seed: str | None) -> Any:
    try:
        if seed is None:
            return merge(left, right)
        with message_id_scope(seed):
            return merge(left, right)
    except InvalidMessageError as exc:
        return ("error", str(exc))


def write_for(op: tuple[Any, ...], state: list[Any]) -> Any:
    """The write an op makes, or None for ops that change the state directly."""
    kind = op[0]
    ids = [getattr(m, "id", None) for m in state]
    if kind == "write":
        return op[1]
    if kind == "fresh":
        return [AIMessage(f"fresh {i}") for i in range(op[1])]
    if kind == "update" and ids:
        return [HumanMessage(op[2], id=ids[op[1] % len(ids)])]
    if kind == "remove" and ids and ids[op[1] % len(ids)] is not None:
        return [RemoveMessage(id=ids[op[1] % len(ids)])]
    if kind == "remove_unknown":
        return [RemoveMessage(id="no-such-id")]
    if kind == "remove_all":
        return [RemoveMessage(id=REMOVE_ALL_MESSAGES), *op[1]]
    return None


def change_in_place(op: tuple[Any, ...], state: list[Any]) -> list[Any]:
    kind = op[0]
    if kind == "overwrite":
        return list(op[1])  # an Overwrite stores the given list as it is
    if kind == "list_append":
        state.append(op[1])
    elif kind == "list_set" and state:
        state[op[1] % len(state)] = op[2]
    elif kind == "list_del" and state:
        del state[op[1] % len(state)]
    elif kind == "id_change" and state:
        state[op[1] % len(state)].id = op[2]
    return state


@given(message_lists, st.lists(message_history_ops, max_size=12), st.booleans())
def test_any_history_of_writes_merges_as_the_general_path_does(
    start: list[BaseMessage], ops: list[tuple[Any, ...]], scoped: bool
) -> None:
    state: list[Any] = add_messages([], start)
    for step, op in enumerate(ops):
        write = write_for(op, state)
        if write is None:
            state = change_in_place(op, state)
            continue
        seed = f"task-{step}" if scoped else None
        expected = outcome(general, state, write, seed)
        got = outcome(add_messages, state, write, seed)
        assert got == expected
        assert type(got) is type(expected)
        if isinstance(got, list):
            assert [type(m) for m in got] == [type(m) for m in expected]
            state = got


def test_appending_reuses_the_remembered_index() -> None:
    # The index is module-wide and forgets everything when full: start empty so
    # what earlier tests remembered cannot push this test's histories out.
    message_module._KNOWN.clear()
    history = add_messages([], [HumanMessage("go")])
    known = message_module._recall(history)
    assert known is not None
    assert known[1] == [history[0].id]
    longer = add_messages(history, [AIMessage("hi"), ToolMessage("r", tool_call_id="c")])
    recalled = message_module._recall(longer)
    assert recalled is not None
    _, ids, where = recalled
    assert ids == [m.id for m in longer]
    assert where == {m.id: i for i, m in enumerate(longer)}
    # The index of the shorter history is untouched: it can still be extended.
    assert message_module._recall(history) == (history, [history[0].id], {history[0].id: 0})


def test_a_list_changed_in_place_is_indexed_again() -> None:
    history = add_messages([], [HumanMessage("a", id="1"), AIMessage("b", id="2")])
    history.append(HumanMessage("c", id="3"))
    assert message_module._recall(history) is None
    out = add_messages(history, [AIMessage("c again", id="3")])
    assert [(m.id, m.content) for m in out] == [("1", "a"), ("2", "b"), ("3", "c again")]


def test_an_item_replaced_in_place_by_another_kind_with_the_same_id_is_read_again() -> None:
    history = add_messages([], [HumanMessage("a", id="1"), AIMessage("b", id="2")])
    history[1] = AIMessageChunk("b", id="2")
    out = add_messages(history, [HumanMessage("c", id="3")])
    assert [type(m) for m in out] == [HumanMessage, AIMessage, HumanMessage]
    history[1] = {"role": "assistant", "content": "b", "id": "2"}  # type: ignore[call-overload]
    out = add_messages(history, [HumanMessage("c", id="3")])
    assert out[1] == AIMessage("b", id="2")


def test_a_message_whose_id_changed_in_place_is_found_by_its_new_id() -> None:
    history = add_messages([], [HumanMessage("a", id="1"), AIMessage("b", id="2")])
    history[0].id = "renamed"
    assert message_module._recall(history) is None
    out = add_messages(history, [RemoveMessage(id="renamed")])
    assert [m.id for m in out] == ["2"]
    with pytest.raises(InvalidMessageError, match="'1'"):
        add_messages(history, [RemoveMessage(id="1")])


def test_an_equal_but_different_list_is_not_taken_for_a_remembered_one() -> None:
    history = add_messages([], [HumanMessage("a", id="1")])
    copy = list(history)
    assert message_module._recall(copy) is None
    assert add_messages(copy, [AIMessage("b", id="1")]) == [AIMessage("b", id="1")]


def test_only_stored_kinds_of_messages_are_remembered() -> None:
    class Custom(HumanMessage, tag="custom"):
        pass

    out = add_messages([], [Custom("x", id="1")])
    assert message_module._recall(out) is None
    assert add_messages(out, [Custom("y", id="1")]) == [Custom("y", id="1")]
    chunked = add_messages([], [AIMessageChunk("x", id="c")])
    assert type(chunked[0]) is AIMessage
    assert message_module._recall(chunked) is not None


def test_few_histories_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(message_module, "_KNOWN", {})
    monkeypatch.setattr(message_module, "_KEEP", 2)
    first = add_messages([], ["a"])
    second = add_messages([], ["b"])
    third = add_messages([], ["c"])
    # Full: forgotten all at once, the newest kept.
    assert message_module._recall(first) is None
    assert message_module._recall(second) is None
    assert message_module._recall(third) is not None
    assert len(message_module._KNOWN) == 1
