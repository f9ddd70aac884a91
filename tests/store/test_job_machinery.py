"""The SQLite layer's job machinery: the light job future (same answers as
``concurrent.futures.Future``) and the loop inbox that hands a batch of
finished jobs back to the event loop with one wake-up, on asyncio and trio."""

from __future__ import annotations

import concurrent.futures as cf
import threading
from collections.abc import Callable
from functools import partial
from typing import Any

import anyio
import pytest
from hypothesis import given

from actorgraph.store import _adapter_loop
from actorgraph.store._adapter_loop import held_wakes, loop_batch_poster
from actorgraph.store._sqlite_threads import JobFuture
from tests.strategies import job_future_moves

# --- the job future ------------------------------------------------------------------


def _apply(future: Any, move: str, seen: list[Any]) -> object:
    """One move on either kind of future; what it returned or raised, by kind."""
    try:
        if move == "cancel":
            return future.cancel()
        if move == "start":
            return future.set_running_or_notify_cancel()
        if move == "result":
            return future.set_result(len(seen))
        if move == "error":
            return future.set_exception(ValueError("bad row"))
        if move == "callback":
            return future.add_done_callback(lambda done: seen.append(done.done()))
        if move == "done":
            return (future.done(), future.cancelled())
        if move == "running":
            return future.running()
        if not future.done():
            return "pending"
        error = future.exception(timeout=0)
        return repr(error) if error is not None else future.result(timeout=0)
    except (RuntimeError, cf.CancelledError, cf.InvalidStateError) as exc:
        return type(exc).__name__


@given(job_future_moves())
def test_job_future_answers_as_a_concurrent_future(moves: list[str]) -> None:
    light: JobFuture[int] = JobFuture()
    reference: cf.Future[int] = cf.Future()
    light_seen: list[Any] = []
    reference_seen: list[Any] = []
    for move in moves:
        assert _apply(light, move, light_seen) == _apply(reference, move, reference_seen), move
        assert light_seen == reference_seen, move


def test_a_plain_thread_blocks_on_result_until_the_job_finishes() -> None:
    future: JobFuture[str] = JobFuture()
    assert future.set_running_or_notify_cancel()
    with pytest.raises(cf.TimeoutError):
        future.result(timeout=0.01)
    timer = threading.Timer(0.02, future.set_result, ("committed",))
    timer.start()
    assert future.result(timeout=10) == "committed"
    timer.join()


def test_a_cancelled_job_raises_cancelled_and_runs_its_callbacks_once() -> None:
    future: JobFuture[int] = JobFuture()
    calls: list[bool] = []
    future.add_done_callback(lambda done: calls.append(done.cancelled()))
    assert future.cancel()
    assert future.cancel()
    assert calls == [True]
    with pytest.raises(cf.CancelledError):
        future.result()
    with pytest.raises(cf.CancelledError):
        future.exception()
    assert not future.set_running_or_notify_cancel()
    with pytest.raises(RuntimeError, match="cannot start"):
        future.set_running_or_notify_cancel()


# --- the loop inbox --------------------------------------------------------------------


def _inbox() -> tuple[_adapter_loop._Inbox, list[Callable[[], object]]]:
    wakes: list[Callable[[], object]] = []
    return _adapter_loop._Inbox(object(), wakes.append), wakes


def test_posts_wake_the_loop_once_until_it_runs_them() -> None:
    inbox, wakes = _inbox()
    ran: list[int] = []
    for i in range(3):
        inbox.post(partial(ran.append, i))
    assert len(wakes) == 1
    wakes[0]()
    assert ran == [0, 1, 2]
    inbox.post(lambda: ran.append(3))
    assert len(wakes) == 2


def test_held_wakes_wake_each_loop_once_at_the_end_of_the_block() -> None:
    first, first_wakes = _inbox()
    second, second_wakes = _inbox()
    ran: list[str] = []
    with held_wakes():
        first.post(lambda: ran.append("a"))
        with held_wakes():  # nested: the outer block wakes
            second.post(lambda: ran.append("b"))
            first.post(lambda: ran.append("c"))
        assert not first_wakes
        assert not second_wakes
    assert (len(first_wakes), len(second_wakes)) == (1, 1)
    first_wakes[0]()
    second_wakes[0]()
    assert ran == ["a", "c", "b"]


def test_a_failing_callback_leaves_the_rest_to_a_later_pass() -> None:
    inbox, wakes = _inbox()
    ran: list[str] = []

    def fail() -> None:
        raise LookupError("a callback failed")

    inbox.post(lambda: ran.append("before"))
    inbox.post(fail)
    inbox.post(lambda: ran.append("after"))
    with pytest.raises(LookupError):
        wakes[0]()
    assert ran == ["before"]
    assert len(wakes) == 2
    wakes[1]()
    assert ran == ["before", "after"]


@pytest.mark.anyio
async def test_callbacks_posted_from_threads_run_in_the_loop_in_order() -> None:
    post = loop_batch_poster()
    assert loop_batch_poster() == post  # one inbox per loop
    loop_thread = threading.get_ident()
    ran: list[tuple[int, int]] = []
    finished = anyio.Event()

    def note(i: int) -> None:
        ran.append((i, threading.get_ident()))

    def deliver() -> None:
        with held_wakes():
            for i in range(50):
                post(partial(note, i))
        for i in range(50, 100):
            post(partial(note, i))
        post(finished.set)

    thread = threading.Thread(target=deliver)
    thread.start()
    with anyio.fail_after(10):
        await finished.wait()
    thread.join()
    assert [i for i, _ in ran] == list(range(100))
    assert {ident for _, ident in ran} == {loop_thread}


def test_a_new_loop_in_the_same_thread_gets_an_inbox_of_its_own() -> None:
    results: list[int] = []

    async def round_trip(value: int) -> None:
        post = loop_batch_poster()
        done = anyio.Event()
        threading.Thread(
            target=lambda: (post(lambda: results.append(value)), post(done.set))
        ).start()
        with anyio.fail_after(10):
            await done.wait()

    anyio.run(round_trip, 1)
    anyio.run(round_trip, 2, backend="trio")
    anyio.run(round_trip, 3)
    assert results == [1, 2, 3]
