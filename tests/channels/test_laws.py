"""The algebra channels and CRDTs declare, checked with hypothesis.

* every CRDT merge is associative, commutative, idempotent and inflationary;
* replicas that exchange their states in any order converge (also as a
  state machine: replicas that have seen the same operations agree);
* a channel that declares itself commutative gives the same outcome (value,
  checkpoint, or error) for every permutation of a step's writes;
* ``from_checkpoint(checkpoint())`` restores a channel, ``copy()`` is independent,
  and a checkpoint handed out is never mutated by later steps.
"""

from __future__ import annotations

import copy
import inspect
import itertools
import operator
from collections.abc import Callable, Sequence
from functools import reduce
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

import actorgraph.channels as channels_module
from actorgraph.channels import (
    AnyValue,
    BaseChannel,
    BinaryOperatorAggregate,
    EphemeralValue,
    InvalidUpdateError,
    LastValue,
    LastValueAfterFinish,
    NamedBarrierValue,
    NamedBarrierValueAfterFinish,
    Overwrite,
    Topic,
    UntrackedValue,
    merge,
    reducer,
)
from tests.strategies import (
    CRDT_KINDS,
    REPLICAS,
    barrier_names,
    crdt_histories,
    crdt_states,
    int_or_list_writes,
    small_ints,
)

# Modest example counts keep this file to a few seconds; CI runs derandomized.
LAWS = settings(max_examples=40)
FAST = settings(max_examples=25)
KINDS = sorted(CRDT_KINDS)


# --- CRDT merge laws ----------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@LAWS
@given(data=st.data())
def test_merge_is_associative_commutative_idempotent(kind: str, data: st.DataObject) -> None:
    a, b, c = data.draw(crdt_states(kind, 3))
    assert a.merge(b).merge(c) == a.merge(b.merge(c)), "associative"
    assert a.merge(b) == b.merge(a), "commutative"
    assert a.merge(a) == a, "idempotent"
    joined = a.merge(b)
    assert a.merge(joined) == joined, "inflationary: the join is above both"


@pytest.mark.parametrize("kind", KINDS)
@LAWS
@given(data=st.data())
def test_replicas_that_exchange_states_in_any_order_converge(
    kind: str, data: st.DataObject
) -> None:
    _, final = data.draw(crdt_histories(kind))
    # Each replica receives every other state, in its own order, possibly twice.
    outcomes = []
    for replica in final:
        inbox = data.draw(st.permutations([*final, data.draw(st.sampled_from(final))]))
        outcomes.append(reduce(lambda s, other: s.merge(other), inbox, replica))
    assert all(outcome == outcomes[0] for outcome in outcomes)


@pytest.mark.parametrize("kind", KINDS)
@LAWS
@given(data=st.data())
def test_a_merge_channel_does_not_depend_on_how_writes_are_grouped(
    kind: str, data: st.DataObject
) -> None:
    writes = data.draw(crdt_states(kind, 4))
    empty, _ = CRDT_KINDS[kind]
    values = []
    for _ in range(2):
        channel: BinaryOperatorAggregate[Any] = BinaryOperatorAggregate(type(empty()), merge)
        order = data.draw(st.permutations(writes))
        cut = data.draw(st.integers(0, len(order)))
        channel.update(order[:cut])
        channel.update(order[cut:])
        values.append(channel.get())
    assert values[0] == values[1]


# --- every channel ------------------------------------------------------------------


@reducer(commutative=True, idempotent=True)
def _declared_max(acc: int, value: int) -> int:
    return max(acc, value)


def _merge_channel(kind: str) -> Callable[[], BaseChannel[Any, Any, Any]]:
    def build() -> BaseChannel[Any, Any, Any]:
        return BinaryOperatorAggregate(type(CRDT_KINDS[kind][0]()), merge, key="k")

    return build


class _CRDTWrites:
    """Writes of one CRDT kind: states of a single run, drawn once per example
    (drawing a whole run per write would make the suite slow)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind


# A factory per configuration, and the writes it accepts. Every channel class that
# ``actorgraph.channels`` exports must appear (checked below).
CASES: dict[
    str, tuple[Callable[[], BaseChannel[Any, Any, Any]], st.SearchStrategy[Any] | _CRDTWrites]
] = {
    "LastValue": (lambda: LastValue(int, key="k"), small_ints),
    "LastValueAfterFinish": (lambda: LastValueAfterFinish(int, key="k"), small_ints),
    "EphemeralValue": (lambda: EphemeralValue(int, key="k"), small_ints),
    "EphemeralValue-unguarded": (lambda: EphemeralValue(int, guard=False), small_ints),
    "AnyValue": (lambda: AnyValue(int, key="k"), small_ints),
    "UntrackedValue": (lambda: UntrackedValue(int, key="k"), small_ints),
    "UntrackedValue-unguarded": (lambda: UntrackedValue(int, guard=False), small_ints),
    "Topic": (lambda: Topic(int, key="k"), int_or_list_writes),
    "Topic-accumulate": (lambda: Topic(int, accumulate=True), int_or_list_writes),
    "Topic-unique": (lambda: Topic(int, accumulate=True, unique=True), int_or_list_writes),
    "NamedBarrierValue": (lambda: NamedBarrierValue(str, "abc", key="k"), barrier_names),
    "NamedBarrierValueAfterFinish": (
        lambda: NamedBarrierValueAfterFinish(str, "abc", key="k"),
        barrier_names,
    ),
    "BinaryOperatorAggregate-add": (
        lambda: BinaryOperatorAggregate(int, operator.add, key="k"),
        st.one_of(small_ints, small_ints.map(Overwrite)),
    ),
    "BinaryOperatorAggregate-max": (
        lambda: BinaryOperatorAggregate(int, _declared_max, key="k"),
        st.one_of(small_ints, small_ints.map(Overwrite)),
    ),
    **{
        f"BinaryOperatorAggregate-{kind}": (
            _merge_channel(kind),
            _CRDTWrites(kind),
        )
        for kind in KINDS
    },
}
CASE_NAMES = sorted(CASES)
COMMUTATIVE = [name for name in CASE_NAMES if CASES[name][0]().commutative]
IDEMPOTENT = [name for name in CASE_NAMES if CASES[name][0]().idempotent]


def _case(
    name: str, data: st.DataObject
) -> tuple[BaseChannel[Any, Any, Any], st.SearchStrategy[Any]]:
    factory, writes = CASES[name]
    if isinstance(writes, _CRDTWrites):
        seen, _ = data.draw(crdt_histories(writes.kind))
        states = st.sampled_from(seen)
        return factory(), st.one_of(states, states.map(Overwrite))
    return factory(), writes


def _exported_channel_classes() -> set[str]:
    return {
        name
        for name in channels_module.__all__
        if inspect.isclass(cls := getattr(channels_module, name))
        and issubclass(cls, BaseChannel)
        and not inspect.isabstract(cls)
    }


def test_every_exported_channel_is_under_test() -> None:
    covered = {name.split("-")[0] for name in CASES}
    assert _exported_channel_classes() <= covered
    assert {"LastValue", "NamedBarrierValue", "BinaryOperatorAggregate-GCounter"} <= set(
        COMMUTATIVE
    )
    assert "Topic" not in COMMUTATIVE


def _draw_steps(data: st.DataObject, writes: st.SearchStrategy[Any]) -> list[list[Any]]:
    return data.draw(st.lists(st.lists(writes, max_size=4), min_size=1, max_size=3))


def _apply(channel: BaseChannel[Any, Any, Any], steps: Sequence[Sequence[Any]]) -> None:
    """Run steps as the engine would, skipping steps the channel rejects."""
    for step in steps:
        try:
            channel.update(step)
        except InvalidUpdateError:
            continue
        channel.finish()


def _outcome(channel: BaseChannel[Any, Any, Any], step: Sequence[Any]) -> tuple[Any, ...]:
    trial = channel.copy()
    try:
        changed = trial.update(step)
    except InvalidUpdateError:
        return ("rejected",)
    value = trial.get() if trial.is_available() else None
    return ("applied", changed, trial.checkpoint(), value)


@pytest.mark.parametrize("name", COMMUTATIVE)
@FAST
@given(data=st.data())
def test_commutative_channels_ignore_the_order_of_a_steps_writes(
    name: str, data: st.DataObject
) -> None:
    channel, writes = _case(name, data)
    _apply(channel, _draw_steps(data, writes))
    step = data.draw(st.lists(writes, max_size=4))
    expected = _outcome(channel, step)
    for order in itertools.permutations(step):
        assert _outcome(channel, order) == expected


@pytest.mark.parametrize("name", IDEMPOTENT)
@FAST
@given(data=st.data())
def test_idempotent_channels_ignore_repeated_writes(name: str, data: st.DataObject) -> None:
    channel, writes = _case(name, data)
    _apply(channel, _draw_steps(data, writes))
    step = [w for w in data.draw(st.lists(writes, max_size=3)) if not isinstance(w, Overwrite)]
    once = _outcome(channel, step)
    assert _outcome(channel, step + step) == once
    if once[0] == "applied":
        channel.update(step)
        assert _outcome(channel, step)[2] == once[2], "a replayed step changes nothing"


def _state(channel: BaseChannel[Any, Any, Any]) -> tuple[Any, ...]:
    value = channel.get() if channel.is_available() else None
    return (channel.checkpoint(), channel.is_available(), value)


@pytest.mark.parametrize("name", CASE_NAMES)
@FAST
@given(data=st.data())
def test_checkpoint_round_trip_and_independent_copies(name: str, data: st.DataObject) -> None:
    channel, writes = _case(name, data)
    _apply(channel, _draw_steps(data, writes))
    saved = channel.checkpoint()
    frozen = copy.deepcopy(saved)
    restored = channel.from_checkpoint(saved)
    if not isinstance(channel, UntrackedValue):
        assert _state(restored) == _state(channel)
        assert restored == channel, "same configuration"
    assert restored.key == channel.key

    twin = channel.copy()
    assert _state(twin) == _state(channel)
    before = _state(channel)
    later = _draw_steps(data, writes)
    _apply(twin, later)
    assert _state(channel) == before, "updating a copy leaves the original alone"
    _apply(channel, later)
    _apply(restored, later)
    assert saved == frozen, "a checkpoint handed out is never mutated"


# Plain values only (CRDT states need a typed decoder), and channels that persist.
_PLAIN = [
    name
    for name in CASE_NAMES
    if (not name.startswith("BinaryOperatorAggregate-") or "add" in name)
    and not name.startswith("UntrackedValue")
]


@pytest.mark.parametrize("name", _PLAIN)
@FAST
@given(data=st.data())
def test_checkpoints_survive_msgpack(name: str, data: st.DataObject) -> None:
    """Restoring accepts what an untyped decoder gives back (lists for sets and tuples)."""
    channel, writes = _case(name, data)
    _apply(
        channel,
        [[w for w in step if not isinstance(w, Overwrite)] for step in _draw_steps(data, writes)],
    )
    saved = channel.checkpoint()
    decoded = (
        saved
        if saved is channels_module.MISSING
        else msgspec.msgpack.decode(msgspec.msgpack.encode(saved))
    )
    restored = channel.from_checkpoint(decoded)
    assert restored.is_available() == channel.is_available()
    if channel.is_available():
        assert restored.get() == channel.get()


# --- convergence as a state machine -------------------------------------------------


class _Replicas(RuleBasedStateMachine):
    """Three replicas of one CRDT apply local operations and merge each other's
    states in any order; replicas that have seen the same operations agree."""

    def __init__(self) -> None:
        super().__init__()
        self.kind = ""
        self.states: list[Any] = []
        self.delivered: list[frozenset[int]] = []
        self.next_op = 0

    @initialize(kind=st.sampled_from(KINDS))
    def start(self, kind: str) -> None:
        empty, _ = CRDT_KINDS[kind]
        self.kind = kind
        self.states = [empty() for _ in REPLICAS]
        self.delivered = [frozenset() for _ in REPLICAS]

    @rule(i=st.integers(0, len(REPLICAS) - 1), x=st.integers(0, 5))
    def operate(self, i: int, x: int) -> None:
        _, op = CRDT_KINDS[self.kind]
        self.states[i] = op(self.states[i], REPLICAS[i], x)
        self.delivered[i] |= {self.next_op}
        self.next_op += 1

    @rule(i=st.integers(0, len(REPLICAS) - 1), j=st.integers(0, len(REPLICAS) - 1))
    def receive(self, i: int, j: int) -> None:
        self.states[i] = self.states[i].merge(self.states[j])
        self.delivered[i] |= self.delivered[j]

    @invariant()
    def same_operations_same_state(self) -> None:
        for i, j in itertools.combinations(range(len(self.states)), 2):
            if self.delivered[i] == self.delivered[j]:
                assert self.states[i] == self.states[j]


_Replicas.TestCase.settings = settings(max_examples=30, stateful_step_count=12)
test_replicas_converge_as_a_state_machine = _Replicas.TestCase
