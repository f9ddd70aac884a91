"""The one sync portal: how sync faces (``invoke``, ``stream``, ``batch``) run async code.

Used by the engine, chat models and Runnables alike:

* From plain code (no event loop in this thread) the work runs on this thread's
  reused asyncio loop (:func:`~actorgraph.actors._adapter_loop.run_in_thread_loop`),
  as a fresh main task in a copy of the caller's context: no new loop per call.
* From a worker thread of a running loop (a sync node, a sync function a Runnable
  runs in a thread) it joins that loop with ``anyio.from_thread``, in the
  caller's context, so the work is a child of what started the thread.
* From inside a running loop it raises
  :class:`~actorgraph.errors.SyncCalledFromAsyncError` naming the async method,
  since blocking there would stall (or deadlock) the loop.

Iterating (:func:`iterate_sync`) is live: the async iterator runs in a
:class:`DetachedProducer` task on the same loop and each ``next()`` waits for
the next item, so items (tokens, custom events) arrive while the work runs and
the work waits while the consumer is behind. Closing the iterator early cancels
the work and waits for its cleanup.

``SYNC_BACKEND = "trio"`` (for tests) and Python 3.10 use ``anyio.run`` per call,
and a blocking portal in a helper thread for iteration.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from contextvars import ContextVar, copy_context
from typing import Any, Generic, NoReturn, TypeVar

import anyio
import anyio.from_thread
import anyio.lowlevel
from anyio._core._eventloop import threadlocals as _anyio_threadlocals
from anyio.streams.memory import MemoryObjectSendStream

from actorgraph.actors._adapter_loop import (
    THREAD_LOOP_AVAILABLE,
    loop_running,
    run_coroutine_in_thread_loop,
    run_in_thread_loop,
    spawn_detached,
)
from actorgraph.channels._errors import SyncCalledFromAsyncError

__all__ = [
    "ITERATE_BUFFER",
    "SYNC_BACKEND",
    "Channel",
    "DetachedProducer",
    "called_sync",
    "in_worker_thread",
    "iterate_sync",
    "owns_private_loop",
    "refuse_inside_loop",
    "run_sync",
]

T = TypeVar("T")

#: The event loop the sync faces use from plain code. asyncio is the fastest to
#: start and is reused per thread; ``"trio"`` runs each call on ``anyio.run``.
SYNC_BACKEND = "asyncio"

#: How many items a sync iterator's producer may run ahead of the consumer.
ITERATE_BUFFER = 64

#: True while the work was started by a sync face: a ``RunnableLambda`` given both
#: ``func`` and ``afunc`` then calls ``func``, as the Runnables reference documents.
called_sync: ContextVar[bool] = ContextVar("actorgraph_called_sync", default=False)


def refuse_inside_loop(async_name: str) -> None:
    """Raise :class:`SyncCalledFromAsyncError` when an event loop runs in this thread."""
    if loop_running():
        _refuse(async_name)


def _refuse(async_name: str) -> NoReturn:
    face = async_name[1:] if async_name.startswith("a") else async_name
    raise SyncCalledFromAsyncError(
        f"{face}() was called from inside a running event loop, where it would block the "
        f"loop: await the async method `{async_name}` instead (`await {async_name}(...)`, "
        f"or `async for ... in {async_name}(...)` for a stream)"
    )


def in_worker_thread() -> bool:
    """Whether this is a worker thread of a running loop (``anyio.to_thread``)."""
    # anyio marks its worker threads there; asking anyio.from_thread costs an
    # exception per sync call made from plain code, and so does hasattr (a
    # thread-local formats its AttributeError): the thread's own dict does not.
    return "current_token" in _anyio_threadlocals.__dict__


def _thread_loop() -> bool:
    return SYNC_BACKEND == "asyncio" and THREAD_LOOP_AVAILABLE


def owns_private_loop() -> bool:
    """Whether a sync call made now runs on a loop of its own (this thread's reused
    asyncio loop), which only its own tasks use while it runs."""
    # _thread_loop() and not in_worker_thread(), in one frame: once per sync invoke.
    return (
        SYNC_BACKEND == "asyncio"
        and THREAD_LOOP_AVAILABLE
        and "current_token" not in _anyio_threadlocals.__dict__
    )


def run_sync(async_name: str, func: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
    """Run ``func(*args, **kwargs)`` to completion from sync code (see the module doc).

    Raises:
        SyncCalledFromAsyncError: called from inside a running event loop.
    """
    if loop_running():
        _refuse(async_name)
    if in_worker_thread():
        return anyio.from_thread.run(_called_sync, func, args, kwargs)
    if _thread_loop():
        return run_coroutine_in_thread_loop(_called_sync(func, args, kwargs))
    return anyio.run(_called_sync, func, args, kwargs, backend=SYNC_BACKEND)


async def _called_sync(func: Callable[..., Awaitable[T]], args: Any, kwargs: Any) -> T:
    called_sync.set(True)
    return await func(*args, **kwargs)


class Channel(Generic[T]):
    """A bounded single-consumer channel, cheaper than a memory object stream.

    Items are handed over in batches: the consumer takes what is buffered
    without switching tasks and wakes the producer only once it has drained
    the buffer, so a full producer and a fast consumer switch twice per
    ``bound`` items instead of twice per item. ``send_nowait`` raises
    ``anyio.WouldBlock`` when full; sending after the consumer closed raises
    ``anyio.BrokenResourceError``; receiving after the producer closed and the
    buffer drained raises ``anyio.EndOfStream``.
    """

    __slots__ = ("_bound", "_items", "_readable", "_writable", "closed", "receiver_closed")

    def __init__(self, bound: int) -> None:
        self._bound = max(1, bound)
        self._items: deque[T] = deque()
        self._readable: anyio.Event | None = None
        self._writable: anyio.Event | None = None
        self.closed = False
        self.receiver_closed = False

    def send_nowait(self, item: T) -> None:
        """Buffer ``item`` now, or raise ``anyio.WouldBlock`` when full."""
        if self.receiver_closed:
            raise anyio.BrokenResourceError
        if len(self._items) >= self._bound:
            raise anyio.WouldBlock
        self._items.append(item)
        if self._readable is not None:
            self._readable.set()
            self._readable = None

    async def send(self, item: T) -> None:
        """Buffer ``item``, waiting while the buffer is full."""
        while True:
            try:
                self.send_nowait(item)
            except anyio.WouldBlock:  # noqa: PERF203 - waiting is the slow path anyway
                waiter = self._writable = anyio.Event()
                await waiter.wait()
            else:
                return

    async def send_all(self, source: deque[T]) -> None:
        """Move every item of ``source`` into the channel, in order, waiting while
        it is full (a batch at a time: no await per item)."""
        items = self._items
        while source:
            if self.receiver_closed:
                raise anyio.BrokenResourceError
            room = self._bound - len(items)
            if room <= 0:
                waiter = self._writable = anyio.Event()
                await waiter.wait()
                continue
            for _ in range(min(room, len(source))):
                items.append(source.popleft())
            if self._readable is not None:
                self._readable.set()
                self._readable = None

    def close(self) -> None:
        """The producer is done: the consumer gets EndOfStream once drained."""
        self.closed = True
        if self._readable is not None:
            self._readable.set()
            self._readable = None

    def close_receiver(self) -> None:
        """The consumer is gone: pending and later sends fail."""
        self.receiver_closed = True
        self._items.clear()
        if self._writable is not None:
            self._writable.set()
            self._writable = None

    async def __aenter__(self) -> Channel[T]:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.close()

    async def _wait_readable(self) -> deque[T]:
        items = self._items
        while not items:
            if self.closed or self.receiver_closed:
                raise anyio.EndOfStream
            waiter = self._readable = anyio.Event()
            await waiter.wait()
        return items

    async def receive_batch(self) -> list[T]:
        """Every buffered item (at least one), waiting for the first."""
        items = self._items if self._items else await self._wait_readable()
        batch = list(items)
        items.clear()
        self._wake_writer()
        return batch

    @property
    def ready(self) -> bool:
        """Whether an item can be taken right now."""
        return bool(self._items)

    def take(self) -> T:
        """The next buffered item (there must be one: see :attr:`ready`)."""
        items = self._items
        item = items.popleft()
        if not items:
            self._wake_writer()
        return item

    async def receive(self) -> T:
        """The next item, waiting for one."""
        if not self._items:
            await self._wait_readable()
        return self.take()

    def _wake_writer(self) -> None:
        if self._writable is not None:
            self._writable.set()
            self._writable = None


class DetachedProducer(Generic[T]):
    """Runs ``work(send)`` in a task no task group owns, feeding a bounded stream.

    The consumer pulls with :meth:`receive`; the work waits while the stream is
    full, so a slow consumer slows it instead of growing memory. Errors of the
    work are raised from :meth:`receive` with their own type, after the items
    sent before them. :meth:`aclose` cancels the work and waits for it to
    finish; a consumer cancelled while waiting in :meth:`receive` does the same
    before its cancellation propagates. Call :meth:`start` (and the rest) from
    the loop the work should run on; the work runs in a copy of the context
    :meth:`start` was called in.
    """

    __slots__ = ("_closed", "_done", "_error", "_scope", "_work", "channel")

    def __init__(self, work: Callable[[Channel[T]], Awaitable[None]], buffer: int = 1) -> None:
        self._work = work
        #: Where the work's items wait for the consumer; a consumer may take
        #: buffered items straight from it (``channel.ready``/``channel.take()``).
        self.channel: Channel[T] = Channel(buffer)
        self._scope: anyio.CancelScope | None = None
        self._done: anyio.Event | None = None
        self._error: BaseException | None = None
        self._closed = False

    def start(self) -> None:
        """Start the work (once; never after :meth:`cancel`)."""
        if self._done is not None or self._closed:
            return
        self._scope = anyio.CancelScope()
        self._done = anyio.Event()
        spawn_detached(lambda: self._run(self.channel))

    async def _run(self, send: Channel[T]) -> None:
        assert self._done is not None  # noqa: S101 - see start()
        assert self._scope is not None  # noqa: S101
        try:
            with self._scope:
                async with send:
                    await self._work(send)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            self._error = exc
        finally:
            self._done.set()

    async def receive(self) -> T:
        """The next item. Raises StopAsyncIteration at the end, or the work's error."""
        channel = self.channel
        if channel.ready:
            return channel.take()  # the common case: no await chain per item
        return await self._take(False)  # type: ignore[no-any-return]

    async def receive_batch(self) -> list[T]:
        """Every item buffered now (at least one); raises as :meth:`receive` does."""
        return await self._take(True)  # type: ignore[no-any-return]

    async def _take(self, batch: bool) -> Any:
        self.start()
        channel = self.channel
        if self._done is None:  # cancelled before it started
            raise StopAsyncIteration
        try:
            return await (channel.receive_batch() if batch else channel.receive())
        except anyio.EndOfStream:
            channel.close_receiver()
            assert self._done is not None  # noqa: S101 - set by start()
            await self._done.wait()
            error, self._error = self._error, None
            if error is not None:
                raise error from None
            raise StopAsyncIteration from None
        except anyio.get_cancelled_exc_class():
            with anyio.CancelScope(shield=True):
                await self.aclose()
            raise

    def cancel(self) -> None:
        """Cancel the work without waiting for it."""
        self._closed = True
        if self._scope is not None:
            self._scope.cancel()
        self.channel.close_receiver()

    async def aclose(self) -> None:
        """Cancel the work (if it still runs) and wait until it has finished."""
        self.cancel()
        if self._done is not None:
            await self._done.wait()

    def take_error(self) -> BaseException | None:
        """The work's error not yet raised to the consumer (cleared), if any."""
        error, self._error = self._error, None
        return error

    @property
    def running(self) -> bool:
        """Whether the work was started and has not finished yet."""
        return self._done is not None and not self._done.is_set()


def iterate_sync(async_name: str, make: Callable[[], AsyncIterator[T]]) -> Generator[T, None, None]:
    """Iterate the async iterator ``make()`` from sync code, live (see the module doc).

    Raises:
        SyncCalledFromAsyncError: called from inside a running event loop.

    Closing the returned iterator early cancels the async side and waits for its
    cleanup.
    """
    refuse_inside_loop(async_name)
    if in_worker_thread():
        return _iterate(make, anyio.from_thread.run)
    if _thread_loop():
        return _iterate(make, run_in_thread_loop)
    return _iterate_in_portal(make)


async def _pump(iterator: AsyncIterator[T], send: Channel[T] | MemoryObjectSendStream[T]) -> None:
    try:
        async for item in iterator:
            await send.send(item)
    finally:
        closer = getattr(iterator, "aclose", None)
        if closer is not None:
            await closer()


def _iterate(
    make: Callable[[], AsyncIterator[T]], call: Callable[..., Any]
) -> Generator[T, None, None]:
    def work(send: Channel[T]) -> Awaitable[None]:
        called_sync.set(True)
        return _pump(make(), send)

    # Items cross into this thread a batch at a time: entering the loop costs
    # far more than an item does.
    producer: DetachedProducer[T] = DetachedProducer(work, ITERATE_BUFFER)
    try:
        while True:
            try:
                batch: list[T] = call(producer.receive_batch)
            except StopAsyncIteration:
                return
            yield from batch
    finally:
        if producer.running:
            call(producer.aclose)


def _iterate_in_portal(make: Callable[[], AsyncIterator[T]]) -> Generator[T, None, None]:
    # The portal's tasks do not inherit this thread's context: carry it over.
    context = copy_context()
    send, receive = anyio.create_memory_object_stream[T](0)

    async def produce() -> None:
        for var, value in context.items():
            var.set(value)
        called_sync.set(True)
        async with send:
            await _pump(make(), send)

    with anyio.from_thread.start_blocking_portal(SYNC_BACKEND) as portal:
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
