"""Inference of the Runnable API, checked by mypy (``make types``) and run by pytest."""

from __future__ import annotations

from typing import Any

from typing_extensions import assert_type

from actorgraph.runnables import (
    Runnable,
    RunnableBinding,
    RunnableConfig,
    RunnableLambda,
    RunnableParallel,
    RunnableRetry,
    RunnableSequence,
    RunnableWithFallbacks,
)


class Length(Runnable[str, int]):
    async def ainvoke(self, input: str, config: RunnableConfig | None = None, **kwargs: Any) -> int:
        return len(input)


def test_types_flow_through_composition() -> None:
    length = Length()
    assert_type(length.invoke("abc"), int)
    assert_type(length.batch(["a", "bc"]), list[int])
    assert_type(length.bind(x=1), RunnableBinding[str, int])
    assert_type(length.with_config(tags=["t"]), RunnableBinding[str, int])
    assert_type(length.with_retry(), RunnableRetry[str, int])
    assert_type(length.with_fallbacks([Length()]), RunnableWithFallbacks[str, int])
    assert_type(length.map(), Runnable[list[str], list[int]])
    chain = length | RunnableLambda(lambda n: n * 2)
    assert_type(chain, RunnableSequence[str, Any])
    assert_type(RunnableLambda(len), RunnableLambda[Any, Any])
    assert_type(RunnableParallel(a=length), RunnableParallel[Any])
    assert chain.invoke("abc") == 6
    assert length.map().invoke(["a", "bc"]) == [1, 2]
