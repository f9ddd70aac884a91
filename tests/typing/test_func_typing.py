"""Inference of the functional API, checked by mypy (``make types``) and run by pytest."""

from __future__ import annotations

import pytest
from typing_extensions import assert_type

from actorgraph.func import CallFuture, EntrypointGraph, TaskFunction, entrypoint, task
from actorgraph.types import RetryPolicy


@task
def add_one(n: int) -> int:
    return n + 1


@task(name="twice", retry_policy=RetryPolicy())
async def double(n: int) -> int:
    return n * 2


@entrypoint()
async def flow(n: int) -> int:
    first = add_one(n)
    assert_type(first, CallFuture[int])
    second = double(n)
    assert_type(second, CallFuture[int])
    return await first + await second


def test_task_and_entrypoint_types() -> None:
    sync_task: TaskFunction[[int], int] = add_one
    async_task: TaskFunction[[int], int] = double  # an async task's result is the awaited value
    assert sync_task.name == "add_one"
    assert_type(flow, EntrypointGraph)
    assert flow.invoke(3) == 10
    assert async_task.name == "twice"


@pytest.mark.anyio
async def test_final_is_generic() -> None:
    value = entrypoint.final(value=1, save="saved")
    assert_type(value, entrypoint.final[int, str])
    assert value.save == "saved"
