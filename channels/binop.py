"""Reducer channels: fold every write into the value with a user's binary operator."""

from __future__ import annotations

import collections.abc
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Final, Generic, TypeVar, cast, final, get_args, get_origin

import msgspec
from typing_extensions import NotRequired, Required, Self

from actorgraph.channels._errors import ErrorCode, InvalidUpdateError, create_error_message
from actorgraph.channels.base import MISSING, Missing, Value, _ValueChannel

__all__ = ["OVERWRITE", "BinaryOperatorAggregate", "Overwrite", "reducer"]

F = TypeVar("F", bound=Callable[..., Any])

OVERWRITE: Final = "__overwrite__"
"""The key of the dict form of :class:`Overwrite`: ``{"__overwrite__": value}``."""


@final  # the fold recognizes it by exact type, for speed
class Overwrite(msgspec.Struct, Generic[Value], frozen=True):
    """A write that replaces a reduced key's value instead of being folded in.

    Return ``{"items": Overwrite([])}`` from a node to reset a key declared as
    ``Annotated[list, operator.add]``. The dict forms ``{"__overwrite__": v}``
    and ``{"type": "__overwrite__", "value": v}`` mean the same (they survive
    JSON). A step may carry at most one Overwrite per key; a second raises
    :class:`InvalidUpdateError`. Other writes of that step to the key are
    dropped, whatever their order.
    """

    value: Value


class _DeclaredReducer:
    """Carries the algebra of a callable that cannot take attributes (a builtin)."""

    __slots__ = ("__name__", "commutative", "fn", "idempotent")

    def __init__(self, fn: Callable[..., Any], commutative: bool, idempotent: bool) -> None:
        self.fn = fn
        self.commutative = commutative
        self.idempotent = idempotent
        self.__name__ = getattr(fn, "__name__", repr(fn))

    def __call__(self, acc: Any, value: Any, /) -> Any:
        return self.fn(acc, value)

    def __repr__(self) -> str:
        return f"reducer({self.__name__}, commutative={self.commutative}, idempotent={self.idempotent})"


def reducer(*, commutative: bool = False, idempotent: bool = False) -> Callable[[F], F]:
    """Declare the algebra of a reducer ``op(acc, value) -> acc``.

    ``commutative=True`` promises ``op(op(s, a), b) == op(op(s, b), a)`` (with
    associativity, which every reducer is assumed to have): the engine may then
    fold a step's writes in arrival order. ``idempotent=True`` promises
    ``op(op(s, a), a) == op(s, a)``. The test suite checks these laws for the
    built-in reducers; for your own, a false promise makes results depend on
    timing. Used as a decorator::

        @reducer(commutative=True, idempotent=True)
        def union(acc: frozenset[str], new: frozenset[str]) -> frozenset[str]:
            return acc | new

    Plain functions get the attributes set on them; builtins are wrapped.
    """

    def declare(fn: F) -> F:
        try:
            fn.commutative = commutative  # type: ignore[attr-defined]
            fn.idempotent = idempotent  # type: ignore[attr-defined]
        except (AttributeError, TypeError):
            return cast("F", _DeclaredReducer(fn, commutative, idempotent))
        return fn

    return declare


# Abstract collection types cannot be instantiated; start from their usual concrete type.
_CONCRETE: Final[dict[Any, Any]] = {
    collections.abc.Sequence: list,
    collections.abc.MutableSequence: list,
    collections.abc.Set: set,
    collections.abc.MutableSet: set,
    collections.abc.Mapping: dict,
    collections.abc.MutableMapping: dict,
}


def _factory(typ: Any) -> Callable[[], Any] | None:
    """The zero-argument constructor of ``typ``'s runtime class, if it has one."""
    origin = get_origin(typ)
    while origin in (Annotated, Required, NotRequired):
        typ = get_args(typ)[0]
        origin = get_origin(typ)
    if origin is not None:
        typ = origin
    typ = _CONCRETE.get(typ, typ)
    if not isinstance(typ, type):
        return None
    try:
        typ()
    except Exception:  # noqa: BLE001 - any failure just means "no initial value", as in LangGraph
        return None
    return cast("Callable[[], Any]", typ)


def _overwritten(value: Any) -> Any:
    """The value an Overwrite write carries, or :data:`MISSING` for an ordinary write."""
    if isinstance(value, Overwrite):
        return value.value
    if len(value) == 1:
        return value.get(OVERWRITE, MISSING)
    if len(value) == 2 and value.get("type") == OVERWRITE and "value" in value:
        return value["value"]
    return MISSING


def _two_overwrites(key: str) -> InvalidUpdateError:
    return InvalidUpdateError(
        create_error_message(
            message=(
                f"At key '{key}': Can receive only one Overwrite value per super-step. "
                "Make a single node return the Overwrite for this key in a step."
            ),
            error_code=ErrorCode.INVALID_CONCURRENT_GRAPH_UPDATE,
        )
    )


class BinaryOperatorAggregate(Generic[Value], _ValueChannel[Value, Value | Overwrite[Value]]):
    """Folds each write into the value with ``operator(acc, write)``.

    This is the channel of ``Annotated[T, reducer]`` keys. The initial value is
    ``T()`` when that works (``list`` gives ``[]``, ``int`` gives ``0``, a CRDT
    gives its empty state); otherwise the first write becomes the value. An
    :class:`Overwrite` write replaces the value (see there).

    The algebra comes from the operator as declared with :func:`reducer` (the
    CRDT merges are declared commutative and idempotent), or from the
    ``commutative``/``idempotent`` arguments, which win. Undeclared operators
    are folded in task order.

    :meth:`update` is atomic: if the operator raises, or two Overwrites arrive,
    the value stays as it was (unless the operator mutated it in place); an
    exception from the operator gets a note naming the key.
    """

    __slots__ = ("_factory", "commutative", "idempotent", "operator")

    def __init__(
        self,
        typ: Any,
        operator: Callable[[Value, Value], Value],
        *,
        commutative: bool | None = None,
        idempotent: bool | None = None,
        key: str = "",
    ) -> None:
        super().__init__(key, typ=typ)
        self.operator = operator
        self.commutative = (
            getattr(operator, "commutative", False) is True if commutative is None else commutative
        )
        self.idempotent = (
            getattr(operator, "idempotent", False) is True if idempotent is None else idempotent
        )
        self._factory = _factory(typ)
        if self._factory is not None:
            self.value = self._factory()

    def _config(self) -> tuple[object, ...]:
        return (self.operator,)

    def update(self, values: Sequence[Value | Overwrite[Value]]) -> bool:
        """Fold the step's writes in; raises :class:`InvalidUpdateError` on two Overwrites."""
        if not values:
            return False
        op = self.operator
        acc = self.value
        overwritten = False
        try:
            for value in values:
                # Exact type tests: ``isinstance`` on a generic Struct costs ~150 ns.
                cls = type(value)
                if cls is Overwrite or cls is dict:
                    replacement = _overwritten(value)
                    if replacement is not MISSING:
                        if overwritten:
                            raise _two_overwrites(self.key)
                        overwritten = True
                        acc = replacement
                        continue
                if overwritten:
                    continue
                # Overwrites were handled above; ``cast`` would cost a call per write.
                acc = value if acc is MISSING else op(acc, value)  # type: ignore[assignment,arg-type]
        except InvalidUpdateError:
            raise
        except Exception as exc:
            add_note = getattr(exc, "add_note", None)  # Python >= 3.11
            if add_note is not None:
                add_note(f"raised by the reducer {_name(op)} of key {self.key!r}")
            raise
        self.value = acc
        return True

    def _blank(self) -> Self:
        new = _ValueChannel._blank(self)  # not super(): this runs on every copy
        new.operator = self.operator
        new.commutative = self.commutative
        new.idempotent = self.idempotent
        new._factory = self._factory
        return new

    def from_checkpoint(self, checkpoint: Value | Missing) -> Self:
        """A channel of the same reducer holding ``checkpoint`` (or a fresh initial value)."""
        new = self._blank()
        if checkpoint is MISSING and self._factory is not None:
            new.value = self._factory()
        else:
            new.value = checkpoint
        return new

    def __repr__(self) -> str:
        return f"BinaryOperatorAggregate(key={self.key!r}, operator={_name(self.operator)})"


def _name(fn: Callable[..., Any]) -> str:
    return getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or repr(fn)
