"""Bad input gets a clear error naming the node, key and value type."""

from __future__ import annotations

import operator
from typing import Annotated, Any

import anyio
import pytest
from typing_extensions import TypedDict

from actorgraph.config import get_config, get_store, get_stream_writer
from actorgraph.errors import EmptyInputError, InvalidUpdateError
from actorgraph.graph import END, START, StateGraph
from actorgraph.graph.state import CompiledStateGraph
from actorgraph.runtime import get_runtime
from actorgraph.types import Command, Overwrite, Send, interrupt

pytestmark = pytest.mark.anyio


class S(TypedDict):
    foo: str


def _one(node: Any, **edges: Any) -> CompiledStateGraph[S]:
    graph = StateGraph(S).add_node("node", node).add_edge(START, "node")
    return graph.compile()


@pytest.mark.parametrize("value", [5, "text", [1, 2], object()])
async def test_node_returning_a_non_dict(value: Any) -> None:
    with pytest.raises(InvalidUpdateError, match="Expected dict") as info:
        await _one(lambda s: value).ainvoke({"foo": ""})
    message = str(info.value)
    assert "'node'" in message
    assert type(value).__name__ in message
    assert "INVALID_GRAPH_NODE_RETURN_VALUE" in message


async def test_write_to_an_unknown_key() -> None:
    with pytest.raises(InvalidUpdateError, match="unknown key 'bar'") as info:
        await _one(lambda s: {"bar": 1}).ainvoke({"foo": ""})
    assert "'node'" in str(info.value)
    assert "int" in str(info.value)


async def test_bad_command_update() -> None:
    with pytest.raises(InvalidUpdateError, match="Command"):
        await _one(lambda s: Command(update=5)).ainvoke({"foo": ""})


async def test_router_returning_an_unknown_node() -> None:
    graph = StateGraph(S).add_node("a", lambda s: None).add_edge(START, "a")
    graph.add_conditional_edges("a", lambda s: "nowhere")
    with pytest.raises(InvalidUpdateError, match="'nowhere'") as info:
        await graph.compile().ainvoke({"foo": ""})
    assert "node 'a'" in str(info.value)


async def test_router_answer_missing_from_path_map() -> None:
    graph = StateGraph(S).add_node("a", lambda s: None).add_edge(START, "a")
    graph.add_conditional_edges("a", lambda s: "maybe", {"yes": END})
    with pytest.raises(InvalidUpdateError, match="path_map"):
        await graph.compile().ainvoke({"foo": ""})


async def test_router_returning_a_non_name() -> None:
    graph = StateGraph(S).add_node("a", lambda s: None).add_edge(START, "a")
    graph.add_conditional_edges("a", lambda s: 42)
    with pytest.raises(InvalidUpdateError, match="returned int"):
        await graph.compile().ainvoke({"foo": ""})


async def test_goto_and_send_to_unknown_nodes() -> None:
    with pytest.raises(InvalidUpdateError, match="'ghost'"):
        await _one(lambda s: Command(goto="ghost")).ainvoke({"foo": ""})
    with pytest.raises(InvalidUpdateError, match="Send"):
        await _one(lambda s: Command(goto=Send("ghost", {}))).ainvoke({"foo": ""})


async def test_goto_end_is_allowed() -> None:
    assert await _one(lambda s: Command(update={"foo": "x"}, goto=END)).ainvoke({"foo": ""}) == {
        "foo": "x"
    }


async def test_input_with_unknown_key_or_wrong_type() -> None:
    app = _one(lambda s: None)
    with pytest.raises(InvalidUpdateError, match="'nope'"):
        await app.ainvoke({"nope": 1})
    with pytest.raises(InvalidUpdateError, match="Expected a dict"):
        await app.ainvoke(42)


async def test_empty_input() -> None:
    with pytest.raises(EmptyInputError, match="no input"):
        await _one(lambda s: None).ainvoke(None)


async def test_resume_without_checkpointer() -> None:
    with pytest.raises(InvalidUpdateError, match="checkpointer"):
        await _one(lambda s: None).ainvoke(Command(resume="yes"))


async def test_parent_command_at_the_top_level() -> None:
    with pytest.raises(InvalidUpdateError, match="no parent"):
        await _one(lambda s: Command(graph=Command.PARENT, goto="x")).ainvoke({"foo": ""})
    graph = StateGraph(S).add_node("a", lambda s: Command(graph=Command.PARENT))
    graph.add_node("b", lambda s: None).add_edge(START, "a").add_edge(START, "b")
    with pytest.raises(InvalidUpdateError, match="no parent"):
        await graph.compile().ainvoke({"foo": ""})


async def test_two_overwrites_in_one_step() -> None:
    class M(TypedDict):
        messages: Annotated[list[str], operator.add]

    graph = StateGraph(M)
    graph.add_node("a", lambda s: {"messages": Overwrite(["a"])})
    graph.add_node("b", lambda s: {"messages": Overwrite(["b"])})
    graph.add_edge(START, "a").add_edge(START, "b")
    with pytest.raises(InvalidUpdateError, match="'a' and 'b'"):
        await graph.compile().ainvoke({"messages": []})


async def test_overwrite_bypasses_the_reducer() -> None:
    class M(TypedDict):
        messages: Annotated[list[str], operator.add]

    graph = StateGraph(M).add_node("add", lambda s: {"messages": ["first message"]})
    graph.add_node("replace", lambda s: {"messages": Overwrite(["replacement message"])})
    graph.add_edge(START, "add").add_edge("add", "replace")
    app = graph.compile()
    assert (await app.ainvoke({"messages": ["initial"]}))["messages"] == ["replacement message"]
    graph2 = StateGraph(M).add_node("replace", lambda s: {"messages": {"__overwrite__": ["j"]}})
    app2 = graph2.add_edge(START, "replace").compile()
    assert (await app2.ainvoke({"messages": ["initial"]}))["messages"] == ["j"]


async def test_interrupt_surfaces_in_the_result_and_stream() -> None:
    def ask(state: S) -> dict[str, Any]:
        answer = interrupt("what is your age?")
        return {"foo": answer}

    app = _one(ask)
    out = await app.ainvoke({"foo": ""})
    (pending,) = out["__interrupt__"]
    assert pending.value == "what is your age?"
    assert len(pending.id) == 32
    chunks = [c async for c in app.astream({"foo": ""})]
    assert [list(c) for c in chunks] == [["__interrupt__"]]
    assert [i.value for i in chunks[0]["__interrupt__"]] == ["what is your age?"]


def test_helpers_outside_a_run() -> None:
    for helper in (get_config, get_stream_writer, get_store, get_runtime):
        with pytest.raises(RuntimeError, match="outside of a runnable context"):
            helper()
    with pytest.raises(RuntimeError, match="outside"):
        interrupt("x")


async def test_parallel_interrupts_in_task_order_and_siblings_stream() -> None:
    class L(TypedDict):
        log: Annotated[list[str], operator.add]

    async def ask_late(state: L) -> dict[str, Any]:
        await anyio.sleep(0.02)
        return {"log": [interrupt("first by name")]}

    async def ask_now(state: L) -> dict[str, Any]:
        return {"log": [interrupt("second by name")]}

    async def fine(state: L) -> dict[str, Any]:
        return {"log": ["fine"]}

    graph = StateGraph(L).add_node("a", ask_late).add_node("b", ask_now).add_node("c", fine)
    graph.add_edge(START, "a").add_edge(START, "b").add_edge(START, "c")
    app = graph.compile()
    out = await app.ainvoke({"log": []})
    assert [i.value for i in out["__interrupt__"]] == ["first by name", "second by name"]
    chunks = [c async for c in app.astream({"log": []})]
    assert chunks[0] == {"c": {"log": ["fine"]}}
    assert list(chunks[1]) == ["__interrupt__"]


async def test_an_interrupt_inside_a_subgraph_pauses_the_parent() -> None:
    def ask(state: S) -> dict[str, Any]:
        return {"foo": interrupt("from the child")}

    child = StateGraph(S).add_node(ask).add_edge(START, "ask").compile()

    async def calls_child(state: S) -> Any:
        return await child.ainvoke(state)

    parent = StateGraph(S).add_node("as_node", child).add_node(calls_child)
    parent.add_edge(START, "as_node").add_edge(START, "calls_child")
    out = await parent.compile().ainvoke({"foo": ""})
    assert [i.value for i in out["__interrupt__"]] == ["from the child", "from the child"]
    assert out["foo"] == ""


async def test_unknown_run_options_are_refused_by_name() -> None:
    graph = _one(lambda s: {"foo": "x"})
    with pytest.raises(TypeError, match=r"ainvoke\(\).*'stream_modes'"):
        await graph.ainvoke({"foo": ""}, stream_modes="values")
    with pytest.raises(TypeError, match=r"astream\(\).*'interupt_before'"):
        graph.astream({"foo": ""}, interupt_before=["node"])
    with pytest.raises(TypeError, match=r"durability="):
        await graph.ainvoke({"foo": ""}, checkpoint_during=False)


def test_unknown_run_options_are_refused_by_the_sync_faces() -> None:
    graph = _one(lambda s: {"foo": "x"})
    with pytest.raises(TypeError, match=r"invoke\(\).*'contxt'"):
        graph.invoke({"foo": ""}, contxt={})
    with pytest.raises(TypeError, match=r"stream\(\).*'outputs'"):
        graph.stream({"foo": ""}, outputs=["foo"])


async def test_langgraph_print_options_are_taken() -> None:
    graph = _one(lambda s: {"foo": "x"})
    assert await graph.ainvoke({"foo": ""}, debug=False, print_mode=()) == {"foo": "x"}


def test_langgraph_print_options_are_taken_by_the_sync_faces() -> None:
    graph = _one(lambda s: {"foo": "x"})
    assert graph.invoke({"foo": ""}, subgraphs=True) == {"foo": "x"}
