"""The worker-thread hop sync nodes take: what ``anyio.to_thread.run_sync`` promised.

Results, exceptions with their traceback, contextvars, the thread limiter,
cancellation (waits for the call, keeps its result), ``anyio.from_thread`` and
the sync portal inside the call, a bounded pool of daemon threads.
"""

from __future__ import annotations

import threading
import time
import traceback
from contextvars import ContextVar
from typing import Any, TypedDict

import anyio
import anyio.from_thread
import anyio.lowlevel
import anyio.to_thread
import pytest
from hypothesis import given
from hypothesis import strategies as st

import actorgraph.actors._adapter_threads as threads_module
from actorgraph.actors._adapter_threads import run_sync_in_worker, worker_count
from actorgraph.actors._portal import in_worker_thread
from actorgraph.errors import SyncCalledFromAsyncError
from actorgraph.graph import START, StateGraph

pytestmark = pytest.mark.anyio

_var: ContextVar[str] = ContextVar("_var", default="unset")


async def test_returns_the_result_on_another_thread() -> None:
    caller = threading.get_ident()
    ident, value = await run_sync_in_worker(lambda: (threading.get_ident(), 42))
    assert value == 42
    assert ident != caller


def _fails() -> None:
    raise KeyError("missing")


async def test_exceptions_propagate_with_their_traceback() -> None:
    with pytest.raises(KeyError, match="missing") as caught:
        await run_sync_in_worker(_fails)
    frames = [frame.name for frame in traceback.extract_tb(caught.value.__traceback__)]
    assert "_fails" in frames


async def test_base_exceptions_propagate() -> None:
    def stop() -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        await run_sync_in_worker(stop)


async def test_runs_in_a_copy_of_the_callers_context() -> None:
    _var.set("caller")

    def read_and_write() -> str:
        seen = _var.get()
        _var.set("thread")
        return seen

    assert await run_sync_in_worker(read_and_write) == "caller"
    assert _var.get() == "caller"  # the thread's write stays in its copy


async def test_a_limiter_of_one_serializes_calls() -> None:
    limiter = anyio.CapacityLimiter(1)
    running = 0
    peak = 0
    lock = threading.Lock()

    def work() -> None:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.01)
        with lock:
            running -= 1

    async with anyio.create_task_group() as group:
        for _ in range(4):
            group.start_soon(run_sync_in_worker, work, limiter)
    assert peak == 1
    assert limiter.borrowed_tokens == 0


async def test_the_default_thread_limiter_applies() -> None:
    default = anyio.to_thread.current_default_thread_limiter()
    seen: list[float] = []

    def work() -> None:
        seen.append(default.borrowed_tokens)

    await run_sync_in_worker(work)
    assert seen == [1]
    assert default.borrowed_tokens == 0


async def test_cancellation_waits_for_the_call_and_keeps_its_result() -> None:
    started = threading.Event()
    release = threading.Event()
    finished: list[bool] = []
    results: list[str] = []

    def slow() -> str:
        started.set()
        finished.append(release.wait(5))
        return "done"

    async def call() -> None:
        results.append(await run_sync_in_worker(slow))
        await anyio.lowlevel.checkpoint()  # the cancellation shows here
        results.append("not reached")

    with anyio.CancelScope() as scope:
        async with anyio.create_task_group() as group:
            group.start_soon(call)
            await anyio.to_thread.run_sync(started.wait, 5)
            scope.cancel()
            with anyio.CancelScope(shield=True):
                await anyio.sleep(0.05)
            assert not finished  # still running: the task waits for it
            release.set()
    assert scope.cancelled_caught
    assert finished == [True]
    assert results == ["done"]


async def test_a_cancelled_wait_for_the_limiter_starts_nothing() -> None:
    limiter = anyio.CapacityLimiter(1)
    ran: list[bool] = []
    holder = object()
    await limiter.acquire_on_behalf_of(holder)
    try:
        with anyio.move_on_after(0.02):
            await run_sync_in_worker(lambda: ran.append(True), limiter)
    finally:
        limiter.release_on_behalf_of(holder)
    assert not ran
    assert limiter.borrowed_tokens == 0


async def test_from_thread_works_inside_the_call() -> None:
    loop_thread = threading.get_ident()

    async def in_loop() -> int:
        return threading.get_ident()

    def body() -> tuple[bool, int, int]:
        ran_on = anyio.from_thread.run(in_loop)
        synced = anyio.from_thread.run_sync(threading.get_ident)
        return in_worker_thread(), ran_on, synced

    detected, ran_on, synced = await run_sync_in_worker(body)
    assert detected
    assert ran_on == synced == loop_thread
    assert not in_worker_thread()


async def test_check_cancelled_sees_the_callers_cancellation() -> None:
    started = threading.Event()
    release = threading.Event()
    outcome: list[str] = []
    cancelled = anyio.get_cancelled_exc_class()

    def body() -> None:
        started.set()
        release.wait(5)
        try:
            anyio.from_thread.check_cancelled()
        except cancelled:
            outcome.append("cancelled")
        else:
            outcome.append("not cancelled")

    with anyio.CancelScope() as scope:
        async with anyio.create_task_group() as group:
            group.start_soon(run_sync_in_worker, body)
            await anyio.to_thread.run_sync(started.wait, 5)
            scope.cancel()
            release.set()
    assert outcome == ["cancelled"]


async def test_the_pool_is_reused_and_bounded() -> None:
    before = threading.active_count()
    for _ in range(200):
        await run_sync_in_worker(lambda: None)
    # Sequential calls reuse one worker; anyio's own pool may add none either.
    assert threading.active_count() - before <= 1
    assert worker_count() <= anyio.to_thread.current_default_thread_limiter().total_tokens


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_idle_workers_end_and_are_daemons(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(threads_module, "IDLE_SECONDS", 0.05)
    # Each worker that runs a call reads the new timeout when it next waits.
    gate = threading.Barrier(3, timeout=5)
    ran_on: list[threading.Thread] = []

    def meet() -> None:
        ran_on.append(threading.current_thread())
        gate.wait()

    async with anyio.create_task_group() as group:
        for _ in range(3):
            group.start_soon(run_sync_in_worker, meet)
    assert len(set(ran_on)) == 3
    assert all(t.daemon and t.name == "actorgraph worker" for t in ran_on)
    for worker in ran_on:
        await anyio.to_thread.run_sync(worker.join, 5)
    assert not any(t.is_alive() for t in ran_on)
    assert not set(ran_on) & threads_module._workers


@given(st.lists(st.integers(), max_size=8))
def test_same_results_as_anyio_to_thread(values: list[int]) -> None:
    async def both() -> tuple[list[int], list[int]]:
        ours = [await run_sync_in_worker(lambda v=v: v * 2) for v in values]  # type: ignore[misc]
        theirs = [await anyio.to_thread.run_sync(lambda v=v: v * 2) for v in values]  # type: ignore[misc]
        return ours, theirs

    ours, theirs = anyio.run(both)
    assert ours == theirs == [v * 2 for v in values]


class _S(TypedDict):
    x: int


async def test_a_sync_node_may_join_its_loop_but_not_block_it() -> None:
    inner = StateGraph(_S).add_node("inc", lambda s: {"x": s["x"] + 1})
    app = inner.add_edge(START, "inc").compile()
    seen: dict[str, Any] = {}

    def node(state: _S) -> dict[str, Any]:
        # On a worker thread the sync face joins the run's loop.
        seen["nested"] = app.invoke({"x": state["x"]})
        return {"x": seen["nested"]["x"]}

    outer = StateGraph(_S).add_node("node", node).add_edge(START, "node").compile()
    assert await outer.ainvoke({"x": 1}) == {"x": 2}
    # In the loop's own thread the same call gets the documented error.
    with pytest.raises(SyncCalledFromAsyncError, match="running event loop"):
        app.invoke({"x": 0})
