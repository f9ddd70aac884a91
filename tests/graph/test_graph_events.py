"""``astream_events`` of a compiled graph: graph, node, chat-model, tool and custom events."""

from __future__ import annotations

from typing import Any

import pytest
from typing_extensions import TypedDict

from actorgraph.config import get_stream_writer
from actorgraph.graph import START, StateGraph
from actorgraph.graph.state import CompiledStateGraph
from actorgraph.messages import AIMessage, AIMessageChunk
from actorgraph.runnables import (
    Run,
    RunHandler,
    RunnableLambda,
    adispatch_custom_event,
)
from actorgraph.testing import FakeChatModel

pytestmark = pytest.mark.anyio


class State(TypedDict):
    x: str


def _graph(model: FakeChatModel) -> CompiledStateGraph[Any]:
    async def call(state: State) -> dict[str, str]:
        reply = await model.ainvoke(state["x"])  # no config: inherited from the node
        await adispatch_custom_event("progress", {"pct": 50})
        get_stream_writer()({"written": True})
        return {"x": str(reply.content)}

    def post(state: State) -> dict[str, str]:
        return {"x": state["x"] + "!"}

    builder = StateGraph(State)
    builder.add_node("call", call).add_node("post", post)
    builder.add_edge(START, "call")
    builder.add_edge("call", "post")
    return builder.compile()


async def _events(graph: Any, input: Any, **kwargs: Any) -> list[dict[str, Any]]:
    return [event async for event in graph.astream_events(input, **kwargs)]


async def test_node_and_graph_events_have_the_documented_shapes() -> None:
    events = await _events(_graph(FakeChatModel(["hello big world"])), {"x": "hi"})
    root = events[0]
    assert root["event"] == "on_chain_start"
    assert root["name"] == "LangGraph"
    assert root["parent_ids"] == []
    assert root["data"] == {"input": {"x": "hi"}}
    assert events[-1]["event"] == "on_chain_end"
    assert events[-1]["data"]["output"] == {"x": "hello big world!"}
    stream = [e["data"]["chunk"] for e in events if e["event"] == "on_chain_stream"]
    assert stream == [{"call": {"x": "hello big world"}}, {"post": {"x": "hello big world!"}}]

    starts = {e["name"]: e for e in events if e["event"] == "on_chain_start"}
    node = starts["call"]
    assert node["parent_ids"] == [root["run_id"]]
    assert node["tags"] == ["graph:step:1"]
    meta = node["metadata"]
    assert meta["langgraph_node"] == "call"
    assert meta["langgraph_step"] == 1
    assert meta["langgraph_triggers"] == ("branch:to:call",)
    assert meta["langgraph_path"] == ("__pregel_pull", "call")
    assert meta["checkpoint_ns"] == meta["langgraph_checkpoint_ns"]
    assert meta["checkpoint_ns"].startswith("call:")
    assert starts["post"]["metadata"]["langgraph_step"] == 2
    ends = {e["name"]: e for e in events if e["event"] == "on_chain_end"}
    assert ends["call"]["data"]["output"] == {"x": "hello big world"}


async def test_chat_model_events_inside_a_node() -> None:
    events = await _events(_graph(FakeChatModel(["hello big world"])), {"x": "hi"})
    node_id = next(e["run_id"] for e in events if e["name"] == "call")
    model = [e for e in events if e["event"].startswith("on_chat_model")]
    assert [e["event"] for e in model] == [
        "on_chat_model_start",
        "on_chat_model_stream",
        "on_chat_model_stream",
        "on_chat_model_stream",
        "on_chat_model_end",
    ]
    assert all(e["name"] == "FakeChatModel" for e in model)
    assert model[0]["parent_ids"][-1] == node_id
    assert model[0]["data"] == {"input": "hi"}
    assert model[0]["metadata"]["langgraph_node"] == "call"
    assert model[0]["metadata"]["ls_model_type"] == "chat"
    tokens = [e["data"]["chunk"] for e in model[1:-1]]
    assert all(isinstance(t, AIMessageChunk) for t in tokens)
    assert "".join(str(t.content) for t in tokens) == "hello big world"
    end = model[-1]["data"]["output"]
    assert isinstance(end, AIMessage)
    assert end.content == "hello big world"


async def test_custom_events_from_dispatch_and_the_stream_writer() -> None:
    events = await _events(_graph(FakeChatModel(["x"])), {"x": "hi"})
    node_id = next(e["run_id"] for e in events if e["name"] == "call")
    custom = [e for e in events if e["event"] == "on_custom_event"]
    assert [(e["name"], e["data"]) for e in custom] == [
        ("progress", {"pct": 50}),
        ("custom", {"written": True}),
    ]
    assert all(e["run_id"] == node_id for e in custom)  # the run that dispatched it
    # The stream-writer chunk is an event, not a chunk of the default stream.
    stream = [e["data"]["chunk"] for e in events if e["event"] == "on_chain_stream"]
    assert {"written": True} not in stream


async def test_filters_and_custom_mode_requested() -> None:
    graph = _graph(FakeChatModel(["a b"]))
    names = [e["name"] for e in await _events(graph, {"x": "hi"}, include_names=["post"])]
    assert names == ["post", "post"]
    graph = _graph(FakeChatModel(["a b"]))
    events = await _events(graph, {"x": "hi"}, stream_mode=["custom", "updates"])
    stream = [e["data"]["chunk"] for e in events if e["event"] == "on_chain_stream"]
    assert ("custom", {"written": True}) in stream
    assert ("updates", {"post": {"x": "a b!"}}) in stream


async def test_tool_events_and_a_graph_inside_a_chain() -> None:
    def lookup(args: dict[str, str]) -> str:
        """Look the weather up."""
        return f"sunny in {args['city']}"

    tool = RunnableLambda(lookup).as_tool(name="weather", arg_types={"city": str})

    async def use_tool(state: State) -> dict[str, str]:
        return {"x": await tool.ainvoke({"city": state["x"]})}

    builder = StateGraph(State)
    builder.add_node("use_tool", use_tool)
    builder.add_edge(START, "use_tool")
    graph = builder.compile(name="weather_graph")
    chain = RunnableLambda(lambda city: {"x": city}) | graph
    events = await _events(chain, "SF")
    kinds = [(e["event"], e["name"]) for e in events]
    assert ("on_chain_start", "weather_graph") in kinds
    assert ("on_tool_start", "weather") in kinds
    tool_end = next(e for e in events if e["event"] == "on_tool_end")
    assert tool_end["data"]["output"] == "sunny in SF"
    assert events[-1]["data"]["output"] == {"x": "sunny in SF"}


async def test_subgraph_nodes_report_under_the_parent_node() -> None:
    inner_builder = StateGraph(State)
    inner_builder.add_node("inner", lambda s: {"x": s["x"] + "-inner"})
    inner_builder.add_edge(START, "inner")
    inner = inner_builder.compile(name="inner_graph")

    async def outer(state: State) -> dict[str, str]:
        get_stream_writer()("from outer")
        return dict(await inner.ainvoke(state))

    builder = StateGraph(State)
    builder.add_node("outer", outer)
    builder.add_edge(START, "outer")
    events = await _events(builder.compile(), {"x": "a"})
    by_name = {e["name"]: e for e in events if e["event"] == "on_chain_start"}
    outer_id = by_name["outer"]["run_id"]
    assert by_name["inner_graph"]["parent_ids"][-1] == outer_id
    assert by_name["inner"]["parent_ids"][-2] == outer_id
    assert events[-1]["data"]["output"] == {"x": "a-inner"}


async def test_handlers_in_the_config_see_node_runs() -> None:
    seen: list[tuple[str, str]] = []

    class Recorder(RunHandler):
        async def on_run_start(self, run: Run) -> None:
            seen.append(("start", run.name))

        async def on_run_end(self, run: Run) -> None:
            seen.append(("end", run.name))

    graph = _graph(FakeChatModel(["ok"]))
    assert await graph.ainvoke({"x": "q"}, {"callbacks": [Recorder()]}) == {"x": "ok!"}
    assert seen[0] == ("start", "LangGraph")
    assert ("start", "call") in seen
    assert ("end", "FakeChatModel") in seen
    assert seen[-1] == ("end", "LangGraph")


async def test_errors_are_reported_and_raised() -> None:
    failures: list[str] = []

    class Recorder(RunHandler):
        async def on_run_error(self, run: Run) -> None:
            failures.append(run.name)

    def boom(state: State) -> dict[str, str]:
        raise KeyError("missing")

    builder = StateGraph(State)
    builder.add_node("boom", boom)
    builder.add_edge(START, "boom")
    graph = builder.compile()
    with pytest.raises(KeyError):
        await _events(graph, {"x": "a"}, config={"callbacks": [Recorder()]})
    assert failures == ["boom", "LangGraph"]


class _Names(RunHandler):
    def __init__(self) -> None:
        self.started: list[str] = []
        self.ended: list[str] = []

    async def on_run_start(self, run: Run) -> None:
        self.started.append(run.name)

    async def on_run_end(self, run: Run) -> None:
        self.ended.append(run.name)


def test_sync_faces_report_observed_runs() -> None:
    handler = _Names()
    graph = _graph(FakeChatModel(["one", "two"]))
    assert graph.invoke({"x": "q"}, {"callbacks": [handler]}) == {"x": "one!"}
    assert handler.started[0] == "LangGraph"
    assert handler.ended[-1] == "LangGraph"
    handler = _Names()
    chunks = list(graph.stream({"x": "q"}, {"callbacks": [handler]}))
    assert chunks == [{"call": {"x": "two"}}, {"post": {"x": "two!"}}]
    assert handler.started == ["LangGraph", "call", "FakeChatModel", "post"]


async def test_observed_streams_in_a_block_and_broken_off() -> None:
    handler = _Names()
    graph = _graph(FakeChatModel(["one", "two"]))
    async with graph.astream({"x": "q"}, {"callbacks": [handler]}) as stream:
        chunks = [chunk async for chunk in stream]
    assert chunks == [{"call": {"x": "one"}}, {"post": {"x": "one!"}}]
    assert handler.ended[-1] == "LangGraph"
    handler = _Names()
    stream = graph.astream({"x": "q"}, {"callbacks": [handler]}, stream_mode="values")
    assert await stream.__anext__() == {"x": "q"}
    await stream.aclose()
    assert "LangGraph" not in handler.ended  # stopped, not finished


async def test_observed_subgraph_streams_with_namespaces() -> None:
    inner_builder = StateGraph(State)
    inner_builder.add_node("inner", lambda s: {"x": s["x"] + "-inner"})
    inner_builder.add_edge(START, "inner")
    builder = StateGraph(State)
    builder.add_node("outer", inner_builder.compile())
    builder.add_edge(START, "outer")
    graph = builder.compile()
    chunks = [
        chunk
        async for chunk in graph.astream(
            {"x": "a"}, {"callbacks": [_Names()]}, subgraphs=True, stream_mode="updates"
        )
    ]
    assert chunks[-1] == ((), {"outer": {"x": "a-inner"}})
    assert any(ns and ns[0].startswith("outer:") for ns, _ in chunks)
