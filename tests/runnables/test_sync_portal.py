"""The one sync portal (``actorgraph.actors._portal``) as the engine, chat models and
Runnables use it: a reused loop per thread, live iteration, worker threads join
their loop, one error inside a running loop."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
import anyio.lowlevel
import anyio.to_thread
import pytest
from typing_extensions import TypedDict

from actorgraph.actors import _portal
from actorgraph.actors._adapter_loop import spawn_detached
from actorgraph.errors import SyncCalledFromAsyncError
from actorgraph.graph import START, StateGraph
from actorgraph.graph.state import CompiledStateGraph
from actorgraph.runnables import RunnableLambda
from actorgraph.testing import FakeChatModel


class State(TypedDict):
    x: int


def _graph(node: Any) -> CompiledStateGraph[Any]:
    builder = StateGraph(State)
    builder.add_node("node", node)
    builder.add_edge(START, "node")
    return builder.compile()


def _loop_id() -> int:
    return id(anyio.lowlevel.current_token().native_token)


async def _which_loop(state: State) -> dict[str, int]:
    return {"x": _loop_id()}


def _probe() -> int:
    """The id of the loop a sync ``invoke`` made now runs on."""
    result: int = _graph(_which_loop).invoke({"x": 0})["x"]
    return result


def test_plain_code_reuses_one_loop_per_thread() -> None:
    first = _probe()
    assert _probe() == first  # no new loop per call
    assert FakeChatModel(["a"]).invoke("q").content == "a"


def test_a_nested_call_gets_a_loop_of_its_own() -> None:
    def node(state: State) -> dict[str, int]:  # alone in its step: runs inline
        return {"x": _probe()}

    inner = _graph(node).invoke({"x": 0})["x"]
    assert inner != _probe()  # the outer loop was busy running the node
    assert _graph(node).invoke({"x": 0})["x"] == inner  # the nested loop is reused too


def test_sync_nodes_on_worker_threads_join_their_loop() -> None:
    model = FakeChatModel(["one two", "three four"])
    seen: dict[str, Any] = {}

    def left(state: State) -> dict[str, int]:
        seen["left"] = [c.content for c in model.stream("q")]  # live, on the run's loop
        seen["left_loop"] = _probe()
        return {}

    def right(state: State) -> dict[str, int]:
        seen["right"] = model.invoke("q").content
        seen["right_loop"] = _probe()
        return {}

    async def record(state: State) -> dict[str, int]:
        seen["run_loop"] = _loop_id()
        return {}

    builder = StateGraph(State)
    builder.add_node("record", record).add_node("left", left).add_node("right", right)
    builder.add_edge(START, "record")
    builder.add_edge("record", "left")
    builder.add_edge("record", "right")
    app = builder.compile()

    async def main() -> None:
        await app.ainvoke({"x": 0})

    anyio.run(main)
    assert sorted([seen["left"], [seen["right"]]], key=len) in (
        [["three four"], ["one", " two"]],
        [["one two"], ["three", " four"]],
    )
    assert seen["left_loop"] == seen["right_loop"] == seen["run_loop"]


def test_sync_iteration_is_live_and_closes_early() -> None:
    cleaned: list[str] = []
    started = 0

    async def numbers() -> AsyncIterator[int]:
        nonlocal started
        try:
            for i in range(1000):
                started = i
                yield i
        finally:
            cleaned.append("closed")

    items = _portal.iterate_sync("anumbers", numbers)
    assert next(items) == 0
    # The producer stays ahead by what was handed over plus one buffer, at most.
    assert started <= 2 * _portal.ITERATE_BUFFER + 1
    items.close()
    assert cleaned == ["closed"]
    assert list(_portal.iterate_sync("anumbers", numbers)) == list(range(1000))


def test_sync_iteration_raises_the_error_of_the_work() -> None:
    async def failing() -> AsyncIterator[int]:
        yield 1
        raise LookupError("gone")

    items = _portal.iterate_sync("afailing", failing)
    assert next(items) == 1
    with pytest.raises(LookupError, match="gone"):
        next(items)


def test_the_trio_backend_for_sync_faces(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_portal, "SYNC_BACKEND", "trio")
    assert not _portal.owns_private_loop()
    app = _graph(lambda s: {"x": s["x"] + 1})
    assert app.invoke({"x": 1}) == {"x": 2}
    assert list(app.stream({"x": 1})) == [{"node": {"x": 2}}]
    model = FakeChatModel(["a b"])
    assert [c.content for c in model.stream("q")] == ["a", " b"]


@pytest.mark.anyio
async def test_one_error_class_inside_a_running_loop() -> None:
    app = _graph(lambda s: {"x": 1})
    model = FakeChatModel(["a"])
    calls: list[Callable[[], object]] = [
        lambda: app.invoke({"x": 0}),
        lambda: app.stream({"x": 0}),
        lambda: app.batch([{"x": 0}]),
        lambda: model.invoke("q"),
        lambda: model.stream("q"),
        lambda: RunnableLambda(lambda x: x).invoke(1),
    ]
    for call in calls:
        with pytest.raises(SyncCalledFromAsyncError, match="running event loop"):
            call()
    # A worker thread of this loop may use them: it joins the loop.
    assert await anyio.to_thread.run_sync(lambda: app.invoke({"x": 0})) == {"x": 1}


# -- Ctrl-C on the reused loop (run_in_thread_loop swaps the SIGINT handler itself) --


def _with_default_sigint(body: Callable[[], None]) -> None:
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        body()
    finally:
        signal.signal(signal.SIGINT, previous)


def test_ctrl_c_cancels_the_sync_call_and_raises_keyboard_interrupt() -> None:
    cleaned: list[str] = []

    async def work() -> None:
        try:
            signal.raise_signal(signal.SIGINT)
            await anyio.sleep(5)
        finally:
            cleaned.append("cleanup ran")

    def body() -> None:
        with pytest.raises(KeyboardInterrupt):
            _portal.run_sync("awork", work)
        assert cleaned == ["cleanup ran"]  # the work was cancelled, not abandoned
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
        assert _portal.run_sync("awork", _answer) == 42  # the loop is still usable

    _with_default_sigint(body)


async def _answer() -> int:
    return 42


def test_a_cancelled_sync_call_without_ctrl_c_raises_cancelled() -> None:
    kinds: list[type[BaseException]] = []

    async def cancel_myself() -> None:
        kinds.append(anyio.get_cancelled_exc_class())
        raise kinds[0]

    def body() -> None:
        # The reused loop is asyncio's: not turned into KeyboardInterrupt.
        with pytest.raises(asyncio.CancelledError):
            _portal.run_sync("acancel", cancel_myself)
        assert kinds == [asyncio.CancelledError]
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler

    _with_default_sigint(body)


def test_a_handler_of_the_users_own_is_left_alone() -> None:
    seen: list[int] = []

    def mine(signum: int, frame: Any) -> None:
        seen.append(signum)

    async def work() -> int:
        signal.raise_signal(signal.SIGINT)
        await anyio.lowlevel.checkpoint()
        return 1

    previous = signal.signal(signal.SIGINT, mine)
    try:
        assert _portal.run_sync("awork", work) == 1
        assert signal.getsignal(signal.SIGINT) is mine
    finally:
        signal.signal(signal.SIGINT, previous)
    assert seen == [signal.SIGINT]


# -- the reused loop runs a call's first step at once (_adapter_loop._first_step) --


def test_a_call_that_never_waits_and_one_that_does_give_their_results() -> None:
    async def at_once() -> str:
        return "now"

    async def later() -> str:
        await anyio.sleep(0.01)
        return "later"

    async def fails() -> None:
        raise LookupError("from the first step")

    assert _portal.run_sync("aat_once", at_once) == "now"
    assert _portal.run_sync("alater", later) == "later"
    with pytest.raises(LookupError, match="first step"):
        _portal.run_sync("afails", fails)
    assert _portal.run_sync("aat_once", at_once) == "now"


def test_callbacks_a_finished_first_step_left_behind_still_run() -> None:
    ran: list[str] = []

    async def background() -> None:
        ran.append("background step")

    async def leaves_work() -> str:
        spawn_detached(background)  # scheduled, not awaited
        return "returned"

    assert _portal.run_sync("aleaves_work", leaves_work) == "returned"
    assert ran == ["background step"]  # as a loop pass would have run it
