"""Barriers: a value becomes available once every named writer has written.

The engine uses them for waiting edges (``add_edge(["a", "b"], "c")``): each
source writes its own name, and ``c`` runs when all names were seen.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Generic, TypeVar

from typing_extensions import Self

from actorgraph.channels._errors import InvalidUpdateError
from actorgraph.channels.base import MISSING, BaseChannel, Missing, Value

__all__ = ["NamedBarrierValue", "NamedBarrierValueAfterFinish"]


def _grown(
    key: str, names: frozenset[Any], seen: set[Any], values: Sequence[Any]
) -> set[Any] | None:
    """``seen`` plus the written names as a new set (checkpoints share the old one),
    or ``None`` when no new name arrived."""
    grown: set[Any] | None = None
    for value in values:
        if value not in names:
            raise InvalidUpdateError(
                f"At key '{key}': value {value!r} is not one of the names this barrier "
                f"waits for ({', '.join(sorted(map(repr, names)))}). Write one of those names."
            )
        if value not in seen:
            if grown is None:
                grown = set(seen)
                seen = grown
            grown.add(value)
    return grown


_Checkpoint = TypeVar("_Checkpoint")


class _Barrier(BaseChannel[None, Value, _Checkpoint]):
    """What both barriers share: the names awaited, the names seen, and ``update``."""

    __slots__ = ("names", "seen")

    commutative = True
    idempotent = True

    def __init__(self, typ: Any = Any, names: Iterable[Value] = (), key: str = "") -> None:
        super().__init__(key, typ=typ)
        self.names: frozenset[Value] = frozenset(names)
        self.seen: set[Value] = set()

    def _config(self) -> tuple[object, ...]:
        return (self.names,)

    def _blank(self) -> Self:
        new = BaseChannel._blank(self)  # not super(): this runs on every copy
        new.names = self.names
        new.seen = set()
        return new

    def update(self, values: Sequence[Value]) -> bool:
        """Record the written names; return whether a new one arrived.

        Raises :class:`InvalidUpdateError` naming the key for a name that is
        not awaited; the barrier is then left as it was.
        """
        grown = _grown(self.key, self.names, self.seen, values)
        if grown is None:
            return False
        self.seen = grown
        return True


class NamedBarrierValue(Generic[Value], _Barrier[Value, set[Value]]):
    """Available (with value ``None``) once each of ``names`` has been written.

    Writing a name not in ``names`` raises :class:`InvalidUpdateError`.
    :meth:`consume` resets the barrier after the waiting node ran. Writes are
    set insertions, so the channel is ``commutative`` and ``idempotent``.
    """

    __slots__ = ()

    def get(self) -> None:
        """``None`` once every name was seen; raises :class:`EmptyChannelError` before."""
        if self.seen != self.names:
            raise self._empty()

    def is_available(self) -> bool:
        """Whether every name was seen."""
        return self.seen == self.names

    def consume(self) -> bool:
        """Reset the barrier once it was passed."""
        if self.seen == self.names:
            self.seen = set()
            return True
        return False

    def checkpoint(self) -> set[Value] | Missing:
        """The set of names seen (shared, never mutated afterwards)."""
        return self.seen

    def from_checkpoint(self, checkpoint: set[Value] | Missing) -> Self:
        """A barrier that has seen ``checkpoint``; accepts any iterable of names."""
        new = self._blank()
        if checkpoint is not MISSING:
            new.seen = set(checkpoint)
        return new

    def copy(self) -> Self:
        """A copy sharing the (never mutated) set of names seen."""
        new = self._blank()
        new.seen = self.seen
        return new


class NamedBarrierValueAfterFinish(Generic[Value], _Barrier[Value, tuple[set[Value], bool]]):
    """A :class:`NamedBarrierValue` that opens only when the run is about to finish.

    For a waiting edge into a node added with ``defer=True``. Its checkpoint
    is ``(names seen, finished)``.
    """

    __slots__ = ("finished",)

    def __init__(self, typ: Any = Any, names: Iterable[Value] = (), key: str = "") -> None:
        super().__init__(typ, names, key)
        self.finished = False

    def _blank(self) -> Self:
        new = _Barrier._blank(self)
        new.finished = False
        return new

    def get(self) -> None:
        """``None`` once finished with every name seen; raises :class:`EmptyChannelError` before."""
        if not self.finished or self.seen != self.names:
            raise self._empty()

    def is_available(self) -> bool:
        """Whether the run finished with every name seen."""
        return self.finished and self.seen == self.names

    def consume(self) -> bool:
        """Reset the barrier once the deferred node ran."""
        if self.finished and self.seen == self.names:
            self.finished = False
            self.seen = set()
            return True
        return False

    def finish(self) -> bool:
        """Open the barrier if every name was seen."""
        if not self.finished and self.seen == self.names:
            self.finished = True
            return True
        return False

    def checkpoint(self) -> tuple[set[Value], bool]:
        """``(names seen, finished)``."""
        return (self.seen, self.finished)

    def from_checkpoint(self, checkpoint: tuple[set[Value], bool] | Missing) -> Self:
        """A barrier restored from ``checkpoint``; accepts a list for a decoded tuple."""
        new = self._blank()
        if checkpoint is not MISSING:
            seen, new.finished = checkpoint
            new.seen = set(seen)
        return new

    def copy(self) -> Self:
        """A copy sharing the (never mutated) set of names seen."""
        new = self._blank()
        new.seen = self.seen
        new.finished = self.finished
        return new
