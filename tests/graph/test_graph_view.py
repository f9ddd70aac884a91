"""get_graph() drawings, and static breakpoints."""

from __future__ import annotations

import operator
from typing import Annotated, Any, Literal

import pytest
from typing_extensions import TypedDict

from actorgraph.graph import END, START, StateGraph
from actorgraph.types import Command


class S(TypedDict):
    log: Annotated[list[str], operator.add]


def a(state: S) -> dict[str, Any]:
    return {"log": ["a"]}


def b(state: S) -> Command[Literal["c", "__end__"]]:
    return Command(goto="c", update={"log": ["b"]})


def c(state: S) -> dict[str, Any]:
    return {"log": ["c"]}


def _graph() -> StateGraph[S]:
    graph = StateGraph(S).add_node(a).add_node(b).add_node(c).add_edge(START, "a")
    graph.add_conditional_edges("a", lambda s: len(s["log"]) < 3, {True: "b", False: END})
    graph.add_edge(["b", "c"], "a")
    return graph


def test_mermaid_shape() -> None:
    text = _graph().compile().get_graph().draw_mermaid()
    lines = text.splitlines()
    assert lines[0] == "%%{init: {'flowchart': {'curve': 'linear'}}}%%"
    assert lines[1] == "graph TD;"
    assert lines[-3:] == [
        "\tclassDef default fill:#f2f0ff,line-height:1.2",
        "\tclassDef first fill-opacity:0",
        "\tclassDef last fill:#bfb6fc",
    ]
    assert "\t__start__ --> a;" in lines
    assert "\tb -.-> c;" in lines
    assert "\tb -.-> __end__;" in lines
    assert any("True" in line and line.endswith("b;") for line in lines)


def test_router_without_destinations_may_go_anywhere() -> None:
    graph = StateGraph(S).add_node(a).add_node(c).add_edge(START, "a")
    graph.add_conditional_edges("a", lambda s: "c")
    drawing = graph.compile().get_graph()
    assert {(e.source, e.target) for e in drawing.edges if e.conditional} == {
        ("a", "a"),
        ("a", "c"),
        ("a", END),
    }
    assert "__end__" in drawing.draw_ascii()


def test_graph_without_end_edges_has_no_end_node() -> None:
    drawing = StateGraph(S).add_node(a).add_edge(START, "a").compile().get_graph()
    assert list(drawing.nodes) == [START, "a"]


def test_graph_runs_as_drawn() -> None:
    assert _graph().compile().invoke({"log": []}) == {"log": ["a", "b", "c", "a"]}


@pytest.mark.anyio
async def test_interrupt_before_and_after_stop_the_run() -> None:
    app = _graph().compile(interrupt_before=["c"])
    assert await app.ainvoke({"log": []}) == {"log": ["a", "b"]}
    after = _graph().compile(interrupt_after="b")
    assert await after.ainvoke({"log": []}) == {"log": ["a", "b"]}
    everything = _graph().compile()
    assert await everything.ainvoke({"log": []}, interrupt_before="*") == {"log": []}


def test_xray_expands_subgraphs() -> None:
    class X(TypedDict):
        log: Annotated[list[str], operator.add]

    child = StateGraph(X).add_node("s1", a).add_node("s2", a)
    child.add_edge(START, "s1").add_edge("s1", "s2").add_edge("s2", END)
    parent = StateGraph(X).add_node("p", a).add_node("child", child.compile())
    parent.add_edge(START, "p").add_edge("p", "child").add_edge("child", END)
    app = parent.compile()
    flat = {(e.source, e.target) for e in app.get_graph().edges}
    assert ("p", "child") in flat
    deep = {(e.source, e.target) for e in app.get_graph(xray=True).edges}
    assert deep == {
        (START, "p"),
        ("p", "child:s1"),
        ("child:s1", "child:s2"),
        ("child:s2", END),
    }
    mermaid = app.get_graph(xray=1).draw_mermaid()
    assert "\tsubgraph child\n" in mermaid
    assert '("child:s1")' in mermaid
