"""Hypothesis strategies shared by the test suite, one section per subsystem."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

# --- engine ---------------------------------------------------------------------


@dataclass(frozen=True)
class GraphShape:
    """A random acyclic graph: edges go forward, so every run terminates.

    ``edges[i]`` lists the nodes ``n{i}`` leads to; ``fanout[i]`` is how many
    Sends ``n{i}`` makes to the worker node; ``joins`` are waiting edges.
    """

    size: int
    entry: tuple[int, ...]
    edges: tuple[tuple[int, ...], ...]
    fanout: tuple[int, ...]
    joins: tuple[tuple[tuple[int, ...], int], ...]


@st.composite
def graph_shapes(draw: st.DrawFn) -> GraphShape:
    """Small random graphs with parallel branches, Send fan-outs and joins."""
    size = draw(st.integers(min_value=2, max_value=6))
    entry = tuple(sorted(draw(st.sets(st.integers(0, size - 1), min_size=1, max_size=3))))
    edges = tuple(
        tuple(sorted(draw(st.sets(st.integers(i + 1, size - 1), max_size=2))))
        if i < size - 1
        else ()
        for i in range(size)
    )
    fanout = tuple(draw(st.integers(0, 3)) for _ in range(size))
    joins: list[tuple[tuple[int, ...], int]] = []
    if size >= 3 and draw(st.booleans()):
        target = size - 1
        starts = tuple(sorted(draw(st.sets(st.integers(0, target - 1), min_size=2, max_size=3))))
        joins.append((starts, target))
    return GraphShape(size, entry, edges, fanout, tuple(joins))


def task_delays() -> st.SearchStrategy[list[float]]:
    """Per-task sleep times in seconds (0 or a few milliseconds)."""
    return st.lists(st.sampled_from([0.0, 0.0005, 0.001, 0.003]), min_size=1, max_size=12)
