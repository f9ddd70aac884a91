"""Laws of durable execution, checked over random breakpoints and durability modes."""

from __future__ import annotations

import operator
from typing import Annotated, Any

from hypothesis import given, settings
from hypothesis import strategies as st
from typing_extensions import TypedDict

from actorgraph.graph import END, START, StateGraph
from actorgraph.store.checkpoint import InMemorySaver
from tests.durable.graphs import cfg
from tests.strategies import breakpoint_sets


class Log(TypedDict):
    log: Annotated[list[str], operator.add]


def diamond(calls: list[str]) -> Any:
    def node(name: str) -> Any:
        def run(state: Log) -> dict[str, Any]:
            calls.append(name)
            return {"log": [f"{name}{len(state['log'])}"]}

        return run

    graph = StateGraph(Log)
    for name in ("a", "b", "c", "d"):
        graph.add_node(name, node(name))
    graph.add_edge(START, "a").add_edge("a", "b").add_edge("a", "c")
    graph.add_edge(["b", "c"], "d").add_edge("d", END)
    return graph.compile(checkpointer=InMemorySaver())


@settings(max_examples=30)
@given(breakpoints=breakpoint_sets(), durability=st.sampled_from(["sync", "async", "exit"]))
def test_stopping_at_breakpoints_changes_nothing(
    breakpoints: tuple[list[str], list[str]], durability: str
) -> None:
    """A run stopped at any breakpoints and continued with None ends in the state
    of an uninterrupted run, and runs every node exactly once."""
    plain_calls: list[str] = []
    expected = diamond(plain_calls).invoke({"log": []}, cfg())
    calls: list[str] = []
    app = diamond(calls)
    before, after = breakpoints
    options = {"interrupt_before": before, "interrupt_after": after, "durability": durability}
    out = app.invoke({"log": []}, cfg(), **options)
    for _ in range(10):
        if not app.get_state(cfg()).next:
            break
        out = app.invoke(None, cfg(), **options)
    assert out == expected
    assert sorted(calls) == sorted(plain_calls)


@settings(max_examples=30)
@given(
    failing=st.lists(st.sampled_from(["a", "b", "c", "d"]), unique=True),
    durability=st.sampled_from(["sync", "async", "exit"]),
)
def test_failures_resume_to_the_same_state(failing: list[str], durability: str) -> None:
    """Nodes failing once each: continuing with None after every failure ends in
    the uninterrupted state, and a node that finished never runs again."""
    expected = diamond([]).invoke({"log": []}, cfg())
    calls: list[str] = []
    pending_failures = set(failing)
    app = diamond(calls)
    for name in ("a", "b", "c", "d"):
        node = app.builder.nodes[name]
        original = node.action

        def flaky(state: Log, _name: str = name, _run: Any = original) -> dict[str, Any]:
            if _name in pending_failures:
                pending_failures.discard(_name)
                raise RuntimeError(f"{_name} fails once")
            result: dict[str, Any] = _run(state)
            return result

        node.action = flaky
    app = app.builder.compile(checkpointer=InMemorySaver())
    out: Any = None
    for attempt in range(6):
        try:
            out = app.invoke({"log": []} if attempt == 0 else None, cfg(), durability=durability)
            break
        except RuntimeError:
            continue
    assert out == expected
    assert sorted(calls) == ["a", "b", "c", "d"]
