from __future__ import annotations

import operator
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

import msgspec
import pytest
from typing_extensions import NotRequired

from actorgraph.channels import (
    MISSING,
    OVERWRITE,
    BinaryOperatorAggregate,
    EmptyChannelError,
    InvalidUpdateError,
    Overwrite,
    reducer,
)


def test_folds_writes_from_the_type_default() -> None:
    channel: BinaryOperatorAggregate[int] = BinaryOperatorAggregate(int, operator.add, key="n")
    assert channel.get() == 0
    assert not channel.update([])
    assert channel.update([1, 2, 3])
    assert channel.get() == 6
    assert not channel.commutative, "undeclared reducers are folded in task order"


@pytest.mark.parametrize(
    ("typ", "initial"),
    [
        (list[int], []),
        (Sequence[int], []),
        (Mapping[str, int], {}),
        (Annotated[list[int], "meta"], []),
        (NotRequired[list[int]], []),
        (set, set()),
    ],
)
def test_initial_value_from_generic_and_abstract_types(typ: Any, initial: object) -> None:
    channel: BinaryOperatorAggregate[Any] = BinaryOperatorAggregate(typ, operator.add)
    assert channel.get() == initial


@pytest.mark.parametrize("typ", [Any, int | None, "int"])
def test_without_an_initial_value_the_first_write_is_the_value(typ: Any) -> None:
    channel: BinaryOperatorAggregate[int] = BinaryOperatorAggregate(typ, operator.add, key="n")
    assert not channel.is_available()
    with pytest.raises(EmptyChannelError, match="'n'"):
        channel.get()
    channel.update([5, 1])
    assert channel.get() == 6


class _NeedsArgs:
    def __init__(self, x: int) -> None:
        self.x = x


def test_a_type_that_cannot_be_built_empty_has_no_initial_value() -> None:
    channel: BinaryOperatorAggregate[Any] = BinaryOperatorAggregate(_NeedsArgs, lambda a, b: b)
    assert not channel.is_available()
    assert not channel.from_checkpoint(MISSING).is_available()


@pytest.mark.parametrize(
    "overwrite",
    [Overwrite([9]), {OVERWRITE: [9]}, {"type": OVERWRITE, "value": [9]}],
    ids=["struct", "dict", "typed-dict"],
)
def test_overwrite_replaces_the_value_whatever_the_order(overwrite: object) -> None:
    for values in ([[1], overwrite, [2]], [overwrite, [1]], [[1], [2], overwrite]):
        channel: BinaryOperatorAggregate[list[int]] = BinaryOperatorAggregate(
            list[int], operator.add
        )
        channel.update([[0]])
        assert channel.update(values)  # type: ignore[arg-type]  # dict forms are untyped
        assert channel.get() == [9]


def test_overwrite_as_the_first_value_of_an_empty_channel() -> None:
    channel: BinaryOperatorAggregate[int] = BinaryOperatorAggregate(Any, operator.add)
    channel.update([Overwrite(3)])
    assert channel.get() == 3


def test_ordinary_dicts_are_folded() -> None:
    channel: BinaryOperatorAggregate[dict[str, int]] = BinaryOperatorAggregate(
        dict, lambda a, b: {**a, **b}
    )
    channel.update([{"a": 1}, {"type": 0, "value": 2}, {"a": 3, "b": 4}])
    assert channel.get() == {"a": 3, "type": 0, "value": 2, "b": 4}


def test_two_overwrites_in_one_step_raise_and_keep_the_value() -> None:
    channel: BinaryOperatorAggregate[list[int]] = BinaryOperatorAggregate(
        list, operator.add, key="items"
    )
    channel.update([[1]])
    with pytest.raises(InvalidUpdateError) as caught:
        channel.update([Overwrite([2]), {OVERWRITE: [3]}])  # type: ignore[list-item]  # dict form
    assert "At key 'items'" in str(caught.value)
    assert "INVALID_CONCURRENT_GRAPH_UPDATE" in str(caught.value)
    assert channel.get() == [1]


def test_reducer_errors_name_the_key() -> None:
    channel: BinaryOperatorAggregate[int] = BinaryOperatorAggregate(int, operator.add, key="n")
    with pytest.raises(TypeError) as caught:
        channel.update([1, "x"])  # type: ignore[list-item]  # the bad write under test
    notes = getattr(caught.value, "__notes__", [])
    assert any("'n'" in note for note in notes)
    assert channel.get() == 0


def test_declared_reducers_carry_their_algebra() -> None:
    @reducer(commutative=True, idempotent=True)
    def union(a: frozenset[int], b: frozenset[int]) -> frozenset[int]:
        return a | b

    channel: BinaryOperatorAggregate[frozenset[int]] = BinaryOperatorAggregate(frozenset, union)
    assert (channel.commutative, channel.idempotent) == (True, True)
    declared_max = reducer(commutative=True, idempotent=True)(max)
    assert declared_max(1, 2) == 2
    assert "max" in repr(declared_max)
    channel2: BinaryOperatorAggregate[int] = BinaryOperatorAggregate(int, declared_max)
    assert channel2.commutative
    channel2.update([3, 1])
    assert channel2.get() == 3
    overridden: BinaryOperatorAggregate[int] = BinaryOperatorAggregate(
        int, declared_max, commutative=False, idempotent=False
    )
    assert (overridden.commutative, overridden.idempotent) == (False, False)


def test_checkpoint_copy_and_restore() -> None:
    channel: BinaryOperatorAggregate[list[int]] = BinaryOperatorAggregate(
        list, operator.add, key="items"
    )
    channel.update([[1]])
    copied = channel.copy()
    copied.update([[2]])
    assert channel.get() == [1]
    assert copied.get() == [1, 2]
    restored = channel.from_checkpoint(channel.checkpoint())
    assert restored.get() == [1]
    assert restored.key == "items"
    fresh = channel.from_checkpoint(MISSING)
    assert fresh.get() == []
    assert fresh.get() is not channel.from_checkpoint(MISSING).get(), "a fresh initial value"
    assert "operator.add" in repr(channel) or "add" in repr(channel)
    assert channel == BinaryOperatorAggregate(list, operator.add)
    assert channel != BinaryOperatorAggregate(list, operator.mul)


def test_overwrite_is_a_frozen_encodable_struct() -> None:
    value = Overwrite([1, 2])
    assert msgspec.msgpack.decode(msgspec.msgpack.encode(value), type=Overwrite[list[int]]) == value
    with pytest.raises(AttributeError):
        value.value = []  # type: ignore[misc]  # frozen
