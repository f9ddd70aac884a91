"""The type registry: what may be registered, names, parents, and annotation walking."""

from __future__ import annotations

import dataclasses
import enum
import operator
from typing import Annotated, Any, ClassVar, Generic, Literal, NamedTuple, NewType, TypeVar

import msgspec
import pytest
from typing_extensions import NotRequired, TypedDict

from actorgraph.store.serde import Serializer, TypeRegistry
from tests.store._serde_samples import Color, Opaque, Point


@dataclasses.dataclass
class Holder:
    """msgspec has no typed decoding for a field of a plain class."""

    thing: PlainClass


def test_register_rejects_what_it_cannot_rebuild() -> None:
    reg = TypeRegistry()
    with pytest.raises(TypeError, match="takes a class"):
        reg.register(Point(1))  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="both encode= and decode="):
        reg.register(Opaque, encode=lambda o: o.secret)
    with pytest.raises(TypeError, match="pass encode= and decode= functions"):
        reg.register(Opaque)
    with pytest.raises(TypeError, match="native=True takes no encode"):
        reg.register(Opaque, encode=str, decode=Opaque, native=True)
    with pytest.raises(TypeError, match="only Structs, dataclasses"):
        reg.register(Color, native=True)
    with pytest.raises(TypeError, match="under 256 bytes"):
        reg.register(Point, name="x" * 300, native=True)
    with pytest.raises(
        TypeError, match=r"register\(Holder, native=True\): fields of type PlainClass"
    ):
        reg.register(Holder, native=True)
    assert list(reg) == []


def test_decorator_forms() -> None:
    reg = TypeRegistry()

    @reg.register
    @dataclasses.dataclass
    class A:
        v: int

    @reg.register(name="app.B")
    @dataclasses.dataclass
    class B:
        v: int

    assert reg.name_of(A) == f"{A.__module__}.{A.__qualname__}"
    assert reg.name_of(B) == "app.B"
    assert reg.name_of(Point) is None
    ser = Serializer(reg)
    assert ser.loads(ser.dumps([A(1), B(2)])) == [A(1), B(2)]


def test_old_names_stay_readable_after_a_rename() -> None:
    old, new = TypeRegistry(), TypeRegistry()
    old.register(Point, name="old.Point")
    new.register(Point, name="old.Point")
    new.register(Point, name="new.Point")
    assert new.name_of(Point) == "new.Point"
    assert Serializer(new).loads(Serializer(old).dumps(Point(1))) == Point(1)
    assert b"new.Point" in Serializer(new).dumps(Point(1))


def test_redefined_class_takes_over_the_name() -> None:
    reg = TypeRegistry()

    def define() -> type:
        @dataclasses.dataclass
        class Cell:
            v: int

        return Cell

    first, second = define(), define()
    reg.register(first)
    reg.register(second)
    assert not reg.is_registered(first)
    assert reg.is_registered(second)
    ser = Serializer(reg)
    assert type(ser.loads(ser.dumps(second(1)))) is second


def test_parent_registry_is_consulted() -> None:
    parent = TypeRegistry()
    parent.register(Point)
    child = TypeRegistry(parent=parent)
    child.register(Color)
    assert child.is_registered(Point)
    assert not parent.is_registered(Color)
    assert set(child) == {Point, Color}
    ser = Serializer(child)
    assert ser.loads(ser.dumps([Point(1), Color.RED])) == [Point(1), Color.RED]


# --- register_annotation ---------------------------------------------------------------


class Mood(enum.Enum):
    HAPPY = 1


class Item(msgspec.Struct):
    name: str
    tags: list[Tag]


class Tag(NamedTuple):
    label: str
    mood: Mood


@dataclasses.dataclass
class Tree:
    value: int
    children: list[Tree]
    registry: ClassVar[dict[str, int]] = {}


@dataclasses.dataclass
class Leaf:
    pass


UserId = NewType("UserId", int)
Boxed = NewType("Boxed", Leaf)
T = TypeVar("T", bound=Point)


class Box(Generic[T]):
    """Not registrable itself; its argument is walked."""


class PlainClass:
    pass


@dataclasses.dataclass
class Dangling:
    other: NotImportable  # type: ignore[name-defined]  # noqa: F821 - deliberately unresolvable
    fine: Leaf


class State(TypedDict):
    messages: Annotated[list[Item], operator.add]
    tree: Tree | None
    by_id: dict[UserId, Boxed]
    mood: Literal[Mood.HAPPY, "plain"]
    point: NotRequired[Box[Point]]
    anything: Any
    plain: PlainClass


def test_register_annotation_reaches_nested_types() -> None:
    reg = TypeRegistry()
    found = reg.register_annotation(State)
    assert set(found) == {Item, Tag, Mood, Tree, Leaf, Point}
    for cls in found:
        assert reg.is_registered(cls)
    assert not reg.is_registered(PlainClass)
    ser = Serializer(reg)
    value = {
        "messages": [Item("a", [Tag("t", Mood.HAPPY)])],
        "tree": Tree(1, [Tree(2, [])]),
        "by_id": {UserId(1): Leaf()},
        "point": Point(1),
    }
    assert ser.loads(ser.dumps(value)) == value


def test_register_annotation_skips_unresolvable_hints() -> None:
    reg = TypeRegistry()
    assert reg.register_annotation(Dangling) == [Dangling, Leaf]


def test_register_annotation_keeps_existing_registrations() -> None:
    reg = TypeRegistry()
    reg.register(Point, name="custom.Point")
    assert reg.register_annotation(list[Point]) == [Point]
    assert reg.name_of(Point) == "custom.Point"


def test_register_annotation_of_constrained_typevar() -> None:
    reg = TypeRegistry()
    constrained = TypeVar("constrained", Leaf, Mood)
    assert set(reg.register_annotation(constrained)) == {Leaf, Mood}
    assert reg.register_annotation(int | str | None) == []
