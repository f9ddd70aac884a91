"""Format version 1 is frozen: these bytes must keep decoding, and keep being written.

If a change to the serializer breaks one of these, the change alters the wire
format: bump ``FORMAT_VERSION`` and keep a reader for version 1 (LangGraph's
users lost data to an unversioned format switch), rather than editing the bytes.
"""

from __future__ import annotations

import datetime
import uuid
from collections import deque
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from actorgraph.store.serde import Serializer
from tests.store._serde_samples import (
    Color,
    Note,
    Packet,
    Pair,
    Point,
    assert_same,
    sample_registry,
)

SERIALIZER = Serializer(sample_registry())

VALUES: dict[str, Any] = {
    "json": {"a": [1, -2, 3.5, None, True, "s"], "b": {"c": b"\x00"}},
    "tuple": (1, (2,)),
    "set": {7},
    "frozenset": frozenset({"x"}),
    "deque": deque([1], maxlen=2),
    "bigint": -(2**70),
    "bytearray": bytearray(b"ab"),
    "complex": 1 - 2j,
    "decimal": Decimal("-1.50"),
    "uuid": uuid.UUID(int=1),
    "datetime": datetime.datetime(
        2024, 2, 29, 23, 59, 58, 7, tzinfo=ZoneInfo("Europe/Paris"), fold=1
    ),
    "datetime_offset": datetime.datetime(
        2024, 1, 1, tzinfo=datetime.timezone(datetime.timedelta(hours=-3), "BRT")
    ),
    "date": datetime.date(2024, 1, 1),
    "time": datetime.time(12, 30, tzinfo=datetime.timezone.utc),
    "timedelta": datetime.timedelta(days=-1, seconds=5, microseconds=6),
    "tuple_key": {(1, "a"): 1},
    "dataclass": Point(1, (2,)),
    "enum": Color.BLUE,
    "namedtuple": Pair("l", "r"),
    "struct_defaults": Note(text="hi", count=2),
    "struct_unset": Packet("n"),
    "exception": ValueError("bad", 1),
    "surrogate": "a\ud800",
}

GOLDEN: dict[str, str] = {
    "json": "c10182a1619601fecb400c000000000000c0c3a173a16281a163c40100",
    "tuple": "c101c706019201d5019102",
    "set": "c101d5029107",
    "frozenset": "c101c7030391a178",
    "deque": "c101d60492029101",
    "bigint": "c101c709070000000000000000c0",
    "bytearray": "c101d5066162",
    "complex": "c101c7130892cb3ff0000000000000cbc000000000000000",
    "decimal": "c101c705092d312e3530",
    "uuid": "c101d80a00000000000000000000000000000001",
    "datetime": "c101c71a0b99cd07e8021d173b3a0701c70c104575726f70652f5061726973",
    "datetime_offset": "c101c71a0b99cd07e801010000000000c70c0f94ffce0001275000a3425254",
    "date": "c101c7050cce000b4646",
    "time": "c101c70e0d960c1e000000c7050f94000000c0",
    "timedelta": "c101d60e93ff0506",
    "tuple_key": "c101d70592d6019201a16101",
    "dataclass": "c101c72d2092d92074657374732e73746f72652e5f73657264655f73616d706c65732e506f696e7482a17801a179d5019102",
    "enum": "c101c7292092d92074657374732e73746f72652e5f73657264655f73616d706c65732e436f6c6f72d60192a16201",
    "namedtuple": "c101c7312092bf74657374732e73746f72652e5f73657264655f73616d706c65732e5061697282a46c656674a16ca57269676874a172",
    "struct_defaults": "c101c7312092bf74657374732e73746f72652e5f73657264655f73616d706c65732e4e6f746582a474657874a26869a5636f756e7402",
    "struct_unset": "c101c72c2092d92174657374732e73746f72652e5f73657264655f73616d706c65732e5061636b657481a46e6f6465a16e",
    "surrogate": "c101d61161eda080",
    "exception": "c101c71d2092b36275696c74696e732e56616c75654572726f729292a36261640180",
}


@pytest.mark.parametrize("name", sorted(VALUES))
def test_version_1_bytes_still_decode(name: str) -> None:
    decoded = SERIALIZER.loads(bytes.fromhex(GOLDEN[name]))
    if isinstance(VALUES[name], BaseException):
        assert (type(decoded), decoded.args) == (type(VALUES[name]), VALUES[name].args)
    else:
        assert_same(decoded, VALUES[name])


@pytest.mark.parametrize("name", sorted(VALUES))
def test_version_1_bytes_are_still_written(name: str) -> None:
    assert SERIALIZER.dumps(VALUES[name]).hex() == GOLDEN[name]
