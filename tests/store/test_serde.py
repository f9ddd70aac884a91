"""The serializer round-trips every supported value exactly and fails loudly otherwise."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import uuid
from collections import deque
from decimal import Decimal
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import msgspec
import pytest

from actorgraph.errors import DeserializationError, SerializationError
from actorgraph.store import serde
from actorgraph.store.serde import Serializer, TypeRegistry, UnknownValue


@dataclasses.dataclass
class Point:
    x: Any
    y: Any = 0


@dataclasses.dataclass(frozen=True)
class Tagged:
    tags: tuple[str, ...]
    derived: int = dataclasses.field(init=False, default=0)

    def __post_init__(self) -> None:
        object.__setattr__(self, "derived", len(self.tags))


class Packet(msgspec.Struct, frozen=True):
    node: str
    arg: Any = msgspec.UNSET


class Pair(NamedTuple):
    left: Any
    right: Any


class Color(enum.Enum):
    RED = "red"
    BLUE = ("b", 1)


class Level(enum.IntEnum):
    LOW = 1


class Opaque:
    """A class with no known shape; it needs an explicit encode/decode pair."""

    def __init__(self, secret: str) -> None:
        self.secret = secret

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Opaque) and other.secret == self.secret

    __hash__ = None  # type: ignore[assignment]


class NotRegistered:
    pass


class OddZone(datetime.tzinfo):
    """A tzinfo that is neither ``timezone`` nor ``ZoneInfo``."""

    def utcoffset(self, dt: datetime.datetime | None) -> datetime.timedelta:
        return datetime.timedelta(0)

    def dst(self, dt: datetime.datetime | None) -> datetime.timedelta:
        return datetime.timedelta(0)

    def tzname(self, dt: datetime.datetime | None) -> str:
        return "odd"


@pytest.fixture
def registry() -> TypeRegistry:
    reg = TypeRegistry()
    for cls in (Point, Tagged, Packet, Pair, Color, Level):
        reg.register(cls)
    reg.register(Opaque, encode=lambda o: {"s": o.secret}, decode=lambda p: Opaque(p["s"]))
    return reg


@pytest.fixture
def ser(registry: TypeRegistry) -> Serializer:
    return Serializer(registry)


def _same(a: Any, b: Any) -> None:
    """Equal, and of the same types all the way down (1 == 1.0 == True is not enough)."""
    assert type(a) is type(b), (a, b)
    if isinstance(a, dict):
        assert list(a) == list(b)
        for key in a:
            _same(a[key], b[key])
    elif isinstance(a, (list, tuple, deque)):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _same(x, y)
    else:
        assert a == b


SCALARS: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    2**63 - 1,
    -(2**63),
    2**64 - 1,
    2**64,
    -(2**63) - 1,
    10**100,
    -(10**100),
    1.5,
    -0.0,
    float("inf"),
    "",
    "héllo ☃",
    b"",
    b"\x00\xff",
    bytearray(b"ab"),
    1 + 2j,
    Decimal("1.10"),
    Decimal("-0"),
    Decimal("Infinity"),
    uuid.UUID("12345678-1234-5678-1234-567812345678"),
    datetime.datetime(2024, 1, 2, 3, 4, 5, 6),
    datetime.datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=datetime.timezone.utc),
    datetime.datetime(2024, 3, 31, 2, 30, tzinfo=ZoneInfo("Europe/Paris")),
    datetime.datetime(2024, 11, 3, 1, 30, fold=1, tzinfo=ZoneInfo("America/New_York")),
    datetime.datetime(2024, 1, 2, tzinfo=datetime.timezone(datetime.timedelta(hours=-3), "BRT")),
    datetime.datetime(2024, 1, 2, tzinfo=datetime.timezone(datetime.timedelta(minutes=330))),
    datetime.date(1, 1, 1),
    datetime.date(9999, 12, 31),
    datetime.time(23, 59, 59, 999999),
    datetime.time(1, 2, tzinfo=datetime.timezone.utc),
    datetime.timedelta(days=-3, seconds=5, microseconds=7),
    datetime.timezone.utc,
    ZoneInfo("Asia/Tokyo"),
]


@pytest.mark.parametrize("value", SCALARS, ids=repr)
def test_scalars_round_trip_exactly(ser: Serializer, value: Any) -> None:
    _same(ser.loads(ser.dumps(value)), value)


def test_timezone_identity_survives(ser: Serializer) -> None:
    value = datetime.datetime(2024, 1, 2, tzinfo=datetime.timezone.utc)
    assert ser.loads(ser.dumps(value)).tzinfo is datetime.timezone.utc
    paris = datetime.datetime(2024, 1, 2, tzinfo=ZoneInfo("Europe/Paris"))
    assert ser.loads(ser.dumps(paris)).tzinfo is ZoneInfo("Europe/Paris")


def test_decimal_nan_round_trips(ser: Serializer) -> None:
    assert ser.loads(ser.dumps(Decimal("NaN"))).is_nan()


def test_containers_round_trip_exactly(ser: Serializer) -> None:
    value = {
        "list": [1, [2, (3, 4)], {"x": {5}}],
        "tuple": (1, "a", (), (None,)),
        "set": {1, (2, 3), frozenset({4})},
        "frozenset": frozenset({"a", "b"}),
        "deque": deque([1, (2,)], maxlen=3),
        "unbounded": deque(),
        "nested": {"a": {"b": {"c": [datetime.date(2020, 1, 1)]}}},
        1: "int key",
        2.5: "float key",
        None: "none key",
        b"k": "bytes key",
    }
    _same(ser.loads(ser.dumps(value)), value)


def test_dict_keys_msgpack_cannot_hold_round_trip(ser: Serializer) -> None:
    value = {
        (1, 2): "tuple",
        frozenset({1}): "frozenset",
        uuid.UUID(int=7): "uuid",
        Color.RED: "enum",
        2**70: "big",
        "s": [1, (2,)],
    }
    out = ser.loads(ser.dumps(value))
    _same(out, value)


def test_registered_kinds_round_trip(ser: Serializer) -> None:
    value = [
        Point(1, 2),
        Tagged(("a", "b")),
        Packet("n", {"x": (1, 2)}),
        Packet("m"),
        Pair(Point(3), (4,)),
        Color.RED,
        Color.BLUE,
        Level.LOW,
        Opaque("s3cr3t"),
    ]
    out = ser.loads(ser.dumps(value))
    _same(out, value)
    assert out[1].derived == 2
    assert out[3].arg is msgspec.UNSET


def test_plain_json_is_returned_without_copies(ser: Serializer) -> None:
    value = {"messages": [{"content": "hi", "n": 1, "ok": True, "x": None}], "f": 0.5}
    assert ser.loads(ser.dumps(value)) == value


def test_header_is_versioned(ser: Serializer) -> None:
    data = ser.dumps({"a": 1})
    assert data[:2] == bytes((0xC1, serde.FORMAT_VERSION))
    with pytest.raises(DeserializationError, match="format version 99"):
        ser.loads(b"\xc1\x63" + data[2:])
    with pytest.raises(DeserializationError, match="header is missing"):
        ser.loads(data[2:])
    with pytest.raises(DeserializationError, match="header is missing"):
        ser.loads(b"")


def test_typed_pair(ser: Serializer) -> None:
    tag, data = ser.dumps_typed((1, 2))
    assert tag == serde.TYPE_TAG
    assert ser.loads_typed((tag, data)) == (1, 2)
    with pytest.raises(DeserializationError, match="'pickle'"):
        ser.loads_typed(("pickle", data))


# --- errors name the path -------------------------------------------------------


def test_unserializable_value_names_its_path(ser: Serializer) -> None:
    state = {"messages": [1, 2, 3, Packet("n", NotRegistered())]}
    with pytest.raises(SerializationError) as info:
        ser.dumps(state, path="state")
    message = str(info.value)
    assert message.startswith("state['messages'][3].arg: type ")
    assert "NotRegistered is not serializable" in message
    assert "register" in message


@pytest.mark.parametrize(
    ("value", "where"),
    [
        (NotRegistered(), "messages:"),
        ([NotRegistered()], "messages[0]:"),
        ({"k": (1, {NotRegistered()})}, "messages['k'][1][0]:"),
        ({(1, NotRegistered()): 1}, "messages[key (1, "),
        (Point(NotRegistered()), "messages.x:"),
        (Pair(1, NotRegistered()), "messages.right:"),
        (deque([NotRegistered()]), "messages[0]:"),
        (datetime.datetime(2024, 1, 1, tzinfo=OddZone()), "messages.tzinfo:"),
    ],
)
def test_error_paths(ser: Serializer, value: Any, where: str) -> None:
    with pytest.raises(SerializationError) as info:
        ser.dumps(value, path="messages")
    assert str(info.value).startswith(where), str(info.value)


def test_code_is_not_data(ser: Serializer) -> None:
    with pytest.raises(SerializationError, match="not code"):
        ser.dumps({"f": len})


def test_cycles_are_reported(ser: Serializer) -> None:
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(SerializationError, match="cycle"):
        ser.dumps(loop, path="state")


def test_failing_encode_hook_names_type_and_path() -> None:
    reg = TypeRegistry()

    def boom(obj: Opaque) -> Any:
        raise RuntimeError("no")

    reg.register(Opaque, encode=boom, decode=Opaque)
    with pytest.raises(
        SerializationError, match=r"^v\['o'\]: encoding .*Opaque failed: RuntimeError: no"
    ):
        Serializer(reg).dumps({"o": Opaque("x")}, path="v")


# --- decoding builds only registered types ---------------------------------------------


def test_unknown_type_is_a_clear_error(ser: Serializer) -> None:
    data = ser.dumps({"p": Point(1, 2)})
    with pytest.raises(DeserializationError, match=r"type '.*Point': it is not registered"):
        Serializer(TypeRegistry()).loads(data)


def test_unknown_type_placeholder_keeps_payload_and_bytes(ser: Serializer) -> None:
    data = ser.dumps({"p": Point(1, (2,)), "c": Color.RED})
    bare = Serializer(TypeRegistry())
    out = bare.loads(data, unknown="placeholder")
    placeholder = out["p"]
    assert isinstance(placeholder, UnknownValue)
    assert placeholder.type_name.endswith("Point")
    assert placeholder.payload == {"x": 1, "y": (2,)}
    assert out["c"].payload == "red"
    assert "Point" in repr(placeholder)
    assert placeholder == bare.loads(data, unknown="placeholder")["p"]
    assert placeholder != out["c"]
    assert placeholder != "x"
    assert len({placeholder, out["p"]}) == 1
    # Re-encoding writes the original bytes back, so nothing is lost.
    assert bare.dumps(out) == data
    assert ser.loads(bare.dumps(out)) == {"p": Point(1, (2,)), "c": Color.RED}


def test_changed_class_is_a_clear_error(ser: Serializer) -> None:
    data = ser.dumps(Point(1, 2))
    reg = TypeRegistry()

    @dataclasses.dataclass
    class Point2:
        x: int

    reg.register(Point2, name=f"{Point.__module__}.{Point.__qualname__}")
    with pytest.raises(DeserializationError, match=r"cannot rebuild .*Point.*did the class change"):
        Serializer(reg).loads(data)


def test_module_functions_use_the_default_registry() -> None:
    @serde.register
    @dataclasses.dataclass
    class Local:
        v: int

    assert serde.default_registry.is_registered(Local)
    assert serde.loads(serde.dumps(Local(3))) == Local(3)
