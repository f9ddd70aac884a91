"""Channels that hold a value for one step only, or never persist it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic

from typing_extensions import Self

from actorgraph.channels._errors import InvalidUpdateError
from actorgraph.channels.base import MISSING, Missing, Value, _new, _ValueChannel

__all__ = ["AnyValue", "EphemeralValue", "UntrackedValue"]


class _Guarded(_ValueChannel[Value, Value]):
    """A value channel that may refuse a second write in one step (``guard``)."""

    __slots__ = ("commutative", "guard")

    def __init__(self, typ: Any = Any, guard: bool = True, key: str = "") -> None:
        super().__init__(key, typ=typ)
        self.guard = guard
        # With the guard at most one write is accepted, so order cannot matter;
        # without it the last write in task order wins.
        self.commutative = guard

    def _config(self) -> tuple[object, ...]:
        return (self.guard,)

    def _blank(self) -> Self:
        new = _ValueChannel._blank(self)  # not super(): this runs on every copy
        new.guard = self.guard
        new.commutative = self.guard
        return new

    def copy(self) -> Self:
        """A copy sharing the value."""
        cls = type(self)
        if cls is not EphemeralValue:
            # A subclass may keep configuration of its own (see _blank).
            return super().copy()
        # Every step copies the trigger channel of the node it runs next.
        new = _new(cls)
        new.key = self.key
        new.typ = self.typ
        new.guard = new.commutative = self.guard
        new.value = self.value
        return new

    def _too_many(self) -> InvalidUpdateError:
        name = type(self).__name__
        return InvalidUpdateError(
            f"At key '{self.key}': {name}(guard=True) can receive only one value per "
            f"step. Use {name}(guard=False) to keep any one of several values."
        )


class EphemeralValue(Generic[Value], _Guarded[Value]):
    """Holds the value written in the previous step, then forgets it.

    A step without writes clears the value. With ``guard=True`` (the default)
    two writes in one step raise :class:`InvalidUpdateError`, which makes the
    channel order-independent (``commutative``); with ``guard=False`` the last
    write in task order wins. The engine uses unguarded ones as node triggers.
    """

    __slots__ = ()

    def update(self, values: Sequence[Value]) -> bool:
        """Store the step's write, or clear the value when there is none."""
        if values:
            # Inlined rather than shared with UntrackedValue: every node trigger
            # is an EphemeralValue, updated every step.
            if self.guard and len(values) != 1:
                raise self._too_many()
            self.value = values[-1]
            return True
        if self.value is MISSING:
            return False
        self.value = MISSING
        return True


class AnyValue(Generic[Value], _ValueChannel[Value, Value]):
    """Holds the last value of the previous step, assuming all writes were equal.

    Several writes in a step are allowed and the last in task order is kept;
    a step without writes clears the value, as for :class:`EphemeralValue`.
    """

    __slots__ = ()

    def __init__(self, typ: Any = Any, key: str = "") -> None:
        super().__init__(key, typ=typ)

    def update(self, values: Sequence[Value]) -> bool:
        """Keep the last write, or clear the value when there is none."""
        if values:
            self.value = values[-1]
            return True
        if self.value is MISSING:
            return False
        self.value = MISSING
        return True


class UntrackedValue(Generic[Value], _Guarded[Value]):
    """Holds the last value written, but is never checkpointed.

    For values that must not be persisted (clients, handles, secrets): the
    engine also leaves its writes out of saved pending writes, and a resumed
    run starts without it. ``guard`` works as for :class:`EphemeralValue`.
    """

    __slots__ = ()

    def update(self, values: Sequence[Value]) -> bool:
        """Store the step's write; raises :class:`InvalidUpdateError` on two when guarded."""
        if not values:
            return False
        if self.guard and len(values) != 1:
            raise self._too_many()
        self.value = values[-1]
        return True

    def checkpoint(self) -> Missing:
        """Always :data:`MISSING`: the value is never persisted."""
        return MISSING

    def from_checkpoint(self, checkpoint: Value | Missing) -> Self:
        """An empty channel of the same configuration; nothing is ever restored."""
        new = self._blank()
        new.value = MISSING
        return new
