"""The fast path: plain data goes to msgspec without the walk, and gives the same bytes.

Every value is encoded both ways (``dumps`` and the general path,
``Serializer._dumps_walked``) and the bytes must be identical; the type tests
(traversed and explicit) must agree with a plain recursive definition.
"""

from __future__ import annotations

import datetime
import enum
import sys
from typing import Any

import pytest
from hypothesis import example, given, settings

from actorgraph.errors import SerializationError
from actorgraph.store import _serde_encode, _serde_plain
from actorgraph.store._serde_plain import (
    _SCALARS,
    _is_plain_explicit,
    _is_plain_traversed,
)
from actorgraph.store._serde_wire import _HEADER
from actorgraph.store.serde import Serializer, check
from tests.store._serde_samples import (
    Label,
    Level,
    Mood,
    Note,
    NotRegistered,
    Point,
    assert_same,
    sample_registry,
)
from tests.strategies import serde_mostly_plain_values, serde_values

SERIALIZER = Serializer(sample_registry())


def reference_plain(value: Any, *, deterministic: bool = False) -> bool:
    """What the fast path may take, written the obvious (slow) way."""
    cls = type(value)
    if cls is list:
        return all(reference_plain(item, deterministic=deterministic) for item in value)
    if cls is dict:
        keys_ok = str if deterministic else _SCALARS
        return all(
            (type(key) is str if keys_ok is str else type(key) in _SCALARS)
            and reference_plain(item, deterministic=deterministic)
            for key, item in value.items()
        )
    return cls in _SCALARS


def walked_without_fast_path(value: Any, *, deterministic: bool = False) -> bytes:
    """The general path with no plain-data shortcut anywhere: the exact walk
    (which checks every value, so never needs the retry) and msgspec."""
    if deterministic:
        return _HEADER + SERIALIZER._stable_encode(SERIALIZER._stable.prep(value))
    return _HEADER + SERIALIZER._encode(SERIALIZER._exact.prep(value))


def assert_fast_equals_general(value: Any, *, repeated: bool = True) -> None:
    # Small dicts and lists are walked; repeated, the value is big enough for
    # dumps to test it whole first.
    many = _serde_encode._PLAIN_FROM
    shapes = [value, [value] * many, {f"k{i}": value for i in range(many)}] if repeated else [value]
    for shape in shapes:
        for deterministic in (False, True):
            fast = SERIALIZER.dumps(shape, deterministic=deterministic)
            assert fast == SERIALIZER._dumps_walked(shape, "value", deterministic)
            assert fast == walked_without_fast_path(shape, deterministic=deterministic)
        assert_same(SERIALIZER.loads(SERIALIZER.dumps(shape)), shape)


@settings(max_examples=150)
@given(serde_mostly_plain_values())
@example({"a": [1, {"b": (1,)}]})
@example({Mood.CALM: 1})
@example([True, 1, 1.0])
def test_fast_path_gives_the_general_paths_bytes(value: Any) -> None:
    assert_fast_equals_general(value)


@settings(max_examples=60)
@given(serde_values())
def test_fast_path_gives_the_general_paths_bytes_for_any_value(value: Any) -> None:
    assert_fast_equals_general(value)


@settings(max_examples=60)
@given(serde_mostly_plain_values())
def test_big_plain_parts_of_other_values_give_the_same_bytes(value: Any) -> None:
    # Big enough that the walk tests its dicts and lists the fast way, beside
    # a value (a tuple) that makes the whole not plain.
    many = _serde_encode._PLAIN_FROM
    wrapped = {"tuple": (1,), "items": [value] * many, "map": {f"k{i}": value for i in range(many)}}
    assert_fast_equals_general(wrapped, repeated=False)


@settings(max_examples=300)
@given(serde_mostly_plain_values())
def test_type_tests_agree_with_the_definition(value: Any) -> None:
    expected = reference_plain(value)
    assert _is_plain_traversed(value) is expected
    assert _is_plain_explicit(value) is expected
    assert _is_plain_explicit(value, deterministic=True) is reference_plain(
        value, deterministic=True
    )


def test_plain_values_skip_the_walk(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_walk(self: object, obj: Any) -> Any:
        raise AssertionError("the walk ran for plain data")

    monkeypatch.setattr(_serde_encode._Walker, "prep", no_walk)
    monkeypatch.setattr(_serde_encode._Walker, "_prep_dict", no_walk)
    monkeypatch.setattr(_serde_encode._Walker, "_prep_items", no_walk)
    state = {
        f"key_{i}": {"n": i, "name": f"v{i}", "tags": ["a", b"b", None, 0.5]} for i in range(50)
    }
    assert SERIALIZER.loads(SERIALIZER.dumps(state)) == state
    assert SERIALIZER.loads(SERIALIZER.dumps(state, deterministic=True)) == state


# --- values that look plain to msgspec but are not ----------------------------------


class Shade(enum.IntFlag):
    DARK = 1


SERIALIZER.registry.register(Shade)

TRICKY: dict[str, Any] = {
    "str_enum_value": {"mood": Mood.CALM},
    "str_enum_key": {Mood.CALM: 1},
    "int_enum_value": [1, Level.LOW],
    "int_enum_key": {Level.LOW: "x"},
    "int_flag": [Shade.DARK],
    "bool_and_int": {"t": True, "one": 1, "f": False, "zero": 0, "float": 1.0},
    "bool_and_int_keys": {True: "t", 2: "two", 1.5: "f", None: "n", b"k": "b"},
    "tuple_in_list": [[1, 2], (1, 2)],
    "tuple_key": {(1, 2): "pair"},
    "set": {"s": {1, 2}},
    "nan": [float("nan"), {"x": float("-inf")}],
    "big_int": {"big": 2**64, "small": -(2**63) - 1, "edge": 2**64 - 1},
    "big_int_key": {2**70: 1},
    "surrogate_value": {"text": "a\ud800b"},
    "surrogate_key": {"a\udfff": 1},
    "bytearray": [b"x", bytearray(b"x")],
    "nested_registered": {"a": [{"b": [Point(1, (2,))]}]},
    "struct": [Note(text="hi")],
    "date": {"when": datetime.date(2024, 1, 1)},
    "deep_tuple": {"a": {"b": {"c": {"d": [{"e": (1,)}]}}}},
}


@pytest.mark.parametrize("name", sorted(TRICKY))
def test_tricky_values_round_trip_exactly_through_the_general_path(name: str) -> None:
    value = TRICKY[name]
    plain = reference_plain(value)
    assert _is_plain_traversed(value) is plain
    assert _is_plain_explicit(value) is plain
    assert_fast_equals_general(value)


def test_bool_stays_bool_and_int_stays_int() -> None:
    back = SERIALIZER.loads(SERIALIZER.dumps({"a": [True, 1, 0, False]}))
    assert [type(x) for x in back["a"]] == [bool, int, int, bool]


def test_str_subclass_is_refused_with_its_path() -> None:
    with pytest.raises(SerializationError, match=r"state\['rows'\]\[1\]\['name'\].*Label"):
        SERIALIZER.dumps({"rows": [{"name": "a"}, {"name": Label("b")}]}, path="state")


def test_unregistered_value_deep_in_plain_data_names_its_path() -> None:
    value: dict[str, list[Any]] = {f"k{i}": list(range(5)) for i in range(40)}
    value["k7"][3] = NotRegistered()
    with pytest.raises(SerializationError, match=r"state\['k7'\]\[3\]: type .*NotRegistered"):
        SERIALIZER.dumps(value, path="state")


def test_a_cycle_is_still_reported() -> None:
    loop: list[Any] = [1]
    loop.append(loop)
    with pytest.raises(SerializationError, match="reference cycle"):
        SERIALIZER.dumps({"loop": loop}, path="state")


def test_values_deeper_than_the_test_looks_take_the_general_path() -> None:
    deep: Any = "leaf"
    for _ in range(_serde_plain._MAX_DEPTH + 5):
        deep = [deep]
    assert not _is_plain_traversed(deep)
    assert not _is_plain_explicit(deep)
    assert SERIALIZER.loads(SERIALIZER.dumps(deep)) == deep


def test_empty_containers_are_plain() -> None:
    values: list[Any] = [{}, [], {"a": {}}, [[]], {"a": [{}]}]
    for value in values:
        assert _is_plain_traversed(value)
        assert _is_plain_explicit(value)
        assert_fast_equals_general(value)


def test_the_traversal_probe_holds_here() -> None:
    # The suite runs on CPython 3.11, where gc.get_referents lists what the
    # traversed test needs; the probe must see it (and pick that test).
    assert _serde_plain._traversal_lists_everything()
    assert _serde_plain._is_plain is _is_plain_traversed


def test_instance_dicts_are_checked_too() -> None:
    holder = NotRegistered()
    holder.__dict__.update(a=(1,), b=2)
    assert not _is_plain_traversed(holder.__dict__)
    holder.__dict__["a"] = [1]
    assert _is_plain_traversed(holder.__dict__)
    assert_fast_equals_general(holder.__dict__)


def test_the_walk_takes_big_plain_parts_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    tested: list[int] = []

    def spy(value: Any) -> bool:
        tested.append(len(value))
        return _serde_plain._is_plain(value)

    monkeypatch.setattr(_serde_encode, "_is_plain", spy)
    big = list(range(_serde_encode._PLAIN_FROM))
    small = list(range(_serde_encode._PLAIN_FROM - 1))
    big_map = dict.fromkeys(map(str, big), 1)
    value = {
        "pair": (1, 2),
        "big": big,
        "small": small,
        "map": big_map,
        "in_list": [(1,), big_map, big],
    }
    assert_fast_equals_general(value)
    assert sorted(set(tested)) == [len(big)]


def test_records_fail_the_test_on_the_first_one() -> None:
    records = [{"n": i, "on": datetime.date(2024, 1, 1)} for i in range(100)]
    assert not _is_plain_traversed(records)
    assert_fast_equals_general(records)


def test_the_probe_turns_the_traversed_test_off_where_it_does_not_hold(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_serde_plain, "_referents", lambda *objects: [])
    assert not _serde_plain._traversal_lists_everything()
    monkeypatch.undo()
    monkeypatch.setattr(sys, "version_info", (3, 13, 0))
    assert not _serde_plain._traversal_lists_everything()


def test_check_raises_what_dumps_raises() -> None:
    bad = {"rows": [{"name": "a"}] * 20 + [{"name": Label("b")}]}
    with pytest.raises(SerializationError) as from_dumps:
        SERIALIZER.dumps(bad, path="state")
    with pytest.raises(SerializationError) as from_check:
        SERIALIZER.check(bad, path="state")
    assert str(from_check.value) == str(from_dumps.value)
    assert "state['rows'][20]['name']" in str(from_check.value)
    with pytest.raises(SerializationError, match=r"node\.x\[0\]: type .*NotRegistered"):
        check([NotRegistered()], path="node.x")


def test_check_does_not_encode_plain_data(monkeypatch: pytest.MonkeyPatch) -> None:
    serializer = Serializer(sample_registry())

    def no_encoding(obj: Any) -> bytes:
        raise AssertionError("plain data was encoded")

    monkeypatch.setattr(serializer, "_encode", no_encoding)
    serializer.check({f"item_{i}": i for i in range(300)})
    serializer.check([2**70, "a\ud800", {1: None}] * 10)
    serializer.check("text")
    with pytest.raises(AssertionError, match="plain data was encoded"):
        serializer.check({"small": 1})  # small values are simply encoded
    check({"pair": (1, 2), "when": datetime.date(2024, 1, 1)})
