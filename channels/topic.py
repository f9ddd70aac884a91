"""A publish/subscribe channel: every write of a step, as a list."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic

from typing_extensions import Self

from actorgraph.channels.base import MISSING, BaseChannel, Missing, Value

__all__ = ["Topic"]


def _append_new(current: list[Any], values: Sequence[Any]) -> None:
    """Append the flattened ``values`` not already in ``current``.

    A set makes this linear for hashable values; unhashable ones fall back to
    scanning the list.
    """
    flat = [item for value in values for item in (value if type(value) is list else (value,))]
    try:
        seen = set(current)
        for item in flat:
            if item not in seen:
                seen.add(item)
                current.append(item)
    except TypeError:
        for item in flat:
            if item not in current:
                current.append(item)


class Topic(Generic[Value], BaseChannel[Sequence[Value], Value | list[Value], list[Value]]):
    """Collects every value written, in write order; a list write adds its items.

    With ``accumulate=False`` (the default) the channel holds the writes of the
    previous step only; with ``accumulate=True`` it keeps growing across steps.
    With ``unique=True`` a value already held is not added again. The order of
    the list is the order of the writes, so it is not ``commutative``.

    :meth:`get` returns a fresh list, so a node that mutates what it read does
    not change the channel.
    """

    __slots__ = ("_owned", "accumulate", "unique", "values")

    def __init__(
        self, typ: Any = Any, accumulate: bool = False, *, unique: bool = False, key: str = ""
    ) -> None:
        super().__init__(key, typ=typ)
        self.accumulate = accumulate
        self.unique = unique
        self.values: list[Value] = []
        # Whether no one else holds ``values`` (a checkpoint, a copy), so it may
        # be extended in place; otherwise the next update builds a new list.
        self._owned = True

    def _config(self) -> tuple[object, ...]:
        return (self.accumulate, self.unique)

    def get(self) -> list[Value]:
        """A copy of the values; raises :class:`EmptyChannelError` when there are none."""
        if self.values:
            return list(self.values)
        raise self._empty()

    def is_available(self) -> bool:
        """Whether there is at least one value."""
        return bool(self.values)

    def update(self, values: Sequence[Value | list[Value]]) -> bool:
        """Add the step's writes (a list write adds each item); return whether it changed."""
        if self.accumulate:
            if not values:
                return False
            current = self.values if self._owned else list(self.values)
            changed = False
        else:
            changed = bool(self.values)
            if not values:
                if changed:
                    self.values = []
                    self._owned = True
                return changed
            current = []
        size = len(current)
        if self.unique:
            _append_new(current, values)
        else:
            for value in values:
                if type(value) is list:
                    current.extend(value)
                else:
                    current.append(value)  # type: ignore[arg-type]  # lists handled above
        self.values = current
        self._owned = True
        return changed or len(current) != size

    def checkpoint(self) -> list[Value] | Missing:
        """The list of values, shared: the channel will not mutate it afterwards."""
        self._owned = False
        return self.values

    def _blank(self) -> Self:
        new = BaseChannel._blank(self)  # not super(): this runs on every copy
        new.accumulate = self.accumulate
        new.unique = self.unique
        new.values = []
        new._owned = True
        return new

    def from_checkpoint(self, checkpoint: list[Value] | Missing) -> Self:
        """A channel holding ``checkpoint`` (shared, never mutated in place)."""
        new = self._blank()
        if checkpoint is not MISSING:
            new.values = checkpoint
            new._owned = False
        return new

    def copy(self) -> Self:
        """A copy sharing the list until either side next changes it."""
        self._owned = False
        return self.from_checkpoint(self.values)
