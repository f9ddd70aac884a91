"""Hypothesis strategies shared by the test suite, one section per subsystem."""

from __future__ import annotations

from hypothesis import strategies as st

from actorgraph.actors import RestartType, Strategy

# --- actors -----------------------------------------------------------------------

restart_types = st.sampled_from(list(RestartType))
"""permanent, transient or temporary."""

restart_strategies = st.sampled_from(
    [Strategy.ONE_FOR_ONE, Strategy.ONE_FOR_ALL, Strategy.REST_FOR_ONE]
)
"""The strategies whose children come from static specs."""

child_restart_types = st.lists(restart_types, min_size=1, max_size=4)
"""The restart types of a supervisor's children, in start order."""

intensities = st.integers(min_value=0, max_value=3)
"""Restart intensities small enough to be exceeded within a few steps."""

restart_gaps = st.lists(st.floats(min_value=0.0, max_value=3.0), min_size=1, max_size=30)
"""Seconds between successive restarts of one supervisor's children."""

actor_ops = st.lists(
    st.tuples(
        st.sampled_from(["tell", "crash", "exit", "ask", "ask_crash", "stop", "nap", "spawn"]),
        st.integers(min_value=0, max_value=7),
    ),
    max_size=40,
)
"""Operations on a small population of actors: (what, which actor)."""
