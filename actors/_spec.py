"""Plain-data descriptions of what a supervisor runs: child specs and supervisor flags.

The names and defaults are OTP's (``permanent``, intensity 1 in 5 seconds, ...) so
that the Erlang documentation reads straight across.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from enum import Enum
from typing import TYPE_CHECKING, Any

import msgspec

if TYPE_CHECKING:
    from actorgraph.actors._actor import Actor

__all__ = [
    "BRUTAL_KILL",
    "INFINITY",
    "AutoShutdown",
    "Backoff",
    "ChildSpec",
    "Overflow",
    "RestartType",
    "Strategy",
    "SupervisorSpec",
]

#: ``shutdown=BRUTAL_KILL``: cancel the child at once instead of asking it to stop.
BRUTAL_KILL = 0.0
#: ``shutdown=INFINITY``: wait for the child however long its cleanup takes.
INFINITY = math.inf


class Strategy(str, Enum):
    """Which children a supervisor restarts when one of them terminates."""

    #: only the child that terminated
    ONE_FOR_ONE = "one_for_one"
    #: every child: the others are stopped (reverse start order), then all restart
    ONE_FOR_ALL = "one_for_all"
    #: the child and those started after it
    REST_FOR_ONE = "rest_for_one"
    #: one template spec; children are added with ``start_child(*args)``
    SIMPLE_ONE_FOR_ONE = "simple_one_for_one"


class RestartType(str, Enum):
    """When a terminated child is restarted."""

    #: always
    PERMANENT = "permanent"
    #: only after a crash (an exception); a normal exit or a shutdown is final
    TRANSIENT = "transient"
    #: never, not even when a sibling's crash took it down
    TEMPORARY = "temporary"


class AutoShutdown(str, Enum):
    """When a supervisor stops itself because its significant children finished."""

    NEVER = "never"
    ANY_SIGNIFICANT = "any_significant"
    ALL_SIGNIFICANT = "all_significant"


class Overflow(str, Enum):
    """What a send does when the mailbox is full."""

    #: ``tell``/``ask`` wait for room (backpressure); ``try_tell`` returns False
    WAIT = "wait"
    #: the new message is discarded
    DROP_NEWEST = "drop_newest"
    #: the oldest queued message is discarded to make room (a pending ask fails)
    DROP_OLDEST = "drop_oldest"
    #: the send raises ``MailboxFull``
    FAIL = "fail"


class Backoff(msgspec.Struct, frozen=True):
    """Exponential restart delay with jitter, as Akka's ``restartWithBackoff``.

    The n-th consecutive restart waits ``min(max_delay, min_delay * 2**n)`` seconds,
    stretched by a random factor in ``[1, 1 + jitter]`` so that siblings calling
    one flaky service do not all retry at once. The count resets when the child
    has not crashed for ``reset_after`` seconds (default: ``max_delay``).
    """

    min_delay: float = 0.1
    max_delay: float = 10.0
    jitter: float = 0.2
    reset_after: float | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.min_delay <= self.max_delay or self.jitter < 0:
            raise ValueError(
                f"Backoff needs 0 <= min_delay <= max_delay and jitter >= 0, "
                f"got min_delay={self.min_delay}, max_delay={self.max_delay}, jitter={self.jitter}"
            )

    def delay(self, attempt: int, rng: random.Random) -> float:
        """The delay before restart number ``attempt`` (0 for the first)."""
        base = min(self.max_delay, self.min_delay * 2.0 ** min(attempt, 62))
        return base * (1.0 + self.jitter * rng.random())


class ChildSpec(msgspec.Struct, frozen=True):
    """How a supervisor starts, restarts and stops one child.

    ``start`` is a factory (often the actor class itself) called for the first
    start and again for every restart, so the new instance begins from its
    initial state; or a :class:`SupervisorSpec` for a nested supervisor.
    ``shutdown`` is how many seconds the child gets to stop before it is
    cancelled (:data:`BRUTAL_KILL` = 0, :data:`INFINITY`, default 5 s for
    actors and infinity for supervisors, as in OTP). ``significant`` children
    of a transient or temporary kind drive the supervisor's ``auto_shutdown``.
    ``capacity`` and ``overflow`` configure the actor's mailbox.
    """

    id: str
    start: Callable[..., Actor[Any, Any]] | SupervisorSpec
    restart: RestartType = RestartType.PERMANENT
    shutdown: float | None = None
    significant: bool = False
    capacity: int = 1000
    overflow: Overflow = Overflow.WAIT
    backoff: Backoff | None = None

    def __post_init__(self) -> None:
        if not self.id or "/" in self.id:
            raise ValueError(
                f"child id {self.id!r} must be a non-empty name without '/' "
                "(it becomes the last part of the actor's path)"
            )
        if self.capacity < 1:
            raise ValueError(
                f"child {self.id!r}: mailbox capacity must be >= 1, got {self.capacity}"
            )
        if self.significant and self.restart is RestartType.PERMANENT:
            raise ValueError(
                f"child {self.id!r}: a significant child must be transient or temporary; "
                "a permanent one would be restarted forever instead of finishing"
            )

    @property
    def shutdown_timeout(self) -> float:
        """The effective shutdown timeout in seconds (OTP's defaults when unset)."""
        if self.shutdown is not None:
            return self.shutdown
        return INFINITY if isinstance(self.start, SupervisorSpec) else 5.0


class SupervisorSpec(msgspec.Struct, frozen=True):
    """A supervisor's flags and its children, started in list order.

    More than ``intensity`` restarts within ``period`` seconds make the
    supervisor stop all its children and fail with ``EscalationError``, which its
    own parent handles as a crashed child. With ``SIMPLE_ONE_FOR_ONE``,
    ``children`` holds exactly one template and starts nothing by itself.
    """

    children: Sequence[ChildSpec] = ()
    strategy: Strategy = Strategy.ONE_FOR_ONE
    intensity: int = 1
    period: float = 5.0
    auto_shutdown: AutoShutdown = AutoShutdown.NEVER

    def __post_init__(self) -> None:
        if self.intensity < 0 or self.period <= 0:
            raise ValueError(
                f"supervisor needs intensity >= 0 and period > 0, "
                f"got intensity={self.intensity}, period={self.period}"
            )
        ids = [child.id for child in self.children]
        if len(set(ids)) != len(ids):
            raise ValueError(f"supervisor child ids must be unique, got {ids}")
        if self.strategy is Strategy.SIMPLE_ONE_FOR_ONE and len(self.children) != 1:
            raise ValueError(
                "simple_one_for_one takes exactly one child spec, the template for "
                f"start_child(*args); got {len(self.children)}"
            )
