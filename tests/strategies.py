"""Hypothesis strategies shared by the test suite, one section per subsystem."""

from __future__ import annotations

import datetime
from collections import deque
from typing import Any

from hypothesis import strategies as st

# --- serde ---------------------------------------------------------------------
from tests.store._serde_samples import Color, Level, Note, Packet, Pair, Point, Tagged

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


# --- serde (continued) ---------------------------------------------------------

_SERDE_TEXT = st.text(max_size=12)
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
