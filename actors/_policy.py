"""The restart rules of a supervisor, as plain functions and counters (no I/O, no tasks).

Kept apart from the supervisor's task handling so that the OTP rules read on
their own: who restarts, when a supervisor gives up, how long a restart waits.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Sequence
from typing import TypeVar

from actorgraph.actors._spec import AutoShutdown, Backoff, RestartType, Strategy

__all__ = ["BackoffClock", "RestartWindow", "auto_shutdown_due", "restart_set", "restarts"]

T = TypeVar("T")


def restarts(kind: RestartType, *, abnormal: bool) -> bool:
    """Whether a child of this kind is restarted after a normal or abnormal exit."""
    return kind is RestartType.PERMANENT or (kind is RestartType.TRANSIENT and abnormal)


def restart_set(strategy: Strategy, children: Sequence[T], failed: T) -> list[T]:
    """The children (in start order) that ``strategy`` restarts when ``failed`` terminated."""
    if strategy is Strategy.ONE_FOR_ALL:
        return list(children)
    if strategy is Strategy.REST_FOR_ONE:
        return list(children[list(children).index(failed) :])
    return [failed]


def auto_shutdown_due(mode: AutoShutdown, *, significant_left: bool) -> bool:
    """Whether a significant child's own exit ends its supervisor."""
    if mode is AutoShutdown.ANY_SIGNIFICANT:
        return True
    return mode is AutoShutdown.ALL_SIGNIFICANT and not significant_left


class RestartWindow:
    """OTP's restart intensity: at most ``intensity`` restarts within ``period`` seconds."""

    __slots__ = ("_stamps", "intensity", "period")

    def __init__(self, intensity: int, period: float) -> None:
        self.intensity = intensity
        self.period = period
        self._stamps: deque[float] = deque()

    def __len__(self) -> int:
        return len(self._stamps)

    def clear(self) -> None:
        self._stamps.clear()

    def exceeded_by_one_more(self, now: float) -> bool:
        """Count a restart at ``now``; True when that is one too many."""
        stamps = self._stamps
        stamps.append(now)
        horizon = now - self.period
        while stamps and stamps[0] <= horizon:
            stamps.popleft()
        return len(stamps) > self.intensity


class BackoffClock:
    """Consecutive restarts per child, for exponential backoff."""

    __slots__ = ("_attempts", "_rng")

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._attempts: dict[str, tuple[int, float]] = {}

    def delay(self, name: str, backoff: Backoff | None, now: float) -> float:
        """Seconds to wait before restarting ``name`` (0 without a backoff)."""
        if backoff is None:
            return 0.0
        attempt, last = self._attempts.get(name, (0, now))
        reset_after = backoff.max_delay if backoff.reset_after is None else backoff.reset_after
        if now - last > reset_after:
            attempt = 0
        self._attempts[name] = (attempt + 1, now)
        return backoff.delay(attempt, self._rng)
