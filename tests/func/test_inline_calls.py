"""Plain sync tasks waited on at once from sync code run inline in the waiting thread
(``actors/pregel/_call.py``): same results, errors, config and cancellation as the
general path, which runs them on the loop's worker threads."""

from __future__ import annotations

import re
import threading
import time
from typing import Any

import anyio
import anyio.to_thread
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actorgraph.config import get_config
from actorgraph.func import entrypoint, task
from actorgraph.store import InMemorySaver, SqliteSaver
from actorgraph.types import RetryPolicy, interrupt

pytestmark = pytest.mark.anyio

_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def _threads() -> tuple[list[int], Any, Any]:
    """A record of the thread each call ran in, and two tasks (inline-able and not)."""
    seen: list[int] = []

    def step(n: int) -> int:
        seen.append(threading.get_ident())
        if n < 0:
            raise ValueError(f"negative input {n}")
        return n * 3 + 1

    # A retry policy needs the loop (its waits), so that task takes the general path.
    general = task(name="step", retry_policy=RetryPolicy(max_attempts=1))(step)
    return seen, task(step), general


def _flow(step: Any, seen: list[int], checkpointer: Any = None) -> Any:
    @entrypoint(checkpointer=checkpointer)
    def sequence(numbers: list[int]) -> dict[str, Any]:
        here = threading.get_ident()
        seen.clear()
        out = [step(n).result() for n in numbers]
        return {"out": out, "inline": [t == here for t in seen]}

    return sequence


async def test_a_call_waited_on_at_once_runs_in_the_callers_thread() -> None:
    seen, inline, general = _threads()
    fast = await _flow(inline, seen).ainvoke([1, 2, 3])
    slow = await _flow(general, seen).ainvoke([1, 2, 3])
    assert fast["out"] == slow["out"] == [4, 7, 10]
    assert fast["inline"] == [True, True, True]
    assert slow["inline"] == [False, False, False]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(min_value=-3, max_value=50), max_size=6))
def test_inline_and_general_paths_agree(numbers: list[int]) -> None:
    seen, inline, general = _threads()

    def outcome(step: Any) -> Any:
        try:
            return _flow(step, seen).invoke(numbers)["out"]
        except ValueError as exc:
            # Task ids differ between runs (each run has a key of its own).
            return (
                "error",
                str(exc),
                [n.split(" and id ")[0] for n in getattr(exc, "__notes__", [])],
            )

    fast, slow = outcome(inline), outcome(general)
    assert fast == slow
    if isinstance(fast, tuple):
        assert fast[2][0] == "During task with name 'step'"


async def test_an_inline_call_sees_the_same_config_and_task_id() -> None:
    def config_of(_: int) -> dict[str, Any]:
        metadata = dict(get_config()["metadata"])
        return {k: v for k, v in metadata.items() if k.startswith("langgraph_")}

    inline = task(config_of)
    general = task(name="config_of", retry_policy=RetryPolicy(max_attempts=1))(config_of)

    def flow_of(step: Any) -> Any:
        @entrypoint()
        def flow(n: int) -> Any:
            return [step(n).result(), step(n + 1).result()]

        return flow

    fast = await flow_of(inline).ainvoke(1)
    slow = await flow_of(general).ainvoke(1)
    # Each call has a task of its own; task ids differ between runs.
    assert fast[0].pop("langgraph_checkpoint_ns") != fast[1].pop("langgraph_checkpoint_ns")
    for item in slow:
        del item["langgraph_checkpoint_ns"]
    assert fast == slow


async def test_calls_nobody_waited_on_still_run_and_fail_the_caller() -> None:
    ran: list[int] = []

    @task
    def record(n: int) -> int:
        ran.append(n)
        if n == 13:
            raise RuntimeError("unlucky")
        return n

    @entrypoint()
    def forgetful(n: int) -> str:
        record(n)  # never waited on: starts when the function returns
        return "done"

    assert await forgetful.ainvoke(1) == "done"
    assert ran == [1]
    with pytest.raises(RuntimeError, match="unlucky"):
        await forgetful.ainvoke(13)


async def test_polling_done_starts_a_deferred_call() -> None:
    @task
    def slowly(n: int) -> int:
        return n + 1

    @entrypoint()
    def poller(n: int) -> int:
        future = slowly(n)
        deadline = time.monotonic() + 10
        while not future.done():
            assert time.monotonic() < deadline, "the call never started"
            time.sleep(0.001)
        return future.result()

    assert await poller.ainvoke(1) == 2


async def test_a_result_with_a_timeout_waits_on_the_loop() -> None:
    seen: list[int] = []

    @task
    def where(n: int) -> int:
        seen.append(threading.get_ident())
        return n

    @entrypoint()
    def flow(n: int) -> bool:
        assert where(n).result(timeout=10) == n
        return seen[0] == threading.get_ident()

    assert await flow.ainvoke(5) is False


async def test_nested_inline_calls() -> None:
    @task
    def inner(n: int) -> int:
        return n * 2

    @task
    def outer(n: int) -> int:
        return inner(n).result() + inner(n + 1).result()

    @entrypoint()
    def flow(n: int) -> int:
        return outer(n).result() + outer(n).result()

    assert await flow.ainvoke(1) == 2 * (2 + 4)


async def test_with_a_checkpointer_finished_calls_are_not_run_again() -> None:
    runs: list[int] = []
    crashed: list[bool] = []

    threads: set[bool] = set()

    @task
    def count(n: int) -> int:
        runs.append(n)
        threads.add(threading.get_ident() == caller[0])
        return n

    caller: list[int] = []

    @entrypoint(checkpointer=SqliteSaver(":memory:"))
    def flow(n: int) -> int:
        caller[:] = [threading.get_ident()]
        first = count(n).result()
        if not crashed:
            crashed.append(True)
            raise RuntimeError("crash after the first call")
        return first + count(n + 1).result()

    config: Any = {"configurable": {"thread_id": "inline-resume"}}
    with pytest.raises(RuntimeError, match="crash"):
        await flow.ainvoke(1, config)
    assert await flow.ainvoke(None, config) == 3
    assert runs == [1, 2]  # the first call's result came from the checkpoint
    assert threads == {True}  # run inline, saved on the loop


async def test_cancelling_the_run_stops_the_next_inline_call() -> None:
    started = threading.Event()
    release = threading.Event()
    ran: list[int] = []

    @task
    def step(n: int) -> int:
        ran.append(n)
        if n == 0:
            started.set()
            release.wait(10)
        return n

    @entrypoint()
    def flow(count: int) -> int:
        return sum(step(n).result() for n in range(count))

    async with anyio.create_task_group() as group:
        group.start_soon(flow.ainvoke, 5)
        await anyio.to_thread.run_sync(started.wait, 10)
        group.cancel_scope.cancel()
        release.set()
    assert ran == [0]  # the worker thread finished its call, then saw the cancellation


def test_an_interrupt_in_an_inline_call_behaves_as_in_the_general_path() -> None:
    def ask(question: str) -> str:
        answer: str = interrupt(question)
        return answer

    def outcome(step: Any) -> Any:
        @entrypoint()
        def flow(question: str) -> str:
            result: str = step(question).result()
            return result

        result = flow.invoke("why?")
        # Interrupt ids differ between runs (each run has a key of its own).
        return [(type(i).__name__, i.value) for i in result["__interrupt__"]]

    fast = outcome(task(ask))
    slow = outcome(task(name="ask", retry_policy=RetryPolicy(max_attempts=1))(ask))
    assert fast == slow == [("Interrupt", "why?")]


# -- with a checkpointer or a stream: the code runs inline, the rest on the loop --


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(min_value=-1, max_value=50), min_size=1, max_size=5))
def test_saved_and_streamed_calls_agree_with_the_general_path(numbers: list[int]) -> None:
    seen, inline, general = _threads()

    def outcome(step: Any) -> Any:
        config: Any = {"configurable": {"thread_id": "t"}}
        flow = _flow(step, seen, InMemorySaver())
        try:
            chunks = list(flow.stream(numbers, config, stream_mode="updates"))
        except ValueError as exc:
            chunks = [("error", str(exc))]
        state = flow.get_state(config)
        return chunks, state.values, [t.name for t in state.tasks]

    fast, slow = outcome(inline), outcome(general)
    inline_flags = fast[0][-1]["sequence"]["inline"] if -1 not in numbers else None
    for result in (fast, slow):
        if -1 not in numbers:
            result[0][-1]["sequence"].pop("inline")
            result[1].pop("inline", None)
    assert fast == slow
    if inline_flags is not None:
        assert all(inline_flags)


async def test_an_unsaveable_result_fails_the_same_way() -> None:
    class Opaque:
        pass

    def make() -> Any:
        return Opaque()

    def flow_of(step: Any) -> Any:
        @entrypoint(checkpointer=SqliteSaver(":memory:"))
        def flow(_: int) -> str:
            step().result()
            return "unreachable"

        return flow

    async def error_of(step: Any) -> tuple[str, str]:
        config: Any = {"configurable": {"thread_id": "t"}}
        with pytest.raises(Exception) as caught:  # noqa: PT011 - compared below
            await flow_of(step).ainvoke(1, config)
        # Checkpoint and task ids differ between runs.
        return type(caught.value).__name__, re.sub(_UUID, "<id>", str(caught.value))

    fast = await error_of(task(make))
    slow = await error_of(task(name="make", retry_policy=RetryPolicy(max_attempts=1))(make))
    assert fast == slow
    assert fast[0] == "SerializationError"
