from __future__ import annotations

from collections.abc import Sequence

import pytest
from typing_extensions import Self

from actorgraph.channels import EmptyChannelError
from actorgraph.channels.base import MISSING, BaseChannel, Missing


class _Box(BaseChannel[int, int, int]):
    """The smallest channel: keeps the last write."""

    __slots__ = ("value",)

    def __init__(self, key: str = "", value: int | Missing = MISSING) -> None:
        super().__init__(key)
        self.value = value

    def get(self) -> int:
        if isinstance(self.value, Missing):
            raise self._empty()
        return self.value

    def update(self, values: Sequence[int]) -> bool:
        if not values:
            return False
        self.value = values[-1]
        return True

    def checkpoint(self) -> int | Missing:
        return self.value

    def from_checkpoint(self, checkpoint: int | Missing) -> Self:
        return type(self)(self.key, checkpoint)


def test_missing_is_a_falsy_singleton() -> None:
    assert Missing("MISSING") is MISSING
    assert not MISSING
    assert repr(MISSING) == "MISSING"


def test_default_protocol_methods() -> None:
    box = _Box("x")
    assert not box.is_available()
    with pytest.raises(EmptyChannelError, match="'x'"):
        box.get()
    assert box.update([1, 2])
    assert box.is_available()
    assert (box.consume(), box.finish()) == (False, False)
    copied = box.copy()
    assert copied is not box
    assert copied.get() == 2
    assert repr(copied) == "_Box(key='x')"
    assert (box.commutative, box.idempotent) == (False, False)
