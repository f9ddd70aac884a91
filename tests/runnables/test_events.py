"""astream_events (v2) and run handlers (S45-S48)."""

from __future__ import annotations

from typing import Any

import pytest

from actorgraph.runnables import (
    Run,
    RunHandler,
    RunnableConfig,
    RunnableGenerator,
    RunnableLambda,
    RunnableParallel,
    adispatch_custom_event,
    dispatch_custom_event,
)

pytestmark = pytest.mark.anyio

RL = RunnableLambda


async def reverse(s: str) -> str:
    return s[::-1]


def strip(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in e.items() if k not in ("run_id", "parent_ids")} for e in events]


async def test_events_of_a_single_lambda() -> None:  # S45
    events = [e async for e in RL(func=reverse).astream_events("hello", version="v2")]
    assert strip(events) == [
        {
            "data": {"input": "hello"},
            "event": "on_chain_start",
            "metadata": {},
            "name": "reverse",
            "tags": [],
        },
        {
            "data": {"chunk": "olleh"},
            "event": "on_chain_stream",
            "metadata": {},
            "name": "reverse",
            "tags": [],
        },
        {
            "data": {"output": "olleh"},
            "event": "on_chain_end",
            "metadata": {},
            "name": "reverse",
            "tags": [],
        },
    ]
    assert all(e["parent_ids"] == [] for e in events)
    assert len({e["run_id"] for e in events}) == 1


async def slow_thing(some_input: str, config: RunnableConfig) -> str:
    await adispatch_custom_event(
        "progress_event", {"message": "Finished step 1 of 3"}, config=config
    )
    await adispatch_custom_event("progress_event", {"message": "Finished step 2 of 3"})
    return "Done"


async def test_custom_events() -> None:  # S46
    evs = [e async for e in RL(slow_thing).astream_events("some_input", version="v2")]
    assert [e["event"] for e in evs] == [
        "on_chain_start",
        "on_custom_event",
        "on_custom_event",
        "on_chain_stream",
        "on_chain_end",
    ]
    assert evs[1]["name"] == "progress_event"
    assert evs[1]["data"] == {"message": "Finished step 1 of 3"}
    assert evs[2]["data"] == {"message": "Finished step 2 of 3"}
    assert evs[1]["run_id"] == evs[0]["run_id"]


def sync_progress(x: int) -> int:
    dispatch_custom_event("sync_event", {"x": x})
    return x


async def test_custom_event_from_sync_function() -> None:
    evs = [e async for e in RL(sync_progress).astream_events(3)]
    assert [e["event"] for e in evs] == [
        "on_chain_start",
        "on_custom_event",
        "on_chain_stream",
        "on_chain_end",
    ]
    assert evs[1]["data"] == {"x": 3}


async def test_custom_event_without_observers_does_nothing() -> None:
    assert await RL(slow_thing).ainvoke("x") == "Done"


async def test_nested_events_parent_ids_and_filters() -> None:  # S47
    seq = RL(lambda x: x + 1).with_config(run_name="inc") | RL(lambda x: x * 2).with_config(
        run_name="dbl"
    )
    evs = [e async for e in seq.astream_events(1, version="v2")]
    assert evs[0]["event"] == "on_chain_start"
    assert evs[0]["name"] == "RunnableSequence"
    assert evs[0]["data"] == {"input": 1}
    assert evs[-1]["event"] == "on_chain_end"
    assert evs[-1]["data"]["output"] == 4
    root = evs[0]["run_id"]
    inner = [e for e in evs if e["name"] in ("inc", "dbl")]
    assert inner
    assert all(e["parent_ids"] == [root] for e in inner)
    assert {tuple(e["tags"]) for e in inner} == {("seq:step:1",), ("seq:step:2",)}
    only = [e["event"] async for e in seq.astream_events(1, version="v2", include_names=["dbl"])]
    assert only == ["on_chain_start", "on_chain_stream", "on_chain_end"]
    dbl_end = next(e for e in evs if e["name"] == "dbl" and e["event"] == "on_chain_end")
    assert dbl_end["data"] == {"output": 4, "input": 2}
    tagged = [e["name"] async for e in seq.astream_events(1, include_tags=["seq:step:1"])]
    assert set(tagged) == {"inc"}
    excluded = [
        e["name"]
        async for e in seq.astream_events(1, exclude_names=["inc"], exclude_types=["tool"])
    ]
    assert "inc" not in excluded
    assert "dbl" in excluded
    typed = [
        e["name"]
        async for e in seq.astream_events(1, include_types=["chain"], exclude_tags=["seq:step:2"])
    ]
    assert "dbl" not in typed
    assert "inc" in typed


async def test_events_with_config_tags_and_metadata() -> None:
    evs = [
        e
        async for e in RL(reverse).astream_events(
            "ab", {"tags": ["t"], "metadata": {"m": 1}, "run_name": "rev"}
        )
    ]
    assert {e["name"] for e in evs} == {"rev"}
    assert all(e["tags"] == ["t"] and e["metadata"] == {"m": 1} for e in evs)


async def test_invoked_children_report_start_and_end_only() -> None:
    par = RunnableParallel(a=RL(reverse))
    evs = [e async for e in (RL(reverse) | RL(lambda s: par.invoke(s))).astream_events("ab")]
    assert evs[-1]["data"]["output"] == {"a": "ab"}


async def test_unknown_version() -> None:  # S48
    with pytest.raises(NotImplementedError, match="v2"):
        [e async for e in RL(reverse).astream_events("x", version="v3")]
    with pytest.raises(NotImplementedError):
        [e async for e in RL(reverse).astream_events("x", version="v1")]


async def test_events_then_the_error() -> None:
    def fail(x: int) -> int:
        raise ValueError("broken")

    seen: list[str] = []

    async def consume() -> None:
        async for e in (RL(lambda x: x) | RL(fail)).astream_events(1):
            seen.append(e["event"])  # noqa: PERF401 - the events before the error are the point

    with pytest.raises(ValueError, match="broken"):
        await consume()
    assert seen[0] == "on_chain_start"


async def test_generator_events_carry_streamed_input() -> None:
    async def relay(it: Any) -> Any:
        async for item in it:
            yield item

    evs = [e async for e in (RL(lambda x: x) | RunnableGenerator(relay)).astream_events("a")]
    relay_start = next(e for e in evs if e["name"] == "relay" and e["event"] == "on_chain_start")
    relay_end = next(e for e in evs if e["name"] == "relay" and e["event"] == "on_chain_end")
    assert relay_start["data"] == {}
    assert relay_end["data"] == {"output": "a", "input": "a"}


class Recorder(RunHandler):
    def __init__(self) -> None:
        self.log: list[tuple[str, str]] = []

    async def on_run_start(self, run: Run) -> None:
        self.log.append(("start", run.name))

    async def on_run_end(self, run: Run) -> None:
        self.log.append(("end", run.name))

    async def on_run_error(self, run: Run) -> None:
        self.log.append(("error", run.name))


async def test_run_handlers_in_config() -> None:
    recorder = Recorder()
    seq = RL(lambda x: x + 1) | RL(reverse)
    with pytest.raises(TypeError):
        await seq.ainvoke(1, {"callbacks": [recorder]})
    assert recorder.log == [
        ("start", "RunnableSequence"),
        ("start", "RunnableLambda"),
        ("end", "RunnableLambda"),
        ("start", "reverse"),
        ("error", "reverse"),
        ("error", "RunnableSequence"),
    ]
    other = Recorder()
    assert await RL(reverse).ainvoke("ab", {"callbacks": other}) == "ba"
    assert other.log == [("start", "reverse"), ("end", "reverse")]
    assert repr(Run(name="x")).startswith("Run(id=")
    assert Run(name="x", run_type="tool").type == "tool"


async def test_bad_callbacks_are_named() -> None:
    with pytest.raises(TypeError, match="RunHandler"):
        await RL(reverse).ainvoke("ab", {"callbacks": [object()]})
    with pytest.raises(TypeError, match="RunHandler"):
        await RL(reverse).ainvoke("ab", {"callbacks": 5})


async def test_astream_log_patches_rebuild_the_run_state() -> None:  # S49
    import functools
    import operator

    from actorgraph.runnables import RunLog, RunLogPatch

    seq = RL(lambda x: x + 1).with_config(run_name="inc") | RL(lambda x: x * 2).with_config(
        run_name="dbl"
    )
    patches = [p async for p in seq.astream_log(1)]
    assert all(isinstance(p, RunLogPatch) for p in patches)
    assert patches[0].ops[0]["op"] == "replace"
    assert patches[0].ops[0]["path"] == ""
    assert set(patches[0].ops[0]["value"]) == {
        "id",
        "streamed_output",
        "final_output",
        "logs",
        "name",
        "type",
    }
    final = functools.reduce(operator.add, patches)
    assert isinstance(final, RunLog)
    assert final.state["final_output"] == 4
    assert final.state["streamed_output"] == [4]
    assert sorted(final.state["logs"]) == ["dbl", "inc"]
    assert final.state["logs"]["inc"]["final_output"] == 2
    assert final.state["logs"]["dbl"]["streamed_output"] == [4]
    last = [p async for p in seq.astream_log(1, diff=False)][-1]
    assert isinstance(last, RunLog)
    assert last.state["final_output"] == 4
    assert last.state["logs"].keys() == final.state["logs"].keys()
    assert last == RunLog(state=last.state)
    assert "RunLog(" in repr(last)
    assert "RunLogPatch(" in repr(patches[0])
    assert patches[0] == RunLogPatch(*patches[0].ops)
    only = [
        p async for p in seq.astream_log(1, include_names=["dbl"], with_streamed_output_list=False)
    ]
    state = functools.reduce(operator.add, only).state
    assert sorted(state["logs"]) == ["dbl"]
    assert state["streamed_output"] == []


async def test_astream_log_repeated_names_and_errors() -> None:
    from actorgraph.runnables import RunnableLambda as Lambda

    def fail(x: int) -> int:
        raise ValueError("log broken")

    seq = Lambda(lambda x: x) | Lambda(lambda x: x)
    patches = [p async for p in seq.astream_log(1)]
    total = patches[0] + patches[1]
    for patch in patches[2:]:
        total = total + patch
    assert sorted(total.state["logs"]) == ["RunnableLambda", "RunnableLambda:2"]
    with pytest.raises(ValueError, match="log broken"):
        [p async for p in (Lambda(lambda x: x) | Lambda(fail)).astream_log(1)]


async def test_trace_run_for_direct_implementations() -> None:
    from actorgraph.runnables import Runnable, trace_run

    class Node(Runnable[int, int]):
        """A Runnable that implements ainvoke directly, as the compiled graph does."""

        async def ainvoke(
            self, input: int, config: RunnableConfig | None = None, **kwargs: Any
        ) -> int:
            async with trace_run(config, "node", {"input": input}, run_type="tool") as scope:
                await scope.stream(input)
                scope.output = await RL(reverse).ainvoke(str(input), scope.config)
            return int(scope.output)

        async def astream(
            self, input: int, config: RunnableConfig | None = None, **kwargs: Any
        ) -> Any:
            yield await self.ainvoke(input, config)

    evs = [(e["event"], e["name"], len(e["parent_ids"])) async for e in Node().astream_events(12)]
    assert evs == [
        ("on_tool_start", "node", 0),
        ("on_tool_stream", "node", 0),
        ("on_chain_start", "reverse", 1),
        ("on_chain_end", "reverse", 1),
        ("on_tool_end", "node", 0),
    ]
    assert await Node().ainvoke(12) == 21

    class Broken(Runnable[int, int]):
        async def ainvoke(
            self, input: int, config: RunnableConfig | None = None, **kwargs: Any
        ) -> int:
            async with trace_run(config, "broken"):
                raise KeyError("nope")

    recorder = Recorder()
    with pytest.raises(KeyError):
        await Broken().ainvoke(1, {"callbacks": [recorder]})
    assert recorder.log == [("start", "broken"), ("error", "broken")]
