"""Batch, configs, names and schemas (S22-S29), the sync portals, cancellation."""

from __future__ import annotations

import threading
import time
from typing import Any
from uuid import uuid4

import anyio
import anyio.lowlevel
import pytest
from pydantic import BaseModel
from typing_extensions import TypedDict

from actorgraph.errors import RunnableInputError, SyncCalledFromAsyncError
from actorgraph.runnables import (
    Runnable,
    RunnableConfig,
    RunnableLambda,
    RunnableParallel,
    RunnablePassthrough,
    ensure_config,
    get_config_list,
    merge_configs,
    patch_config,
)

pytestmark = pytest.mark.anyio

RL = RunnableLambda


def add_one(x: int) -> int:
    return x + 1


def mul_two(x: int) -> int:
    return x * 2


def boom(x: int) -> int:
    if x == 2:
        raise ValueError("two")
    return x


def test_batch_return_exceptions() -> None:  # S22
    res = RL(boom).batch([1, 2, 3], return_exceptions=True)
    assert res[0] == 1
    assert isinstance(res[1], ValueError)
    assert res[2] == 3
    with pytest.raises(ValueError, match="two"):
        RL(boom).batch([1, 2, 3])


async def test_abatch_return_exceptions() -> None:  # S22 on both backends
    res = await RL(boom).abatch([1, 2, 3], return_exceptions=True)
    assert res[0] == 1
    assert isinstance(res[1], ValueError)
    assert res[2] == 3
    with pytest.raises(ValueError, match="two"):
        await RL(boom).abatch([1, 2, 3])
    assert await RL(boom).abatch([]) == []
    single = await RL(boom).abatch([2], return_exceptions=True)
    assert isinstance(single[0], ValueError)
    with pytest.raises(ValueError, match="two"):
        await RL(boom).abatch([2])


def test_batch_as_completed() -> None:  # S23
    out = sorted(RL(boom).batch_as_completed([1, 2, 3], return_exceptions=True), key=lambda t: t[0])
    assert [i for i, _ in out] == [0, 1, 2]
    assert out[0][1] == 1
    assert isinstance(out[1][1], ValueError)


async def test_abatch_as_completed() -> None:  # S23
    out = sorted(
        [t async for t in RL(boom).abatch_as_completed([1, 2, 3], return_exceptions=True)],
        key=lambda t: t[0],
    )
    assert [i for i, _ in out] == [0, 1, 2]
    assert out[2][1] == 3
    assert isinstance(out[1][1], ValueError)
    assert [t async for t in RL(boom).abatch_as_completed([])] == []


def show_tags(x: int, config: RunnableConfig) -> list[str]:
    return config["tags"]


def test_per_input_configs() -> None:  # S24
    assert RL(show_tags).batch([0, 1], [{"tags": ["x"]}, {"tags": ["y"]}]) == [["x"], ["y"]]
    with pytest.raises(ValueError, match="2 configs for 3 inputs"):
        RL(show_tags).batch([0, 1, 2], [{"tags": ["x"]}, {"tags": ["y"]}])


def test_max_concurrency_sync() -> None:  # S25
    lock = threading.Lock()
    state = {"now": 0, "peak": 0}
    pair = threading.Barrier(2, timeout=10)  # two calls must overlap

    def slow(x: int) -> int:
        with lock:
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])
        pair.wait()
        time.sleep(0.01)
        with lock:
            state["now"] -= 1
        return x

    assert RL(slow).batch(list(range(8)), {"max_concurrency": 2}) == list(range(8))
    assert state["peak"] == 2


async def test_max_concurrency_async() -> None:  # S25
    state = {"now": 0, "peak": 0}

    async def aslow(x: int) -> int:
        state["now"] += 1
        state["peak"] = max(state["peak"], state["now"])
        await anyio.sleep(0.05)
        state["now"] -= 1
        return x

    assert await RL(aslow).abatch(list(range(8)), {"max_concurrency": 3}) == list(range(8))
    assert state["peak"] == 3


def show(x: int, config: RunnableConfig) -> tuple[Any, ...]:
    return (config["tags"], config["metadata"], config["configurable"], config["recursion_limit"])


def test_config_injection_and_merge() -> None:  # S26
    r = RL(show).with_config(tags=["a"], configurable={"k": 1})
    assert r.invoke(0, {"tags": ["b"], "metadata": {"m": 1}}) == (
        ["a", "b"],
        {"m": 1},
        {"k": 1},
        25,
    )
    assert RL(show).invoke(0) == ([], {}, {}, 25)


def test_parent_config_flows_to_children() -> None:  # S27
    seq = RL(lambda x: x) | RL(show)
    assert seq.invoke(0, {"tags": ["parent"]})[0] == ["parent", "seq:step:2"]
    par = RunnableParallel(a=RL(show))
    assert par.invoke(0, {"metadata": {"m": 2}})["a"][1] == {"m": 2}


def test_run_name_and_run_id_do_not_reach_children() -> None:
    def keys(x: int, config: RunnableConfig) -> set[str]:
        return set(config)

    seen = (RL(lambda x: x) | RL(keys)).invoke(0, {"run_name": "outer", "run_id": uuid4()})
    assert "run_name" not in seen
    assert "run_id" not in seen


def test_config_helpers() -> None:
    assert ensure_config() == {
        "tags": [],
        "metadata": {},
        "callbacks": None,
        "recursion_limit": 25,
        "configurable": {},
    }
    merged = merge_configs(
        {"tags": ["a"], "callbacks": [1]}, {"tags": ["a", "b"], "callbacks": [2]}, None
    )
    assert merged == {"tags": ["a", "b"], "callbacks": [1, 2]}
    assert merge_configs({"callbacks": [1]}, {"callbacks": None}) == {"callbacks": [1]}
    patched = patch_config(
        {"run_name": "x", "run_id": uuid4(), "configurable": {"a": 1}},
        callbacks=["h"],
        recursion_limit=3,
        max_concurrency=2,
        run_name="y",
        configurable={"b": 2},
    )
    assert patched == {
        "callbacks": ["h"],
        "recursion_limit": 3,
        "max_concurrency": 2,
        "run_name": "y",
        "configurable": {"a": 1, "b": 2},
    }
    assert patch_config(None)["recursion_limit"] == 25
    run_id = uuid4()
    configs = get_config_list({"run_id": run_id}, 2)
    assert configs[0]["run_id"] == run_id
    assert "run_id" not in configs[1]
    with pytest.raises(ValueError, match="-1 inputs"):
        get_config_list(None, -1)


def test_get_name() -> None:  # S28
    assert RL(add_one).get_name() == "add_one"
    assert RL(lambda x: x).get_name() == "RunnableLambda"
    assert RL(add_one, name="custom").get_name() == "custom"
    assert (RL(add_one) | RL(mul_two)).get_name() == "RunnableSequence"
    assert RunnableParallel(a=RL(add_one)).get_name() == "RunnableParallel<a>"
    assert RL(add_one).get_name(suffix="Input") == "add_one_input"
    assert RL(lambda x: x).get_name("Input") == "RunnableLambdaInput"
    assert RL(add_one).get_name(name="other") == "other"


def test_json_schemas_from_type_hints() -> None:  # S29
    assert RL(add_one).get_input_jsonschema() == {"title": "add_one_input", "type": "integer"}
    assert RL(add_one).get_output_jsonschema() == {"title": "add_one_output", "type": "integer"}
    assert RL(lambda x: x).with_types(input_type=int).get_input_jsonschema()["type"] == "integer"
    assert RL(lambda x: x).get_input_jsonschema() == {"title": "RunnableLambdaInput"}
    seq = RL(add_one) | RL(str)
    assert seq.get_input_jsonschema()["type"] == "integer"
    assert seq.input_schema is int


def test_parallel_and_assign_output_schema() -> None:
    def to_str(x: int) -> str:
        return str(x)

    schema = RunnableParallel(a=RL(add_one), s=RL(to_str)).get_output_jsonschema()
    assert schema["title"] == "RunnableParallel<a,s>Output"
    assert schema["type"] == "object"
    assert schema["properties"] == {"a": {"type": "integer"}, "s": {"type": "string"}}
    assigned = RunnablePassthrough.assign(hello=RL(to_str)).get_output_jsonschema()
    assert assigned["properties"]["hello"] == {"type": "string"}


class Point(BaseModel):
    x: int
    y: int


def norm(p: Point) -> int:
    return abs(p.x) + abs(p.y)


def test_pydantic_schema() -> None:
    schema = RL(norm).get_input_jsonschema()
    assert schema["title"] == "norm_input"
    assert set(schema["properties"]) == {"x", "y"}
    checked = RL(norm).with_types(input_type=Point)
    assert checked.invoke(Point(x=1, y=-2)) == 3
    with pytest.raises(RunnableInputError, match="norm expects input of type Point"):
        checked.invoke({"x": "nope"})


def test_with_types_checks_input() -> None:  # bad input for a schema
    class Args(TypedDict):
        a: int

    checked = RL(lambda d: d["a"] + 1).with_types(input_type=Args, output_type=int)
    assert checked.invoke({"a": 1}) == 2
    with pytest.raises(RunnableInputError, match="expects input of type Args"):
        checked.invoke({"a": "one"})
    seq = RL(lambda x: x) | checked
    with pytest.raises(RunnableInputError, match="Expected `int`, got `str`"):
        seq.invoke({"a": "one"})
    assert checked.get_output_jsonschema()["type"] == "integer"


def test_input_output_type_inference() -> None:
    class Typed(Runnable[int, str]):
        async def ainvoke(
            self, input: int, config: RunnableConfig | None = None, **kwargs: Any
        ) -> str:
            return str(input)

    class Untyped(Runnable):  # type: ignore[type-arg]
        async def ainvoke(
            self, input: Any, config: RunnableConfig | None = None, **kwargs: Any
        ) -> Any:
            return input

    assert Typed().InputType is int
    assert Typed().OutputType is str
    assert Typed().get_input_jsonschema() == {"title": "TypedInput", "type": "integer"}
    with pytest.raises(TypeError, match="cannot infer the input type"):
        _ = Untyped().InputType
    assert Untyped().get_input_schema() is Any
    assert Untyped().invoke(3) == 3
    assert list(Untyped().stream(4)) == [4]


def test_config_schema() -> None:
    import msgspec

    from actorgraph.runnables import ConfigurableField, RunnableSerializable

    class Model(RunnableSerializable[str, str]):
        temperature: float = 0.5

        def invoke(self, input: str, config: RunnableConfig | None = None, **kwargs: Any) -> str:
            return f"{input}@{self.temperature}"

    configurable = Model().configurable_fields(temperature=ConfigurableField(id="temp", name="T"))
    struct = configurable.config_schema(include=["tags"])
    value = msgspec.convert({"configurable": {"temp": 0.9}, "tags": ["x"]}, struct)
    assert value.configurable.temp == 0.9
    schema = configurable.get_config_jsonschema()
    assert "configurable" in schema["properties"]
    with pytest.raises(ValueError, match="include"):
        configurable.config_schema(include=["nope"])


# --- the sync portals --------------------------------------------------------------


async def test_sync_faces_refuse_inside_event_loop() -> None:
    r = RL(add_one)
    with pytest.raises(SyncCalledFromAsyncError, match="await ainvoke"):
        r.invoke(1)
    with pytest.raises(SyncCalledFromAsyncError, match="abatch"):
        r.batch([1])
    with pytest.raises(SyncCalledFromAsyncError, match="astream"):
        r.stream(1)


def test_sync_stream_closed_early_cancels_the_run() -> None:
    finished: list[str] = []

    async def source(_: Any) -> Any:
        try:
            for i in range(1000):
                yield i
                await anyio.lowlevel.checkpoint()
        finally:
            finished.append("closed")

    stream = RL(source).stream(None)
    assert next(stream) == 0
    stream.close()  # type: ignore[attr-defined]
    assert finished == ["closed"]


def test_sync_stream_propagates_errors() -> None:
    def fail(x: int) -> int:
        raise KeyError("gone")

    with pytest.raises(KeyError, match="gone"):
        list(RL(fail).stream(1))


def test_sync_only_subclass_runs_in_a_worker_thread() -> None:
    class SyncOnly(Runnable[int, int]):
        def invoke(self, input: int, config: RunnableConfig | None = None, **kwargs: Any) -> int:
            extra: int = kwargs.get("extra", 0)
            return input * 10 + extra

    assert SyncOnly().invoke(1) == 10
    assert SyncOnly().batch([1, 2]) == [10, 20]
    assert list(SyncOnly().stream(3)) == [30]
    assert list(SyncOnly().transform(iter([1, 2]))) == [30]
    assert SyncOnly().bind(extra=5).invoke(1) == 15


async def test_runnable_without_implementation() -> None:
    class Nothing(Runnable[int, int]):
        pass

    with pytest.raises(NotImplementedError, match="must implement ainvoke"):
        await Nothing().ainvoke(1)


# --- cancellation ---------------------------------------------------------------------


async def test_cancelling_abatch_cancels_every_call() -> None:
    started: list[int] = []
    cancelled: list[int] = []

    async def hang(x: int) -> int:
        started.append(x)
        try:
            await anyio.sleep_forever()
        finally:
            cancelled.append(x)
        return x  # pragma: no cover

    with anyio.move_on_after(0.05):
        await RL(hang).abatch([1, 2, 3])
    assert sorted(started) == [1, 2, 3]
    assert sorted(cancelled) == [1, 2, 3]


async def test_failure_in_parallel_cancels_the_other_branches() -> None:
    cancelled: list[str] = []

    async def hang(x: int) -> int:
        try:
            await anyio.sleep_forever()
        finally:
            cancelled.append("hang")
        return x  # pragma: no cover

    async def fail(x: int) -> int:
        await anyio.sleep(0.01)
        raise LookupError("branch failed")

    with pytest.raises(LookupError, match="branch failed"):
        await RunnableParallel(a=RL(hang), b=RL(fail)).ainvoke(1)
    assert cancelled == ["hang"]
    with pytest.raises(LookupError, match="branch failed"):
        async for _ in RunnableParallel(a=RL(hang), b=RL(fail)).astream(1):
            pass


async def test_closing_astream_early_closes_every_stage() -> None:
    closed: list[str] = []

    async def source(_: Any) -> Any:
        try:
            for i in range(100):
                yield i
        finally:
            closed.append("source")

    async def relay(it: Any) -> Any:
        try:
            async for item in it:
                yield item
        finally:
            closed.append("relay")

    from contextlib import aclosing

    from actorgraph.runnables import RunnableGenerator

    chain = RunnableGenerator(source) | RunnableGenerator(relay)
    async with aclosing(chain.astream(None)) as stream:  # type: ignore[type-var]
        async for item in stream:
            assert item == 0
            break
    assert closed == ["relay", "source"]


async def test_parallel_branches_honour_max_concurrency() -> None:
    state = {"now": 0, "peak": 0}

    async def tracked(x: int) -> int:
        state["now"] += 1
        state["peak"] = max(state["peak"], state["now"])
        await anyio.sleep(0.01)
        state["now"] -= 1
        return x

    par = RunnableParallel({str(i): RL(tracked) for i in range(6)})
    assert await par.ainvoke(1, {"max_concurrency": 2}) == {str(i): 1 for i in range(6)}
    assert state["peak"] == 2
    state["peak"] = 0
    chunks = [c async for c in par.astream(1, {"max_concurrency": 3})]
    assert len(chunks) == 6
    assert state["peak"] <= 3


def test_sync_faces_on_trio(monkeypatch: pytest.MonkeyPatch) -> None:
    from actorgraph.actors import _portal

    monkeypatch.setattr(_portal, "SYNC_BACKEND", "trio")
    chain = RL(add_one) | {"a": RL(mul_two)}
    assert chain.invoke(1) == {"a": 4}
    assert list(chain.stream(2)) == [{"a": 6}]


async def _hang(x: Any, cancelled: list[str]) -> Any:
    try:
        await anyio.sleep_forever()
    finally:
        cancelled.append("hang")


async def test_closing_streams_early_cancels_the_work() -> None:
    """Every iterator that runs tasks behind it cancels them when closed early."""
    from actorgraph.runnables import RunnableGenerator

    cancelled: list[str] = []

    async def hang(x: Any) -> Any:
        return await _hang(x, cancelled)

    async def maybe_hang(x: int) -> Any:
        return x if x == 1 else await _hang(x, cancelled)

    def ignore_input(it: Any) -> Any:
        yield "first"
        yield "second"

    events = (RL(add_one) | RL(hang)).astream_events(1)
    async for event in events:
        if event["name"] == "hang":
            break
    await events.aclose()  # type: ignore[attr-defined]
    assert cancelled == ["hang"]

    streams = [
        RunnableParallel(a=RL(add_one), b=RL(hang)).astream(1),
        RL(maybe_hang).abatch_as_completed([1, 2]),
        (RL(add_one) | RL(hang)).astream_log(1),
        (RL(add_one) | RunnableGenerator(ignore_input)).astream(1),
    ]
    for stream in streams:
        await stream.__anext__()
        await stream.aclose()  # type: ignore[attr-defined]
    # The log stream may be closed before its hang step starts.
    assert cancelled.count("hang") >= 3


async def test_engine_class_mixed_into_runnable() -> None:
    """A class from a lower layer (like the engine's Pregel) with its own
    ainvoke/astream and private helpers becomes a Runnable by inheritance."""

    class Engine:
        async def _ainvoke(self, run: object) -> int:  # a private helper of another signature
            return 41

        async def ainvoke(
            self, input: int, config: RunnableConfig | None = None, **kwargs: Any
        ) -> int:
            return await self._ainvoke(object()) + input

        async def astream(
            self, input: Any, config: RunnableConfig | None = None, **kwargs: Any
        ) -> Any:
            yield await self.ainvoke(input, config)

    class Compiled(Engine, Runnable[int, int]):
        pass

    graph = Compiled()
    assert await graph.ainvoke(1) == 42
    assert [c async for c in graph.astream(1)] == [42]
    assert [c async for c in graph.atransform(_one(1))] == [42]
    assert await (graph | RL(add_one)).ainvoke(1) == 43
    assert await graph.with_retry().ainvoke(1) == 42
    assert await graph.abatch([1, 2]) == [42, 43]


async def _one(value: Any) -> Any:
    yield value


def test_standard_key_inside_configurable_warns() -> None:
    with pytest.warns(UserWarning, match=r"\['max_concurrency'\], which are top-level config keys"):
        RL(add_one).invoke(1, {"configurable": {"max_concurrency": 2}})
