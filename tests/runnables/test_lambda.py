"""RunnableLambda and RunnableGenerator, sync and async (S11-S21)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from actorgraph.runnables import (
    RunnableConfig,
    RunnableGenerator,
    RunnableLambda,
    RunnableParallel,
    RunnableSequence,
    get_config,
)

RL = RunnableLambda


def add_one(x: int) -> int:
    return x + 1


async def add_one_async(x: int) -> int:
    return x + 100


async def aonly(x: int) -> int:
    return x + 1


def test_lambda_basics() -> None:  # S11
    r = RL(add_one)
    assert r.invoke(1) == 2
    assert r.batch([1, 2, 3]) == [2, 3, 4]
    assert repr(r) == "RunnableLambda(add_one)"


@pytest.mark.anyio
async def test_lambda_basics_async() -> None:  # S11
    r = RL(add_one)
    assert await r.ainvoke(1) == 2
    assert await r.abatch([1, 2, 3]) == [2, 3, 4]


def test_func_and_afunc_sync_path() -> None:  # S12
    assert RL(add_one, afunc=add_one_async).invoke(1) == 2


@pytest.mark.anyio
async def test_func_and_afunc_async_path() -> None:  # S12
    assert await RL(add_one, afunc=add_one_async).ainvoke(1) == 101


def test_coroutine_only_lambda_refuses_sync_invoke() -> None:  # S13
    with pytest.raises(TypeError, match="Cannot invoke a coroutine function synchronously"):
        RL(aonly).invoke(1)


@pytest.mark.anyio
async def test_coroutine_only_lambda_async() -> None:  # S13
    assert await RL(aonly).ainvoke(1) == 2
    assert RL(aonly).get_name() == "aonly"


def test_constructor_errors() -> None:  # S14
    with pytest.raises(TypeError, match="expects a callable"):
        RL(5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="async func and an afunc"):
        RL(aonly, afunc=add_one_async)
    with pytest.raises(TypeError, match="afunc must be an async function"):
        RL(add_one, afunc=add_one)


def test_returned_runnable_is_run() -> None:  # S15
    assert RL(lambda x: RL(lambda y: y * 3)).invoke(2) == 6
    assert list(RL(lambda x: RL(lambda y: y * 3)).stream(2)) == [6]


def test_returned_runnable_respects_recursion_limit() -> None:
    def forever(x: int) -> Any:
        return RL(forever)

    with pytest.raises(RecursionError, match="recursion_limit"):
        RL(forever).invoke(1, {"recursion_limit": 3})


def reverse_generator(s: str) -> Iterator[str]:
    yield from s[::-1]


def test_returned_iterator_streams() -> (
    None
):  # S16 (decision: exact value, the seed has case typos)
    r = RL(lambda _: "Reduce, Reuse, Recycle.") | RL(reverse_generator)
    assert "".join(r.stream({})) == ".elcyceR ,esueR ,ecudeR"
    assert list(r.stream({}))[:3] == [".", "e", "l"]
    assert r.invoke({}) == ".elcyceR ,esueR ,ecudeR"


@pytest.mark.anyio
async def test_returned_async_iterator_streams() -> None:
    async def agen(x: int) -> AsyncIterator[int]:
        for i in range(x):
            yield i

    def returns_agen(x: int) -> AsyncIterator[int]:
        return agen(x)

    assert [c async for c in RL(returns_agen).astream(3)] == [0, 1, 2]
    assert await RL(returns_agen).ainvoke(3) == 3


def gen(input: Any) -> Iterator[str]:
    yield from ["Have", " a", " nice", " day"]


async def agen(input: Any) -> AsyncIterator[str]:
    for token in ["Have", " a", " nice", " day"]:
        yield token


def test_generator_basic() -> None:  # S17
    r = RunnableGenerator(gen)
    assert r.invoke(None) == "Have a nice day"
    assert list(r.stream(None)) == ["Have", " a", " nice", " day"]
    assert r.batch([None, None]) == ["Have a nice day", "Have a nice day"]
    assert r.get_name() == "gen"


@pytest.mark.anyio
async def test_async_generator() -> None:  # S18
    r = RunnableGenerator(agen)
    assert await r.ainvoke(None) == "Have a nice day"
    assert [p async for p in r.astream(None)] == ["Have", " a", " nice", " day"]


def test_async_generator_sync_faces_refuse() -> None:  # S18
    r = RunnableGenerator(agen)
    with pytest.raises(NotImplementedError):
        r.invoke(None)
    with pytest.raises(NotImplementedError):
        r.stream(None)


def test_generator_requires_generator_function() -> None:  # edge case 6
    with pytest.raises(TypeError, match="generator function"):
        RunnableGenerator(lambda x: (c for c in x))


def chant(_: Any) -> Iterator[str]:
    yield from ["Reduce", ",", " Reuse", ",", " Recycle", "."]


def character_generator(input: Iterator[str]) -> Iterator[str]:
    for token in input:
        yield ("👏" + token) if ("," in token or "." in token) else token


def test_generator_function_in_pipe() -> None:  # S19
    runnable = RL(chant) | character_generator
    assert isinstance(runnable, RunnableSequence)
    assert type(runnable.last) is RunnableGenerator
    assert "".join(runnable.stream({"topic": "waste"})) == "Reduce👏, Reuse👏, Recycle👏."


def upper(it: Iterator[str]) -> Iterator[str]:
    for x in it:
        yield x.upper()


def ab(_: Any) -> Iterator[str]:
    yield "a"
    yield "b"


def test_transform_streams_input_to_output() -> None:  # S20
    assert list(RunnableGenerator(upper).transform(iter(["a", "b"]))) == ["A", "B"]
    assert list((RunnableGenerator(ab) | RunnableGenerator(upper)).stream(None)) == ["A", "B"]
    assert list(RL(add_one).stream(1)) == [2]


@pytest.mark.anyio
async def test_streaming_starts_before_input_ends() -> None:
    """A streaming step sees the first chunk before the upstream has finished."""
    seen: list[str] = []

    async def source(_: Any) -> AsyncIterator[str]:
        for item in ["a", "b"]:
            seen.append(f"produce {item}")
            yield item

    async def relay(it: AsyncIterator[str]) -> AsyncIterator[str]:
        async for item in it:
            seen.append(f"relay {item}")
            yield item

    chain = RunnableGenerator(source) | RunnableGenerator(relay)
    assert [c async for c in chain.astream(None)] == ["a", "b"]
    assert seen == ["produce a", "relay a", "produce b", "relay b"]


def xy(it: Iterator[Any]) -> Iterator[str]:
    for _ in it:
        pass
    yield "x"
    yield "y"


def test_parallel_stream_yields_per_key_chunks() -> None:  # S21
    chunks = list(RunnableParallel(a=RL(add_one), b=RunnableGenerator(xy)).stream(1))
    assert sorted(map(str, chunks)) == sorted(map(str, [{"a": 2}, {"b": "x"}, {"b": "y"}]))


@pytest.mark.anyio
async def test_parallel_atransform_async() -> None:  # S21 on both backends
    chunks = [c async for c in RunnableParallel(a=RL(add_one), b=RunnableGenerator(xy)).astream(1)]
    assert sorted(map(str, chunks)) == sorted(map(str, [{"a": 2}, {"b": "x"}, {"b": "y"}]))


def test_lambda_receives_config_and_nested_calls_inherit_it() -> None:
    def inner(x: int, config: RunnableConfig) -> list[str]:
        return config["tags"]

    def outer(x: int) -> list[str]:
        # No config passed: the nested call inherits the enclosing one.
        assert get_config()["tags"] == ["t"]
        tags: list[str] = RL(inner).invoke(x)
        return tags

    assert RL(outer).invoke(1, {"tags": ["t"]}) == ["t"]


def test_get_config_outside_a_runnable() -> None:
    with pytest.raises(RuntimeError, match="outside a Runnable"):
        get_config()


@pytest.mark.anyio
async def test_generator_with_config_parameter() -> None:
    async def tagged(it: AsyncIterator[Any], config: RunnableConfig) -> AsyncIterator[Any]:
        async for _ in it:
            pass
        yield config["tags"]

    def sync_tagged(it: Iterator[Any], config: RunnableConfig) -> Iterator[Any]:
        yield config["metadata"]

    assert await RunnableGenerator(tagged).ainvoke(1, {"tags": ["q"]}) == ["q"]
    assert await RunnableGenerator(sync_tagged).ainvoke(1, {"metadata": {"m": 1}}) == {"m": 1}


def sync_tokens(_: Any) -> Iterator[str]:
    yield "sync"


async def async_tokens(_: Any) -> AsyncIterator[str]:
    yield "async"


def test_generator_with_both_functions_picks_by_face() -> None:
    both = RunnableGenerator(sync_tokens, async_tokens)
    assert both.invoke(None) == "sync"
    assert list(both.stream(None)) == ["sync"]


@pytest.mark.anyio
async def test_generator_with_both_functions_async_face() -> None:
    both = RunnableGenerator(sync_tokens, async_tokens)
    assert await both.ainvoke(None) == "async"
