"""The channel protocol: a reducer over one superstep's writes plus its value."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from enum import Enum
from typing import Any, Final, Generic, TypeVar

from typing_extensions import Self

from actorgraph.channels._errors import EmptyChannelError

__all__ = ["MISSING", "BaseChannel", "Missing", "value_is_plain"]

Value = TypeVar("Value")
Update = TypeVar("Update")
Checkpoint = TypeVar("Checkpoint")


class Missing(Enum):
    """The type of :data:`MISSING`: "no value", distinct from ``None``.

    A one-member enum, so type checkers narrow ``x is MISSING`` and the hot
    path can test identity instead of calling ``isinstance``.
    """

    MISSING = "MISSING"

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Final = Missing.MISSING

_new = object.__new__


class BaseChannel(ABC, Generic[Value, Update, Checkpoint]):
    """One key of the state: how a step's writes fold into its value.

    The engine calls :meth:`update` once per channel per superstep with every
    write of that step. ``commutative`` declares that the order of those writes
    does not change the result (value, checkpoint, or the error raised), so the
    engine may pass them in arrival order; otherwise it passes them in the
    deterministic task order. ``idempotent`` declares that a write repeated in a
    step, or replayed in a later one, changes nothing more than the first did.
    Both are class attributes by default; a channel whose algebra depends on
    its configuration (a user reducer, a guard) sets them per instance, so
    read them from the instance.

    Channels are synchronous and do no I/O: no method awaits, so cancellation
    never leaves one half-updated.

    ``typ`` is the value type the channel was declared with (``Any`` when
    unknown); channels use it only to build an initial value.
    """

    __slots__ = ("key", "typ")

    commutative: bool = False
    idempotent: bool = False

    def __init__(self, key: str = "", *, typ: Any = Any) -> None:
        self.key = key
        self.typ = typ

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
        """Fold one step's writes in; return whether the channel changed.

        Raises :class:`InvalidUpdateError` when the writes break the channel's
        rule (for example two writes to a key without a reducer); every built-in
        channel is then left as it was before the call.
        """

    def consume(self) -> bool:
        """Called after a task triggered by this channel ran; return whether it changed."""
        return False

    def finish(self) -> bool:
        """Called when the run is about to end; return whether it changed."""
        return False

    @abstractmethod
    def checkpoint(self) -> Checkpoint | Missing:
        """The value to persist, or :data:`MISSING` when there is nothing to store.

        The object returned is shared, not copied: the channel never mutates it
        afterwards, so a saver may keep it as an in-memory snapshot.
        """

    @abstractmethod
    def from_checkpoint(self, checkpoint: Checkpoint | Missing) -> Self:
        """A new channel of the same configuration holding ``checkpoint``."""

    def copy(self) -> Self:
        """A cheap copy; values are shared, never deep-copied.

        Updating the copy never changes the original, nor the other way round.
        """
        return self.from_checkpoint(self.checkpoint())

    def _blank(self) -> Self:
        """A new, empty channel of the same class, key and type, without ``__init__``.

        Subclasses fill in their own slots; this keeps :meth:`copy` and
        :meth:`from_checkpoint` free of constructor work on the hot path.
        """
        new = _new(type(self))
        new.key = self.key
        new.typ = self.typ
        return new

    def _config(self) -> tuple[object, ...]:
        """What, besides the class, makes two channels the same declaration."""
        return ()

    def __eq__(self, other: object) -> bool:
        # Equal declarations, not equal values: the graph builder uses this to
        # accept one key declared identically by several schemas.
        return type(other) is type(self) and other._config() == self._config()

    __hash__ = None  # type: ignore[assignment]  # channels are mutable

    def _empty(self) -> EmptyChannelError:
        return EmptyChannelError(f"channel {self.key!r} has no value yet")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(key={self.key!r})"


class _ValueChannel(BaseChannel[Value, Update, Value]):
    """A channel whose state is one value (or :data:`MISSING`), checkpointed as is.

    Subclasses with configuration of their own extend :meth:`_blank` to copy it;
    :meth:`_blank` leaves ``value`` unset, :meth:`copy` and
    :meth:`from_checkpoint` fill it.
    """

    __slots__ = ("value",)

    def __init__(self, key: str = "", *, typ: Any = Any) -> None:
        super().__init__(key, typ=typ)
        self.value: Value | Missing = MISSING

    def get(self) -> Value:
        """The value; raises :class:`EmptyChannelError` when there is none."""
        if self.value is MISSING:
            raise self._empty()
        return self.value

    def is_available(self) -> bool:
        """Whether there is a value."""
        return self.value is not MISSING

    def checkpoint(self) -> Value | Missing:
        """The value itself (shared, not copied), or :data:`MISSING`."""
        return self.value

    def from_checkpoint(self, checkpoint: Value | Missing) -> Self:
        """A channel of the same configuration holding ``checkpoint``."""
        new = self._blank()
        new.value = checkpoint
        return new

    def copy(self) -> Self:
        """A copy sharing the value."""
        new = self._blank()
        new.value = self.value
        return new


def value_is_plain(channel: BaseChannel[Any, Any, Any]) -> bool:
    """Whether ``channel`` keeps its value in ``.value`` (:data:`MISSING` when empty).

    For such a channel ``get()`` is ``.value`` itself and ``is_available()`` is
    ``.value is not MISSING``, so a hot path that reads many keys may read the
    slot directly instead of making two calls per key.
    """
    cls = type(channel)
    return cls.get is _ValueChannel.get and cls.is_available is _ValueChannel.is_available
