"""Worker threads for sync nodes: a cheaper hop than ``anyio.to_thread`` on asyncio.

``anyio.to_thread.run_sync`` costs about 92 µs wall / 57 µs CPU per call on
asyncio (two extra passes through the event loop for its checkpoint and the
limiter, a locked ``queue.Queue``, a root-task lookup); a bare worker thread
costs about 58 / 19. :func:`run_sync_in_worker` keeps what the engine relies on
and drops the rest:

* the same :class:`anyio.CapacityLimiter` (the default thread limiter unless
  one is given) bounds how many calls run at once; a free token is taken
  without a pass through the loop;
* the call runs in a copy of the caller's context (contextvars: config,
  runtime, ``interrupt()``);
* the thread is an anyio worker thread for the call's loop, so
  ``anyio.from_thread.run`` / ``check_cancelled`` and the sync portal's
  worker-thread detection work as under ``anyio.to_thread``;
* cancellation waits for the call to finish and returns what it returned
  (``abandon_on_cancel=False``): the caller decides what to keep;
* the call's exception propagates unchanged, with its traceback.

The result comes back through the store layer's non-blocking poster
(:func:`~actorgraph.store._adapter_loop.loop_callback_poster`), the same
wake-up the SQLite threads use. Idle workers wait on a queue of their own and
end after :data:`IDLE_SECONDS`; they are daemon threads, so they never keep the
process alive.

Trio keeps ``anyio.to_thread`` (trio's ``from_thread`` works only in threads
trio started), and so does an anyio whose private worker-thread state this
module does not recognise.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import os
import queue
import threading
from collections import deque
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import anyio.to_thread

from actorgraph.store._adapter_loop import Poster, loop_callback_poster

try:  # anyio's own record of "this is a worker thread of that loop"
    from anyio._backends._asyncio import AsyncIOBackend, _task_states
    from anyio._backends._asyncio import CancelScope as _ShieldScope
    from anyio._core._eventloop import (
        claim_worker_thread,
        set_current_async_library,
        threadlocals,
    )

    _ANYIO_STATE = True
except ImportError:  # pragma: no cover - a future anyio moved them: use to_thread
    _ANYIO_STATE = False

__all__ = ["IDLE_SECONDS", "WAIT_IN_PLACE", "Patience", "run_sync_in_worker", "worker_count"]

T = TypeVar("T")

#: How long an idle worker waits for its next call before it ends.
IDLE_SECONDS = 10.0

_idle: deque[_Worker] = deque()
_workers: set[_Worker] = set()


def _forget_workers() -> None:
    # A forked child has none of its parent's threads.
    _idle.clear()
    _workers.clear()


os.register_at_fork(after_in_child=_forget_workers)


class _Call:
    """One call handed to a worker, and how its result gets back.

    ``done`` is released when the call has finished; a caller waiting in
    place takes it. A caller that waits on its event loop instead sets
    ``future`` first, and the worker then also wakes the loop (see
    :meth:`finish` for why no lock is needed to hand over).
    """

    __slots__ = ("context", "done", "error", "func", "future", "loop", "post", "result", "scope")

    def __init__(
        self, func: Callable[[], Any], loop: asyncio.AbstractEventLoop, post: Poster, scope: Any
    ) -> None:
        self.func = func
        self.context = context = contextvars.copy_context()
        # As under anyio.to_thread: the thread runs no event loop.
        context.run(set_current_async_library, None)
        self.loop = loop
        self.post = post
        self.scope = scope
        self.result: Any = None
        self.error: BaseException | None = None
        self.done = threading.Lock()
        self.done.acquire()
        self.future: asyncio.Future[None] | None = None

    def run(self) -> None:
        threadlocals.current_cancel_scope = self.scope
        try:
            self.result = self.context.run(self.func)
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting task as is
            self.error = exc
        finally:
            del threadlocals.current_cancel_scope

    def finish(self) -> None:
        """Tell the caller the call is over (in the worker, after :meth:`run`).

        ``done`` is released before ``future`` is read, and the caller sets
        ``future`` before it tries ``done``: whichever order the two threads
        interleave in, a caller that found ``done`` still held is woken on its
        loop (a wake-up for a caller that took ``done`` after all is harmless).
        """
        self.done.release()
        if self.future is not None:
            self.post(self.wake)

    def wake(self) -> None:
        future = self.future
        if future is not None and not future.done():
            future.set_result(None)


class Patience:
    """How long the event loop's thread waits in place for one caller's sync
    calls before it hands the wait to the loop (one per sync node).

    A sync call that takes a few microseconds costs less when the loop's
    thread blocks for it (about a tenth of a millisecond at most, and only
    when no other task is ready to run) than when it goes through the loop:
    no future, no shield, no loop wake-up and no pass through the loop's
    queue. A caller whose call did not finish in time stops waiting in
    place for its next calls (2, 4, ... up to 1,024 of them), so a slow
    node (a model call, I/O) stalls the loop for a moment once in a while,
    never on every call. It only changes where the caller waits: results,
    errors, contexts and cancellation are the same either way.
    """

    __slots__ = ("misses", "skip")

    def __init__(self) -> None:
        self.skip = 0
        self.misses = 0


#: How long (seconds) the loop's thread waits in place for a call (see :class:`Patience`).
WAIT_IN_PLACE = 0.0001


class _Worker(threading.Thread):
    """A daemon thread that runs calls one at a time until it idles too long."""

    def __init__(self) -> None:
        super().__init__(name="actorgraph worker", daemon=True)
        self.calls: queue.SimpleQueue[_Call] = queue.SimpleQueue()

    def run(self) -> None:
        calls = self.calls
        # The thread stays claimed for the loop of its last call (anyio's
        # from_thread reads the claim): claiming costs more than a call.
        claimed: Any = None
        claim: contextlib.AbstractContextManager[Any] = contextlib.nullcontext()
        with contextlib.ExitStack() as stack:
            stack.callback(lambda: claim.__exit__(None, None, None))
            while True:
                try:
                    call = calls.get(timeout=IDLE_SECONDS)
                except queue.Empty:
                    try:
                        _idle.remove(self)
                    except ValueError:
                        continue  # just taken by a caller: its call is on the way
                    _workers.discard(self)
                    return
                if call.loop is not claimed:
                    claim.__exit__(None, None, None)
                    claim = claim_worker_thread(AsyncIOBackend, call.loop)
                    claim.__enter__()
                    claimed = call.loop
                call.run()
                # Idle again before the caller hears of it: a caller that goes
                # on at once finds this thread for its next call.
                _idle.append(self)
                call.finish()
                del call


def _submit(call: _Call) -> None:
    try:
        worker = _idle.pop()
    except IndexError:
        worker = _Worker()
        _workers.add(worker)
        worker.start()
    worker.calls.put(call)


# The last loop seen, with its poster and default thread limiter (placeholders
# until then: a limiter can only be made inside a loop).
_last_loop: tuple[Any, Any, Any] = (None, None, None)


def worker_count() -> int:
    """How many worker threads exist now (idle or busy)."""
    return len(_workers)


async def run_sync_in_worker(
    func: Callable[[], T],
    limiter: anyio.CapacityLimiter | None = None,
    *,
    patience: Patience | None = None,
) -> T:
    """Run ``func()`` on a worker thread, under ``limiter`` (anyio's default
    thread limiter if ``None``), in a copy of the caller's context.

    With ``patience`` (on asyncio) the loop's thread may wait in place for
    a short call instead of going through the loop (see :class:`Patience`).

    Raises what ``func`` raised. On cancellation the limiter wait is cancelled,
    but a call already running is waited for and its result is returned (the
    cancellation shows at the caller's next checkpoint).
    """
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    if loop is None or not _ANYIO_STATE:
        return await anyio.to_thread.run_sync(func, limiter=limiter)
    global _last_loop
    last = _last_loop
    if last[0] is not loop:
        # Both are per loop and cost more than the rest of the hop to look up.
        last = _last_loop = (
            loop,
            loop_callback_poster(),
            anyio.to_thread.current_default_thread_limiter(),
        )
    post: Poster = last[1]
    if limiter is None:
        limiter = last[2]
    assert limiter is not None  # noqa: S101 - for the type checker
    try:
        limiter.acquire_nowait()
    except anyio.WouldBlock:
        await limiter.acquire()
    try:
        task = asyncio.current_task(loop)
        state = _task_states.get(task) if task is not None else None
        # from_thread.check_cancelled() in the call sees the caller's
        # cancellation, as under anyio.to_thread.
        call = _Call(func, loop, post, state.cancel_scope if state is not None else None)
        _submit(call)
        if patience is None or not _waits_in_place(patience, loop, call):
            future = call.future = loop.create_future()
            if not call.done.acquire(blocking=False):
                # The backend's own scope class: anyio.CancelScope() looks the
                # backend up and initialises the scope twice, per call.
                with _ShieldScope(shield=True):
                    await future
    finally:
        limiter.release()
    if call.error is not None:
        error = call.error
        call.error = None  # no cycle through the traceback
        try:
            raise error
        finally:
            # Nor through this frame's local: the traceback holds the frame, so
            # the error, the call's frames and what they hold would wait for
            # the garbage collector instead of going when the caller drops it.
            del error
    result: T = call.result
    return result


def _waits_in_place(patience: Patience, loop: asyncio.AbstractEventLoop, call: _Call) -> bool:
    """Wait for ``call`` in place if ``patience`` allows; whether it finished."""
    if patience.skip:
        patience.skip -= 1
        return False
    # Only when no other task is ready: a loop with work to do goes on with it.
    # (uvloop keeps its queue out of sight: it always goes through the loop.)
    ready = getattr(loop, "_ready", _UNKNOWN)
    if ready is _UNKNOWN or ready:
        return False
    if call.done.acquire(timeout=WAIT_IN_PLACE):
        patience.misses = 0
        return True
    patience.misses = misses = min(patience.misses + 1, 10)
    patience.skip = 1 << misses
    return False


_UNKNOWN: Any = object()
