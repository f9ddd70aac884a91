"""The class users subclass: ``Actor[Msg]`` with ``receive`` and lifecycle hooks."""

from __future__ import annotations

import types
import typing
from typing import TYPE_CHECKING, Any, Generic

import msgspec
from typing_extensions import TypeVar

if TYPE_CHECKING:
    from actorgraph.actors._ref import ActorRef

__all__ = ["Actor", "DownNotice", "M", "R", "accepted_types"]

M = TypeVar("M")
R = TypeVar("R", default=Any)


class DownNotice(msgspec.Struct, frozen=True):
    """Delivered to watchers when an actor stops for good.

    ``reason`` is ``"normal"`` (it finished), ``"shutdown"`` (it was stopped) or
    ``"crashed"`` (``error`` holds the exception and no restart followed).
    """

    path: str
    reason: str
    error: BaseException | None = None


class Actor(Generic[M, R]):
    """An object with private state that handles one message at a time.

    Subclass it with the message type it accepts, ``Actor[Ping | Pong]`` (msgspec
    Structs or a tagged union of them), and optionally the reply type of ``ask``,
    ``Actor[Query, int]``. The runtime calls ``receive`` for each message in
    mailbox order, never two at once; what ``receive`` returns is the reply to an
    ``ask``. An exception from ``receive`` crashes the actor: its supervisor then
    restarts it from a fresh instance or stops it, as its child spec says.

    Hooks: ``started`` runs before the first message, ``restarted`` instead of it
    after a restart, ``stopping`` when the actor is asked to stop (not after a
    crash), ``down`` when a watched actor stops. ``self.ref`` and ``self.path``
    are available from ``started`` on.

    Cancellation: when the actor is killed (its shutdown timeout ran out) or its
    supervisor is cancelled, the ``await`` it is blocked in raises the backend's
    cancellation exception; let it propagate.
    See ``examples/supervision_tree.py``.
    """

    _ref: ActorRef[M, R]

    async def receive(self, msg: M) -> R:
        """Handle one message; the return value is the reply to an ``ask``."""
        raise NotImplementedError(f"{type(self).__name__} must define async receive(self, msg)")

    async def started(self) -> None:
        """Called once before the first message (in the starter's task)."""

    async def restarted(self, reason: BaseException | str) -> None:
        """Called on the fresh instance after a restart, instead of ``started``.

        ``reason`` is the exception that crashed this child (or the sibling whose
        crash took it down), or ``"normal"`` when a permanent child returned.
        The default calls ``started``.
        """
        await self.started()

    async def stopping(self, reason: str) -> None:
        """Called when the actor is asked to stop (``"shutdown"`` or ``"normal"``)."""

    async def down(self, notice: DownNotice) -> None:
        """Called when an actor this one watches stops for good."""

    @property
    def ref(self) -> ActorRef[M, R]:
        """This actor's own ref (stable across restarts)."""
        return self._ref

    @property
    def path(self) -> str:
        """This actor's path, such as ``/system/sim/agent-42``."""
        return self._ref.path

    def stop(self) -> None:
        """Finish after the current message, as a normal exit.

        A permanent child is restarted after a normal exit; transient and
        temporary ones are not (and a significant one may end its supervisor).
        """
        self._ref._exit_normally()

    def watch(self, other: ActorRef[Any, Any]) -> None:
        """Have ``down(notice)`` called when ``other`` stops for good."""
        other.watch(self._ref)


_accepts_cache: dict[type, tuple[type, ...]] = {}


def _flatten(arg: object) -> tuple[type, ...] | None:
    if arg is Any or isinstance(arg, typing.TypeVar):
        return None
    if isinstance(arg, types.UnionType) or typing.get_origin(arg) is typing.Union:
        out: list[type] = []
        for member in typing.get_args(arg):
            flat = _flatten(member)
            if flat is None:
                return None
            out.extend(flat)
        return tuple(out)
    origin = typing.get_origin(arg)
    if isinstance(origin, type):
        return (origin,)
    if isinstance(arg, type):
        return (arg,)
    return None


def accepted_types(cls: type) -> tuple[type, ...]:
    """The classes an actor class accepts, from its ``Actor[...]`` base.

    Computed once per class so the check at each send is one ``isinstance``.
    An actor declared without a concrete type accepts any object.
    """
    cached = _accepts_cache.get(cls)
    if cached is not None:
        return cached
    found: tuple[type, ...] | None = None
    for klass in cls.__mro__:
        for base in getattr(klass, "__orig_bases__", ()):
            origin = typing.get_origin(base)
            if isinstance(origin, type) and issubclass(origin, Actor):
                args = typing.get_args(base)
                if args:
                    found = _flatten(args[0])
                break
        else:
            continue
        break
    result = found if found else (object,)
    _accepts_cache[cls] = result
    return result
