"""bind, with_retry, with_fallbacks, listeners, configurable fields and alternatives (S30-S43)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anyio
import pytest

from actorgraph.errors import RunnableConfigurationError, RunnableInputError
from actorgraph.runnables import (
    ConfigurableField,
    ConfigurableFieldMultiOption,
    ConfigurableFieldSingleOption,
    ConfigurableFieldSpec,
    Run,
    RunnableBinding,
    RunnableConfig,
    RunnableGenerator,
    RunnableLambda,
    RunnableSerializable,
)

RL = RunnableLambda


class EchoModel(RunnableSerializable[str, str]):
    """Repeats the quoted words of its prompt (a deterministic stand-in for a model)."""

    max_tokens: int = 1000

    def invoke(
        self,
        input: str,
        config: RunnableConfig | None = None,
        *,
        stop: list[str] | None = None,
        **kw: Any,
    ) -> str:
        text = input.split("'")[1] if "'" in input else input.split('"')[1]
        for s in stop or []:
            if s in text:
                text = text[: text.index(s)]
        return text.strip()[: self.max_tokens]


def test_bind_stop() -> None:  # S30
    m = EchoModel()
    prompt = "Repeat quoted words exactly: 'One two three four five.'"
    assert m.invoke(prompt) == "One two three four five."
    assert m.bind(stop=["three"]).invoke(prompt) == "One two"


def test_binding_constructed_directly() -> None:  # S31
    m = EchoModel()
    assert m.invoke('Say "Parrot-MAGIC"', stop=["-"]) == "Parrot"
    assert m.bind(stop=["-"]).invoke('Say "Parrot-MAGIC"') == "Parrot"
    assert RunnableBinding(bound=m, kwargs={"stop": ["-"]}).invoke('Say "Parrot-MAGIC"') == "Parrot"
    assert m.bind(stop=["-"]).kwargs == {"stop": ["-"]}
    assert m.bind(stop=["-"]).get_name() == "EchoModel"


def test_serializable_fields() -> None:
    assert EchoModel(max_tokens=3).max_tokens == 3
    assert EchoModel(name="echo").get_name() == "echo"
    with pytest.raises(TypeError, match="unknown field"):
        EchoModel(nope=1)

    class Needs(RunnableSerializable[str, str]):
        v: str

        def invoke(self, input: str, config: RunnableConfig | None = None, **kw: Any) -> str:
            return self.v

    with pytest.raises(TypeError, match="missing the required field 'v'"):
        Needs()


def test_with_retry_counts_attempts() -> None:  # S32
    count = 0

    def _lambda(x: int) -> None:
        nonlocal count
        count += 1
        if x == 1:
            raise ValueError("x is 1")

    runnable = RL(_lambda).with_retry(
        stop_after_attempt=2,
        retry_if_exception_type=(ValueError,),
        exponential_jitter_params={"initial": 0.001, "jitter": 0.001},
    )
    with pytest.raises(ValueError, match="x is 1"):
        runnable.invoke(1)
    assert count == 2


def test_with_retry_inside_a_sequence_recovers() -> None:  # S33
    calls = 0

    def buggy_double(y: int) -> int:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise ValueError("Triggered buggy code")
        return y * 2

    seq = RL(lambda x: x + 1) | RL(buggy_double).with_retry(
        stop_after_attempt=10, wait_exponential_jitter=False
    )
    assert seq.invoke(2) == 6
    assert calls == 3


def test_with_retry_ignores_other_exception_types() -> None:  # S34
    n = 0

    def kerr(x: int) -> int:
        nonlocal n
        n += 1
        raise KeyError("k")

    with pytest.raises(KeyError):
        RL(kerr).with_retry(retry_if_exception_type=(ValueError,)).invoke(1)
    assert n == 1
    with pytest.raises(KeyError):
        RL(kerr).with_retry(wait_exponential_jitter=False).invoke(1)
    assert n == 4


def test_with_retry_validates_arguments() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        RL(str).with_retry(stop_after_attempt=0)
    with pytest.raises(ValueError, match="unknown exponential_jitter_params"):
        RL(str).with_retry(exponential_jitter_params={"nope": 1.0})


@pytest.mark.anyio
async def test_with_retry_stream_retries_until_first_chunk() -> None:
    attempts = 0

    async def flaky(_: Any) -> Any:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise ValueError("first attempt fails before output")
        yield "ok"
        if attempts == 2:
            raise ValueError("fails after output: not retried")

    retry = RunnableGenerator(flaky).with_retry(wait_exponential_jitter=False)
    chunks: list[str] = []

    async def consume() -> None:
        async for chunk in retry.astream(None):
            chunks.append(chunk)  # noqa: PERF401 - the chunks before the error are the point

    with pytest.raises(ValueError, match="after output"):
        await consume()
    assert chunks == ["ok"]
    assert attempts == 2


def _generate_immediate_error(input: Any) -> Iterator[str]:
    if input is not None:
        raise ValueError
    yield ""


def _generate(input: Any) -> Iterator[str]:
    yield from "foo bar"


def test_fallbacks_for_streaming_generators() -> None:  # S35
    runnable = RunnableGenerator(_generate_immediate_error).with_fallbacks(
        [RunnableGenerator(_generate)]
    )
    assert "".join(runnable.stream({})) == "foo bar"
    assert runnable.invoke({}) == "foo bar"


def fail(d: Any) -> Any:
    raise ValueError("primary failed")


def kerr(x: Any) -> Any:
    raise KeyError("k")


def test_fallback_with_exception_key() -> None:  # S36
    fb = RL(fail).with_fallbacks(
        [RL(lambda d: f"{type(d['exception']).__name__}: {d['exception']}")],
        exception_key="exception",
    )
    assert fb.invoke({"q": 1}) == "ValueError: primary failed"
    with pytest.raises(RunnableInputError, match="input must be a dict"):
        fb.invoke(1)


def test_unhandled_exception_types_and_all_fail() -> None:  # S37
    with pytest.raises(ValueError, match="primary failed"):
        RL(fail).with_fallbacks([RL(lambda d: "ok")], exceptions_to_handle=(KeyError,)).invoke({})
    with pytest.raises(ValueError, match="primary failed"):
        RL(fail).with_fallbacks([RL(kerr)]).invoke(1)
    with pytest.raises(ValueError, match="primary failed"):
        list(RL(fail).with_fallbacks([RL(kerr)]).stream(1))
    assert RL(fail).with_fallbacks([RL(kerr)]).get_name() == "RunnableWithFallbacks"


def test_with_listeners_get_runs() -> None:  # S38
    log: list[Any] = []
    r = RL(lambda x: x * 2).with_listeners(
        on_start=lambda run: log.append(("start", run.inputs, run.end_time is None)),
        on_end=lambda run: log.append(("end", run.outputs, run.end_time >= run.start_time)),
    )
    assert r.invoke(2) == 4
    assert log == [("start", {"input": 2}, True), ("end", {"output": 4}, True)]
    log.clear()
    assert list(r.stream(3)) == [6]
    assert log == [("start", {"input": 3}, True), ("end", {"output": 6}, True)]


def test_on_error_listener_with_config() -> None:  # S39
    log: list[Any] = []

    def on_error(run: Run, config: RunnableConfig) -> None:
        log.append((run.error is not None, config["tags"]))

    r = RL(fail).with_listeners(on_error=on_error)
    with pytest.raises(ValueError, match="primary failed"):
        r.invoke({}, {"tags": ["t"]})
    with pytest.raises(ValueError, match="primary failed"):
        list(r.stream({}))
    assert log == [(True, ["t"]), (True, [])]


@pytest.mark.anyio
async def test_with_alisteners_ordering_under_concurrency() -> None:  # S40, driven by events
    log: list[str] = []
    both_started = anyio.Event()
    gates = {2: anyio.Event(), 3: anyio.Event()}
    ended = {2: anyio.Event(), 3: anyio.Event()}

    async def fs(run: Run) -> None:
        t = run.inputs["input"]
        log.append(f"on_start {t} begin")
        if sum(entry.endswith("begin") for entry in log) == 2:
            both_started.set()
        await both_started.wait()
        log.append(f"on_start {t} end")

    async def fe(run: Run) -> None:
        assert run.outputs is not None
        t = run.outputs["output"]
        log.append(f"on_end {t}")
        ended[t].set()

    async def work(t: int) -> int:
        log.append(f"run{t} start")
        await gates[t].wait()
        log.append(f"run{t} end")
        return t

    r = RL(work).with_alisteners(on_start=fs, on_end=fe)
    async with anyio.create_task_group() as group:
        group.start_soon(r.ainvoke, 2)
        group.start_soon(r.ainvoke, 3)
        await both_started.wait()
        gates[2].set()
        await ended[2].wait()
        gates[3].set()
    # on_start listeners of both calls run concurrently and each call starts
    # only after its own on_start finished; on_end follows the call's end.
    assert sorted(log[:2]) == ["on_start 2 begin", "on_start 3 begin"]
    assert log.index("on_start 2 end") < log.index("run2 start")
    assert log.index("on_start 3 end") < log.index("run3 start")
    assert log[-4:] == ["run2 end", "on_end 2", "run3 end", "on_end 3"]


def test_configurable_fields() -> None:  # S41
    m = EchoModel(max_tokens=5).configurable_fields(
        max_tokens=ConfigurableField(
            id="output_token_number",
            name="Max tokens in the output",
            description="The maximum number of tokens in the output",
        )
    )
    assert m.invoke("'abcdefghij'") == "abcde"
    assert (
        m.with_config(configurable={"output_token_number": 8}).invoke("'abcdefghij'") == "abcdefgh"
    )
    assert m.config_specs == [
        ConfigurableFieldSpec(
            id="output_token_number",
            annotation=int,
            name="Max tokens in the output",
            description="The maximum number of tokens in the output",
            default=5,
            is_shared=False,
            dependencies=None,
        )
    ]
    seq = RL(lambda x: x) | m
    assert [spec.id for spec in seq.config_specs] == ["output_token_number"]
    assert seq.invoke("'abcdefghij'", {"configurable": {"output_token_number": 2}}) == "ab"


def test_configurable_options() -> None:
    m = EchoModel().configurable_fields(
        max_tokens=ConfigurableFieldSingleOption(
            id="size", options={"small": 2, "big": 6}, default="big"
        )
    )
    assert m.invoke("'abcdefghij'", {"configurable": {"size": "small"}}) == "ab"
    assert m.config_specs[0].default == "big"
    with pytest.raises(RunnableConfigurationError, match="choose one of \\['big', 'small'\\]"):
        m.invoke("'abc'", {"configurable": {"size": "huge"}})

    class Stops(RunnableSerializable[str, list[str]]):
        stops: list[str] = []  # noqa: RUF012 - a field default, copied per instance by the test

        def invoke(self, input: str, config: RunnableConfig | None = None, **kw: Any) -> list[str]:
            return self.stops

    multi = Stops().configurable_fields(
        stops=ConfigurableFieldMultiOption(id="stops", options={"a": "A", "b": "B"}, default=["a"])
    )
    assert multi.invoke("x", {"configurable": {"stops": ["a", "b"]}}) == ["A", "B"]
    assert multi.invoke("x") == []


def test_configurable_fields_unknown_field() -> None:  # S42
    with pytest.raises(ValueError, match="Configuration key nope not found"):
        EchoModel().configurable_fields(nope=ConfigurableField(id="x"))


class Const(RunnableSerializable[str, str]):
    v: str

    def invoke(self, input: str, config: RunnableConfig | None = None, **kw: Any) -> str:
        return self.v


def test_configurable_alternatives() -> None:  # S43
    model = Const(v="anthropic").configurable_alternatives(
        ConfigurableField(id="llm"), default_key="anthropic", openai=Const(v="openai")
    )
    assert model.invoke("q") == "anthropic"
    assert model.with_config(configurable={"llm": "openai"}).invoke("q") == "openai"
    assert model.config_specs[0].id == "llm"
    assert model.config_specs[0].default == "anthropic"
    with pytest.raises(ValueError, match="Unknown alternative: zzz"):
        model.with_config(configurable={"llm": "zzz"}).invoke("q")
    with pytest.raises(
        RunnableConfigurationError, match="choose one of \\['anthropic', 'openai'\\]"
    ):
        model.invoke("q", {"configurable": {"llm": "zzz"}})


def test_configurable_alternatives_factories_and_prefixes() -> None:
    inner = EchoModel().configurable_fields(max_tokens=ConfigurableField(id="n"))
    model = Const(v="x").configurable_alternatives(
        ConfigurableField(id="which"), prefix_keys=True, echo=inner, lazy=lambda: Const(v="lazy")
    )
    assert model.invoke("'abcdef'", {"configurable": {"which": "lazy"}}) == "lazy"
    ids = [spec.id for spec in model.config_specs]
    assert ids == ["which", "which==echo/n"]
    assert model.invoke("'abcdef'", {"configurable": {"which": "echo", "which==echo/n": 2}}) == "ab"
    with pytest.raises(RunnableConfigurationError, match="clashes with default_key"):
        Const(v="x").configurable_alternatives(ConfigurableField(id="w"), default=Const(v="y"))


def test_configurable_spec_conflict() -> None:
    a = EchoModel().configurable_fields(max_tokens=ConfigurableField(id="n", name="A"))
    b = EchoModel().configurable_fields(max_tokens=ConfigurableField(id="n", name="B"))
    with pytest.raises(RunnableConfigurationError, match="declared twice"):
        _ = (a | b).config_specs


@pytest.mark.anyio
async def test_configurable_streams_and_schemas() -> None:
    model = Const(v="a").configurable_alternatives(ConfigurableField(id="llm"), other=Const(v="b"))
    assert [c async for c in model.astream("q", {"configurable": {"llm": "other"}})] == ["b"]
    assert model.get_input_schema() is str
    assert model.get_output_schema() is str
    chunks = [c async for c in model.atransform(_agen("q"), {"configurable": {"llm": "other"}})]
    assert chunks == ["b"]


async def _agen(value: str) -> Any:
    yield value


def test_binding_schemas_and_delegation() -> None:
    def typed(x: int) -> str:
        return str(x)

    bound = RL(typed).with_config(tags=["t"])
    assert bound.InputType is int
    assert bound.OutputType is str
    assert bound.get_input_schema() is int
    assert bound.get_output_schema() is str
    assert bound.config_specs == []
    assert "RunnableBinding(bound=RunnableLambda(typed)" in repr(bound)
    retyped = bound.with_types(input_type=float, output_type=bytes)
    assert retyped.InputType is float
    assert retyped.OutputType is bytes
    assert list(bound.transform(iter([1, 2]))) == ["3"]
    assert bound.get_graph().nodes.keys() >= {"typed"}


def test_listener_signatures() -> None:
    seen: list[str] = []
    r = RL(lambda x: x).with_listeners(on_end=lambda run: seen.append(run.name))
    assert r.invoke(1) == 1
    failing = RL(lambda x: x).with_listeners(on_start=len)  # len(run) raises: the call fails
    with pytest.raises(TypeError):
        failing.invoke(1)
    assert seen == ["RunnableLambda"]


def test_lambda_deps_feed_config_specs() -> None:
    model = EchoModel().configurable_fields(max_tokens=ConfigurableField(id="n"))

    def uses_model(x: str) -> str:
        return model.invoke(x)

    wrapper = RL(uses_model)
    assert wrapper.deps == [model]
    assert [spec.id for spec in wrapper.config_specs] == ["n"]
    assert wrapper.invoke("'abcdef'", {"configurable": {"n": 3}}) == "abc"
    assert RL(lambda x: x).config_specs == []
    assert RL(len).deps == []


def test_bindings_fold_into_one() -> None:
    def show(x: int, config: RunnableConfig) -> tuple[Any, ...]:
        return (config["tags"], config["configurable"])

    bound = RL(show).with_config(tags=["a"]).with_config({"configurable": {"k": 1}}, tags=["b"])
    assert isinstance(bound, RunnableBinding)
    assert isinstance(bound.bound, RunnableLambda)
    assert bound.invoke(0) == (["a", "b"], {"k": 1})
    echo = EchoModel().bind(stop=["x"]).bind(stop=["-"])
    assert isinstance(echo.bound, EchoModel)
    assert echo.invoke('Say "Parrot-MAGIC"') == "Parrot"
    retry = RL(show).with_retry().with_config(tags=["r"])
    assert retry.invoke(0)[0] == ["r"]
