"""Classes the serializer tests encode, and an exactness check for round trips."""

from __future__ import annotations

import dataclasses
import datetime
import enum
from collections import deque
from typing import Any, NamedTuple

import msgspec

from actorgraph.store.serde import TypeRegistry


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


class Note(msgspec.Struct, omit_defaults=True, kw_only=True):
    text: str
    tags: list[str] = []
    meta: dict[str, Any] = {}
    count: int = 0
    extra: Any = None


class Pair(NamedTuple):
    left: Any
    right: Any


class Color(enum.Enum):
    RED = "red"
    BLUE = ("b", 1)


class Level(enum.IntEnum):
    LOW = 1


class Mood(str, enum.Enum):
    """A str-valued enum: msgspec alone would write it as a plain string."""

    CALM = "calm"


class Label(str):
    """A str subclass nobody registered."""


class Opaque:
    """A class with no known shape; it needs an explicit encode/decode pair."""

    def __init__(self, secret: str) -> None:
        self.secret = secret

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Opaque) and other.secret == self.secret

    def __repr__(self) -> str:
        return f"Opaque({self.secret!r})"

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


def sample_registry() -> TypeRegistry:
    """A fresh registry with every sample class above except ``NotRegistered``."""
    registry = TypeRegistry()
    for cls in (Point, Tagged, Packet, Note, Pair, Color, Level, Mood):
        registry.register(cls)
    registry.register(Opaque, encode=lambda o: {"s": o.secret}, decode=lambda p: Opaque(p["s"]))
    return registry


def assert_same(a: Any, b: Any) -> None:
    """``a`` and ``b`` are equal and of the same types all the way down.

    ``==`` alone is not enough (``1 == 1.0 == True``, ``(1,) != [1]`` but
    ``timezone`` names and ``-0.0`` are invisible to it): leaves are compared by
    type and ``repr``, containers item by item.
    """
    assert type(a) is type(b), f"{type(a).__name__} != {type(b).__name__}: {a!r} vs {b!r}"
    if isinstance(a, dict):
        assert_same(list(a), list(b))
        for key in a:
            assert_same(a[key], b[key])
    elif isinstance(a, (list, tuple, deque)):
        assert len(a) == len(b), (a, b)
        if isinstance(a, deque):
            assert a.maxlen == b.maxlen
        for x, y in zip(a, b, strict=True):
            assert_same(x, y)
    elif isinstance(a, (set, frozenset)):
        assert a == b
        assert _canonical(a) == _canonical(b)
    elif isinstance(a, msgspec.Struct):
        for name in a.__struct_fields__:
            assert_same(getattr(a, name), getattr(b, name))
    elif dataclasses.is_dataclass(a):
        for field in dataclasses.fields(a):
            assert_same(getattr(a, field.name), getattr(b, field.name))
    else:
        assert repr(a) == repr(b)


def _canonical(value: Any) -> str:
    """A repr that does not depend on set iteration order."""
    if isinstance(value, (set, frozenset)):
        return f"{type(value).__name__}({sorted(map(_canonical, value))})"
    if isinstance(value, tuple):
        return f"{type(value).__name__}({[_canonical(item) for item in value]})"
    return f"{type(value).__name__}:{value!r}"
