"""Every benchmark workload computes the right answer on actorgraph.

A benchmark that computes a wrong answer must fail; here each workload runs
once at its small size on both backends, untimed, so a change that breaks one
shows up in ``make test`` rather than only in ``make bench``.
"""

from __future__ import annotations

import inspect

import pytest

from benchmarks import _impls, workloads

pytestmark = pytest.mark.anyio

SMALL = [w for w in workloads.all_workloads() if w.quick and "actorgraph" in w.impls]


@pytest.mark.parametrize("workload", SMALL, ids=[w.name for w in SMALL])
async def test_workload_answers_correctly(workload: workloads.Workload) -> None:
    api = _impls.load("actorgraph")
    prepared = workload.prepare(api)
    if prepared.is_async:
        result = prepared.run()
        assert inspect.isawaitable(result)
        prepared.check(await result)
    else:
        # Sync workloads call the blocking faces, which refuse a running loop.
        import anyio.to_thread

        prepared.check(await anyio.to_thread.run_sync(prepared.run))
