"""Waiting in place for a short sync call (``Patience``): same outcome as the loop.

A sync node's call may be waited for by the event loop's thread itself, for a
tenth of a millisecond at most, when no other task is ready. These tests pin
that it happens for a short call, that it never changes what the call gives
(results, exceptions, contexts, ``from_thread``, cancellation), that a slow
call hands the wait to the loop and makes its caller stop waiting in place for
a while, and that a loop with other work never waits in place.
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
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import actorgraph.actors._adapter_threads as threads_module
from actorgraph.actors._adapter_threads import Patience, run_sync_in_worker
from actorgraph.graph import END, START, StateGraph
from actorgraph.store import InMemorySaver
from actorgraph.types import Command, interrupt

pytestmark = pytest.mark.anyio

_var: ContextVar[str] = ContextVar("_patience_var", default="unset")


@pytest.fixture
def in_place(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each waited call finished in place (asyncio only records any)."""
    seen: list[bool] = []
    original = threads_module._waits_in_place

    def recording(patience: Patience, loop: Any, call: Any) -> bool:
        finished = original(patience, loop, call)
        seen.append(finished)
        return finished

    monkeypatch.setattr(threads_module, "_waits_in_place", recording)
    # A loaded test machine may take longer than the default to wake a thread.
    monkeypatch.setattr(threads_module, "WAIT_IN_PLACE", 1.0)
    return seen


def _on_asyncio() -> bool:
    import sniffio

    return sniffio.current_async_library() == "asyncio"


async def test_a_short_call_is_waited_for_in_place(in_place: list[bool]) -> None:
    caller = threading.get_ident()
    for _ in range(5):  # a callback left over from an earlier test may keep the loop busy once
        ident, value = await run_sync_in_worker(
            lambda: (threading.get_ident(), 42), patience=Patience()
        )
        assert value == 42
        assert ident != caller
    # Trio keeps anyio.to_thread: nothing to wait for in place there.
    assert (True in in_place) == _on_asyncio()


def _fails() -> None:
    raise KeyError("missing")


async def test_exceptions_come_back_with_their_traceback(in_place: list[bool]) -> None:
    with pytest.raises(KeyError, match="missing") as caught:
        await run_sync_in_worker(_fails, patience=Patience())
    frames = [frame.name for frame in traceback.extract_tb(caught.value.__traceback__)]
    assert "_fails" in frames


async def test_the_call_runs_in_a_copy_of_the_callers_context(in_place: list[bool]) -> None:
    _var.set("caller")

    def read_and_write() -> str:
        seen = _var.get()
        _var.set("thread")
        return seen

    assert await run_sync_in_worker(read_and_write, patience=Patience()) == "caller"
    assert _var.get() == "caller"


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_a_slow_call_goes_through_the_loop_and_its_caller_waits_less(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(threads_module, "WAIT_IN_PLACE", 0.001)
    patience = Patience()

    def slow() -> str:
        time.sleep(0.05)
        return "slow"

    assert await run_sync_in_worker(slow, patience=patience) == "slow"
    assert (patience.misses, patience.skip) == (1, 2)
    # The next calls skip the wait in place, however short they are.
    assert await run_sync_in_worker(lambda: "quick", patience=patience) == "quick"
    assert patience.skip == 1
    assert await run_sync_in_worker(lambda: "quick", patience=patience) == "quick"
    assert patience.skip == 0
    monkeypatch.setattr(threads_module, "WAIT_IN_PLACE", 1.0)
    assert await run_sync_in_worker(lambda: "quick", patience=patience) == "quick"
    assert (patience.misses, patience.skip) == (0, 0)  # in time again: back to waiting


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_repeated_misses_back_off_up_to_a_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(threads_module, "WAIT_IN_PLACE", 0.0)
    patience = Patience()
    skips = []
    for _ in range(12):
        patience.skip = 0  # as if the skipped calls had passed
        await run_sync_in_worker(lambda: time.sleep(0.001), patience=patience)
        skips.append(patience.skip)
    assert skips == [2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 1024, 1024]


async def test_a_loop_with_other_work_does_not_wait_in_place(in_place: list[bool]) -> None:
    ticks: list[int] = []

    async def other() -> None:
        for i in range(50):
            ticks.append(i)
            await anyio.lowlevel.checkpoint()

    async with anyio.create_task_group() as group:
        group.start_soon(other)
        await anyio.lowlevel.checkpoint()  # let it start: it is ready from now on
        assert await run_sync_in_worker(lambda: "done", patience=Patience()) == "done"
    assert in_place == ([False] if _on_asyncio() else [])
    assert len(ticks) == 50


async def test_from_thread_inside_a_call_waited_for_in_place(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The call needs the loop while the loop's thread may wait in place: it
    # gets the loop once that wait is handed over (no deadlock, same result).
    seen: list[bool] = []
    original = threads_module._waits_in_place

    def recording(patience: Patience, loop: Any, call: Any) -> bool:
        finished = original(patience, loop, call)
        seen.append(finished)
        return finished

    monkeypatch.setattr(threads_module, "_waits_in_place", recording)
    monkeypatch.setattr(threads_module, "WAIT_IN_PLACE", 0.01)
    loop_thread = threading.get_ident()

    async def in_loop() -> int:
        return threading.get_ident()

    patience = Patience()
    ran_on = await run_sync_in_worker(lambda: anyio.from_thread.run(in_loop), patience=patience)
    assert ran_on == loop_thread
    assert seen == ([False] if _on_asyncio() else [])  # the wait was handed over


async def test_cancellation_waits_for_the_call_and_keeps_its_result() -> None:
    started = threading.Event()
    release = threading.Event()
    results: list[str] = []

    def slow() -> str:
        started.set()
        release.wait(5)
        return "done"

    async def call() -> None:
        results.append(await run_sync_in_worker(slow, patience=Patience()))
        await anyio.lowlevel.checkpoint()  # the cancellation shows here
        results.append("not reached")

    with anyio.CancelScope() as scope:
        async with anyio.create_task_group() as group:
            group.start_soon(call)
            await anyio.to_thread.run_sync(started.wait, 5)
            scope.cancel()
            with anyio.CancelScope(shield=True):
                await anyio.sleep(0.02)
            release.set()
    assert scope.cancelled_caught
    assert results == ["done"]


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

    async def hop() -> None:
        await run_sync_in_worker(body, patience=Patience())

    with anyio.CancelScope() as scope:
        async with anyio.create_task_group() as group:
            group.start_soon(hop)
            await anyio.to_thread.run_sync(started.wait, 5)
            scope.cancel()
            release.set()
    assert outcome == ["cancelled"]


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_the_worker_is_idle_again_when_its_caller_goes_on(in_place: list[bool]) -> None:
    # The caller goes on as soon as it hears of the result: the worker is back
    # in the pool by then, so back-to-back calls keep to one thread.
    patience = Patience()
    threads = {await run_sync_in_worker(threading.get_ident, patience=patience) for _ in range(50)}
    assert len(threads) == 1


class _Ask(TypedDict):
    question: str
    answer: str


def _graph() -> Any:
    def ask(state: _Ask) -> dict[str, str]:
        return {"answer": interrupt(state["question"])}

    builder = StateGraph(_Ask)
    builder.add_node("ask", ask)
    builder.add_edge(START, "ask")
    builder.add_edge("ask", END)
    return builder.compile(checkpointer=InMemorySaver())


async def _round_trips(graph: Any, questions: list[str]) -> list[Any]:
    out = []
    for i, question in enumerate(questions):
        config = {"configurable": {"thread_id": f"t{i}"}}
        paused = await graph.ainvoke({"question": question, "answer": ""}, config)
        done = await graph.ainvoke(Command(resume=question.upper()), config)
        out.append((paused["__interrupt__"][0].value, done))
    return out


@settings(max_examples=10, deadline=None)
@given(st.lists(st.text(max_size=5), min_size=1, max_size=4))
def test_interrupt_and_resume_give_the_same_answers_either_way(questions: list[str]) -> None:
    def run(wait: float) -> list[Any]:
        saved = threads_module.WAIT_IN_PLACE
        threads_module.WAIT_IN_PLACE = wait
        try:
            return anyio.run(_round_trips, _graph(), questions)
        finally:
            threads_module.WAIT_IN_PLACE = saved

    in_place = run(1.0)
    through_the_loop = run(0.0)
    assert in_place == through_the_loop
    assert [done["answer"] for _, done in in_place] == [q.upper() for q in questions]
