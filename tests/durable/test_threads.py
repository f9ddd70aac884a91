"""Checkpoints at the input step and after every superstep; threads continue."""

from __future__ import annotations

import itertools
from typing import Any

import msgspec
import pytest

from actorgraph.channels import Overwrite
from actorgraph.errors import CheckpointError, CheckpointNotFoundError, EmptyInputError
from actorgraph.graph import END, START, StateGraph
from actorgraph.messages import AIMessage, HumanMessage
from actorgraph.store.checkpoint import new_checkpoint_id
from actorgraph.types import StateSnapshot
from tests.durable.graphs import Chat, cfg, chain

pytestmark = pytest.mark.anyio


async def history(app: Any, config: Any, **kw: Any) -> list[StateSnapshot]:
    return [s async for s in app.aget_state_history(config, **kw)]


async def test_checkpoints_of_a_two_node_run(saver: Any) -> None:
    app = chain(saver)
    out = await app.ainvoke({"foo": "", "bar": []}, cfg())
    assert out == {"foo": "b", "bar": ["a", "b"]}
    hist = await history(app, cfg())
    assert [(s.metadata["source"], s.metadata["step"]) for s in hist] == [
        ("loop", 2),
        ("loop", 1),
        ("loop", 0),
        ("input", -1),
    ]
    assert [s.next for s in hist] == [(), ("b",), ("a",), ("__start__",)]
    assert hist[0].values == {"foo": "b", "bar": ["a", "b"]}
    assert hist[1].values == {"foo": "a", "bar": ["a"]}
    assert hist[2].values == {"foo": "", "bar": []}
    assert hist[3].values == {"bar": []}
    assert hist[3].parent_config is None
    for newer, older in itertools.pairwise(hist):
        assert newer.parent_config == older.config
        assert newer.config["configurable"]["checkpoint_ns"] == ""
    ids = [s.config["configurable"]["checkpoint_id"] for s in hist]
    assert ids == sorted(ids, reverse=True)
    assert hist[1].tasks[0].name == "b"
    assert hist[1].tasks[0].path == ("__pregel_pull", "b")
    latest = await app.aget_state(cfg())
    assert latest.values == hist[0].values
    assert latest.next == ()
    older = await app.aget_state(cfg(checkpoint_id=ids[1]))
    assert older.values == hist[1].values
    assert older.next == ("b",)


async def test_history_filter_before_limit(saver: Any) -> None:
    app = chain(saver)
    await app.ainvoke({"foo": "", "bar": []}, cfg())
    hist = await history(app, cfg())
    assert len(await history(app, cfg(), limit=2)) == 2
    assert [s.metadata["step"] for s in await history(app, cfg(), filter={"source": "input"})] == [
        -1
    ]
    below = await history(app, cfg(), before=hist[1].config)
    assert [s.metadata["step"] for s in below] == [0, -1]


async def test_second_input_continues_the_thread_and_threads_are_isolated(saver: Any) -> None:
    app = chain(saver)
    await app.ainvoke({"foo": "", "bar": []}, cfg())
    out = await app.ainvoke({"foo": "x"}, cfg())
    assert out == {"foo": "b", "bar": ["a", "b", "a", "b"]}
    steps = [(s.metadata["source"], s.metadata["step"]) for s in await history(app, cfg())]
    assert steps[:4] == [("loop", 6), ("loop", 5), ("loop", 4), ("input", 3)]
    other = await app.ainvoke({"foo": "", "bar": []}, cfg("2"))
    assert other == {"foo": "b", "bar": ["a", "b"]}


async def test_invoke_none_continues_and_fresh_thread_is_an_error(saver: Any) -> None:
    calls: dict[str, int] = {}
    app = chain(saver, calls)
    with pytest.raises(EmptyInputError, match="thread '1'"):
        await app.ainvoke(None, cfg())
    await app.ainvoke({"foo": "", "bar": []}, cfg(), interrupt_after=["a"])
    assert calls == {"a": 1}
    out = await app.ainvoke(None, cfg())
    assert out == {"foo": "b", "bar": ["a", "b"]}
    assert calls == {"a": 1, "b": 1}
    # A finished thread continued with None just returns its state.
    assert await app.ainvoke(None, cfg()) == out
    assert calls == {"a": 1, "b": 1}


async def test_checkpointer_needs_a_thread_id(saver: Any) -> None:
    with pytest.raises(CheckpointError, match="thread_id"):
        await chain(saver).ainvoke({"foo": "", "bar": []})


async def test_unknown_checkpoint_id_is_an_error_and_writes_nothing(saver: Any) -> None:
    app = chain(saver)
    await app.ainvoke({"foo": "", "bar": []}, cfg())
    before = len(await history(app, cfg()))
    bad = cfg(checkpoint_id="00000000-0000-7000-8000-000000000000")
    with pytest.raises(CheckpointNotFoundError, match="no checkpoint"):
        await app.ainvoke(None, bad)
    with pytest.raises(CheckpointNotFoundError):
        await app.aget_state(bad)
    with pytest.raises(CheckpointNotFoundError):
        await app.aupdate_state(bad, {"foo": "x"})
    assert len(await history(app, cfg())) == before


@pytest.mark.parametrize("durability", ["sync", "async", "exit"])
async def test_durability_modes(saver: Any, durability: str) -> None:
    app = chain(saver)
    out = await app.ainvoke({"foo": "", "bar": []}, cfg(), durability=durability)
    assert out == {"foo": "b", "bar": ["a", "b"]}
    hist = await history(app, cfg())
    if durability == "exit":
        assert len(hist) == 1
    else:
        assert len(hist) == 4
    assert hist[0].values == out
    assert hist[0].metadata["step"] == 2


async def test_exit_durability_saves_where_a_failure_stopped(saver: Any) -> None:
    calls: dict[str, int] = {}
    fail = {"on": True}
    from actorgraph.graph import END, START, StateGraph
    from tests.durable.graphs import State

    def a(state: State) -> dict[str, Any]:
        calls["a"] = calls.get("a", 0) + 1
        return {"bar": ["a"]}

    def b(state: State) -> dict[str, Any]:
        if fail["on"]:
            raise ValueError("b failed")
        return {"bar": ["b"]}

    graph = StateGraph(State)
    graph.add_node("a", a).add_node("b", b)
    graph.add_edge(START, "a").add_edge("a", "b").add_edge("b", END)
    app = graph.compile(checkpointer=saver)
    with pytest.raises(ValueError, match="b failed"):
        await app.ainvoke({"foo": "", "bar": []}, cfg(), durability="exit")
    snap = await app.aget_state(cfg())
    assert snap.next == ("b",)
    assert snap.values["bar"] == ["a"]
    assert snap.tasks[0].error is not None
    fail["on"] = False
    assert (await app.ainvoke(None, cfg()))["bar"] == ["a", "b"]
    assert calls == {"a": 1}


async def test_sync_faces(saver: Any) -> None:
    app = chain(saver)
    with pytest.raises(RuntimeError, match="event loop"):
        app.get_state(cfg())


async def test_checkpoint_of_a_newer_format_is_refused(saver: Any) -> None:
    app = chain(saver)
    await app.ainvoke({"foo": "", "bar": []}, cfg())
    latest = await saver.aget_tuple(cfg())
    newer = msgspec.structs.replace(latest.checkpoint, id=new_checkpoint_id(), v=99)
    await saver.aput(latest.config, newer, {"source": "loop", "step": 3}, {})
    count = len(await history(app, cfg()))
    with pytest.raises(CheckpointError, match="newer than this actorgraph"):
        await app.ainvoke(None, cfg())
    with pytest.raises(CheckpointError, match="format 99"):
        await app.aupdate_state(cfg(), {"foo": "x"})
    assert len(await history(app, cfg())) == count


async def test_checkpoint_saved_is_logged(saver: Any) -> None:
    from structlog.testing import capture_logs

    with capture_logs() as logs:
        await chain(saver).ainvoke({"foo": "", "bar": []}, cfg(), durability="sync")
    saved = [e for e in logs if e["event"] == "checkpoint.saved"]
    assert [(e["source"], e["step"]) for e in saved] == [
        ("input", -1),
        ("loop", 0),
        ("loop", 1),
        ("loop", 2),
    ]


async def test_overwrite_and_messages_are_checkpointed(saver: Any) -> None:
    def reply(state: Chat) -> dict[str, Any]:
        return {"xs": Overwrite([9]), "messages": [AIMessage("hi")]}

    graph = StateGraph(Chat)
    graph.add_node("reply", reply).add_edge(START, "reply").add_edge("reply", END)
    app = graph.compile(checkpointer=saver)
    out = await app.ainvoke({"xs": [1], "messages": [HumanMessage("yo")]}, cfg())
    snap = await app.aget_state(cfg())
    assert snap.values == out
    assert out["xs"] == [9]
    assert [m.content for m in out["messages"]] == ["yo", "hi"]
    again = await app.ainvoke({"messages": [HumanMessage("again")]}, cfg())
    assert len({m.id for m in again["messages"]}) == 4
