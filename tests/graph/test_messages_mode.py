"""MessagesState graphs and the ``messages`` stream mode (tokens with metadata)."""

from __future__ import annotations

import operator
import uuid
from typing import Annotated, Any

import anyio
import pytest
from typing_extensions import TypedDict

from actorgraph.config import RunnableConfig
from actorgraph.graph import END, START, MessagesState, StateGraph
from actorgraph.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from actorgraph.testing import FakeChatModel
from actorgraph.types import Command, Overwrite

pytestmark = pytest.mark.anyio

first_run = uuid.UUID("00000000-0000-4000-8000-000000000001")


async def test_hello_world_messages_state() -> None:
    def mock_llm(state: MessagesState) -> dict[str, Any]:
        return {"messages": [{"role": "ai", "content": "hello world"}]}

    graph = StateGraph(MessagesState).add_node(mock_llm)
    graph.add_edge(START, "mock_llm").add_edge("mock_llm", END)
    out = await graph.compile().ainvoke({"messages": [{"role": "user", "content": "hi!"}]})
    assert [m.type for m in out["messages"]] == ["human", "ai"]
    assert [m.content for m in out["messages"]] == ["hi!", "hello world"]
    assert all(m.id for m in out["messages"])


async def test_message_ids_follow_the_run() -> None:
    def reply(state: MessagesState) -> dict[str, Any]:
        return {"messages": [AIMessage("hello")]}

    app = StateGraph(MessagesState).add_node(reply).add_edge(START, "reply").compile()
    first = await app.ainvoke({"messages": "hi"})
    again = await app.ainvoke({"messages": "hi"}, {"run_id": first_run})
    same = await app.ainvoke({"messages": "hi"}, {"run_id": first_run})
    assert [m.id for m in again["messages"]] == [m.id for m in same["messages"]]
    assert {m.id for m in first["messages"]}.isdisjoint(m.id for m in again["messages"])


async def test_carrying_state_across_runs_keeps_every_message() -> None:
    def reply(state: MessagesState) -> dict[str, Any]:
        return {"messages": [AIMessage(f"reply {len(state['messages'])}")]}

    app = StateGraph(MessagesState).add_node(reply).add_edge(START, "reply").compile()
    state = await app.ainvoke({"messages": [HumanMessage("one")]})
    state = await app.ainvoke({"messages": [*state["messages"], HumanMessage("two")]})
    assert [m.content for m in state["messages"]] == ["one", "reply 1", "two", "reply 3"]


class Joke(TypedDict):
    topic: str
    joke: str


async def test_messages_mode_streams_tokens_with_metadata() -> None:
    model = FakeChatModel(["Why did the ice cream cross the road"])

    async def call_model(state: Joke) -> dict[str, Any]:
        reply = await model.ainvoke([HumanMessage(f"joke about {state['topic']}")])
        return {"joke": reply.content}

    app = StateGraph(Joke).add_node(call_model).add_edge(START, "call_model").compile()
    chunks = [c async for c in app.astream({"topic": "ice cream"}, stream_mode="messages")]
    assert len(chunks) > 1
    assert (
        "".join(str(chunk.content) for chunk, _ in chunks) == "Why did the ice cream cross the road"
    )
    assert all(isinstance(chunk, AIMessageChunk) for chunk, _ in chunks)
    meta = chunks[0][1]
    assert meta["langgraph_node"] == "call_model"
    assert meta["langgraph_step"] == 1
    assert meta["ls_model_type"] == "chat"


async def test_messages_mode_live_from_sync_nodes_and_filters_by_node_and_tags() -> None:
    joke_model = FakeChatModel(["a b c"], tags=["joke"])
    poem_model = FakeChatModel(["x y z"], tags=["poem"])

    def write_joke(state: Joke, config: RunnableConfig) -> dict[str, Any]:
        return {"joke": joke_model.invoke("joke", config).content}

    async def write_poem(state: Joke) -> dict[str, Any]:
        await poem_model.ainvoke("poem")
        return {}

    graph = StateGraph(Joke).add_node(write_joke).add_node(write_poem)
    graph.add_edge(START, "write_joke").add_edge(START, "write_poem")
    app = graph.compile()
    async with app.astream({"topic": "t"}, stream_mode=["messages", "updates"]) as stream:
        chunks = [c async for c in stream]
    tokens = [payload for mode, payload in chunks if mode == "messages"]
    poem = "".join(str(c.content) for c, m in tokens if m["langgraph_node"] == "write_poem")
    joke = "".join(str(c.content) for c, m in tokens if m["tags"] == ["joke"])
    assert poem == "x y z"
    assert joke == "a b c"


async def test_messages_returned_by_nodes_appear_once() -> None:
    model = FakeChatModel(["streamed"])

    async def agent(state: MessagesState) -> dict[str, Any]:
        return {"messages": [await model.ainvoke(state["messages"])]}

    def tool(state: MessagesState) -> dict[str, Any]:
        return {"messages": [ToolMessage("tool says hi", tool_call_id="c1", id="t1")]}

    graph = StateGraph(MessagesState).add_node(agent).add_node(tool)
    graph.add_edge(START, "agent").add_edge("agent", "tool")
    chunks = [c async for c in graph.compile().astream({"messages": "hi"}, stream_mode="messages")]
    contents = [(type(m).__name__, m.content) for m, _ in chunks]
    assert contents == [("AIMessageChunk", "streamed"), ("ToolMessage", "tool says hi")]


async def test_messages_from_a_subgraph_reach_the_parent() -> None:
    model = FakeChatModel(["deep token"])

    async def inner(state: Joke) -> dict[str, Any]:
        await model.ainvoke("x")
        return {"joke": "done"}

    child = StateGraph(Joke).add_node(inner).add_edge(START, "inner").compile()
    parent = StateGraph(Joke).add_node("child", child).add_edge(START, "child").compile()
    with anyio.fail_after(5):
        chunks = [c async for c in parent.astream({"topic": "t"}, stream_mode="messages")]
    assert "".join(str(c.content) for c, _ in chunks) == "deep token"
    assert chunks[0][1]["langgraph_node"] == "inner"


def test_sync_node_calling_a_subgraph_with_invoke() -> None:
    class S(TypedDict):
        x: int

    child = StateGraph(S).add_node("inc", lambda s: {"x": s["x"] + 1}).add_edge(START, "inc")
    compiled_child = child.compile()

    def outer(state: S) -> dict[str, Any]:
        return {"x": compiled_child.invoke({"x": state["x"]})["x"] * 10}

    parent = StateGraph(S).add_node(outer).add_edge(START, "outer").compile()
    assert parent.invoke({"x": 1}) == {"x": 20}
    assert parent.batch([{"x": 2}]) == [{"x": 30}]


def test_sync_invoke_runs_lone_sync_nodes_in_the_calling_thread() -> None:
    import threading

    class T(TypedDict):
        where: Annotated[list[str], operator.add]

    model = FakeChatModel(["one", "two"])
    here = threading.get_ident()

    def which() -> str:
        return "caller" if threading.get_ident() == here else "worker"

    def lone(state: T) -> dict[str, Any]:
        # Sync faces work inside: a chat model and a whole graph.
        reply = model.invoke("hi")
        inner = StateGraph(T).add_node("i", lambda s: {"where": [which()]}).add_edge(START, "i")
        nested = inner.compile().invoke({"where": []})["where"]
        return {"where": [which(), str(reply.content), *nested]}

    def fan(state: T) -> dict[str, Any]:
        return {"where": [which()]}

    graph = StateGraph(T).add_node(lone).add_node("f1", fan).add_node("f2", fan)
    graph.add_edge(START, "lone").add_edge("lone", "f1").add_edge("lone", "f2")
    app = graph.compile()
    assert app.invoke({"where": []}) == {"where": ["caller", "one", "caller", "worker", "worker"]}


class NoReducer(TypedDict):
    messages: list[Any]
    extra_field: int


def test_plain_list_key_is_overwritten_and_add_messages_appends() -> None:
    def node(state: NoReducer) -> dict[str, Any]:
        return {"messages": [*state["messages"], AIMessage("Hello!")], "extra_field": 10}

    app = StateGraph(NoReducer).add_node(node).add_edge(START, "node").compile()
    out = app.invoke({"messages": [HumanMessage("Hi")]})
    assert [m.content for m in out["messages"]] == ["Hi", "Hello!"]
    assert out["extra_field"] == 10

    def appends(state: MessagesState) -> dict[str, Any]:
        return {"messages": [AIMessage("Hello!")]}

    app2 = StateGraph(MessagesState).add_node(appends).add_edge(START, "appends").compile()
    got = app2.invoke({"messages": [{"role": "user", "content": "Hi"}]})["messages"]
    assert [(m.type, m.content) for m in got] == [("human", "Hi"), ("ai", "Hello!")]


def test_add_messages_accepts_strings_tuples_and_single_messages() -> None:
    def tuple_node(state: MessagesState) -> dict[str, Any]:
        return {"messages": ("assistant", "Called node X")}

    def single_node(state: MessagesState) -> dict[str, Any]:
        return {"messages": AIMessage("x")}

    graph = StateGraph(MessagesState).add_sequence([tuple_node, single_node])
    app = graph.add_edge(START, "tuple_node").compile()
    got = app.invoke({"messages": "hi, my name is bob"})["messages"]
    assert [(m.type, m.content) for m in got] == [
        ("human", "hi, my name is bob"),
        ("ai", "Called node X"),
        ("ai", "x"),
    ]


def test_add_messages_replaces_by_id() -> None:
    def first(state: MessagesState) -> dict[str, Any]:
        return {"messages": [AIMessage("q1", id="m1"), AIMessage("other", id="m2")]}

    def second(state: MessagesState) -> dict[str, Any]:
        return {"messages": [AIMessage("q2", id="m1")]}

    app = StateGraph(MessagesState).add_sequence([first, second]).add_edge(START, "first")
    got = app.compile().invoke({"messages": []})["messages"]
    assert [(m.id, m.content) for m in got] == [("m1", "q2"), ("m2", "other")]


def _ids_of_b(with_sibling: bool) -> list[str | None]:
    def a(state: MessagesState) -> dict[str, Any]:
        return {"messages": [AIMessage("from a"), AIMessage("also a")]}

    def b(state: MessagesState) -> dict[str, Any]:
        return {"messages": [AIMessage("from b")]}

    graph = StateGraph(MessagesState).add_node(b).add_edge(START, "b")
    if with_sibling:
        graph.add_node(a).add_edge(START, "a")
    out = graph.compile().invoke({"messages": []}, {"run_id": first_run})["messages"]
    return [m.id for m in out if m.content == "from b"]


def test_invented_message_ids_depend_on_the_writing_task_only() -> None:
    alone = _ids_of_b(with_sibling=False)
    beside = _ids_of_b(with_sibling=True)
    assert alone == beside
    assert alone[0]


def test_two_writes_of_one_task_get_distinct_ids_and_the_stream_shows_values() -> None:
    def node(state: MessagesState) -> list[Command[Any]]:
        return [
            Command(update={"messages": [AIMessage("one")]}),
            Command(update={"messages": "two"}),
        ]

    def reset(state: MessagesState) -> dict[str, Any]:
        return {"messages": Overwrite([AIMessage("only", id="o")])}

    graph = StateGraph(MessagesState).add_node(node).add_node(reset).add_edge(START, "node")
    app = graph.compile()
    got = app.invoke({"messages": []})["messages"]
    assert [m.content for m in got] == ["one", "two"]
    assert len({m.id for m in got}) == 2
    updates = list(app.stream({"messages": []}))
    assert updates == [{"node": {"messages": "two"}}]
    app2 = graph.add_edge("node", "reset").compile()
    assert [m.id for m in app2.invoke({"messages": []})["messages"]] == ["o"]
