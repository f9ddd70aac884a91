"""Laws: batch equals one invoke per input, in order; config merging is associative."""

from __future__ import annotations

from typing import Any

import anyio
import anyio.lowlevel
from hypothesis import given, settings
from hypothesis import strategies as st

from actorgraph.runnables import RunnableConfig, RunnableLambda, merge_configs
from tests.strategies import batch_inputs, max_concurrency, runnable_configs, string_step_names


async def _jitter(x: int) -> int:
    # Finish in an order unrelated to the input order.
    for _ in range(abs(x) % 3):
        await anyio.lowlevel.checkpoint()
    if x % 7 == 0:
        raise ValueError(x)
    return x * 2


@settings(max_examples=25)
@given(inputs=batch_inputs, limit=max_concurrency)
def test_abatch_matches_invoke_per_input(inputs: list[int], limit: int | None) -> None:
    runnable = RunnableLambda(_jitter)

    async def run() -> tuple[list[Any], list[Any]]:
        batched = await runnable.abatch(inputs, {"max_concurrency": limit}, return_exceptions=True)
        single: list[Any] = []
        for x in inputs:
            try:
                single.append(await runnable.ainvoke(x))
            except ValueError as exc:  # noqa: PERF203 - one call per input is the reference
                single.append(exc)
        return batched, single

    batched, single = anyio.run(run)
    assert [repr(v) for v in batched] == [repr(v) for v in single]


@given(a=runnable_configs, b=runnable_configs, c=runnable_configs)
def test_merge_configs_is_associative(
    a: RunnableConfig, b: RunnableConfig, c: RunnableConfig
) -> None:
    assert merge_configs(merge_configs(a, b), c) == merge_configs(a, merge_configs(b, c))
    merged = merge_configs(a, b)
    assert set(merged.get("tags", [])) == set(a.get("tags", [])) | set(b.get("tags", []))


def _string_step(name: str) -> Any:
    from collections.abc import AsyncIterator, Iterator

    from actorgraph.runnables import RunnableGenerator, RunnablePassthrough

    def append(s: str) -> str:
        return s + "a"

    async def upper_stream(chunks: AsyncIterator[str]) -> AsyncIterator[str]:
        async for chunk in chunks:
            yield chunk.upper()

    def explode(chunks: Iterator[str]) -> Iterator[str]:
        for chunk in chunks:
            yield from chunk

    def reverse_lambda(s: str) -> Iterator[str]:
        yield from s[::-1]

    steps = {
        "append": RunnableLambda(append),
        "upper_stream": RunnableGenerator(upper_stream),
        "passthrough": RunnablePassthrough(),
        "explode": RunnableGenerator(explode),
        "reverse_lambda": RunnableLambda(reverse_lambda),
    }
    return steps[name]


@settings(max_examples=20)
@given(names=string_step_names, text=st.text(alphabet="xyz", min_size=1, max_size=5))
def test_streamed_chunks_add_up_to_invoke(names: list[str], text: str) -> None:
    from actorgraph.runnables import RunnableSequence

    chain = RunnableSequence(*[_string_step(name) for name in names])

    async def run() -> tuple[Any, list[Any]]:
        return await chain.ainvoke(text), [chunk async for chunk in chain.astream(text)]

    for backend in ("asyncio", "trio"):
        invoked, chunks = anyio.run(run, backend=backend)
        assert "".join(chunks) == invoked
