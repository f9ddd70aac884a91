"""Interrupts: resume by order and by id, clear errors, stable ids, breakpoints, pending writes."""

from __future__ import annotations

import operator
from typing import Annotated, Any

import pytest
from typing_extensions import TypedDict

from actorgraph.errors import (
    InvalidUpdateError,
    ResumeError,
    SerializationError,
    UnknownNodeError,
)
from actorgraph.graph import END, START, StateGraph
from actorgraph.types import Command, interrupt
from tests.durable.graphs import State, asking, cfg, chain

pytestmark = pytest.mark.anyio


async def test_resume_answers_the_interrupt(saver: Any) -> None:
    calls: dict[str, int] = {}
    app = asking(saver, calls)
    first = await app.ainvoke({"foo": "", "bar": []}, cfg())
    (pause,) = first["__interrupt__"]
    assert pause.value == {"question": "foo?", "bar": ["a"]}
    snap = await app.aget_state(cfg())
    assert snap.next == ("ask",)
    assert snap.tasks[0].interrupts == (pause,)
    assert snap.interrupts == (pause,)
    out = await app.ainvoke(Command(resume="yes"), cfg())
    assert out == {"foo": "yes", "bar": ["a", "ask"]}
    # a is not re-run; ask re-runs from its start (code before the interrupt too).
    assert calls == {"a": 1, "ask": 2}


async def test_several_interrupts_in_one_node_are_matched_by_order(saver: Any) -> None:
    class Form(TypedDict):
        name: str
        age: int
        city: str

    def form(state: Form) -> dict[str, Any]:
        return {"name": interrupt("name?"), "age": interrupt("age?"), "city": interrupt("city?")}

    graph = StateGraph(Form)
    graph.add_node("form", form).add_edge(START, "form").add_edge("form", END)
    app = graph.compile(checkpointer=saver)
    seen = []
    result = await app.ainvoke({"name": ""}, cfg())
    for answer in ("Ann", 30, "Oslo"):
        (pause,) = result["__interrupt__"]
        seen.append(pause)
        snap = await app.aget_state(cfg())
        assert snap.next == ("form",)
        assert snap.interrupts == (pause,)
        result = await app.ainvoke(Command(resume=answer), cfg())
    assert [p.value for p in seen] == ["name?", "age?", "city?"]
    assert len({p.id for p in seen}) == 3
    assert result == {"name": "Ann", "age": 30, "city": "Oslo"}


def parallel(saver: Any, calls: dict[str, int]) -> Any:
    class Par(TypedDict):
        got: Annotated[list[str], operator.add]

    def make(name: str) -> Any:
        def node(state: Par) -> dict[str, Any]:
            calls[name] = calls.get(name, 0) + 1
            return {"got": [f"{name}={interrupt(name)}"]}

        return node

    graph = StateGraph(Par)
    graph.add_node("x", make("x")).add_node("y", make("y"))
    graph.add_edge(START, "x").add_edge(START, "y").add_edge("x", END).add_edge("y", END)
    return graph.compile(checkpointer=saver)


async def test_parallel_interrupts_resumed_all_at_once(saver: Any) -> None:
    calls: dict[str, int] = {}
    app = parallel(saver, calls)
    first = await app.ainvoke({"got": []}, cfg())
    ix, iy = first["__interrupt__"]
    assert ix.id != iy.id
    with pytest.raises(ResumeError, match="2 pending interrupts"):
        await app.ainvoke(Command(resume="v"), cfg())
    out = await app.ainvoke(Command(resume={ix.id: 1, iy.id: 2}), cfg())
    assert sorted(out["got"]) == ["x=1", "y=2"]


async def test_parallel_interrupts_resumed_one_by_one(saver: Any) -> None:
    calls: dict[str, int] = {}
    app = parallel(saver, calls)
    first = await app.ainvoke({"got": []}, cfg())
    ix, iy = first["__interrupt__"]
    second = await app.ainvoke(Command(resume={ix.id: 1}), cfg())
    assert second["__interrupt__"] == [iy]  # same id: stable across resume
    snap = await app.aget_state(cfg())
    assert snap.next == ("y",)
    assert snap.values == {"got": ["x=1"]}
    # y had no answer, so it did not run again.
    assert calls == {"x": 2, "y": 1}
    out = await app.ainvoke(Command(resume={iy.id: 2}), cfg())
    assert sorted(out["got"]) == ["x=1", "y=2"]
    # x finished on the first resume: its writes were kept, it did not run again.
    assert calls == {"x": 2, "y": 2}


async def test_resume_errors_write_nothing(saver: Any) -> None:
    app = chain(saver)
    with pytest.raises(ResumeError, match="no checkpoint"):
        await app.ainvoke(Command(resume=1), cfg())
    await app.ainvoke({"foo": "", "bar": []}, cfg())
    count = len(list(await _history(app)))
    with pytest.raises(ResumeError, match="not interrupted"):
        await app.ainvoke(Command(resume=1), cfg())
    asked = asking(saver)
    await asked.ainvoke({"foo": "", "bar": []}, cfg("2"))
    with pytest.raises(ResumeError, match="unknown interrupt ids"):
        await asked.ainvoke(Command(resume={"0" * 32: 1}), cfg("2"))
    assert len(list(await _history(app))) == count


async def _history(app: Any, thread: str = "1") -> list[Any]:
    return [s async for s in app.aget_state_history(cfg(thread))]


async def test_interrupt_ids_are_stable_across_replay(saver: Any) -> None:
    app = asking(saver)
    first = await app.ainvoke({"foo": "", "bar": []}, cfg())
    await app.ainvoke(Command(resume="yes"), cfg())
    hist = await _history(app)
    paused = next(s for s in hist if s.next == ("ask",))
    replay = await app.ainvoke(None, paused.config)
    assert replay["__interrupt__"][0].id == first["__interrupt__"][0].id
    # The earlier answer is not carried into the replay: it asks again.
    out = await app.ainvoke(Command(resume="again"), cfg())
    assert out["foo"] == "again"


async def test_static_breakpoints_and_edit_at_a_breakpoint(saver: Any) -> None:
    calls: dict[str, int] = {}
    app = chain(saver, calls, interrupt_before=["b"])
    first = await app.ainvoke({"foo": "", "bar": []}, cfg())
    assert first == {"foo": "a", "bar": ["a"]}
    assert (await app.aget_state(cfg())).next == ("b",)
    await app.aupdate_state(cfg(), {"bar": ["edited"]})
    out = await app.ainvoke(None, cfg())
    assert out == {"foo": "b", "bar": ["a", "edited", "b"]}
    assert calls == {"a": 1, "b": 1}
    star = chain(saver, interrupt_after="*")
    await star.ainvoke({"foo": "", "bar": []}, cfg("2"))
    assert (await star.aget_state(cfg("2"))).next == ("b",)
    await star.ainvoke(None, cfg("2"))
    assert (await star.aget_state(cfg("2"))).next == ()


async def test_breakpoints_at_invoke(saver: Any) -> None:
    app = chain(saver)
    await app.ainvoke({"foo": "", "bar": []}, cfg(), interrupt_before=["a"])
    assert (await app.aget_state(cfg())).next == ("a",)
    out = await app.ainvoke(None, cfg(), interrupt_before=["a"])
    assert out == {"foo": "b", "bar": ["a", "b"]}


async def test_successful_siblings_are_not_rerun_after_a_failure(saver: Any) -> None:
    class Par(TypedDict):
        got: Annotated[list[str], operator.add]

    calls = {"ok": 0, "bad": 0}

    def ok(state: Par) -> dict[str, Any]:
        calls["ok"] += 1
        return {"got": ["ok"]}

    def bad(state: Par) -> dict[str, Any]:
        calls["bad"] += 1
        if calls["bad"] == 1:
            raise ValueError("first call fails")
        return {"got": ["bad"]}

    graph = StateGraph(Par)
    graph.add_node("ok", ok).add_node("bad", bad)
    graph.add_edge(START, "ok").add_edge(START, "bad").add_edge("ok", END).add_edge("bad", END)
    app = graph.compile(checkpointer=saver)
    with pytest.raises(ValueError, match="first call fails"):
        await app.ainvoke({"got": []}, cfg())
    # The thread's state shows the finished sibling's writes; only bad is next.
    snap = await app.aget_state(cfg())
    assert snap.values == {"got": ["ok"]}
    assert snap.next == ("bad",)
    assert {t.name: t.error is not None for t in snap.tasks} == {"bad": True, "ok": False}
    # The checkpoint itself (read by id) is the state before the step.
    history = [s async for s in app.aget_state_history(cfg())]
    assert history[0].values == {"got": []}
    assert history[0].next == ("bad", "ok")
    out = await app.ainvoke(None, cfg())
    assert sorted(out["got"]) == ["bad", "ok"]
    assert calls == {"ok": 1, "bad": 2}


async def test_update_state_through_reducers_and_as_node(saver: Any) -> None:
    calls: dict[str, int] = {}
    app = chain(saver, calls)
    await app.ainvoke({"foo": "", "bar": []}, cfg())
    new = await app.aupdate_state(cfg(), {"foo": "u", "bar": ["u"]})
    assert new["configurable"]["checkpoint_id"] != ""
    snap = await app.aget_state(cfg())
    assert snap.values == {"foo": "u", "bar": ["a", "b", "u"]}
    assert snap.metadata["source"] == "update"
    with pytest.raises(UnknownNodeError, match="no node 'nope'"):
        await app.aupdate_state(cfg(), {"foo": "x"}, as_node="nope")
    assert (await app.aget_state(cfg())).config == snap.config
    fresh = chain(saver, calls)
    await fresh.aupdate_state(cfg("2"), {"foo": "start", "bar": []}, as_node="a")
    out = await fresh.ainvoke(None, cfg("2"))
    assert out == {"foo": "b", "bar": ["b"]}
    assert calls["a"] == 1


async def test_fork_and_replay_do_not_rerun_earlier_steps(saver: Any) -> None:
    calls: dict[str, int] = {}
    app = chain(saver, calls)
    await app.ainvoke({"foo": "", "bar": []}, cfg())
    hist = await _history(app)
    before_b = next(s for s in hist if s.next == ("b",))
    replayed = await app.ainvoke(None, before_b.config)
    assert replayed == {"foo": "b", "bar": ["a", "b"]}
    assert calls == {"a": 1, "b": 2}
    forked = await app.aupdate_state(before_b.config, {"foo": "fork"})
    out = await app.ainvoke(None, forked)
    assert out == {"foo": "b", "bar": ["a", "b"]}
    assert calls == {"a": 1, "b": 3}
    assert len(await _history(app)) > len(hist)


async def test_bulk_update_state(saver: Any) -> None:
    app = chain(saver)
    config = await app.abulk_update_state(
        cfg(), [[({"foo": "x", "bar": []}, "a")], [({"bar": ["y"]}, "b")]]
    )
    snap = await app.aget_state(config)
    assert snap.values == {"foo": "x", "bar": ["y"]}
    assert [s.metadata["source"] for s in await _history(app)] == ["update", "update"]


async def test_unserializable_write_names_node_key_and_type(saver: Any) -> None:
    class Thing:
        pass

    class Loose(TypedDict):
        foo: Any

    def bad(state: Loose) -> dict[str, Any]:
        return {"foo": Thing()}

    graph = StateGraph(Loose)
    graph.add_node("bad", bad).add_edge(START, "bad").add_edge("bad", END)
    app = graph.compile(checkpointer=saver)
    with pytest.raises(SerializationError, match="node 'bad' wrote 'foo' a value of type Thing"):
        await app.ainvoke({"foo": 1}, cfg())
    snap = await app.aget_state(cfg())
    assert snap.next == ("bad",)
    assert snap.values == {"foo": 1}


def test_sync_invoke_resume(saver: Any) -> None:
    app = asking(saver)
    first = app.invoke({"foo": "", "bar": []}, cfg())
    assert "__interrupt__" in first
    assert app.get_state(cfg()).next == ("ask",)
    assert app.invoke(Command(resume="ok"), cfg())["foo"] == "ok"
    assert len(list(app.get_state_history(cfg()))) == 4
    app.update_state(cfg(), {"foo": "z"})
    app.bulk_update_state(cfg(), [[({"foo": "w"}, "ask")]])
    assert app.get_state(cfg()).values["foo"] == "w"


_ = State


async def test_resume_with_update_and_goto(saver: Any) -> None:
    app = asking(saver)
    await app.ainvoke({"foo": "", "bar": []}, cfg())
    out = await app.ainvoke(Command(resume="r", update={"bar": ["u"]}), cfg())
    assert out == {"foo": "r", "bar": ["a", "u", "ask"]}
    calls: dict[str, int] = {}
    again = asking(saver, calls)
    await again.ainvoke({"foo": "", "bar": []}, cfg("2"))
    out = await again.ainvoke(Command(resume="r", goto="a"), cfg("2"))
    # The resumed ask finished with the answer, a ran beside it, then ask asked again.
    assert calls == {"a": 2, "ask": 3}
    assert out["foo"] == "r"
    assert out["__interrupt__"][0].value == {"question": "foo?", "bar": ["a", "a", "ask"]}


async def test_answers_are_not_carried_into_a_fork(saver: Any) -> None:
    app = asking(saver)
    await app.ainvoke({"foo": "", "bar": []}, cfg())
    assert (await app.ainvoke(Command(resume="first"), cfg()))["foo"] == "first"
    paused = next(s for s in await _history(app) if s.next == ("ask",))
    forked = await app.aupdate_state(paused.config, {"bar": ["fork"]}, as_node="a")
    again = await app.ainvoke(None, forked)
    assert again["__interrupt__"][0].value == {"question": "foo?", "bar": ["a", "fork"]}
    assert (await app.ainvoke(Command(resume="second"), cfg()))["foo"] == "second"


@pytest.mark.parametrize("durability", ["sync", "async", "exit"])
async def test_resume_in_every_durability(saver: Any, durability: str) -> None:
    calls: dict[str, int] = {}
    app = asking(saver, calls)
    await app.ainvoke({"foo": "", "bar": []}, cfg(), durability=durability)
    out = await app.ainvoke(Command(resume="ok"), cfg(), durability=durability)
    assert out == {"foo": "ok", "bar": ["a", "ask"]}
    assert calls == {"a": 1, "ask": 2}


async def test_a_task_failing_after_its_answer_keeps_the_answer(saver: Any) -> None:
    fail = {"on": True}

    def ask(state: State) -> dict[str, Any]:
        answer = interrupt("foo?")
        if fail["on"]:
            raise ValueError("after the answer")
        return {"foo": answer}

    graph = StateGraph(State)
    graph.add_node("ask", ask).add_edge(START, "ask").add_edge("ask", END)
    app = graph.compile(checkpointer=saver)
    await app.ainvoke({"foo": "", "bar": []}, cfg())
    with pytest.raises(ValueError, match="after the answer"):
        await app.ainvoke(Command(resume="kept"), cfg())
    fail["on"] = False
    assert (await app.ainvoke(None, cfg()))["foo"] == "kept"


async def test_update_state_is_ambiguous_after_parallel_writers(saver: Any) -> None:
    calls: dict[str, int] = {}
    app = parallel(saver, calls)
    first = await app.ainvoke({"got": []}, cfg())
    await app.ainvoke(Command(resume={i.id: 0 for i in first["__interrupt__"]}), cfg())
    with pytest.raises(InvalidUpdateError, match="pass as_node"):
        await app.aupdate_state(cfg(), {"got": ["z"]})


async def test_command_input_on_an_existing_thread(saver: Any) -> None:
    calls: dict[str, int] = {}
    app = chain(saver, calls)
    await app.ainvoke({"foo": "", "bar": []}, cfg())
    out = await app.ainvoke(Command(update={"foo": "u"}, goto="b"), cfg())
    assert out == {"foo": "b", "bar": ["a", "b", "b"]}
    assert calls == {"a": 1, "b": 2}


async def test_streams_show_breakpoints_and_resumed_state(saver: Any) -> None:
    app = chain(saver, interrupt_after=["a"])
    chunks = [c async for c in app.astream({"foo": "", "bar": []}, cfg())]
    assert chunks == [{"a": {"foo": "a", "bar": ["a"]}}, {"__interrupt__": ()}]
    values = [c async for c in app.astream(None, cfg(), stream_mode="values")]
    assert values == [{"foo": "a", "bar": ["a"]}, {"foo": "b", "bar": ["a", "b"]}]


async def test_new_input_abandons_a_pending_interrupt(saver: Any) -> None:
    calls: dict[str, int] = {}
    app = asking(saver, calls)
    await app.ainvoke({"foo": "", "bar": []}, cfg())
    # A new input while ask waits: the thread starts over from its state.
    again = await app.ainvoke({"foo": "new"}, cfg())
    assert again["__interrupt__"][0].value == {"question": "foo?", "bar": ["a", "a"]}
    assert calls == {"a": 2, "ask": 2}
    snap = await app.aget_state(cfg())
    assert snap.next == ("ask",)
    out = await app.ainvoke(Command(resume="done"), cfg())
    assert out == {"foo": "done", "bar": ["a", "a", "ask"]}
    assert calls == {"a": 2, "ask": 3}


async def test_pending_writes_of_a_pause_go_through_the_write_behind_queue(
    saver: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With ``durability="async"`` the writes of a paused step queue behind its
    checkpoint (one flush) instead of waiting for it and then writing alone."""
    direct: list[str] = []
    original = type(saver).aput_writes

    async def counted(self: Any, *args: Any, **kwargs: Any) -> None:
        direct.append("aput_writes")
        await original(self, *args, **kwargs)

    monkeypatch.setattr(type(saver), "aput_writes", counted)
    calls: dict[str, int] = {}
    app = asking(saver, calls)
    first = await app.ainvoke({"foo": "", "bar": []}, cfg())
    assert "__interrupt__" in first
    uses_queue = not getattr(saver, "stores_at_once", False)
    assert direct == ([] if uses_queue else ["aput_writes"])
    assert (await app.aget_state(cfg())).next == ("ask",)
    out = await app.ainvoke(Command(resume="yes"), cfg())
    assert out == {"foo": "yes", "bar": ["a", "ask"]}
