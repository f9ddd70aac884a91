"""Cancelling runs, output_keys, node metadata."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from typing_extensions import TypedDict

from actorgraph.config import RunnableConfig
from actorgraph.graph import START, StateGraph
from actorgraph.graph.state import CompiledStateGraph

pytestmark = pytest.mark.anyio


class S(TypedDict):
    a: str
    b: str


def _slow_pair(started: list[str], cancelled: list[str]) -> CompiledStateGraph[S]:
    def branch(name: str) -> Any:
        async def node(state: S) -> dict[str, Any]:
            started.append(name)
            try:
                await anyio.sleep(10)
            except anyio.get_cancelled_exc_class():
                cancelled.append(name)
                raise
            return {name: name}

        return node

    graph = StateGraph(S).add_node("a", branch("a")).add_node("b", branch("b"))
    return graph.add_edge(START, "a").add_edge(START, "b").compile()


async def test_cancelling_ainvoke_cancels_every_task_of_the_step() -> None:
    started: list[str] = []
    cancelled: list[str] = []
    app = _slow_pair(started, cancelled)
    with anyio.move_on_after(0.05) as scope:
        await app.ainvoke({"a": "", "b": ""})
    assert scope.cancelled_caught
    assert sorted(started) == ["a", "b"]
    assert sorted(cancelled) == ["a", "b"]


async def test_cancelling_a_pull_stream_consumer() -> None:
    started: list[str] = []
    cancelled: list[str] = []
    app = _slow_pair(started, cancelled)
    stream = app.astream({"a": "", "b": ""})
    with anyio.move_on_after(0.05):
        await stream.__anext__()
    assert sorted(cancelled) == ["a", "b"]
    await stream.aclose()


async def test_cancelling_a_single_inline_task() -> None:
    cancelled: list[str] = []

    async def slow(state: S) -> None:
        try:
            await anyio.sleep(10)
        except anyio.get_cancelled_exc_class():
            cancelled.append("slow")
            raise

    app = StateGraph(S).add_node(slow).add_edge(START, "slow").compile()
    with anyio.move_on_after(0.05):
        await app.ainvoke({"a": ""})
    assert cancelled == ["slow"]


async def test_output_keys() -> None:
    graph = StateGraph(S).add_node("n", lambda s: {"b": "B"}).add_edge(START, "n")
    app = graph.compile()
    assert await app.ainvoke({"a": "A"}, output_keys=["b"]) == {"b": "B"}
    assert await app.ainvoke({"a": "A"}, output_keys="a") == {"a": "A"}
    chunks = [c async for c in app.astream({"a": "A"}, stream_mode="values", output_keys=["b"])]
    assert chunks == [{"b": "B"}]
    with pytest.raises(ValueError, match="'nope'"):
        await app.ainvoke({"a": "A"}, output_keys=["nope"])


async def test_node_metadata_reaches_the_config() -> None:
    seen: list[Any] = []

    def node(state: S, config: RunnableConfig) -> None:
        seen.append(config["metadata"])

    graph = StateGraph(S).add_node("n", node, metadata={"team": "red"}).add_edge(START, "n")
    await graph.compile().ainvoke({"a": ""}, {"metadata": {"user": "u"}})
    assert seen[0]["team"] == "red"
    assert seen[0]["user"] == "u"
    assert seen[0]["langgraph_node"] == "n"


async def test_durability_values_are_checked() -> None:
    app = StateGraph(S).add_node("n", lambda s: None).add_edge(START, "n").compile()
    for durability in ("sync", "async", "exit"):
        assert await app.ainvoke({"a": "x"}, durability=durability) == {"a": "x"}
    with pytest.raises(ValueError, match="durability"):
        await app.ainvoke({"a": "x"}, durability="sometimes")
    with pytest.raises(ValueError, match="durability"):
        app.astream({"a": "x"}, durability="never")


async def test_max_concurrency_under_configurable_is_honoured() -> None:
    in_flight = 0
    peak = 0

    async def node(state: S) -> None:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await anyio.sleep(0.01)
        in_flight -= 1

    graph = StateGraph(S).add_node("a", node).add_node("b", node).add_node("c", node)
    graph.add_edge(START, "a").add_edge(START, "b").add_edge(START, "c")
    await graph.compile().ainvoke({"a": ""}, {"configurable": {"max_concurrency": 1}})
    assert peak == 1


async def test_nothing_keeps_a_finished_run_alive() -> None:
    import gc
    import weakref

    from actorgraph.actors.pregel._task import CURRENT_TASK

    refs: list[weakref.ref[Any]] = []

    async def node(state: S) -> dict[str, Any]:
        task = CURRENT_TASK.get()
        assert task is not None
        refs.append(weakref.ref(task.run))
        return {"a": "done"}

    app = StateGraph(S).add_node(node).add_edge(START, "node").compile()
    assert await app.ainvoke({"a": ""}) == {"a": "done"}
    chunks = [c async for c in app.astream({"a": ""})]
    assert chunks == [{"node": {"a": "done"}}]
    del chunks
    gc.collect()
    assert [ref() for ref in refs] == [None, None]


def test_steps_are_structlog_events_once_configured(capsys: pytest.CaptureFixture[str]) -> None:
    import structlog
    from structlog.testing import capture_logs

    app = StateGraph(S).add_node("n", lambda s: {"a": "x"}).add_edge(START, "n").compile()
    assert not structlog.is_configured()
    app.invoke({"a": ""})
    assert capsys.readouterr() == ("", "")
    try:
        with capture_logs() as events:
            app.invoke({"a": ""})
    finally:
        structlog.reset_defaults()
    (step,) = [e for e in events if e["event"] == "run.step"]
    assert step["nodes"] == ("n",)
    assert step["step"] == 1
    assert step["log_level"] == "debug"
