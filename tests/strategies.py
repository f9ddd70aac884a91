"""Hypothesis strategies shared by the test suite, one section per subsystem."""

from __future__ import annotations

import datetime
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from actorgraph.actors import RestartType, Strategy
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
from tests.store._serde_samples import Color, Level, Mood, Note, Packet, Pair, Point, Tagged

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


# --- engine: wide states (wide-state) --------------------------------------------


@st.composite
def wide_values(draw: st.DrawFn) -> dict[str, Any]:
    """Some of the fields a, b, c of a small schema, in any order."""
    names = draw(st.permutations(["a", "b", "c"]))
    count = draw(st.integers(0, 3))
    pool = {
        "a": st.integers(-3, 3),
        "b": st.lists(st.integers(0, 3), max_size=3),
        "c": st.text("xy"),
    }
    return {name: draw(pool[name]) for name in names[:count]}


def wide_programs() -> st.SearchStrategy[list[list[tuple[str, Any]]]]:
    """What each node of a chain over a 10-key state writes (keys k0-k9, total, flash)."""
    keys = st.sampled_from([*(f"k{i}" for i in range(10)), "total", "flash"])
    writes = st.dictionaries(keys, st.integers(0, 9), max_size=4).map(lambda d: list(d.items()))
    return st.lists(writes, min_size=1, max_size=5)


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
# --- checkpoints ---------------------------------------------------------------

_CKPT_THREADS = st.sampled_from(["t1", "t2", "t3"])
_CKPT_NAMESPACES = st.sampled_from(["", "sub:1"])
_CKPT_RUNS = st.sampled_from([None, "run-a", "run-b"])


def checkpoint_workouts() -> st.SearchStrategy[list[tuple[Any, ...]]]:
    """Random sequences of saver operations, for comparing the savers:
    ``("put", thread, ns, append, count, run)``, ``("writes", thread, ns, task,
    [(channel, value)], task_path)``, ``("prune", threads, keep)``,
    ``("delete", thread)``, ``("copy", source, target)``, ``("delete_runs", run)``.
    """
    put = st.tuples(
        st.just("put"),
        _CKPT_THREADS,
        _CKPT_NAMESPACES,
        st.booleans(),
        st.integers(0, 3),
        _CKPT_RUNS,
    )
    writes = st.tuples(
        st.just("writes"),
        _CKPT_THREADS,
        _CKPT_NAMESPACES,
        st.sampled_from(["task-a", "task-b"]),
        st.lists(
            st.tuples(st.sampled_from(["x", "y", "__error__", "__interrupt__"]), st.integers(0, 9)),
            max_size=3,
        ),
        st.sampled_from(["", "p1", "p0"]),
    )
    prune = st.tuples(
        st.just("prune"), st.lists(_CKPT_THREADS, max_size=2), st.sampled_from(["latest", 0, 2])
    )
    delete = st.tuples(st.just("delete"), _CKPT_THREADS)
    copy = st.tuples(st.just("copy"), _CKPT_THREADS, st.sampled_from(["t3", "c1", "c2"]))
    runs = st.tuples(st.just("delete_runs"), _CKPT_RUNS)
    return st.lists(st.one_of(put, put, put, writes, prune, delete, copy, runs), max_size=25)


def channel_changes() -> st.SearchStrategy[list[dict[str, str]]]:
    """Steps of list channels for the SQLite saver's reads: per step, the
    channels it changes and how ("grow" appends an item, a delta; "new"
    replaces the list, a whole copy; "drop" empties the channel)."""
    return st.lists(
        st.dictionaries(
            st.sampled_from(["a", "b", "c"]),
            st.sampled_from(["grow", "grow", "new", "drop"]),
            min_size=1,
        ),
        min_size=1,
        max_size=12,
    )


def job_future_moves() -> st.SearchStrategy[list[str]]:
    """What callers and a database thread do to a job's future, in random
    order, for comparing the SQLite layer's ``JobFuture`` with
    ``concurrent.futures.Future``."""
    return st.lists(
        st.sampled_from(
            ["cancel", "start", "result", "error", "callback", "done", "peek", "running"]
        ),
        max_size=10,
    )


def merged_puts() -> st.SearchStrategy[list[tuple[str, dict[str, tuple[int, Any]], list[Any]]]]:
    """Puts that the SQLite saver's writer runs as one merged batch:
    ``(thread, {channel: (version number, value)}, [(channel, value)])``.
    Version numbers come from a small range, so a version is often stored
    again with another value (the newest must win, as one by one)."""
    value = st.one_of(st.none(), st.integers(-3, 3), st.text(max_size=2))
    channels = st.dictionaries(
        st.sampled_from(["a", "b", "c"]), st.tuples(st.integers(1, 3), value), max_size=3
    )
    writes = st.lists(
        st.tuples(st.sampled_from(["a", "b", "__error__", "__interrupt__"]), value), max_size=3
    )
    return st.lists(
        st.tuples(st.sampled_from(["t1", "t2"]), channels, writes), min_size=2, max_size=12
    )


# --- serde (continued) ---------------------------------------------------------

# Lone surrogates included: models emit them, and they must round-trip too.
_SERDE_TEXT = st.text(st.characters(exclude_categories=()), max_size=12)
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


def serde_mostly_plain_values() -> st.SearchStrategy[Any]:
    """Dicts and lists of plain scalars (what the serializer's fast path takes),
    with now and then a value it must not take: an enum, a tuple, a set, a
    bytearray, a registered class, a non-str key, a big int, a lone surrogate."""
    text = st.text(st.characters(exclude_categories=()), max_size=6)
    plain = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**65), 2**65),
        st.integers(-300, 300),
        st.floats(),
        text,
        st.binary(max_size=4),
    )
    tricky = st.one_of(
        st.sampled_from([Color.RED, Level.LOW, Mood.CALM]),
        st.tuples(st.integers(0, 3)),
        st.sets(st.integers(0, 3), max_size=2),
        st.binary(max_size=2).map(bytearray),
        st.builds(Point, st.integers(0, 3)),
        st.builds(Note, text=text),
        st.dates(),
    )
    keys = st.one_of(
        text,
        text,
        st.integers(-3, 3),
        st.sampled_from([Mood.CALM, Level.LOW, (1, 2), None, 2**70]),
    )

    def extend(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return st.one_of(
            st.lists(children, max_size=5),
            st.dictionaries(text, children, max_size=5),
            st.dictionaries(keys, children, max_size=3),
        )

    leaves = st.one_of(plain, plain, plain, tricky)
    return st.recursive(leaves, extend, max_leaves=25)


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

#: One thing that happens to a messages key between two writes, for the tests that
#: compare add_messages' append path with its general merge: a write (appends,
#: updates by id, removals, remove-all), an Overwrite of the whole list, or a node
#: changing the stored list or one of its messages in place.
message_history_ops = st.one_of(
    st.tuples(st.just("write"), message_lists),
    st.tuples(st.just("fresh"), st.integers(min_value=0, max_value=3)),
    st.tuples(st.just("update"), st.integers(min_value=0, max_value=30), message_texts),
    st.tuples(st.just("remove"), st.integers(min_value=0, max_value=30)),
    st.tuples(st.just("remove_unknown")),
    st.tuples(st.just("remove_all"), message_lists),
    st.tuples(st.just("overwrite"), message_lists),
    st.tuples(st.just("list_append"), messages()),
    st.tuples(st.just("list_set"), st.integers(min_value=0, max_value=30), messages()),
    st.tuples(st.just("list_del"), st.integers(min_value=0, max_value=30)),
    st.tuples(st.just("id_change"), st.integers(min_value=0, max_value=30), message_ids),
)

# --- actors -----------------------------------------------------------------------

restart_types = st.sampled_from(list(RestartType))
"""permanent, transient or temporary."""

restart_strategies = st.sampled_from(
    [Strategy.ONE_FOR_ONE, Strategy.ONE_FOR_ALL, Strategy.REST_FOR_ONE]
)
"""The strategies whose children come from static specs."""

child_restart_types = st.lists(restart_types, min_size=1, max_size=4)
"""The restart types of a supervisor's children, in start order."""

intensities = st.integers(min_value=0, max_value=3)
"""Restart intensities small enough to be exceeded within a few steps."""

restart_gaps = st.lists(st.floats(min_value=0.0, max_value=3.0), min_size=1, max_size=30)
"""Seconds between successive restarts of one supervisor's children."""

actor_ops = st.lists(
    st.tuples(
        st.sampled_from(["tell", "crash", "exit", "ask", "ask_crash", "stop", "nap", "spawn"]),
        st.integers(min_value=0, max_value=7),
    ),
    max_size=40,
)
"""Operations on a small population of actors: (what, which actor)."""
# --- the long-term store -----------------------------------------------------------

_STORE_LABELS = st.sampled_from(["a", "b", "c"])
_STORE_NAMESPACES = st.sampled_from(
    [("a",), ("a",), ("a", "b"), ("a", "c"), ("b",), ("a", "b", "c")]
)
_STORE_KEYS = st.sampled_from(["k1", "k2", "k3", "k4", "k5"])
_STORE_VALUES = st.fixed_dictionaries(
    {"n": st.integers(0, 4)},
    optional={"s": st.sampled_from(["x", "y"]), "flag": st.booleans(), "deep": st.just({"n": 1})},
)
_STORE_FILTERS = st.sampled_from(
    [
        None,
        None,
        None,
        {"n": 2},
        {"n": {"$gte": 2}},
        {"n": {"$lt": 3, "$ne": 1}},
        {"s": "x"},
        {"flag": True},
        {"deep": {"n": 1}},
        {"deep.n": 1},
        {"n": {"$gt": "1"}},
        {"s": {"$gte": "x"}},
        {"flag": 1},
        {"n": True},
        {"s": None},
        {"n": 2.0, "s": {"$ne": "y"}},
    ]
)


def store_puts() -> st.SearchStrategy[tuple[Any, ...]]:
    """A ``("put", namespace, key, value, ttl)`` step of a store workout."""
    return st.tuples(
        st.just("put"),
        _STORE_NAMESPACES,
        _STORE_KEYS,
        _STORE_VALUES,
        st.sampled_from([None, None, 1, 5]),
    )


def store_reads() -> st.SearchStrategy[tuple[Any, ...]]:
    """A read step of a store workout: get, search (with or without a query), list."""
    return st.one_of(
        st.tuples(st.just("get"), _STORE_NAMESPACES, _STORE_KEYS, st.booleans()),
        st.tuples(
            st.just("search"),
            st.sampled_from([(), ("a",), ("a",), ("a", "b"), ("b",)]),
            _STORE_FILTERS,
            st.sampled_from([10, 10, 2, 0]),
            st.sampled_from([0, 0, 1, 3]),
            st.sampled_from([None, "x", "y"]),
        ),
        st.tuples(
            st.just("list"),
            st.sampled_from([None, ("a",), ("*", "b")]),
            st.sampled_from([None, ("c",)]),
            st.sampled_from([None, 1, 2]),
        ),
    )


def store_ops() -> st.SearchStrategy[tuple[Any, ...]]:
    """One step of a store workout: ``(name, *arguments)``, for a model comparison.

    Puts come up as often as everything else together, so searches find several items.
    """
    return store_puts() | st.one_of(
        store_reads(),
        st.tuples(st.just("delete"), _STORE_NAMESPACES, _STORE_KEYS),
        st.tuples(st.just("advance"), st.sampled_from([0.5, 2.0, 6.0])),
        st.tuples(st.just("sweep")),
    )


# --- runnables --------------------------------------------------------------------

runnable_tags = st.lists(st.sampled_from(["a", "b", "c", "d"]), max_size=4, unique=True)
runnable_configs = st.fixed_dictionaries(
    {},
    optional={
        "tags": runnable_tags,
        "metadata": st.dictionaries(st.sampled_from(["m", "n"]), st.integers(0, 3), max_size=2),
        "configurable": st.dictionaries(st.sampled_from(["k", "l"]), st.integers(0, 3), max_size=2),
        "recursion_limit": st.integers(1, 50),
    },
)
batch_inputs = st.lists(st.integers(-100, 100), max_size=12)
max_concurrency = st.one_of(st.none(), st.integers(1, 5))
string_step_names = st.lists(
    st.sampled_from(["append", "upper_stream", "passthrough", "explode", "reverse_lambda"]),
    min_size=2,
    max_size=5,
)


# --- durable execution --------------------------------------------------------------

#: Nodes of the diamond graph the durable-execution property tests run.
DIAMOND_NODES = ("a", "b", "c", "d")


def breakpoint_sets() -> st.SearchStrategy[tuple[list[str], list[str]]]:
    """``(interrupt_before, interrupt_after)`` over the diamond's nodes."""
    names = st.lists(st.sampled_from(DIAMOND_NODES), unique=True, max_size=4)
    return st.tuples(names, names)
