"""Stream modes, the two ways to consume astream, sync portals and backpressure."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from typing_extensions import TypedDict

from actorgraph.actors.pregel._stream import STREAM_BUFFER
from actorgraph.config import get_stream_writer
from actorgraph.graph import START, StateGraph
from actorgraph.graph.state import CompiledStateGraph
from actorgraph.types import StreamWriter

pytestmark = pytest.mark.anyio


class Topic(TypedDict):
    topic: str
    joke: str


async def refine_topic(state: Topic) -> dict[str, Any]:
    return {"topic": state["topic"] + " and cats"}


async def generate_joke(state: Topic, writer: StreamWriter) -> dict[str, Any]:
    writer({"custom_key": "Streaming custom data while generating a joke"})
    return {"joke": f"This is a joke about {state['topic']}"}


def _jokes() -> CompiledStateGraph[Topic]:
    graph = StateGraph(Topic).add_node(refine_topic).add_node(generate_joke)
    return graph.add_edge(START, "refine_topic").add_edge("refine_topic", "generate_joke").compile()


async def test_stream_defaults_to_updates() -> None:
    chunks = [c async for c in _jokes().astream({"topic": "ice cream"})]
    assert chunks == [
        {"refine_topic": {"topic": "ice cream and cats"}},
        {"generate_joke": {"joke": "This is a joke about ice cream and cats"}},
    ]


async def test_values_mode() -> None:
    chunks = [c async for c in _jokes().astream({"topic": "ice cream"}, stream_mode="values")]
    assert chunks == [
        {"topic": "ice cream"},
        {"topic": "ice cream and cats"},
        {"topic": "ice cream and cats", "joke": "This is a joke about ice cream and cats"},
    ]


async def test_custom_mode_and_multiple_modes() -> None:
    app = _jokes()
    custom = [c async for c in app.astream({"topic": "x"}, stream_mode="custom")]
    assert custom == [{"custom_key": "Streaming custom data while generating a joke"}]
    both = [c async for c in app.astream({"topic": "x"}, stream_mode=["custom", "updates"])]
    assert both == [
        ("updates", {"refine_topic": {"topic": "x and cats"}}),
        ("custom", {"custom_key": "Streaming custom data while generating a joke"}),
        ("updates", {"generate_joke": {"joke": "This is a joke about x and cats"}}),
    ]


async def test_writer_is_a_no_op_without_custom_mode() -> None:
    assert await _jokes().ainvoke({"topic": "x"}) == {
        "topic": "x and cats",
        "joke": "This is a joke about x and cats",
    }


def helper_that_reports(progress: int) -> None:
    get_stream_writer()({"progress": progress})


class X(TypedDict):
    x: int


async def test_get_stream_writer_from_called_code_and_sync_nodes() -> None:
    def node(state: X) -> dict[str, Any]:
        helper_that_reports(50)
        get_stream_writer()("plain")
        return {"x": 1}

    app = StateGraph(X).add_node("c", node).add_edge(START, "c").compile()
    chunks = [c async for c in app.astream({"x": 0}, stream_mode=["custom", "updates"])]
    assert chunks == [
        ("custom", {"progress": 50}),
        ("custom", "plain"),
        ("updates", {"c": {"x": 1}}),
    ]


async def test_invoke_with_a_stream_mode_returns_the_chunks() -> None:
    app = _jokes()
    assert await app.ainvoke({"topic": "a"}, stream_mode="updates") == [
        {"refine_topic": {"topic": "a and cats"}},
        {"generate_joke": {"joke": "This is a joke about a and cats"}},
    ]


async def test_tasks_and_debug_modes() -> None:
    app = _jokes()
    tasks = [c async for c in app.astream({"topic": "a"}, stream_mode="tasks")]
    assert [sorted(t) for t in tasks[:2]] == [
        ["id", "input", "name", "triggers"],
        ["error", "id", "interrupts", "name", "result"],
    ]
    assert tasks[0]["name"] == "refine_topic"
    assert tasks[0]["triggers"] == ("branch:to:refine_topic",)
    assert tasks[1]["result"] == {"topic": "a and cats"}
    assert tasks[0]["id"] == tasks[1]["id"]
    debug = [c async for c in app.astream({"topic": "a"}, stream_mode="debug")]
    assert [d["type"] for d in debug] == ["task", "task_result", "task", "task_result"]
    assert [d["step"] for d in debug] == [1, 1, 2, 2]
    assert all("timestamp" in d and "payload" in d for d in debug)


async def test_producer_mode_streams_live_and_closes_cleanly() -> None:
    started = anyio.Event()
    release = anyio.Event()

    async def slow(state: X, writer: StreamWriter) -> dict[str, Any]:
        writer("before")
        started.set()
        await release.wait()
        return {"x": 1}

    app = StateGraph(X).add_node(slow).add_edge(START, "slow").compile()
    async with app.astream({"x": 0}, stream_mode=["custom", "updates"]) as stream:
        first = await stream.__anext__()
        assert first == ("custom", "before")
        assert started.is_set()
        release.set()
        rest = [chunk async for chunk in stream]
    assert rest == [("updates", {"slow": {"x": 1}})]


async def test_producer_mode_leaving_early_cancels_the_run() -> None:
    cancelled = False

    async def forever(state: X, writer: StreamWriter) -> None:
        nonlocal cancelled
        writer("tick")
        try:
            await anyio.sleep_forever()
        except anyio.get_cancelled_exc_class():
            cancelled = True
            raise

    app = StateGraph(X).add_node(forever).add_edge(START, "forever").compile()
    with anyio.fail_after(2):
        async with app.astream({"x": 0}, stream_mode="custom") as stream:
            async for chunk in stream:
                assert chunk == "tick"
                break
    assert cancelled


async def test_producer_mode_reraises_node_errors() -> None:
    async def bad(state: X) -> None:
        raise KeyError("oops")

    app = StateGraph(X).add_node(bad).add_edge(START, "bad").compile()

    async def consume() -> None:
        async with app.astream({"x": 0}) as stream:
            async for _ in stream:
                pass

    with pytest.raises(KeyError, match="oops"):
        await consume()


async def test_slow_consumer_slows_the_run() -> None:
    ran: list[str] = []

    def chatty(name: str) -> Any:
        async def node(state: X, writer: StreamWriter) -> dict[str, Any]:
            ran.append(name)
            for i in range(STREAM_BUFFER + 36):
                writer(i)
            return {"x": state["x"] + 1}

        return node

    graph = StateGraph(X)
    for name in "abc":
        graph.add_node(name, chatty(name))
    graph.add_edge(START, "a").add_edge("a", "b").add_edge("b", "c")
    async with graph.compile().astream({"x": 0}, stream_mode="custom") as stream:
        await anyio.sleep(0.05)
        # Nobody has read: the run waits after the first node's chunks (a
        # buffer's worth buffered, the rest held by that node's task).
        assert ran == ["a"]
        chunks = [c async for c in stream]
    assert len(chunks) == 3 * (STREAM_BUFFER + 36)
    assert ran == ["a", "b", "c"]


async def test_producer_sink_from_worker_threads() -> None:
    def threaded(state: X, writer: StreamWriter) -> dict[str, Any]:
        for i in range(100):
            writer(i)
        return {"x": 1}

    app = StateGraph(X).add_node(threaded).add_edge(START, "threaded").compile()
    async with app.astream({"x": 0}, stream_mode="custom") as stream:
        chunks = [c async for c in stream]
    assert chunks == list(range(100))


async def test_pull_mode_aclose() -> None:
    stream = _jokes().astream({"topic": "a"})
    assert await stream.__anext__() == {"refine_topic": {"topic": "a and cats"}}
    await stream.aclose()
    with pytest.raises(StopAsyncIteration):
        await stream.__anext__()


async def test_subgraph_namespaces() -> None:
    sub = StateGraph(X)
    sub.add_node("sub1", lambda s: {"x": s["x"] + 1}).add_node("sub2", lambda s: {"x": s["x"] + 1})
    sub.add_edge(START, "sub1").add_edge("sub1", "sub2")
    parent = StateGraph(X).add_node("p1", lambda s: {"x": s["x"] + 1})
    parent.add_node("child", sub.compile()).add_edge(START, "p1").add_edge("p1", "child")
    app = parent.compile()
    chunks = [c async for c in app.astream({"x": 0}, subgraphs=True)]
    assert [(ns[0].split(":")[0] if ns else "", data) for ns, data in chunks] == [
        ("", {"p1": {"x": 1}}),
        ("child", {"sub1": {"x": 2}}),
        ("child", {"sub2": {"x": 3}}),
        ("", {"child": {"x": 3}}),
    ]
    plain = [c async for c in app.astream({"x": 0})]
    assert plain == [{"p1": {"x": 1}}, {"child": {"x": 3}}]
    triples = [c async for c in app.astream({"x": 0}, stream_mode=["values"], subgraphs=True)]
    assert triples[0] == ((), "values", {"x": 0})


def test_sync_stream_portal_and_early_close() -> None:
    app = _jokes()
    assert next(iter(app.stream({"topic": "a"}, stream_mode="updates"))) == {
        "refine_topic": {"topic": "a and cats"}
    }
    gen = app.stream({"topic": "a"})
    assert next(gen) == {"refine_topic": {"topic": "a and cats"}}
    gen.close()


def test_sync_batch() -> None:
    assert _jokes().batch([{"topic": "a"}])[0]["joke"] == "This is a joke about a and cats"


async def test_sync_faces_refuse_a_running_loop() -> None:
    app = _jokes()
    with pytest.raises(RuntimeError, match="ainvoke"):
        app.invoke({"topic": "a"})
    with pytest.raises(RuntimeError, match="astream"):
        app.stream({"topic": "a"})
    with pytest.raises(RuntimeError, match="running"):
        app.batch([{"topic": "a"}])


def test_sync_stream_is_live() -> None:
    import threading

    release = threading.Event()

    def waits(state: X, writer: StreamWriter) -> dict[str, Any]:
        writer("before")
        # Only a live stream lets the consumer see "before" and release us.
        assert release.wait(5)
        return {"x": 1}

    app = StateGraph(X).add_node(waits).add_edge(START, "waits").compile()
    gen = app.stream({"x": 0}, stream_mode=["custom", "updates"])
    assert next(gen) == ("custom", "before")
    release.set()
    assert list(gen) == [("updates", {"waits": {"x": 1}})]


async def test_a_failed_pull_stream_ends() -> None:
    async def bad(state: X) -> None:
        raise KeyError("once")

    app = StateGraph(X).add_node(bad).add_edge(START, "bad").compile()
    stream = app.astream({"x": 0})
    with pytest.raises(KeyError, match="once"):
        await stream.__anext__()
    with pytest.raises(StopAsyncIteration):
        await stream.__anext__()


async def test_producer_errors_surface_even_unread() -> None:
    async def bad(state: X) -> None:
        raise KeyError("unread")

    app = StateGraph(X).add_node(bad).add_edge(START, "bad").compile()

    async def enter_and_wait() -> None:
        async with app.astream({"x": 0}):
            await anyio.sleep(0.05)

    with pytest.raises(KeyError, match="unread"):
        await enter_and_wait()
