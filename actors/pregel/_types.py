"""The types users write and the engine interprets: Send, Command, Interrupt, policies."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, Literal, NamedTuple, TypeVar

import msgspec

from actorgraph.store.serde import register

__all__ = [
    "All",
    "CachePolicy",
    "Command",
    "Durability",
    "Interrupt",
    "PregelTask",
    "RetryPolicy",
    "Send",
    "StateSnapshot",
    "StreamMode",
    "StreamWriter",
    "default_cache_key",
    "default_retry_on",
]

N = TypeVar("N", bound=Hashable)

StreamMode = Literal["values", "updates", "checkpoints", "tasks", "debug", "messages", "custom"]
"""How ``stream()`` emits output; several modes at once give ``(mode, chunk)`` pairs."""

Durability = Literal["sync", "async", "exit"]
"""When checkpoints are written: before the next step, while it runs, or at exit."""

All = Literal["*"]
"""``interrupt_before="*"`` / ``interrupt_after="*"``: every node."""

StreamWriter = Callable[[Any], None]
"""Sends a chunk to the ``custom`` stream; a no-op when that mode is not requested."""


class Send(msgspec.Struct, frozen=True):
    """Run ``node`` in the next superstep with ``arg`` as its whole input.

    Returned (alone or in a list) from a conditional edge or as
    ``Command(goto=...)``; one task runs per Send, so a list of Sends is a
    map step. Their writes are applied in the order of the Sends.
    """

    node: str
    arg: Any


class Command(msgspec.Struct, Generic[N], frozen=True, kw_only=True):
    """Update the state and choose where to go next, from a node or as input.

    ``update`` is applied like a node's return value; ``goto`` names one node,
    a sequence of nodes, a :class:`Send` or a sequence of Sends (added to the
    node's static edges); ``graph=Command.PARENT`` sends the command to the
    closest parent graph; ``resume`` answers a pending ``interrupt()``.
    """

    graph: str | None = None
    update: Any = None
    resume: Any = None
    goto: Any = ()

    PARENT: ClassVar[str] = "__parent__"

    def goto_targets(self) -> tuple[str | Send, ...]:
        """``goto`` as a tuple of node names and Sends."""
        goto = self.goto
        if isinstance(goto, (str, Send)):
            return (goto,)
        return tuple(goto)


class Interrupt(msgspec.Struct, frozen=True):
    """A pause raised by ``interrupt(value)``; ``id`` lets a caller resume exactly it."""

    value: Any
    id: str = ""


def default_retry_on(exc: BaseException) -> bool:
    """Retry any exception except the ones that signal a bug in the caller's code.

    ``ConnectionError`` is retried; ``ValueError``, ``TypeError``,
    ``ArithmeticError``, ``ImportError``, ``LookupError``, ``NameError``,
    ``SyntaxError``, ``RuntimeError``, ``ReferenceError``, ``StopIteration``,
    ``StopAsyncIteration`` and other ``OSError`` are not. An HTTP error carrying a
    ``response.status_code`` is retried only for 5xx.
    """
    if isinstance(exc, ConnectionError):
        return True
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    if isinstance(status, int):
        return 500 <= status < 600
    return not isinstance(
        exc,
        (
            ValueError,
            TypeError,
            ArithmeticError,
            ImportError,
            LookupError,
            NameError,
            SyntaxError,
            RuntimeError,
            ReferenceError,
            StopIteration,
            StopAsyncIteration,
            OSError,
        ),
    )


class RetryPolicy(NamedTuple):
    """How a failing node is retried (by its node actor, before the step fails).

    ``max_attempts`` counts the first attempt. The wait before retry ``n`` is
    ``min(initial_interval * backoff_factor ** (n - 1), max_interval)`` seconds,
    times a random factor in [1, 1.5) with ``jitter``. ``retry_on`` is an
    exception class, a sequence of them, or a predicate. Cancellation is never
    retried.
    """

    initial_interval: float = 0.5
    backoff_factor: float = 2.0
    max_interval: float = 128.0
    max_attempts: int = 3
    jitter: bool = True
    retry_on: (
        type[BaseException] | Sequence[type[BaseException]] | Callable[[BaseException], bool]
    ) = default_retry_on

    def should_retry(self, exc: BaseException) -> bool:
        """Whether ``exc`` matches ``retry_on``."""
        retry_on = self.retry_on
        if isinstance(retry_on, type):
            return isinstance(exc, retry_on)
        if isinstance(retry_on, Sequence):
            return isinstance(exc, tuple(retry_on))
        return bool(retry_on(exc))


def default_cache_key(value: Any) -> str:
    """A stable key for a node input: a hash of its MessagePack encoding (no pickling)."""
    try:
        data = msgspec.msgpack.encode(value, order="deterministic")
    except (TypeError, msgspec.EncodeError):
        data = repr(value).encode()
    return hashlib.blake2b(data, digest_size=16).hexdigest()


@dataclass(frozen=True)
class CachePolicy:
    """Cache a node's writes by a key computed from its input.

    ``key_func`` maps the input to a string (default: a hash of its encoding);
    ``ttl`` is in seconds, ``None`` keeps entries forever. Needs
    ``compile(cache=...)``.
    """

    key_func: Callable[..., str | bytes] = field(default=default_cache_key)
    ttl: int | None = None


class PregelTask(NamedTuple):
    """A task of a step as snapshots and the ``tasks`` stream describe it."""

    id: str
    name: str
    path: tuple[Any, ...]
    error: Exception | None = None
    interrupts: tuple[Interrupt, ...] = ()
    state: Any = None
    result: Any = None


class StateSnapshot(NamedTuple):
    """The state of a thread at the start of a step."""

    values: dict[str, Any] | Any
    next: tuple[str, ...]
    config: Any
    metadata: Any
    created_at: str | None
    parent_config: Any
    tasks: tuple[PregelTask, ...]
    interrupts: tuple[Interrupt, ...] = ()


# Checkpoints hold these (pending Sends, resume Commands, interrupts): they are
# registered on import, so a process that reads a thread's history can decode
# them before it compiles any graph.
for _cls in (Send, Command, Interrupt):
    register(_cls, name=f"actorgraph.types.{_cls.__name__}")
del _cls
