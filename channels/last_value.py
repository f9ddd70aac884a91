"""Channels that keep one value: the default for a state key without a reducer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic

from typing_extensions import Self

from actorgraph.channels._errors import ErrorCode, InvalidUpdateError, create_error_message
from actorgraph.channels.base import MISSING, BaseChannel, Missing, Value, _new, _ValueChannel

__all__ = ["LastValue", "LastValueAfterFinish"]


def _one_value_per_step(key: str) -> InvalidUpdateError:
    return InvalidUpdateError(
        create_error_message(
            message=(
                f"At key '{key}': Can receive only one value per step. "
                "Use an Annotated key to handle multiple values, "
                f"e.g. `{key or 'key'}: Annotated[list, operator.add]` "
                "or `Annotated[T, reducer]`."
            ),
            error_code=ErrorCode.INVALID_CONCURRENT_GRAPH_UPDATE,
        )
    )


class LastValue(Generic[Value], _ValueChannel[Value, Value]):
    """Holds the one value written in the last step that wrote it.

    This is the channel of every state key declared without a reducer. A step
    may write it at most once: two writes raise :class:`InvalidUpdateError`
    naming the key and suggesting ``Annotated[T, reducer]``, and the value
    stays as it was. Since at most one write is accepted, the order of writes
    never matters (``commutative``).
    """

    __slots__ = ()

    commutative = True

    def __init__(self, typ: Any = Any, key: str = "") -> None:
        super().__init__(key, typ=typ)

    def copy(self) -> Self:
        """A copy sharing the value."""
        cls = type(self)
        if cls is not LastValue:
            # A subclass may keep configuration of its own (see _blank).
            return super().copy()
        # Every run copies each key it touches: one call instead of three.
        new = _new(cls)
        new.key = self.key
        new.typ = self.typ
        new.value = self.value
        return new

    def update(self, values: Sequence[Value]) -> bool:
        """Store the step's single write; raises :class:`InvalidUpdateError` on two or more."""
        if len(values) == 1:
            self.value = values[0]
            return True
        if not values:
            return False
        raise _one_value_per_step(self.key)


class LastValueAfterFinish(Generic[Value], BaseChannel[Value, Value, tuple[Value, bool]]):
    """Like :class:`LastValue`, but readable only once the run is about to finish.

    The engine uses it for the trigger of a node added with ``defer=True``: the
    node runs only when nothing else is left to run. The last write of a step
    wins (several writers are allowed); :meth:`finish` makes the value
    available and :meth:`consume` clears it once the deferred node has run.
    """

    __slots__ = ("finished", "value")

    def __init__(self, typ: Any = Any, key: str = "") -> None:
        super().__init__(key, typ=typ)
        self.value: Value | Missing = MISSING
        self.finished = False

    def get(self) -> Value:
        """The value once finished; raises :class:`EmptyChannelError` before that."""
        if self.value is MISSING or not self.finished:
            raise self._empty()
        return self.value

    def is_available(self) -> bool:
        """Whether a value was written and the run reached its finish."""
        return self.finished and self.value is not MISSING

    def update(self, values: Sequence[Value]) -> bool:
        """Keep the last write and wait again for the finish."""
        if not values:
            return False
        self.finished = False
        self.value = values[-1]
        return True

    def consume(self) -> bool:
        """Clear the value after the deferred node ran."""
        if self.finished:
            self.finished = False
            self.value = MISSING
            return True
        return False

    def finish(self) -> bool:
        """Make a written value available."""
        if not self.finished and self.value is not MISSING:
            self.finished = True
            return True
        return False

    def checkpoint(self) -> tuple[Value, bool] | Missing:
        """``(value, finished)``, or :data:`MISSING` when nothing was written."""
        if self.value is MISSING:
            return MISSING
        return (self.value, self.finished)

    def from_checkpoint(self, checkpoint: tuple[Value, bool] | Missing) -> Self:
        """A channel holding ``checkpoint``; accepts a list for a decoded tuple."""
        new = self._blank()
        if checkpoint is MISSING:
            new.value = MISSING
            new.finished = False
        else:
            new.value, new.finished = checkpoint
        return new

    def copy(self) -> Self:
        """A copy sharing the value."""
        new = self._blank()
        new.value = self.value
        new.finished = self.finished
        return new
