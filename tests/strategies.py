"""Hypothesis strategies shared by the test suite, one section per subsystem."""

from __future__ import annotations

import datetime
from collections import deque
from typing import Any

from hypothesis import strategies as st

from actorgraph.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage

# --- serde ---------------------------------------------------------------------
from tests.store._serde_samples import Color, Level, Note, Packet, Pair, Point, Tagged

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
