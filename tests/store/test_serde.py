"""The serializer round-trips every supported value exactly and fails loudly otherwise."""

from __future__ import annotations

import dataclasses
import datetime
import uuid
from collections import deque
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
import pytest

from actorgraph.errors import DeserializationError, SerializationError
from actorgraph.store import serde
from actorgraph.store.serde import Serializer, TypeRegistry, UnknownValue
from tests.store._serde_samples import (
    Color,
    Level,
    Note,
    NotRegistered,
    OddZone,
    Opaque,
    Packet,
    Pair,
    Point,
    Tagged,
    assert_same,
    sample_registry,
)


@pytest.fixture
def registry() -> TypeRegistry:
    return sample_registry()


@pytest.fixture
def ser(registry: TypeRegistry) -> Serializer:
    return Serializer(registry)


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
    assert_same(ser.loads(ser.dumps(value)), value)


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
    assert_same(ser.loads(ser.dumps(value)), value)


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
    assert_same(out, value)


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
    assert_same(out, value)
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


# --- structs: defaults left out, native encoding ---------------------------------------


def test_struct_defaults_are_left_out(ser: Serializer) -> None:
    small = ser.dumps(Note(text="hi"))
    for field in (b"tags", b"meta", b"count"):
        assert field not in small
    full = Note(text="hi", tags=["a"], meta={"k": (1,)}, count=0.0, extra=None)  # type: ignore[arg-type]
    assert_same(ser.loads(ser.dumps(full)), full)  # 0.0 is not the default 0
    assert_same(ser.loads(small), Note(text="hi"))


class Fast(msgspec.Struct, kw_only=True):
    text: str
    when: datetime.date | None = None
    pair: tuple[int, int] = (0, 0)
    anything: Any = None


class FastPoint(msgspec.Struct):
    x: int


@pytest.fixture
def native_ser() -> Serializer:
    reg = sample_registry()
    reg.register(Fast, native=True)
    reg.register(FastPoint, name="fast.point", native=True)
    return Serializer(reg)


def test_native_structs_round_trip_where_typed(native_ser: Serializer) -> None:
    value = [Fast(text="a", when=datetime.date(2024, 1, 1), pair=(1, 2)), FastPoint(3), (4,)]
    assert_same(native_ser.loads(native_ser.dumps(value)), value)


def test_native_any_fields_come_back_plain(native_ser: Serializer) -> None:
    out = native_ser.loads(native_ser.dumps(Fast(text="a", anything=(1, 2))))
    assert out.anything == [1, 2]


def test_native_unencodable_value_names_path(native_ser: Serializer) -> None:
    with pytest.raises(SerializationError, match=r"^s\[0\]: .*Fast is registered native=True"):
        native_ser.dumps([Fast(text="a", anything=NotRegistered())], path="s")


def test_native_and_plain_encodings_read_each_other() -> None:
    plain_reg, native_reg = TypeRegistry(), TypeRegistry()
    plain_reg.register(FastPoint, name="fast.point")
    native_reg.register(FastPoint, name="fast.point", native=True)
    plain, native = Serializer(plain_reg), Serializer(native_reg)
    assert plain.dumps(FastPoint(1)) != native.dumps(FastPoint(1))
    assert native.loads(plain.dumps(FastPoint(1))) == FastPoint(1)
    assert plain.loads(native.dumps(FastPoint(1))) == FastPoint(1)


def test_native_placeholder_round_trips_bytes(native_ser: Serializer) -> None:
    data = native_ser.dumps({"p": FastPoint(7)})
    bare = Serializer(TypeRegistry())
    with pytest.raises(DeserializationError, match=r"'fast\.point': it is not registered"):
        bare.loads(data)
    out = bare.loads(data, unknown="placeholder")
    assert out["p"].type_name == "fast.point"
    assert out["p"].payload == {"x": 7}
    assert bare.dumps(out) == data


def test_native_changed_class_is_a_clear_error(native_ser: Serializer) -> None:
    class Other(msgspec.Struct):
        x: str

    reg = TypeRegistry()
    reg.register(Other, name="fast.point", native=True)
    with pytest.raises(DeserializationError, match=r"cannot rebuild fast\.point"):
        Serializer(reg).loads(native_ser.dumps(FastPoint(1)))


@pytest.mark.parametrize(
    "data",
    [b"", b"\x00", b"\x05ab", b"\x02\xff\xfe\x01"],
    ids=["empty", "no-name", "short", "bad-utf8"],
)
def test_native_malformed_header(native_ser: Serializer, data: bytes) -> None:
    blob = bytes((0xC1, 1)) + msgspec.msgpack.encode(msgspec.msgpack.Ext(33, data))
    with pytest.raises(DeserializationError):
        native_ser.loads(blob)


# --- exceptions -----------------------------------------------------------------------


class AppError(Exception):
    """An exception whose __init__ does not take its args back."""

    def __init__(self, message: str, *, node: str) -> None:
        super().__init__(message)
        self.node = node


def test_builtin_exceptions_are_always_known() -> None:
    ser = Serializer(TypeRegistry())
    errors = [
        ValueError("x", 1),
        KeyError("k"),
        FileNotFoundError(2, "missing"),
        RuntimeError("outer", [ValueError(1), TypeError("t")]),
    ]
    vars(errors[0])["__notes__"] = ["a note"]  # add_note() is 3.11+
    out = ser.loads(ser.dumps(errors))
    for before, after in zip(errors, out, strict=True):
        assert type(after) is type(before)
        assert repr(after.args) == repr(before.args)
    assert out[0].__notes__ == ["a note"]
    assert out[2].errno == 2
    assert [type(e) for e in out[3].args[1]] == [ValueError, TypeError]
    assert ValueError not in set(TypeRegistry())


def test_registered_exception_keeps_its_attributes(registry: TypeRegistry) -> None:
    registry.register(AppError)
    out = Serializer(registry).loads(Serializer(registry).dumps(AppError("boom", node="n")))
    assert type(out) is AppError
    assert (out.args, out.node) == (("boom",), "n")


def test_unregistered_exception_is_an_encoding_error(ser: Serializer) -> None:
    with pytest.raises(SerializationError, match=r"^error: type .*AppError is not serializable"):
        ser.dumps(AppError("boom", node="n"), path="error")


def test_exception_with_unserializable_attribute_names_it(registry: TypeRegistry) -> None:
    registry.register(AppError)
    error = AppError("boom", node="n")
    error.request = NotRegistered()  # type: ignore[attr-defined]
    with pytest.raises(SerializationError, match=r"^error\[1\]\['request'\]: type"):
        Serializer(registry).dumps(error, path="error")


def test_malformed_exception_payload(ser: Serializer) -> None:
    reg = TypeRegistry()
    reg.register(AppError, name="e", encode=lambda e: "junk", decode=lambda p: AppError(p, node=""))
    data = Serializer(reg).dumps(AppError("x", node="n"))
    reg2 = TypeRegistry()
    reg2.register(AppError, name="e")
    with pytest.raises(DeserializationError, match=r"expected \[args, attributes\] for AppError"):
        Serializer(reg2).loads(data)
