"""A run shares the compiled graph's channels until it writes them, and never leaks.

Runs of one compiled graph start from the same prototype channels: a run reads
an untouched channel from the graph itself and copies it the first time it
changes it. These tests pin down that no write of a run reaches another run,
the compiled graph or another thread's checkpoints.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any

import anyio
import pytest
from typing_extensions import TypedDict

from actorgraph.actors.pregel._run import RunChannels, RunSupervisor
from actorgraph.actors.pregel._task import CURRENT_TASK
from actorgraph.channels import LastValue
from actorgraph.graph import END, START, StateGraph
from actorgraph.graph.state import CompiledStateGraph
from actorgraph.store import InMemorySaver, RunnableConfig
from actorgraph.types import Send

pytestmark = pytest.mark.anyio


class State(TypedDict, total=False):
    items: Annotated[list[str], operator.add]
    tag: str
    unused: str


def _current_run() -> RunSupervisor:
    task = CURRENT_TASK.get()
    assert task is not None
    return task.run


def _graph(gate: Any = None, seen: dict[str, list[str]] | None = None, **compile: Any) -> Any:
    async def first(state: State) -> dict[str, Any]:
        if gate is not None:
            await gate(state["tag"])
        return {"items": [state["tag"] + "1"]}

    def fan(state: State) -> list[Send]:
        return [Send("second", {"tag": state["tag"], "items": []})]

    async def second(state: State) -> dict[str, Any]:
        return {"items": [state["tag"] + "2"]}

    async def last(state: State) -> dict[str, Any]:
        if seen is not None:
            seen[state["tag"]] = list(state["items"])
        return {"tag": state["tag"]}

    builder = StateGraph(State)
    builder.add_node("first", first)
    builder.add_node("second", second)
    builder.add_node("last", last)
    builder.add_edge(START, "first")
    builder.add_conditional_edges("first", fan, ["second"])
    builder.add_edge("second", "last")
    builder.add_edge("last", END)
    return builder.compile(**compile)


def _prototypes(graph: CompiledStateGraph[Any]) -> dict[str, tuple[str, Any, bool]]:
    return {
        key: (type(channel).__name__, channel.checkpoint(), channel.is_available())
        for key, channel in graph.spec.channels.items()
    }


async def test_concurrent_runs_never_see_each_others_writes() -> None:
    arrived: list[str] = []
    both = anyio.Event()

    async def gate(tag: str) -> None:
        # Both runs are inside the same node of the same graph at once.
        arrived.append(tag)
        if len(arrived) == 2:
            both.set()
        await both.wait()

    seen: dict[str, list[str]] = {}
    graph = _graph(gate, seen)
    results: dict[str, Any] = {}

    async def one(tag: str) -> None:
        results[tag] = await graph.ainvoke({"items": [tag], "tag": tag})

    async with anyio.create_task_group() as group:
        for tag in ("a", "b"):
            group.start_soon(one, tag)
    assert results == {
        "a": {"items": ["a", "a1", "a2"], "tag": "a"},
        "b": {"items": ["b", "b1", "b2"], "tag": "b"},
    }
    assert seen == {"a": ["a", "a1", "a2"], "b": ["b", "b1", "b2"]}


async def test_a_run_never_changes_the_compiled_graphs_channels() -> None:
    graph = _graph()
    before = _prototypes(graph)
    assert await graph.ainvoke({"items": ["x"], "tag": "t"}) == {
        "items": ["x", "t1", "t2"],
        "tag": "t",
    }
    chunks = [chunk async for chunk in graph.astream({"tag": "u"}, stream_mode="values")]
    assert chunks[-1] == {"items": ["u1", "u2"], "tag": "u"}
    assert _prototypes(graph) == before
    # A later run starts from the same empty state.
    assert await graph.ainvoke({"tag": "v"}) == {"items": ["v1", "v2"], "tag": "v"}


async def test_untouched_channels_are_read_from_the_graph_not_copied() -> None:
    runs: list[RunSupervisor] = []

    async def gate(tag: str) -> None:
        runs.append(_current_run())

    graph = _graph(gate)
    out = await graph.ainvoke({"tag": "t"})
    assert "unused" not in out
    (run,) = runs
    channels = run.channels
    assert isinstance(channels, RunChannels)
    # Read (by the output and the planner) but never written: still the graph's own.
    assert "unused" not in channels
    assert channels.read("unused") is graph.spec.channels["unused"]
    # Written: the run's own copy, which the graph never sees.
    assert channels.read("tag") is channels["tag"]
    assert channels["tag"] is not graph.spec.channels["tag"]
    assert channels["tag"].get() == "t"
    assert not graph.spec.channels["tag"].is_available()


async def test_taking_a_channel_for_writing_copies_it_once() -> None:
    prototype: LastValue[int] = LastValue(int, "n")
    channels = RunChannels({"n": prototype})
    assert channels.read("n") is prototype
    own = channels["n"]
    assert own is not prototype
    assert channels["n"] is own
    assert channels.read("n") is own
    own.update([5])
    assert own.get() == 5
    assert not prototype.is_available()
    with pytest.raises(KeyError):
        channels.read("missing")


async def test_checkpointed_threads_stay_independent() -> None:
    graph = _graph(checkpointer=InMemorySaver())
    before = _prototypes(graph)
    one: RunnableConfig = {"configurable": {"thread_id": "one"}}
    two: RunnableConfig = {"configurable": {"thread_id": "two"}}
    assert (await graph.ainvoke({"items": ["x"], "tag": "a"}, one))["items"] == ["x", "a1", "a2"]
    assert (await graph.ainvoke({"items": ["y"], "tag": "b"}, two))["items"] == ["y", "b1", "b2"]
    # Thread one continues from its own checkpoint, untouched by thread two's run.
    again = await graph.ainvoke({"items": ["z"], "tag": "c"}, one)
    assert again["items"] == ["x", "a1", "a2", "z", "c1", "c2"]
    state = await graph.aget_state(two)
    assert state.values == {"items": ["y", "b1", "b2"], "tag": "b"}
    assert _prototypes(graph) == before
