"""Property tests: every value round-trips exactly; no input makes loads misbehave.

The fuzz tests feed 10,000 random, truncated and mutated byte strings to
``loads``: each either decodes or raises DeserializationError, nothing else.
(A hang would be caught by the per-test timeout.)
"""

from __future__ import annotations

import contextlib
import datetime
from decimal import Decimal
from typing import Any

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from actorgraph.errors import DeserializationError
from actorgraph.store.serde import Serializer, UnknownValue
from tests.store._serde_samples import (
    Color,
    Note,
    Packet,
    Pair,
    Point,
    Tagged,
    assert_same,
    sample_registry,
)
from tests.strategies import serde_values

SERIALIZER = Serializer(sample_registry())
BARE = Serializer()  # the default registry: the sample classes are unknown there


@settings(max_examples=150)
@given(serde_values())
def test_every_value_round_trips_exactly(value: Any) -> None:
    assert_same(SERIALIZER.loads(SERIALIZER.dumps(value)), value)


@settings(max_examples=50)
@given(serde_values())
def test_placeholders_preserve_unknown_values(value: Any) -> None:
    kept = BARE.loads(SERIALIZER.dumps(value), unknown="placeholder")
    assert_same(SERIALIZER.loads(BARE.dumps(kept)), value)


def _corpus() -> list[bytes]:
    values: list[Any] = [
        None,
        [1, -1, 2**70, 1.5, "text", b"bytes", True],
        {"messages": [{"id": "1", "content": "hi"}], "n": 3},
        (1, (2, (3,))),
        {1, 2, 3},
        frozenset({"a"}),
        {(1, 2): {frozenset({1}): Color.RED}},
        Decimal("3.14"),
        datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc),
        datetime.date(2024, 1, 2),
        datetime.time(1, 2, 3),
        datetime.timedelta(days=1),
        [Point(1, (2,)), Tagged(("a",)), Packet("n", {"x": 1}), Pair(1, 2)],
        Note(text="hi", tags=["x"]),
        1 + 2j,
        bytearray(b"ab"),
    ]
    return [SERIALIZER.dumps(value) for value in values]


CORPUS = _corpus()


def _must_be_clean(data: bytes) -> None:
    with contextlib.suppress(DeserializationError):
        SERIALIZER.loads(data)
    with contextlib.suppress(DeserializationError):
        SERIALIZER.loads(data, unknown="placeholder")


def test_every_truncation_is_rejected() -> None:
    for data in CORPUS:
        for end in range(len(data)):
            try:
                SERIALIZER.loads(data[:end])
            except DeserializationError:
                continue
            raise AssertionError(f"prefix {data[:end]!r} of {data!r} decoded")


# Each example checks a batch of byte strings: the hypothesis bookkeeping per
# example costs more than the decoding, and 10,000 strings must stay quick.
_BATCH = 10


@settings(max_examples=300)
@given(st.lists(st.binary(max_size=48), min_size=_BATCH, max_size=_BATCH))
def test_random_bytes(batch: list[bytes]) -> None:
    for data in batch:
        _must_be_clean(data)


@settings(max_examples=300)
@given(st.lists(st.binary(max_size=48), min_size=_BATCH, max_size=_BATCH))
def test_random_bytes_after_a_valid_header(batch: list[bytes]) -> None:
    for data in batch:
        _must_be_clean(bytes((0xC1, 1)) + data)


_MUTATION = st.tuples(
    st.sampled_from(CORPUS),
    st.integers(min_value=0),
    st.integers(min_value=0, max_value=255),
    st.sampled_from(["flip", "insert", "delete", "truncate"]),
)


@settings(max_examples=400)
@given(st.lists(_MUTATION, min_size=_BATCH, max_size=_BATCH))
def test_mutated_encodings(batch: list[tuple[bytes, int, int, str]]) -> None:
    for data, where, byte, how in batch:
        at = 2 + where % max(1, len(data) - 2)  # keep the header: test the body decoder
        if how == "flip":
            mutated = data[:at] + bytes((byte,)) + data[at + 1 :]
        elif how == "insert":
            mutated = data[:at] + bytes((byte,)) + data[at:]
        elif how == "delete":
            mutated = data[:at] + data[at + 1 :]
        else:
            mutated = data[:at]
        _must_be_clean(mutated)


@given(st.sampled_from(list(range(1, 40))), st.binary(max_size=24))
def test_every_extension_code_with_junk(code: int, payload: bytes) -> None:
    body = msgspec.msgpack.encode(msgspec.msgpack.Ext(code, payload))
    _must_be_clean(bytes((0xC1, 1)) + body)


def test_placeholder_is_not_built_from_junk() -> None:
    body = msgspec.msgpack.encode(msgspec.msgpack.Ext(32, msgspec.msgpack.encode(["x.Y", {}])))
    out = SERIALIZER.loads(bytes((0xC1, 1)) + body, unknown="placeholder")
    assert isinstance(out, UnknownValue)
    assert (out.type_name, out.payload) == ("x.Y", {})
