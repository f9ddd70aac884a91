"""The restart rules on their own: the intensity window against a brute-force model."""

from __future__ import annotations

import itertools
import random

from hypothesis import given
from hypothesis import strategies as st

from actorgraph.actors import AutoShutdown, Backoff, RestartType, Strategy
from actorgraph.actors._policy import (
    BackoffClock,
    RestartWindow,
    auto_shutdown_due,
    restart_set,
    restarts,
)
from tests.strategies import intensities, restart_gaps, restart_strategies


@given(gaps=restart_gaps, intensity=intensities, period=st.floats(0.5, 5.0))
def test_the_window_counts_restarts_within_the_period(
    gaps: list[float], intensity: int, period: float
) -> None:
    window = RestartWindow(intensity, period)
    stamps = list(itertools.accumulate(gaps))
    for i, now in enumerate(stamps):
        recent = [t for t in stamps[: i + 1] if t > now - period]
        assert window.exceeded_by_one_more(now) is (len(recent) > intensity)


@given(strategy=restart_strategies, size=st.integers(1, 6), data=st.data())
def test_restart_sets(strategy: Strategy, size: int, data: st.DataObject) -> None:
    children = list(range(size))
    failed = data.draw(st.sampled_from(children))
    chosen = restart_set(strategy, children, failed)
    expected = {
        Strategy.ONE_FOR_ONE: [failed],
        Strategy.ONE_FOR_ALL: children,
        Strategy.REST_FOR_ONE: children[failed:],
    }[strategy]
    assert chosen == expected


def test_restart_types_and_auto_shutdown() -> None:
    table = {
        (RestartType.PERMANENT, False): True,
        (RestartType.PERMANENT, True): True,
        (RestartType.TRANSIENT, False): False,
        (RestartType.TRANSIENT, True): True,
        (RestartType.TEMPORARY, False): False,
        (RestartType.TEMPORARY, True): False,
    }
    for (kind, abnormal), expected in table.items():
        assert restarts(kind, abnormal=abnormal) is expected
    assert auto_shutdown_due(AutoShutdown.ANY_SIGNIFICANT, significant_left=True)
    assert not auto_shutdown_due(AutoShutdown.ALL_SIGNIFICANT, significant_left=True)
    assert auto_shutdown_due(AutoShutdown.ALL_SIGNIFICANT, significant_left=False)
    assert not auto_shutdown_due(AutoShutdown.NEVER, significant_left=False)


def test_backoff_clock_grows_then_resets_after_a_quiet_spell() -> None:
    clock = BackoffClock(random.Random(0))
    backoff = Backoff(min_delay=1.0, max_delay=8.0, jitter=0.0, reset_after=20.0)
    assert clock.delay("w", None, 0.0) == 0.0
    assert [clock.delay("w", backoff, t) for t in (0.0, 1.0, 2.0, 3.0, 4.0)] == [1, 2, 4, 8, 8]
    assert clock.delay("w", backoff, 30.0) == 1.0  # quiet for more than reset_after
    assert clock.delay("other", backoff, 30.0) == 1.0  # counted per child
