"""The channel protocol: a reducer over one superstep's writes plus its value."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import ClassVar, Final, Generic, TypeVar

from typing_extensions import Self

from actorgraph.channels._errors import EmptyChannelError

__all__ = ["MISSING", "BaseChannel", "Missing"]

Value = TypeVar("Value")
Update = TypeVar("Update")
Checkpoint = TypeVar("Checkpoint")


class Missing:
    """The type of :data:`MISSING`: "no value", distinct from ``None``."""

    _instance: ClassVar[Missing | None] = None

    def __new__(cls) -> Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Final = Missing()


class BaseChannel(ABC, Generic[Value, Update, Checkpoint]):
    """One key of the state: how a step's writes fold into its value.

    ``commutative`` declares that the order of writes within one step does not
    change the result, so the engine may apply them as they arrive;
    otherwise it applies them in the deterministic task order. ``idempotent``
    declares that applying the same write twice equals applying it once.
    """

    __slots__ = ("key",)

    commutative: ClassVar[bool] = False
    idempotent: ClassVar[bool] = False

    def __init__(self, key: str = "") -> None:
        self.key = key

    @abstractmethod
    def get(self) -> Value:
        """The current value; raises :class:`EmptyChannelError` when there is none."""

    def is_available(self) -> bool:
        """Whether :meth:`get` would return a value."""
        try:
            self.get()
        except EmptyChannelError:
            return False
        return True

    @abstractmethod
    def update(self, values: Sequence[Update]) -> bool:
        """Fold one step's writes in; return whether the channel changed."""

    def consume(self) -> bool:
        """Called after a task triggered by this channel ran; return whether it changed."""
        return False

    def finish(self) -> bool:
        """Called when the run is about to end; return whether it changed."""
        return False

    @abstractmethod
    def checkpoint(self) -> Checkpoint | Missing:
        """The value to persist, or :data:`MISSING` when there is nothing to store."""

    @abstractmethod
    def from_checkpoint(self, checkpoint: Checkpoint | Missing) -> Self:
        """A new channel of the same configuration holding ``checkpoint``."""

    def copy(self) -> Self:
        """A cheap copy; values are shared, never deep-copied."""
        return self.from_checkpoint(self.checkpoint())

    def _empty(self) -> EmptyChannelError:
        return EmptyChannelError(f"channel {self.key!r} has no value yet")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(key={self.key!r})"
