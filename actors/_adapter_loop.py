"""The backend-specific pieces of the sync portal and of detached producers.

* :func:`run_in_thread_loop`: ``anyio.run`` builds and tears down an event loop
  (and its worker threads) on every call, about 0.3 ms; a sync ``invoke`` of a
  short chain spends most of its time there. Each thread instead keeps one
  ``asyncio.Runner`` and runs every call as a fresh main task on it, in a copy
  of the caller's context. A call made while that loop is suspended under it
  (a sync node run inline calling ``invoke`` again) gets the next runner of a
  per-thread stack, so nesting works and is reused too. Runners close when
  their thread ends (at interpreter exit for the main thread).
* :func:`loop_hidden`: run plain sync code on the loop's thread as if no loop
  were running (see :mod:`actorgraph.actors._portal`).
* :func:`spawn_detached`: start a task that belongs to no task group, so an
  async iterator can feed a consumer live without the consumer's code running
  inside a task group between yields (anyio forbids yielding there).
"""

from __future__ import annotations

import _signal  # type: ignore[import-not-found]  # C functions under `signal`: see run_in_thread_loop
import _thread
import asyncio
import atexit
import contextvars
import os
import signal
import sys
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol, TypeVar

import anyio

from actorgraph.actors._adapter import _current_library

__all__ = [
    "THREAD_LOOP_AVAILABLE",
    "CallGroup",
    "call_group",
    "loop_hidden",
    "loop_running",
    "new_event",
    "run_coroutine_in_thread_loop",
    "run_in_thread_loop",
    "spawn_detached",
]

T = TypeVar("T")

THREAD_LOOP_AVAILABLE = sys.version_info >= (3, 11)


class _ThreadLoops:
    """The runners of one thread: index ``depth`` serves calls nested that deep."""

    __slots__ = ("depth", "loops", "runners")

    def __init__(self) -> None:
        self.runners: list[Any] = []
        # Each runner's loop, read once (``Runner.get_loop`` checks its state per call).
        self.loops: list[Any] = []
        self.depth = 0

    def close(self) -> None:
        for runner in self.runners:
            runner.close()
        self.runners.clear()
        self.loops.clear()

    def __del__(self) -> None:
        self.close()


_local = threading.local()


def _thread_loops() -> _ThreadLoops:
    loops: _ThreadLoops | None = getattr(_local, "loops", None)
    if loops is None:
        loops = _local.loops = _ThreadLoops()
        if threading.current_thread() is threading.main_thread():
            atexit.register(loops.close)
    return loops


def run_in_thread_loop(main: Callable[[], Awaitable[T]]) -> T:
    """Run ``main()`` to completion on this thread's reused asyncio loop, in a copy
    of the caller's context. Python 3.11+ (``asyncio.Runner`` owns the loop).

    Does what ``asyncio.Runner.run`` does per call, cheaper: on the main thread
    Ctrl-C cancels ``main`` and then raises KeyboardInterrupt. ``Runner.run``
    swaps the SIGINT handler through :mod:`signal`, whose enum conversions
    (a failed lookup that formats the handler's repr, task included) cost
    more than the loop pass itself; the handler is swapped here through the
    C functions under it.
    """
    return run_coroutine_in_thread_loop(_wrap(main))


def run_coroutine_in_thread_loop(coro: Coroutine[Any, Any, T]) -> T:
    """:func:`run_in_thread_loop` for a coroutine made already (not started yet).

    The sync faces' entry: one coroutine less than wrapping a factory, and
    no Python-level asyncio code that a sync call does not need (the loop is
    read once per runner, the task made without ``create_task``'s checks,
    the main thread told by its id). The coroutine is closed if it cannot
    be started.
    """
    loops = _thread_loops()
    depth = loops.depth
    try:
        if depth == len(loops.loops):
            runner = asyncio.Runner()  # type: ignore[attr-defined, unused-ignore]
            loops.runners.append(runner)
            loops.loops.append(runner.get_loop())
        loop = loops.loops[depth]
        context = contextvars.copy_context()
        if getattr(loop, "_task_factory", False) is None:
            # Named: an unnamed task formats "Task-<n>" (printf machinery) per call.
            task: Any = asyncio.Task(coro, loop=loop, name=_TASK_NAME, context=context)  # type: ignore[call-arg, unused-ignore]
        else:
            task = loop.create_task(coro, name=_TASK_NAME, context=context)
    except BaseException:
        coro.close()
        raise
    handler: _Interrupt | None = None
    if _thread.get_ident() == _main_ident[0] and _signal.getsignal(_SIGINT) is _default_int_handler:
        handler = _Interrupt(loop, task)
        _signal.signal(_SIGINT, handler)
    loops.depth = depth + 1
    try:
        if _first_step(loop, task, context):
            result: T = task.result()
        else:
            result = loop.run_until_complete(task)
    except asyncio.CancelledError:
        if handler is not None and handler.count and task.uncancel() == 0:
            raise KeyboardInterrupt from None
        raise
    finally:
        loops.depth = depth
        if handler is not None and _signal.getsignal(_SIGINT) is handler:
            _signal.signal(_SIGINT, _default_int_handler)
    return result


_TASK_NAME = "actorgraph sync call"

# The main thread's id, for the SIGINT swap (the thread that forks is the
# child's main thread).
_main_ident = [threading.main_thread().ident]
os.register_at_fork(after_in_child=lambda: _main_ident.__setitem__(0, _thread.get_ident()))


def _first_step(
    loop: asyncio.AbstractEventLoop, task: asyncio.Task[Any], context: contextvars.Context
) -> bool:
    """Run the new ``task``'s first step now, as the loop's first pass would, and
    tell whether that finished it with nothing else left to run.

    A sync ``invoke`` of a graph whose nodes are all sync (run inline) never
    waits on the loop: its whole run is that first step. Skipping the loop
    pass saves its select() call and bookkeeping, a tenth of such a run.
    When the task waits, or left callbacks behind, ``run_until_complete``
    carries on from here. Stock asyncio loops only (it uses their ready queue).
    """
    ready: Any = getattr(loop, "_ready", None)
    if ready is None or len(ready) != 1:
        return False  # not a stock loop, or other callbacks come first
    handle = ready[0]
    if getattr(handle, "_context", None) is not context:
        return False  # not the task's step (a loop of another make)
    ready.popleft()
    hooks = sys.get_asyncgen_hooks()
    base: Any = loop
    sys.set_asyncgen_hooks(
        firstiter=base._asyncgen_firstiter_hook, finalizer=base._asyncgen_finalizer_hook
    )
    base._thread_id = _thread.get_ident()
    asyncio._set_running_loop(loop)
    try:
        # What Handle._run does, without its frame: a task's step handles
        # its coroutine's exceptions itself and lets only BaseExceptions out.
        context.run(handle._callback, *handle._args)
    finally:
        asyncio._set_running_loop(None)
        base._thread_id = None
        sys.set_asyncgen_hooks(*hooks)
    return task.done() and not ready


async def _wrap(main: Callable[[], Awaitable[T]]) -> T:
    return await main()


_SIGINT = int(signal.SIGINT)
_default_int_handler = signal.default_int_handler


class _Interrupt:
    """The SIGINT handler while a sync call runs its loop on the main thread: the
    first Ctrl-C cancels the call's task (the call then raises KeyboardInterrupt),
    a second one raises KeyboardInterrupt at once."""

    __slots__ = ("count", "loop", "task")

    def __init__(self, loop: asyncio.AbstractEventLoop, task: asyncio.Task[Any]) -> None:
        self.loop = loop
        self.task = task
        self.count = 0

    def __call__(self, signum: int, frame: Any) -> None:
        self.count += 1
        if self.count == 1 and not self.task.done():
            self.task.cancel()
            # Wake the loop if it sleeps in select() with a long timeout.
            self.loop.call_soon_threadsafe(_nothing)
            return
        raise KeyboardInterrupt

    def __repr__(self) -> str:
        return "<actorgraph SIGINT handler>"


def _nothing() -> None:
    pass


def loop_running() -> bool:
    """Whether an event loop (asyncio or trio) runs in this thread; cheaper than
    asking anyio, which raises (and formats) an error when none does."""
    if asyncio._get_running_loop() is not None:
        return True
    trio = sys.modules.get("trio")
    return trio is not None and bool(trio.lowlevel.in_trio_run())


def new_event() -> anyio.Event:
    """An event of the running backend that many tasks may wait on.

    ``anyio.Event()`` looks the backend up (sniffio) and wraps the backend's
    event, per event, and ``asyncio.Event`` binds itself to its loop under a
    global lock; a task call waited on makes one. Waiting is cancelled by
    anyio scopes as anyio's own event is (they cancel the waiting task).
    """
    if asyncio._get_running_loop() is not None:
        return _FutureEvent()  # type: ignore[return-value]  # same three methods
    return anyio.Event()


class _FutureEvent:
    """An asyncio event: a future per waiting task, resolved by :meth:`set`."""

    __slots__ = ("_futures", "_set")

    def __init__(self) -> None:
        self._set = False
        self._futures: list[asyncio.Future[None]] = []

    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        if self._set:
            return
        self._set = True
        for future in self._futures:
            if not future.done():
                future.set_result(None)

    async def wait(self) -> None:
        if self._set:
            return
        loop = asyncio._get_running_loop()
        assert loop is not None  # noqa: S101 - awaited, so a loop runs
        future = loop.create_future()
        self._futures.append(future)
        try:
            await future
        finally:
            self._futures.remove(future)


class loop_hidden:  # noqa: N801 - used like the function it was
    """Run plain sync code on the loop's thread as if no loop were running.

    The sync code of a node may call sync faces (``graph.invoke``, a chat
    model's ``invoke``), which refuse to run inside a running loop; with the
    loop hidden they run on a nested loop, as they would in a plain thread.
    The hidden loop is suspended meanwhile, which is what running the node
    inline means anyway. The loop is restored on exit, errors included.
    (A class, not ``@contextmanager``: it runs once per inline node call.)
    """

    __slots__ = ("_loop",)

    def __enter__(self) -> None:
        self._loop = asyncio._get_running_loop()
        asyncio._set_running_loop(None)

    def __exit__(self, *exc_info: object) -> None:
        asyncio._set_running_loop(self._loop)


def spawn_detached(func: Callable[[], Awaitable[None]]) -> None:
    """Start ``func()`` as a task of the running loop that no task group owns.

    It runs in a copy of the current context. ``func`` must not raise (a trio
    system task that raises crashes the whole run): catch and hand errors on.
    Whoever spawns it owns it: cancel it with a cancel scope it opens, and wait
    for it with an event it sets.
    """
    context = contextvars.copy_context()
    if _current_library() == "trio":
        import trio

        trio.lowlevel.spawn_system_task(func, context=context)
        return

    async def main() -> None:
        await func()

    loop = asyncio.get_running_loop()
    task = context.run(loop.create_task, main())
    # asyncio keeps only weak references to tasks: hold it until it ends.
    _running.add(task)
    task.add_done_callback(_running.discard)


_running: set[asyncio.Task[None]] = set()


class CallGroup(Protocol):
    """Where a task's calls run: a task group with just what calls need."""

    def start_soon(self, func: Callable[[Any], Awaitable[None]], arg: Any) -> None: ...

    def cancel(self) -> None: ...

    async def __aenter__(self) -> CallGroup: ...

    async def __aexit__(self, *exc_info: Any) -> bool | None: ...


def call_group() -> CallGroup:
    """A task group for task calls, on the running backend's own primitives.

    An anyio task group wraps every child in a handle, a cancel scope and an
    event (about four times the cost of a native task); a fan-out of task
    calls pays that per call. This group starts plain tasks: on exit it waits
    for all of them; an error or cancellation of the body cancels them first;
    cancelling the waiting task cancels them and waits for them, shielded.
    A child's error (calls catch their own: only cancellation-like
    BaseExceptions get here) is raised on exit.
    """
    if _current_library() == "trio":
        return _TrioCallGroup()
    return _AsyncioCallGroup()


_scope_types: list[Callable[[], anyio.CancelScope]] = []


def _asyncio_scope_type() -> Callable[[], anyio.CancelScope]:
    # anyio's asyncio scope class, found once: anyio.CancelScope() looks the
    # backend up (sniffio) and initialises the scope twice, per call.
    if not _scope_types:
        _scope_types.append(type(anyio.CancelScope()))
    return _scope_types[0]


def _shared_scope_parts() -> tuple[Any, Any] | None:
    """anyio's task-to-scope map and task state class, if this anyio has the
    parts a shared scope needs (see :class:`_AsyncioCallGroup`)."""
    try:
        from anyio._backends import _asyncio as backend
    except ImportError:  # pragma: no cover - anyio always ships its asyncio backend
        return None
    states = getattr(backend, "_task_states", None)
    state_type = getattr(backend, "TaskState", None)
    scope_type = getattr(backend, "CancelScope", None)
    if states is None or state_type is None or scope_type is None:  # pragma: no cover
        return None
    try:
        scope = scope_type()
        state_type(None, scope)
    except TypeError:  # pragma: no cover - another signature: not the parts we know
        return None
    names = ("_tasks", "_child_scopes", "_parent_scope", "_cancel_called", "_cancel_handle")
    if not all(hasattr(scope, name) for name in names):  # pragma: no cover
        return None
    if not callable(getattr(scope, "_deliver_cancellation", None)):  # pragma: no cover
        return None
    return states, state_type


_SHARED_SCOPE = _shared_scope_parts()


class _AsyncioCallGroup:
    """Children are plain asyncio tasks under one anyio cancel scope of the group.

    Cancelled through an anyio scope, never ``task.cancel()`` alone: anyio's
    shields (a worker thread it waits for, a cleanup) hold only against its
    scopes. The scope is shared, as an anyio task group shares its own (a
    scope entered per child costs a quarter of a call), made when the group
    is first cancelled, and entered by no task. A child joins it when the group is cancelled, not when it starts
    (registering every child would cost a tenth of a call; until then the
    scope cannot matter to it): as anyio registers a task group's child, or,
    when the child is inside scopes of its own, as the parent of the
    outermost one. Cancelling delivers with anyio's own code (shields inside
    a child, nested scopes, retries), and a child ends quietly when that
    cancellation reaches its top. When this anyio lacks those parts, each
    child enters a scope of its own instead.
    """

    __slots__ = ("_error", "_loop", "_own_scopes", "_scope", "_shared", "_tasks", "_waiter")

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        # The running children (held: the loop holds tasks weakly); each child
        # removes itself on the way out.
        self._tasks: set[asyncio.Task[None]] = set()
        self._waiter: asyncio.Future[None] | None = None
        self._error: BaseException | None = None
        # The shared scope, made when the group is first cancelled.
        self._scope: Any = None
        self._shared = _SHARED_SCOPE
        # Without the shared parts: each running child's own scope.
        self._own_scopes: set[anyio.CancelScope] = set()

    async def __aenter__(self) -> _AsyncioCallGroup:
        return self

    def start_soon(self, func: Callable[[Any], Awaitable[None]], arg: Any) -> None:
        # The child tells the group itself that it ended: no done callback, so
        # the body finds its finished children gone in the same loop pass.
        shared = self._shared
        if shared is None:
            task = self._loop.create_task(self._own_scope_child(func, arg))
            self._tasks.add(task)
            return
        task = self._loop.create_task(self._child(func, arg))
        self._tasks.add(task)
        scope = self._scope
        if scope is not None:  # started after the cancel: cancel it too
            self._adopt(task)
            if scope._cancel_handle is None:
                scope._deliver_cancellation(scope)

    def _adopt(self, task: asyncio.Task[None]) -> None:
        """Put ``task`` under the group's scope (see the class doc)."""
        states, state_type = self._shared  # type: ignore[misc]
        scope = self._scope
        state = states.get(task)
        if state is None:
            states[task] = state_type(None, scope)
            scope._tasks.add(task)
            return
        inner = state.cancel_scope
        if inner is None:  # it left every scope it entered
            state.cancel_scope = scope
            scope._tasks.add(task)
            return
        while inner is not scope and inner._parent_scope is not None:
            inner = inner._parent_scope
        if inner is not scope:  # its outermost scope: the group's becomes its parent
            inner._parent_scope = scope
            scope._child_scopes.add(inner)

    async def _child(self, func: Callable[[Any], Awaitable[None]], arg: Any) -> None:
        task = asyncio.current_task()
        try:
            await func(arg)
        except asyncio.CancelledError:
            if self._scope is None:
                raise  # a native cancel (the loop shutting down): nothing to report
            # The group's cancellation reached the top: the child's end.
        except BaseException as exc:
            self._failed(exc)
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise  # they stop the loop, as they would from any task
        finally:
            if self._scope is not None:
                self._scope._tasks.discard(task)
            self._ended(task)

    async def _own_scope_child(self, func: Callable[[Any], Awaitable[None]], arg: Any) -> None:
        task = asyncio.current_task()
        scope = _asyncio_scope_type()()
        if self._scope is not None:  # started after the cancel
            scope.cancel()
        self._own_scopes.add(scope)
        try:
            with scope:
                await func(arg)
        except asyncio.CancelledError:
            raise  # a native cancel (the loop shutting down): nothing to report
        except BaseException as exc:
            self._failed(exc)
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
        finally:
            self._own_scopes.discard(scope)
            self._ended(task)

    def _failed(self, exc: BaseException) -> None:
        if self._error is None:
            self._error = exc
            self.cancel()

    def _ended(self, task: asyncio.Task[Any] | None) -> None:
        self._tasks.discard(task)
        waiter = self._waiter
        if not self._tasks and waiter is not None and not waiter.done():
            waiter.set_result(None)

    def cancel(self) -> None:
        scope = self._scope
        if scope is None:
            # Entered by no task: cancelling it only marks it.
            scope = self._scope = _asyncio_scope_type()()
            scope.cancel()
            if self._shared is not None:
                for task in self._tasks:
                    self._adopt(task)
        if self._shared is None:
            for own in list(self._own_scopes):
                own.cancel()
            return
        if scope._cancel_handle is None:
            scope._deliver_cancellation(scope)

    async def _all_done(self) -> None:
        while self._tasks:
            self._waiter = self._loop.create_future()
            await self._waiter

    async def __aexit__(self, *exc_info: Any) -> bool | None:
        if exc_info[0] is not None:
            self.cancel()
        try:
            await self._all_done()
        except asyncio.CancelledError:
            self.cancel()
            with anyio.CancelScope(shield=True):
                await self._all_done()
            raise
        finally:
            self._waiter = None
        if self._error is not None and exc_info[0] is None:
            raise self._error
        return None


class _TrioCallGroup:
    __slots__ = ("_manager", "_nursery")

    def __init__(self) -> None:
        import trio

        self._manager = trio.open_nursery()
        self._nursery: Any = None

    async def __aenter__(self) -> _TrioCallGroup:
        self._nursery = await self._manager.__aenter__()
        return self

    def start_soon(self, func: Callable[[Any], Awaitable[None]], arg: Any) -> None:
        self._nursery.start_soon(func, arg)

    def cancel(self) -> None:
        self._nursery.cancel_scope.cancel()

    async def __aexit__(self, *exc_info: Any) -> bool | None:
        return await self._manager.__aexit__(*exc_info)
