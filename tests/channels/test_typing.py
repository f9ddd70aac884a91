"""Inference stays honest: ``mypy --strict`` checks these ``assert_type`` calls,
and pytest runs them (``assert_type`` is a no-op at run time)."""

from __future__ import annotations

import operator

from typing_extensions import assert_type

from actorgraph.channels import (
    BinaryOperatorAggregate,
    GCounter,
    GSet,
    LastValue,
    LWWMap,
    ORMap,
    Overwrite,
    Topic,
    merge,
)


def test_channel_values_carry_their_type() -> None:
    last = LastValue[int](int)
    last.update([1])
    assert_type(last.get(), int)
    items = BinaryOperatorAggregate[list[str]](list, operator.add)
    items.update([["a"], Overwrite(["b"])])
    assert_type(items.get(), list[str])
    topic = Topic[str](str)
    topic.update(["a", ["b"]])
    assert_type(topic.get(), list[str])
    assert (last.get(), items.get(), topic.get()) == (1, ["b"], ["a", "b"])


def test_crdt_operations_keep_their_type() -> None:
    counter = assert_type(GCounter().increment("r").merge(GCounter()), GCounter)
    tags = assert_type(merge(GSet[str]().add("x"), GSet[str]()), GSet[str])
    notes = assert_type(LWWMap[str, int]().set("k", 1, replica="r"), LWWMap[str, int])
    nested = ORMap[str, GCounter]().update("k", counter, replica="r")
    assert_type(nested.get("k"), GCounter | None)
    assert (counter.value, "x" in tags, notes.get("k")) == (1, True, 1)
