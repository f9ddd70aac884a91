"""pydantic v2 models round-trip exactly, without the serializer importing pydantic."""

from __future__ import annotations

import datetime
import subprocess
import sys
from typing import Any

import pytest
from pydantic import BaseModel

from actorgraph.errors import DeserializationError
from actorgraph.store.serde import Serializer, TypeRegistry
from tests.store._serde_samples import assert_same


class Address(BaseModel):
    city: str
    zone: tuple[int, int] = (0, 0)


class User(BaseModel):
    name: str
    address: Address | None = None
    seen: datetime.datetime | None = None
    extra_data: Any = None


class Loose(BaseModel, extra="allow"):
    a: int = 1


@pytest.fixture
def ser() -> Serializer:
    reg = TypeRegistry()
    assert set(reg.register_annotation(User)) == {User, Address}
    reg.register(Loose)
    return Serializer(reg)


def test_models_round_trip_exactly(ser: Serializer) -> None:
    user = User(
        name="ada",
        address=Address(city="London", zone=(1, 2)),
        seen=datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc),
        extra_data={"k": (1, {2})},
    )
    out = ser.loads(ser.dumps(user))
    assert out == user
    assert_same(out.extra_data, user.extra_data)
    assert type(out.address) is Address


def test_fields_set_survives(ser: Serializer) -> None:
    partial = User(name="bob")
    out = ser.loads(ser.dumps(partial))
    assert out.model_fields_set == {"name"}
    assert out.model_dump(exclude_unset=True) == {"name": "bob"}
    full = Address(city="x", zone=(0, 0))
    assert ser.loads(ser.dumps(full)).model_fields_set == {"city", "zone"}


def test_extra_fields_survive(ser: Serializer) -> None:
    loose = Loose(a=2, b=(3,))  # type: ignore[call-arg]
    out = ser.loads(ser.dumps(loose))
    assert out == loose
    assert out.model_extra == {"b": (3,)}


def test_malformed_payload_is_a_clear_error(ser: Serializer) -> None:
    reg = TypeRegistry()
    reg.register(Address, name="m.A", encode=lambda a: 5, decode=lambda p: Address(city=p))
    data = Serializer(reg).dumps(Address(city="x"))
    reg2 = TypeRegistry()
    reg2.register(Address, name="m.A")
    with pytest.raises(DeserializationError, match="expected a field mapping for Address"):
        Serializer(reg2).loads(data)


def test_serializer_does_not_import_pydantic() -> None:
    code = (
        "import sys, dataclasses\n"
        "from actorgraph.store.serde import dumps, loads, register, register_annotation\n"
        "@dataclasses.dataclass\n"
        "class A:\n    x: int\n"
        "register_annotation(list[A])\n"
        "assert loads(dumps([A(1)])) == [A(1)]\n"
        "assert 'pydantic' not in sys.modules, 'pydantic was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
