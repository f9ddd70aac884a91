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
    from anyio._backends._asyncio import AsyncIOBackend
    from anyio._backends._asyncio import CancelScope as _ShieldScope
    from anyio._core._eventloop import (
        claim_worker_thread,
        set_current_async_library,
        threadlocals,
    )

    _ANYIO_STATE = True
except ImportError:  # pragma: no cover - a future anyio moved them: use to_thread
    _ANYIO_STATE = False

__all__ = ["IDLE_SECONDS", "run_sync_in_worker", "worker_count"]

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
    """One call handed to a worker, and how its result gets back."""

    __slots__ = ("context", "error", "func", "future", "loop", "post", "result", "scope")

    def __init__(
        self,
        func: Callable[[], Any],
        loop: asyncio.AbstractEventLoop,
        future: asyncio.Future[None],
        post: Poster,
        scope: Any,
    ) -> None:
        self.func = func
        self.context = context = contextvars.copy_context()
        # As under anyio.to_thread: the thread runs no event loop.
        context.run(set_current_async_library, None)
        self.loop = loop
        self.future = future
        self.post = post
        self.scope = scope
        self.result: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        threadlocals.current_cancel_scope = self.scope
        try:
            self.result = self.context.run(self.func)
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting task as is
            self.error = exc
        finally:
            del threadlocals.current_cancel_scope
        self.post(self.wake)

    def wake(self) -> None:
        if not self.future.done():
            self.future.set_result(None)


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
                del call
                _idle.append(self)


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
    func: Callable[[], T], limiter: anyio.CapacityLimiter | None = None
) -> T:
    """Run ``func()`` on a worker thread, under ``limiter`` (anyio's default
    thread limiter if ``None``), in a copy of the caller's context.

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
        future: asyncio.Future[None] = loop.create_future()
        # The backend's own scope class: anyio.CancelScope() looks the backend
        # up and initialises the scope twice, per call.
        with _ShieldScope(shield=True) as shield:
            # from_thread.check_cancelled() in the call sees the caller's
            # cancellation, as under anyio.to_thread.
            scope = shield._parent_scope
            call = _Call(func, loop, future, post, scope)
            _submit(call)
            await future
    finally:
        limiter.release()
    if call.error is not None:
        error = call.error
        call.error = None  # no cycle through the traceback
        raise error
    result: T = call.result
    return result
