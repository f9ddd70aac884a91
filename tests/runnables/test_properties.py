"""Laws: batch equals one invoke per input, in order; config merging is associative."""

from __future__ import annotations

from typing import Any

import anyio
import anyio.lowlevel
from hypothesis import given, settings

from actorgraph.runnables import RunnableConfig, RunnableLambda, merge_configs
from tests.strategies import batch_inputs, max_concurrency, runnable_configs


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
