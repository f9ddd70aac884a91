"""Inference of the serializer API, checked by mypy (``make types``) and run by pytest."""

from __future__ import annotations

import dataclasses
from typing import Any

from typing_extensions import assert_type

from actorgraph.store.serde import (
    Serializer,
    SerializerProtocol,
    TypeRegistry,
    default_registry,
    dumps,
    loads,
    register,
)


@dataclasses.dataclass
class Plain:
    v: int


def test_register_keeps_the_class_type() -> None:
    registry = TypeRegistry()
    assert_type(registry.register(Plain), type[Plain])

    @registry.register(name="typing.Named")
    @dataclasses.dataclass
    class Named:
        v: int

    assert_type(Named(1), Named)
    assert_type(register(Plain), type[Plain])
    assert default_registry.is_registered(Plain)


def test_serializer_types() -> None:
    serializer = Serializer(TypeRegistry())
    assert_type(serializer.dumps(1, path="x"), bytes)
    assert_type(serializer.loads(b"\xc1\x01\x01"), Any)
    assert_type(serializer.dumps_typed(1), tuple[str, bytes])
    saver_serde: SerializerProtocol = serializer
    assert saver_serde.loads_typed(saver_serde.dumps_typed([1])) == [1]
    assert loads(dumps({"a": 1})) == {"a": 1}
