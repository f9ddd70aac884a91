from __future__ import annotations

import math
from typing import Any

import msgspec
import pytest

from actorgraph.channels import (
    BinaryOperatorAggregate,
    GCounter,
    GSet,
    LWWMap,
    LWWRegister,
    MVRegister,
    ORMap,
    ORSet,
    Overwrite,
    PNCounter,
    TwoPhaseSet,
    merge,
)


def test_gcounter_counts_per_replica_and_merges_by_max() -> None:
    a = GCounter().increment("a").increment("a", 2)
    b = GCounter().increment("b")
    assert a.value == 3
    assert a.merge(b).value == 4
    assert a.merge(b).merge(a) == a.merge(b)
    assert a.increment("a", 0) is a
    assert a.merge(GCounter()) is a
    assert GCounter().merge(a) is a
    assert a.merge(a.increment("b")) == a.increment("b")
    with pytest.raises(ValueError, match="PNCounter"):
        a.increment("a", -1)


def test_merge_of_different_types_names_both() -> None:
    with pytest.raises(TypeError, match="cannot merge GSet into GCounter"):
        GCounter().merge(GSet())  # type: ignore[arg-type]  # the mistake under test
    with pytest.raises(TypeError):
        merge(GCounter(), PNCounter())


def test_pncounter_goes_both_ways() -> None:
    c = PNCounter().increment("a", 5).decrement("b", 2).increment("a", -1).decrement("a", -4)
    assert c.value == 6
    other = PNCounter().decrement("c")
    assert c.merge(other).value == 5
    assert other.merge(c) == c.merge(other)


def test_lww_register_keeps_the_latest_write() -> None:
    empty: LWWRegister[str] = LWWRegister()
    assert not empty.is_set
    first = empty.set("a", replica="r1")
    assert (first.value, first.timestamp, first.is_set) == ("a", 1, True)
    second = first.set("b", replica="r2")
    assert second.value == "b"
    assert second.timestamp == 2
    stale = second.set("old", replica="r3", timestamp=0.5)
    assert stale == second, "an older write loses"
    assert empty.merge(second) == second
    assert second.merge(empty) is second
    cleared = second.clear(replica="r1")
    assert not cleared.is_set
    assert cleared.value is None
    with pytest.raises(ValueError, match="NaN"):
        empty.set("x", replica="r", timestamp=math.nan)


def test_lww_register_ties_are_broken_deterministically() -> None:
    x = LWWRegister("x", 1.0, "r")
    y = LWWRegister("y", 1.0, "r")
    assert x.merge(y) == y.merge(x)
    assert x.merge(x) is x
    assert LWWRegister("a", 1.0, "r2").merge(LWWRegister("z", 1.0, "r1")).value == "a"

    class Opaque:
        pass

    o1, o2 = LWWRegister(Opaque(), 1.0, "r"), LWWRegister(Opaque(), 1.0, "r")
    assert o1.merge(o2) in (o1, o2)


def test_mv_register_keeps_concurrent_values() -> None:
    base = MVRegister[str]().set("v0", replica="a")
    left = base.set("left", replica="a")
    right = base.set("right", replica="b")
    both = left.merge(right)
    assert set(both.values) == {"left", "right"}
    assert both == right.merge(left)
    resolved = both.set("resolved", replica="b")
    assert resolved.values == ("resolved",)
    assert resolved.merge(left) == resolved
    assert left.merge(base) == left
    assert MVRegister[str]().merge(left) is left
    assert left.merge(MVRegister()) is left
    assert left.merge(left) is left


def test_gset_is_a_union() -> None:
    a = GSet[int]().add(1, 2)
    b = GSet[int]().add(3)
    assert set(a.merge(b)) == {1, 2, 3}
    assert 1 in a
    assert len(a) == 2
    assert a.merge(GSet(frozenset({1}))) is a
    assert GSet(frozenset({1})).merge(a) is a


def test_two_phase_set_removes_for_good() -> None:
    s = TwoPhaseSet[str]().add("a").add("b").remove("a")
    assert set(s) == {"b"}
    assert "a" not in s
    assert len(s) == 1
    with pytest.raises(ValueError, match="ORSet"):
        s.add("a")
    with pytest.raises(KeyError):
        s.remove("zzz")
    other = TwoPhaseSet[str]().add("a")
    assert s.merge(other).items == frozenset({"b"})


def test_orset_add_wins_over_a_concurrent_remove() -> None:
    base = ORSet[str]().add("x", replica="a")
    removed = base.remove("x")
    readded = base.add("x", replica="b")
    merged = removed.merge(readded)
    assert "x" in merged, "the concurrent add survives"
    assert merged == readded.merge(removed)
    assert "x" not in removed.merge(base), "a remove of an observed add sticks"
    assert len(merged) == 1
    assert list(merged) == ["x"]
    with pytest.raises(KeyError):
        removed.remove("x")
    again = removed.add("x", replica="a")
    assert "x" in again.merge(base)


def test_lww_map_sets_and_removes_per_key() -> None:
    m = LWWMap[str, int]().set("a", 1, replica="r1").set("b", 2, replica="r1")
    assert m.items == {"a": 1, "b": 2}
    assert m.get("a") == 1
    assert "a" in m
    assert len(m) == 2
    gone = m.remove("a", replica="r2")
    assert "a" not in gone
    assert gone.get("a", -1) == -1
    assert gone.get("zzz") is None
    assert gone.items == {"b": 2}
    back = gone.set("a", 3, replica="r1")
    assert back.get("a") == 3
    concurrent = m.set("b", 20, replica="r2", timestamp=5)
    assert gone.merge(concurrent) == concurrent.merge(gone)
    assert gone.merge(concurrent).items == {"b": 20}
    assert m.merge(LWWMap()) is m
    assert m.set("a", 0, replica="r0", timestamp=0) is m, "an older write changes nothing"


def test_or_map_merges_nested_crdts_per_key() -> None:
    m: ORMap[str, GCounter] = ORMap()
    m = m.update("alice", GCounter().increment("r1"), replica="r1")
    other = ORMap[str, GCounter]().update("alice", GCounter().increment("r2", 2), replica="r2")
    both = m.merge(other)
    alice = both.get("alice")
    assert alice is not None
    assert alice.value == 3
    assert both == other.merge(m)
    assert "alice" in both
    assert len(both) == 1
    assert both.items == {"alice": alice}
    removed = both.remove("alice")
    assert "alice" not in removed
    assert removed.get("alice") is None
    assert removed.items == {}
    with pytest.raises(KeyError):
        removed.remove("alice")
    concurrent = both.update("alice", GCounter().increment("r3"), replica="r3")
    revived = removed.merge(concurrent).get("alice")
    assert revived is not None
    assert revived.value == 4, "an update wins over a concurrent remove, keeping all counts"
    merged_again = both.update("alice", GCounter().increment("r1", 5), replica="r1")
    assert merged_again.get("alice") == GCounter({"r1": 5, "r2": 2})


def test_or_map_values_must_be_crdts() -> None:
    m: ORMap[str, Any] = ORMap[str, Any]().update("k", 1, replica="r")
    with pytest.raises(TypeError, match="CRDTs with a merge method"):
        m.update("k", 2, replica="r")


def test_merge_reducer_drives_a_channel() -> None:
    channel: BinaryOperatorAggregate[GCounter] = BinaryOperatorAggregate(GCounter, merge)
    assert (channel.commutative, channel.idempotent) == (True, True)
    assert channel.get() == GCounter()
    start = channel.get()
    channel.update([start.increment("a"), start.increment("b"), start.increment("a")])
    assert channel.get().value == 2
    channel.update([Overwrite(GCounter())])
    assert channel.get().value == 0
    method: BinaryOperatorAggregate[GSet[str]] = BinaryOperatorAggregate(GSet[str], GSet.merge)
    assert method.commutative
    assert method.get() == GSet()


@pytest.mark.parametrize(
    ("value", "typ"),
    [
        (GCounter().increment("a", 3), GCounter),
        (PNCounter().decrement("a"), PNCounter),
        (LWWRegister[int]().set(1, replica="r"), LWWRegister[int]),
        (MVRegister[str]().set("x", replica="r"), MVRegister[str]),
        (GSet[int]().add(1), GSet[int]),
        (TwoPhaseSet[str]().add("a").remove("a"), TwoPhaseSet[str]),
        (ORSet[str]().add("a", replica="r"), ORSet[str]),
        (LWWMap[str, int]().set("k", 1, replica="r"), LWWMap[str, int]),
        (
            ORMap[str, GCounter]().update("k", GCounter().increment("r"), replica="r"),
            ORMap[str, GCounter],
        ),
    ],
)
def test_crdts_round_trip_through_msgpack_and_json(value: Any, typ: Any) -> None:
    assert msgspec.msgpack.decode(msgspec.msgpack.encode(value), type=typ) == value
    assert msgspec.json.decode(msgspec.json.encode(value), type=typ) == value
