"""Subgraphs under a checkpointer: namespaces, deep interrupts, per-thread memory."""

from __future__ import annotations

import operator
from typing import Annotated, Any

import pytest
from typing_extensions import TypedDict

from actorgraph.graph import END, START, StateGraph
from actorgraph.types import Command, interrupt
from tests.durable.graphs import cfg

pytestmark = pytest.mark.anyio


class S(TypedDict):
    log: str


def build(saver: Any, calls: dict[str, int], *, sub_checkpointer: Any = None) -> Any:
    def count(name: str) -> None:
        calls[name] = calls.get(name, 0) + 1

    def c1(state: S) -> dict[str, Any]:
        count("c1")
        return {"log": state["log"] + "|c1"}

    def c2(state: S) -> dict[str, Any]:
        count("c2")
        return {"log": state["log"] + f"|c2={interrupt('deep?')}"}

    sub = StateGraph(S)
    sub.add_node("c1", c1).add_node("c2", c2)
    sub.add_edge(START, "c1").add_edge("c1", "c2").add_edge("c2", END)
    child = sub.compile(checkpointer=sub_checkpointer)

    def p1(state: S) -> dict[str, Any]:
        count("p1")
        return {"log": state["log"] + "|p1"}

    graph = StateGraph(S)
    graph.add_node("p1", p1).add_node("child", child)
    graph.add_edge(START, "p1").add_edge("p1", "child").add_edge("child", END)
    return graph.compile(checkpointer=saver)


async def test_deep_interrupt_resumes_inside_the_subgraph(saver: Any) -> None:
    calls: dict[str, int] = {}
    app = build(saver, calls)
    first = await app.ainvoke({"log": ""}, cfg())
    assert first["__interrupt__"][0].value == "deep?"
    snap = await app.aget_state(cfg(), subgraphs=True)
    assert snap.next == ("child",)
    inner = snap.tasks[0].state
    assert inner.values == {"log": "|p1|c1"}
    assert inner.next == ("c2",)
    assert inner.tasks[0].interrupts == tuple(first["__interrupt__"])
    assert snap.interrupts == tuple(first["__interrupt__"])
    ns = inner.config["configurable"]["checkpoint_ns"]
    assert ns.startswith("child:")
    assert inner.metadata["parents"] == {"": snap.config["configurable"]["checkpoint_id"]}
    # The subgraph's own state can be read with its namespace.
    direct = await app.aget_state({"configurable": {"thread_id": "1", "checkpoint_ns": ns}})
    assert direct.values == inner.values
    plain = await app.aget_state(cfg())
    # Without subgraphs=True the task's state is a config that reads the subgraph's state.
    assert plain.tasks[0].state == {"configurable": {"thread_id": "1", "checkpoint_ns": ns}}
    assert (await app.aget_state(plain.tasks[0].state)).values == inner.values
    out = await app.ainvoke(Command(resume="yes"), cfg())
    assert out == {"log": "|p1|c1|c2=yes"}
    # Resumed at c2: c1 (inside) and p1 (outside) did not run again.
    assert calls == {"p1": 1, "c1": 1, "c2": 2}
    # The namespace is stable: resume reused it (no second namespace appeared).
    namespaces = {t.config["configurable"]["checkpoint_ns"] async for t in saver.alist(None)}
    assert namespaces == {"", ns}


async def test_subgraph_called_inside_a_node(saver: Any) -> None:
    calls: dict[str, int] = {}

    class Outer(TypedDict):
        answer: str

    inner = build(None, calls).builder.nodes["child"].action

    def node(state: Outer) -> dict[str, Any]:
        return {"answer": inner.invoke({"log": "start"})["log"]}

    graph = StateGraph(Outer)
    graph.add_node("node", node).add_edge(START, "node").add_edge("node", END)
    app = graph.compile(checkpointer=saver)
    first = await app.ainvoke({"answer": ""}, cfg())
    assert first["__interrupt__"][0].value == "deep?"
    out = await app.ainvoke(Command(resume="ok"), cfg())
    assert out == {"answer": "start|c1|c2=ok"}
    assert calls == {"c1": 1, "c2": 2}


async def test_checkpointer_true_keeps_subgraph_memory_per_thread(saver: Any) -> None:
    class Count(TypedDict):
        n: Annotated[int, operator.add]

    sub = StateGraph(Count)
    sub.add_node("inc", lambda s: {"n": 1}).add_edge(START, "inc").add_edge("inc", END)
    child = sub.compile(checkpointer=True)

    class Outer(TypedDict):
        seen: int

    async def node(state: Outer) -> dict[str, Any]:
        return {"seen": (await child.ainvoke({"n": 0}))["n"]}

    graph = StateGraph(Outer)
    graph.add_node("node", node).add_edge(START, "node").add_edge("node", END)
    app = graph.compile(checkpointer=saver)
    assert (await app.ainvoke({"seen": 0}, cfg()))["seen"] == 1
    assert (await app.ainvoke({"seen": 0}, cfg()))["seen"] == 2
    assert (await app.ainvoke({"seen": 0}, cfg("other")))["seen"] == 1
    namespaces = {t.config["configurable"]["checkpoint_ns"] async for t in saver.alist(cfg())}
    assert "node" in namespaces


async def test_checkpoints_stream_mode(saver: Any) -> None:
    app = build(saver, {})
    events = [
        chunk
        async for mode, chunk in app.astream(
            {"log": ""}, cfg(), stream_mode=["checkpoints", "updates"]
        )
        if mode == "checkpoints"
    ]
    assert [(e["metadata"]["source"], e["metadata"]["step"]) for e in events] == [
        ("input", -1),
        ("loop", 0),
        ("loop", 1),
    ]
    assert events[1]["next"] == ("p1",)
    assert events[2]["parent_config"] == events[1]["config"]
    assert events[2]["values"] == {"log": "|p1"}


async def test_replay_before_a_subgraph_runs_it_again(saver: Any) -> None:
    calls: dict[str, int] = {}
    app = build(saver, calls)
    await app.ainvoke({"log": ""}, cfg())
    await app.ainvoke(Command(resume="one"), cfg())
    history = [s async for s in app.aget_state_history(cfg())]
    before_child = next(s for s in history if s.next == ("child",))
    again = await app.ainvoke(None, before_child.config)
    # The subgraph starts over on the new branch (c1 runs again) and asks again.
    assert again["__interrupt__"][0].value == "deep?"
    assert calls["c1"] == 2
    out = await app.ainvoke(Command(resume="two"), cfg())
    assert out == {"log": "|p1|c1|c2=two"}


async def test_a_node_calling_a_subgraph_twice_runs_it_twice(saver: Any) -> None:
    class Count(TypedDict):
        n: Annotated[int, operator.add]

    sub = StateGraph(Count)
    sub.add_node("inc", lambda s: {"n": 1}).add_edge(START, "inc").add_edge("inc", END)
    child = sub.compile()

    class Outer(TypedDict):
        got: list[int]

    async def node(state: Outer) -> dict[str, Any]:
        first = await child.ainvoke({"n": 10})
        second = await child.ainvoke({"n": 20})
        return {"got": [first["n"], second["n"]]}

    graph = StateGraph(Outer)
    graph.add_node("node", node).add_edge(START, "node").add_edge("node", END)
    app = graph.compile(checkpointer=saver)
    assert (await app.ainvoke({"got": []}, cfg()))["got"] == [11, 21]


async def test_debug_mode_shows_checkpoints_and_aclose_flushes(saver: Any) -> None:
    app = build(saver, {})
    events = [e async for e in app.astream({"log": ""}, cfg(), stream_mode="debug")]
    kinds = [(e["type"], e["payload"].get("metadata", {}).get("source")) for e in events]
    assert kinds[:3] == [("checkpoint", "input"), ("checkpoint", "loop"), ("task", None)]
    stream = app.astream({"log": ""}, cfg("2"), stream_mode="debug", durability="exit")
    first = await stream.__anext__()
    assert first["type"] == "task"
    await stream.aclose()
    # Leaving the stream early still wrote the state the run reached.
    assert (await app.aget_state(cfg("2"))).next == ("child",)


async def test_time_travel_into_a_subgraph_checkpoint(saver: Any) -> None:
    calls: dict[str, int] = {}
    app = build(saver, calls)
    first = await app.ainvoke({"log": ""}, cfg())
    await app.ainvoke(Command(resume="one"), cfg())
    ns = (await _child_ns(saver))[0]
    child = {"configurable": {"thread_id": "1", "checkpoint_ns": ns}}
    history = [s async for s in app.aget_state_history(child)]
    before_c2 = next(s for s in history if s.next == ("c2",))
    # Replaying from the subgraph's checkpoint re-runs c2 only, not p1 nor c1.
    again = await app.ainvoke(None, before_c2.config)
    assert again["__interrupt__"] == first["__interrupt__"]
    assert calls == {"p1": 1, "c1": 1, "c2": 3}
    out = await app.ainvoke(Command(resume="two"), cfg())
    assert out == {"log": "|p1|c1|c2=two"}


async def _child_ns(saver: Any) -> list[str]:
    return sorted(
        {t.config["configurable"]["checkpoint_ns"] async for t in saver.alist(None)} - {""}
    )
