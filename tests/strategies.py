"""Hypothesis strategies shared by the test suite, one section per subsystem."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

from actorgraph.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage

# --- messages ---------------------------------------------------------------------

message_ids = st.one_of(st.none(), st.sampled_from(["a", "b", "c", "d", "e"]))
message_texts = st.text(alphabet="abc xyz", max_size=12)


@st.composite
def messages(draw: st.DrawFn) -> BaseMessage:
    """One message of a random kind, with a small id space so ids collide often."""
    kind = draw(st.sampled_from(["human", "ai", "system", "tool"]))
    text = draw(message_texts)
    id_ = draw(message_ids)
    if kind == "human":
        return HumanMessage(text, id=id_)
    if kind == "ai":
        return AIMessage(text, id=id_)
    if kind == "system":
        return SystemMessage(text, id=id_)
    return ToolMessage(text, id=id_, tool_call_id="call")


message_lists = st.lists(messages(), max_size=6)


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
