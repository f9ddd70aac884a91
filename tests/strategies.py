"""Hypothesis strategies shared by the test suite, one section per subsystem."""

from __future__ import annotations

import datetime
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from actorgraph.channels import (
    GCounter,
    GSet,
    LWWMap,
    LWWRegister,
    MVRegister,
    ORMap,
    ORSet,
    PNCounter,
    TwoPhaseSet,
)
from actorgraph.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from tests.store._serde_samples import Color, Level, Note, Packet, Pair, Point, Tagged

# --- engine ---------------------------------------------------------------------


@dataclass(frozen=True)
class GraphShape:
    """A random acyclic graph: edges go forward, so every run terminates.

    ``edges[i]`` lists the nodes ``n{i}`` leads to; ``fanout[i]`` is how many
    Sends ``n{i}`` makes to the worker node; ``joins`` are waiting edges;
    ``deferred`` nodes wait until nothing else is left to run.
    """

    size: int
    entry: tuple[int, ...]
    edges: tuple[tuple[int, ...], ...]
    fanout: tuple[int, ...]
    joins: tuple[tuple[tuple[int, ...], int], ...]
    deferred: tuple[int, ...] = ()


@st.composite
def graph_shapes(draw: st.DrawFn) -> GraphShape:
    """Small random graphs with parallel branches, Send fan-outs and joins."""
    size = draw(st.integers(min_value=2, max_value=6))
    entry = tuple(sorted(draw(st.sets(st.integers(0, size - 1), min_size=1, max_size=3))))
    edges = tuple(
        tuple(sorted(draw(st.sets(st.integers(i + 1, size - 1), max_size=2))))
        if i < size - 1
        else ()
        for i in range(size)
    )
    fanout = tuple(draw(st.integers(0, 3)) for _ in range(size))
    joins: list[tuple[tuple[int, ...], int]] = []
    if size >= 3 and draw(st.booleans()):
        target = size - 1
        starts = tuple(sorted(draw(st.sets(st.integers(0, target - 1), min_size=2, max_size=3))))
        joins.append((starts, target))
    deferred = tuple(sorted(draw(st.sets(st.integers(0, size - 1), max_size=2))))
    return GraphShape(size, entry, edges, fanout, tuple(joins), deferred)


def task_delays() -> st.SearchStrategy[list[float]]:
    """Per-task sleep times in seconds (0 or a few milliseconds)."""
    return st.lists(st.sampled_from([0.0, 0.0005, 0.001, 0.003]), min_size=1, max_size=12)


# --- channels ---------------------------------------------------------------------

REPLICAS = ("r0", "r1", "r2")
"""Replica ids: each simulated replica owns one, as the CRDT contract asks."""


def _lww_set(state: LWWRegister[int], replica: str, x: int) -> LWWRegister[int]:
    # Half of the writes use explicit, colliding timestamps to exercise tie-breaks.
    if x < 3:
        return state.set(x, replica=replica)
    if x == 5:
        return state.clear(replica=replica, timestamp=1.0)
    return state.set(x, replica=replica, timestamp=float(x - 3))


def _two_phase(state: TwoPhaseSet[int], replica: str, x: int) -> TwoPhaseSet[int]:
    if x in state:
        return state.remove(x)
    if x in state.removed:
        return state
    return state.add(x)


def _or_set(state: ORSet[int], replica: str, x: int) -> ORSet[int]:
    # Two elements and frequent removes, so adds and removes race often.
    element = x % 2
    if x >= 2 and element in state:
        return state.remove(element)
    return state.add(element, replica=replica)


def _lww_map(state: LWWMap[str, int], replica: str, x: int) -> LWWMap[str, int]:
    key = "ab"[x % 2]
    if x == 5:
        return state.remove(key, replica=replica)
    if x == 4:
        return state.set(key, x, replica=replica, timestamp=2.0)
    return state.set(key, x, replica=replica)


def _or_map(state: ORMap[str, GCounter], replica: str, x: int) -> ORMap[str, GCounter]:
    key = "ab"[x % 2]
    if x >= 4 and key in state:
        return state.remove(key)
    current = state.get(key) or GCounter()
    return state.update(key, current.increment(replica, x), replica=replica)


CRDT_KINDS: dict[str, tuple[Callable[[], Any], Callable[[Any, str, int], Any]]] = {
    "GCounter": (GCounter, lambda s, r, x: s.increment(r, x)),
    "PNCounter": (PNCounter, lambda s, r, x: s.increment(r, x - 2)),
    "LWWRegister": (LWWRegister[int], _lww_set),
    "MVRegister": (MVRegister[int], lambda s, r, x: s.set(x, replica=r)),
    "GSet": (GSet[int], lambda s, r, x: s.add(x)),
    "TwoPhaseSet": (TwoPhaseSet[int], _two_phase),
    "ORSet": (ORSet[int], _or_set),
    "LWWMap": (LWWMap[str, int], _lww_map),
    "ORMap": (ORMap[str, GCounter], _or_map),
}
"""Each CRDT by name: its empty state and one local operation ``op(state, replica, x)``."""

_events = st.lists(
    st.tuples(
        st.integers(0, len(REPLICAS) - 1),
        st.integers(0, len(REPLICAS) - 1),
        st.booleans(),
        st.integers(0, 5),
    ),
    max_size=14,
)


@st.composite
def crdt_histories(draw: st.DrawFn, kind: str) -> tuple[list[Any], list[Any]]:
    """A random run of three replicas of ``kind``: local operations and merges.

    Returns ``(seen, final)``: every state any replica reached (the states a
    merge can meet in a correct run) and each replica's state at the end.
    """
    empty, operate = CRDT_KINDS[kind]
    replicas = [empty() for _ in REPLICAS]
    seen = list(replicas)
    for i, j, is_merge, x in draw(_events):
        if is_merge:
            replicas[i] = replicas[i].merge(replicas[j])
        else:
            replicas[i] = operate(replicas[i], REPLICAS[i], x)
        seen.append(replicas[i])
    return seen, replicas


@st.composite
def crdt_states(draw: st.DrawFn, kind: str, count: int) -> list[Any]:
    """``count`` states of ``kind`` reachable in one run (possibly the same state twice)."""
    seen, _ = draw(crdt_histories(kind))
    return [draw(st.sampled_from(seen)) for _ in range(count)]


small_ints = st.integers(0, 3)
int_or_list_writes = st.one_of(small_ints, st.lists(small_ints, max_size=3))
barrier_names = st.sampled_from(["a", "b", "c", "z"])

# --- serde ---------------------------------------------------------------------

_SERDE_TEXT = st.text(max_size=12)
_SERDE_INTS = st.integers(min_value=-(2**70), max_value=2**70)


def serde_hashables() -> st.SearchStrategy[Any]:
    """Hashable leaves (dict keys, set members) that compare exactly: no NaN."""
    return st.one_of(
        st.none(),
        st.booleans(),
        _SERDE_INTS,
        st.floats(allow_nan=False),
        _SERDE_TEXT,
        st.binary(max_size=8),
        st.uuids(),
        st.dates(),
        st.sampled_from(list(Color) + list(Level)),
        st.tuples(_SERDE_INTS, _SERDE_TEXT),
        st.frozensets(_SERDE_INTS, max_size=3),
    )


def serde_leaves() -> st.SearchStrategy[Any]:
    """Every scalar the serializer round-trips, NaN and time zones included."""
    return st.one_of(
        serde_hashables(),
        st.floats(),
        st.binary(max_size=8).map(bytearray),
        st.complex_numbers(allow_nan=False),
        st.decimals(places=None),
        st.datetimes(timezones=st.none() | st.timezones() | st.just(datetime.timezone.utc)),
        st.times(timezones=st.none() | st.just(datetime.timezone(datetime.timedelta(hours=2)))),
        st.timedeltas(),
    )


def serde_values(*, registered: bool = True) -> st.SearchStrategy[Any]:
    """Nested values: containers of leaves, and (``registered``) the sample classes
    of ``tests/store/_serde_samples.py`` around them."""

    def extend(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        options: list[st.SearchStrategy[Any]] = [
            st.lists(children, max_size=4),
            st.lists(children, max_size=4).map(tuple),
            st.dictionaries(_SERDE_TEXT, children, max_size=4),
            st.dictionaries(serde_hashables(), children, max_size=3),
            st.sets(serde_hashables(), max_size=3),
            st.frozensets(serde_hashables(), max_size=3),
            st.builds(deque, st.lists(children, max_size=3), st.none() | st.integers(3, 5)),
        ]
        if registered:
            options += [
                st.builds(Point, children, children),
                st.builds(Tagged, st.lists(_SERDE_TEXT, max_size=3).map(tuple)),
                st.tuples(_SERDE_TEXT, children).map(lambda args: Packet(*args)),
                st.tuples(_SERDE_TEXT, st.dictionaries(_SERDE_TEXT, children)).map(
                    lambda args: Note(text=args[0], meta=args[1])
                ),
                st.builds(Pair, children, children),
            ]
        return st.one_of(*options)

    return st.recursive(serde_leaves(), extend, max_leaves=12)


# --- messages ---------------------------------------------------------------------

message_ids = st.one_of(st.none(), st.sampled_from(["a", "b", "c", "d", "e"]))
message_texts = st.text(alphabet="abc xyz", max_size=12)


@st.composite
def messages(draw: st.DrawFn) -> BaseMessage:
    """One message of a random kind, with a small id space so ids collide often."""
    kind = draw(st.sampled_from(["human", "ai", "system", "tool"]))
    text = draw(message_texts)
    id_ = draw(message_ids)
    if kind == "human":
        return HumanMessage(text, id=id_)
    if kind == "ai":
        return AIMessage(text, id=id_)
    if kind == "system":
        return SystemMessage(text, id=id_)
    return ToolMessage(text, id=id_, tool_call_id="call")


message_lists = st.lists(messages(), max_size=6)
