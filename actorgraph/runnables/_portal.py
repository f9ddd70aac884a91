"""The sync faces: thin portals from plain code into the one async implementation.

``invoke``/``batch`` run the coroutine on an event loop in the caller's thread
(one loop per thread, reused between calls; the caller's context variables are
seen); called from
a worker thread of a running Runnable (a sync function calling ``invoke``), they
run it on the event loop that started the thread instead.
``stream``/``transform``/``batch_as_completed`` must hand out items while the
async side is still running, so they run it in a blocking portal (an event loop
in a helper thread) and pass items back one by one; the producer is a single
task, so cancel scopes and task groups inside the async generators stay in one
task. Breaking out of the sync iterator cancels the producer and waits for it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextvars import ContextVar
from typing import Any, TypeVar

import anyio
import anyio.from_thread
import anyio.lowlevel
from anyio.from_thread import start_blocking_portal

from actorgraph.channels._errors import SyncCalledFromAsyncError
from actorgraph.runnables._adapter_asyncio import THREAD_LOOP_AVAILABLE, run_in_thread_loop
from actorgraph.runnables._chunks import closing
from actorgraph.runnables._config import inherited_config_var

__all__ = ["SYNC_BACKEND", "called_sync", "iterate_sync", "run_sync"]

T = TypeVar("T")

#: The event loop the sync faces start. asyncio starts fastest; set
#: ``actorgraph.runnables._portal.SYNC_BACKEND = "trio"`` to run sync calls on trio.
SYNC_BACKEND = "asyncio"

#: True while the work was started by a sync face: a ``RunnableLambda`` given both
#: ``func`` and ``afunc`` then calls ``func``, as the reference documents.
called_sync: ContextVar[bool] = ContextVar("actorgraph_called_sync", default=False)


def _refuse_inside_loop(face: str) -> None:
    try:
        anyio.lowlevel.current_token()
    except RuntimeError:
        return
    raise SyncCalledFromAsyncError(
        f"{face}() was called from inside a running event loop, where it would block "
        f"the loop: use `await a{face}(...)` (or `async for ... in a{face}(...)`) instead"
    )


def run_sync(face: str, func: Callable[..., Awaitable[T]], *args: Any) -> T:
    """Run ``func(*args)`` to completion on a new event loop in this thread.

    Raises:
        SyncCalledFromAsyncError: called from inside a running event loop.
    """
    _refuse_inside_loop(face)

    async def main() -> T:
        called_sync.set(True)
        return await func(*args)

    if _in_worker_thread():
        # A sync function run by a Runnable (in a worker thread) calling invoke():
        # run on the event loop that started the thread, not a new one.
        return anyio.from_thread.run(main)
    if SYNC_BACKEND == "asyncio" and THREAD_LOOP_AVAILABLE:
        return run_in_thread_loop(main)
    return anyio.run(main, backend=SYNC_BACKEND)


def _in_worker_thread() -> bool:
    try:
        anyio.from_thread.check_cancelled()
    except RuntimeError:
        return False
    return True


def iterate_sync(face: str, make: Callable[[], AsyncIterator[T]]) -> Iterator[T]:
    """Iterate the async iterator ``make()`` from plain code.

    Raises:
        SyncCalledFromAsyncError: called from inside a running event loop.

    Closing the returned iterator early cancels the async side and waits for it
    to finish its cleanup.
    """
    _refuse_inside_loop(face)
    return _iterate(make)


def _iterate(make: Callable[[], AsyncIterator[T]]) -> Iterator[T]:
    # The portal's tasks do not inherit this thread's context: carry the implicit
    # parent config (set by an enclosing Runnable) over by hand.
    inherited = inherited_config_var.get()
    send, receive = anyio.create_memory_object_stream[T](0)

    async def produce() -> None:
        inherited_config_var.set(inherited)
        called_sync.set(True)
        async with send, closing(make()) as iterator:
            async for item in iterator:
                await send.send(item)

    with start_blocking_portal(SYNC_BACKEND) as portal:
        future = portal.start_task_soon(produce)
        try:
            while True:
                try:
                    item = portal.call(receive.receive)
                except anyio.EndOfStream:
                    break
                yield item
            future.result()
        finally:
            if not future.done():
                future.cancel()
            portal.call(receive.aclose)
