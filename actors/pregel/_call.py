"""Task calls: functions a running task calls, each run by the engine as a task of its own.

A call made from a task (an entrypoint, a graph node, another call) becomes a
:class:`Task` of the same superstep whose id derives from the caller's task
path and the call's position among the caller's calls, so the same code makes
the same ids on a retry, a resume or a replay. A call whose id already has a
result in the run (finished earlier in this run, or restored from the
checkpoint's pending writes) is not run again: its future is resolved at once.

Calls run in a task group of their root task. An entrypoint opens that group
before its code starts, so calls start at once (:func:`run_with_calls`). A
graph node does not pay for a group it may never need: its calls wait in a
queue until the node first waits on one of them, or until the node returns
(:func:`settle_calls`), and then all queued calls start together.

A plain sync task called from sync code on a worker thread (a sync
entrypoint or node) is *deferred*: it starts when that code waits on it,
makes its next call, asks ``done()``, or returns. Waited on at once
(``step(x).result()``), it runs right there in the waiting thread, with no
hop to the event loop and back, when nothing needs the loop before its
code runs (:meth:`CallScope.can_inline`: no cache or retry policy, no
``tasks``/``debug``/``messages`` stream); saving or streaming its result
then takes one trip to the loop. Otherwise it starts on the loop as any
call does.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Generator, Mapping, Sequence
from typing import Any, Generic, TypeVar

import anyio
import anyio.from_thread
import anyio.lowlevel

from actorgraph.actors._adapter_loop import CallGroup, call_group, loop_running, new_event
from actorgraph.actors._adapter_threads import run_sync_in_worker
from actorgraph.actors._portal import in_worker_thread, run_sync
from actorgraph.actors.pregel._cache import lookup as cache_lookup
from actorgraph.actors.pregel._cache import store as cache_store
from actorgraph.actors.pregel._node import run_task
from actorgraph.actors.pregel._pending import DONE, RESUME
from actorgraph.actors.pregel._spec import RETURN, NodeSpec
from actorgraph.actors.pregel._task import CURRENT_TASK, PUSH, Task, id_prefix, id_with
from actorgraph.actors.pregel._types import Interrupt
from actorgraph.channels._errors import (
    GraphBubbleUp,
    GraphInterrupt,
    ParentCommand,
    SerializationError,
)

__all__ = [
    "CALL_RESULTS",
    "CallFuture",
    "CallScope",
    "SyncTaskCall",
    "call_task",
    "call_writes",
    "preload_results",
    "run_with_calls",
    "settle_calls",
    "step_calls",
    "write_return",
]

T = TypeVar("T")

CALL_RESULTS = "calls.results"
"""``run.extras`` key: task id to result of the calls a checkpoint says finished."""

_FINISHED = "calls.finished"
"""``run.extras`` key: ``(step, name, path)`` to result of every call that finished in
the run. Within one run that key names what the task id names, without hashing
(a run without a checkpointer never needs a call's id)."""

_SAVED = "calls.saved"
"""``run.extras`` key: ids of the calls whose results the checkpointer already holds."""

_STEP_CALLS = "calls.step"
"""``run.extras`` key: the call tasks made in the current step, in call order."""


def write_return(task: Task, result: Any) -> None:
    """The writer of a task function's node: its result is the task's one write."""
    task.writes.append((RETURN, result))


def _command_result(exc: ParentCommand) -> Any:
    """What a task returned when a subgraph it ran sent a command to this graph."""
    command = exc.command
    return type(command)(update=command.update, goto=command.goto, resume=command.resume)


def _note_failure(task: Task, exc: Exception) -> None:
    if hasattr(exc, "add_note"):
        exc.add_note(f"During task with name {task.name!r} and id {task.id!r}")


class SyncTaskCall:
    """The code of a task made from a plain sync function: it runs on a worker
    thread, or inline in the thread that waits on it (see the module doc)."""

    __slots__ = ("func",)

    def __init__(self, func: Callable[..., Any]) -> None:
        self.func = func

    async def __call__(self, task: Task) -> Any:
        args, kwargs = task.input
        return await run_sync_in_worker(functools.partial(self.func, *args, **kwargs))


class CallFuture(Generic[T]):
    """The pending result of a task call: ``.result()`` in sync code, ``await`` in async.

    Waiting re-raises what the call raised (an ``interrupt()`` inside the call
    pauses the caller too). An error nobody waited for fails the caller's task
    when it returns. A call cancelled with its run resolves with a
    RuntimeError saying so, and a cancelled waiter stops waiting.
    """

    __slots__ = ("_error", "_event", "_finished", "_value", "observed", "scope", "task")

    def __init__(self, scope: CallScope, task: Task) -> None:
        self.scope = scope
        self.task = task
        self._finished = False
        self._value: Any = None
        self._error: BaseException | None = None
        self._event: anyio.Event | None = None
        self.observed = False

    def done(self) -> bool:
        """Whether the call has finished (with a result or an error)."""
        if not self._finished and self.scope.deferred:
            self.scope.start_deferred()  # a caller polling done() must see it run
        return self._finished

    def _resolve(self, value: Any = None, error: BaseException | None = None) -> None:
        self._value = value
        self._error = error
        self._finished = True
        if self._event is not None:
            self._event.set()

    def _outcome(self) -> T:
        self.observed = True
        if self._error is not None:
            raise self._error
        value: T = self._value
        return value

    async def _wait(self) -> None:
        if self._finished:
            return
        scope = self.scope
        if scope.deferred:  # whatever sync code deferred runs while this waits
            scope.start_deferred()
        if scope.group is None:
            await scope.drain()
        if not self._finished:
            if self._event is None:
                self._event = new_event()
            await self._event.wait()

    def __await__(self) -> Generator[Any, None, T]:
        # A generator, not a coroutine: a finished call (most of a fan-out's,
        # by the time they are awaited) costs no coroutine at all.
        if not self._finished:
            yield from self._wait().__await__()
        return self._outcome()

    def result(self, timeout: float | None = None) -> T:
        """Wait for the call (from sync code) and return its result or raise its error.

        Raises TimeoutError after ``timeout`` seconds (the call runs on), and
        RuntimeError when called on the event loop's thread before the call
        has finished (use ``await`` in async code).
        """
        if not self._finished:
            if _on_loop():
                raise RuntimeError(
                    f"task {self.task.name!r}: .result() was called from async code before "
                    "the task finished, which would block the event loop. Use "
                    f"`await {self.task.name}(...)` instead."
                )
            scope = self.scope
            # Deferred calls are plain sync calls that could run inline when made.
            if timeout is None and scope.claim(self):
                scope.run_inline(self)
            if not self._finished:  # waiting on the loop starts what is deferred
                anyio.from_thread.run(self._wait_within, timeout)
        return self._outcome()

    async def _wait_within(self, seconds: float | None) -> None:
        with anyio.fail_after(seconds):
            await self._wait()

    def __repr__(self) -> str:
        state = "finished" if self._finished else "pending"
        return f"CallFuture({self.task.name!r}, {state})"


class CallScope:
    """The calls of one root task (and of the calls it made), and where they run."""

    __slots__ = ("counts", "deferred", "futures", "group", "prefixes", "queued", "root", "run")

    def __init__(self, root: Task) -> None:
        self.root = root
        self.run = root.run
        self.group: CallGroup | None = None
        self.queued: list[CallFuture[Any]] = []
        self.futures: list[CallFuture[Any]] = []
        # Deferred calls of sync code on a worker thread (see the module doc);
        # whoever removes one from the list (claim) starts or runs it.
        self.deferred: list[CallFuture[Any]] = []
        # Call positions per caller, keyed by the caller task's identity.
        self.counts: dict[int, int] = {}
        # What the ids and path strings of one caller's calls share (see saved_as).
        self.prefixes: dict[tuple[int, str, Any], tuple[Any, str]] = {}

    def make(
        self, caller: Task, node: NodeSpec, args: tuple[Any, ...], kwargs: Any
    ) -> CallFuture[Any]:
        """The call task for ``caller`` and its future, resolved at once if the call
        finished before (a retry of the caller, a resume): it is not run again."""
        index = self.counts.get(id(caller), 0)
        self.counts[id(caller)] = index + 1
        run = self.run
        path = (PUSH, caller.path, index)
        task = Task(run, node, node.name, path, (PUSH,), (args, kwargs))
        task.calls = self
        future: CallFuture[Any] = CallFuture(self, task)
        self.futures.append(future)
        extras = run.extras
        finished: dict[Any, Any] | None = extras.get(_FINISHED)
        if finished is not None:
            key = (run.step, node.name, path)
            if key in finished:
                future._resolve(finished[key])
                return future
        restored: dict[str, Any] | None = extras.get(CALL_RESULTS)
        if restored and task.id in restored:
            future._resolve(restored[task.id])
        return future

    def saved_as(self, task: Task) -> str:
        """The path string a checkpoint keeps call ``task`` under; fills in its id.

        Every call of one caller shares all of its id and path but its position:
        that part is hashed and formatted once per caller (and step and name).
        """
        path = task.path
        run = self.run
        key = (run.step, task.name, path[1])
        shared = self.prefixes.get(key)
        if shared is None:
            shared = self.prefixes[key] = (
                id_prefix(run, task.name, path[1:-1]),
                "~".join(map(str, path[:-1])) + "~",
            )
        if task._id is None:
            task._id = id_with(shared[0], path[-1])
        return shared[1] + str(path[-1])

    def schedule(self, caller: Task, node: NodeSpec, args: tuple[Any, ...], kwargs: Any) -> Any:
        """Make the call task for ``caller`` and start it (or queue it); on the loop thread."""
        future = self.make(caller, node, args, kwargs)
        if not future._finished:
            self.start(future)
        return future

    def start(self, future: CallFuture[Any]) -> None:
        """Start a made call in the group (or queue it); on the loop thread."""
        _note_step_call(self.run, future.task)
        if self.group is not None:
            self.group.start_soon(self.execute, future)
        else:
            self.queued.append(future)

    def claim(self, future: CallFuture[Any]) -> bool:
        """Take ``future`` off the deferred list; True for the one thread that did."""
        try:
            self.deferred.remove(future)  # one C call: atomic between threads
        except ValueError:
            return False
        return True

    def start_deferred(self) -> None:
        """Start every deferred call, from the loop thread or a worker thread."""
        claimed = [future for future in list(self.deferred) if self.claim(future)]
        if not claimed:
            return
        if _on_loop():
            for future in claimed:
                self.start(future)
        else:
            anyio.from_thread.run_sync(self._start_all, claimed)

    def _start_all(self, futures: list[CallFuture[Any]]) -> None:
        for future in futures:
            self.start(future)

    def can_inline(self, node: NodeSpec | None) -> bool:
        """Whether a call of ``node`` (a plain sync task) may run in the thread that
        waits on it: nothing it needs runs on the loop before its code (a start
        event, a cache lookup, retry waits, the messages stream)."""
        run = self.run
        modes = run.modes
        return (
            node is not None
            and isinstance(node.call, SyncTaskCall)
            and not node.retry_policy
            and (run.cache is None or not node.cache_policy)
            and "tasks" not in modes
            and "debug" not in modes
            and run.call_key is None
        )

    def run_inline(self, future: CallFuture[Any]) -> None:
        """Run a claimed plain sync call in this (worker) thread, as :meth:`execute`
        would on the loop (see :meth:`can_inline` for what it leaves out). What
        follows the code, saving the result and streaming it, takes one trip to
        the loop, and none when there is neither a checkpointer nor a stream.

        Raises the run's cancellation if it was cancelled meanwhile.
        """
        anyio.from_thread.check_cancelled()
        task = future.task
        node = task.node
        assert node is not None  # noqa: S101 - can_inline checked it
        assert isinstance(node.call, SyncTaskCall)  # noqa: S101
        args, kwargs = task.input
        error: Exception | None = None
        token = CURRENT_TASK.set(task)
        try:
            result = node.call.func(*args, **kwargs)
        except ParentCommand as exc:
            result = _command_result(exc)
        except GraphBubbleUp as exc:
            error = exc
        except Exception as exc:  # noqa: BLE001 - handed to whoever waits on the future
            _note_failure(task, exc)
            error = exc
        finally:
            CURRENT_TASK.reset(token)
        if error is None:
            task.writes.append((RETURN, result))
        run = self.run
        if run.durable is not None or run.modes:
            anyio.from_thread.run(self._finish_inline, future, error)
            return
        # Nothing on the loop reads the run's call records without a checkpointer.
        if error is not None:
            future._resolve(error=error)
            return
        task.done = True
        _finished(run, task, result)
        future._resolve(result)

    async def _finish_inline(self, future: CallFuture[Any], error: Exception | None) -> None:
        """On the loop: what :meth:`execute` does after a call's code ran."""
        task = future.task
        run = self.run
        _note_step_call(run, task)
        if error is not None:
            future._resolve(error=error)
            return
        try:
            if run.durable is not None and await self._save(run.durable, task):
                _extra(run, _SAVED, set).add(task.id)
        except Exception as exc:  # noqa: BLE001 - handed to whoever waits on the future
            future._resolve(error=exc)
            return
        task.done = True
        value = _returned(task)
        _finished(run, task, value)
        if run.modes:
            run._task_done(task)
        future._resolve(value)

    async def execute(self, future: CallFuture[Any]) -> None:
        """Run one call (cache, retries, stream events) and resolve its future.

        A cancelled call resolves its future with an error too, so a sync
        caller blocked on ``.result()`` in a worker thread wakes up.
        """
        # One coroutine per call, not two: a fan-out pays this per task.
        task = future.task
        run = self.run
        modes = run.modes
        try:
            if "tasks" in modes or "debug" in modes:
                run._emit_task_event(
                    "task",
                    {
                        "id": task.id,
                        "name": task.name,
                        "input": task.input,
                        "triggers": task.triggers,
                    },
                )
            keys = None
            if run.cache is not None and task.node is not None and task.node.cache_policy:
                keys = await cache_lookup(run.cache, [task])
            try:
                node = task.node
                if task.cached:
                    pass
                elif (
                    node is None
                    or node.retry_policy
                    or node.writer is not write_return
                    or run.call_key is not None
                ):
                    await run_task(task)
                else:
                    # run_task for a task function without retries or a
                    # stream variant, inlined: a fan-out pays a frame per call.
                    # A call never settles calls: they belong to its root.
                    token = CURRENT_TASK.set(task)
                    try:
                        result = await node.call(task)
                    except ParentCommand as exc:
                        result = _command_result(exc)
                    except GraphBubbleUp:
                        raise
                    except Exception as exc:
                        _note_failure(task, exc)
                        raise
                    finally:
                        CURRENT_TASK.reset(token)
                    task.writes.append((RETURN, result))
                if run.durable is not None and await self._save(run.durable, task):
                    _extra(run, _SAVED, set).add(task.id)
            except GraphBubbleUp as exc:
                future._resolve(error=exc)
                return
            except Exception as exc:  # noqa: BLE001 - handed to whoever waits on the future
                future._resolve(error=exc)
                return
            task.done = True
            if keys and run.cache is not None:
                await cache_store(run.cache, [task], keys)
            value = _returned(task)
            _finished(run, task, value)
            if modes:
                run._task_done(task)
            future._resolve(value)
        finally:
            if not future.done():
                future._resolve(error=RuntimeError(f"task {task.name!r} was cancelled"))

    async def drain(self) -> None:
        """Run every queued call (and what they call) to the end, in a group of its own."""
        if self.group is not None or not self.queued:
            return
        try:
            async with call_group() as group:
                self.group = group
                while self.queued:
                    group.start_soon(self.execute, self.queued.pop(0))
        finally:
            self.group = None

    async def _save(self, durable: Any, task: Task) -> bool:
        try:
            return bool(await durable.save_call(task, self.saved_as(task)))
        except SerializationError as exc:
            value = _returned(task)
            raise SerializationError(
                f"task {task.name!r} returned a value of type {type(value).__name__}, which "
                f"the checkpointer cannot store ({exc}). Return plain data (dicts, lists, "
                "str, numbers, msgspec Structs, dataclasses) or register the type with "
                "actorgraph.store.serde.register."
            ) from None

    def unobserved(self, raised: BaseException | None = None) -> BaseException | None:
        """What the root task must raise for calls nobody waited on (and ``raised``).

        A failed call nobody waited for fails the task; interrupts of calls
        nobody waited for pause it, after the ones it raised itself.
        """
        interrupts: list[Interrupt] = []
        if isinstance(raised, GraphInterrupt):
            interrupts.extend(raised.interrupts)
        elif raised is not None:
            return raised
        seen = {i.id for i in interrupts}
        for future in self.futures:
            error = future._error
            if error is None or future.observed:
                continue
            if isinstance(error, GraphInterrupt):
                for item in error.interrupts:
                    if item.id not in seen:
                        seen.add(item.id)
                        interrupts.append(item)
            elif not isinstance(error, GraphBubbleUp):
                return error
        if isinstance(raised, GraphInterrupt) and len(interrupts) == len(raised.interrupts):
            return raised
        if interrupts:
            return GraphInterrupt(tuple(interrupts))
        return raised


def _returned(task: Task) -> Any:
    for key, value in task.writes:
        if key == RETURN:
            return value
    return None


def _extra(run: Any, key: str, make: Callable[[], Any]) -> Any:
    """``run.extras[key]``, made on first use (without a new empty one per call)."""
    value = run.extras.get(key)
    if value is None:
        value = run.extras.setdefault(key, make())
    return value


def _finished(run: Any, task: Task, value: Any) -> None:
    """Keep a finished call's result for a re-run of its caller in this run."""
    _extra(run, _FINISHED, dict)[run.step, task.name, task.path] = value


def _note_step_call(run: Any, task: Task) -> None:
    if run.durable is None:
        return  # only a checkpointer reads them (call_writes)
    made: tuple[int, list[Task]] | None = run.extras.get(_STEP_CALLS)
    if made is None or made[0] != run.step:
        made = run.extras[_STEP_CALLS] = (run.step, [])
    made[1].append(task)


def _on_loop() -> bool:
    """Whether this code runs in an async task on the event loop's thread."""
    return loop_running()


def call_task(caller: Task, node: NodeSpec, args: tuple[Any, ...], kwargs: Any) -> Any:
    """Call ``node`` with ``args`` from ``caller``'s code; returns a :class:`CallFuture`.

    From async code the call starts on the loop; from a sync node on a worker
    thread it is handed to the loop; from sync code that runs on a hidden loop
    (a lone sync node under ``invoke()``) it runs to the end right here.
    """
    scope = caller.calls
    if scope is None:
        scope = caller.calls = CallScope(caller)
    if _on_loop():
        if scope.deferred:
            scope.start_deferred()
        return scope.schedule(caller, node, args, kwargs)
    if in_worker_thread():
        if scope.deferred:
            scope.start_deferred()  # a second call: the first one runs meanwhile
        if not scope.can_inline(node):
            return anyio.from_thread.run_sync(scope.schedule, caller, node, args, kwargs)
        future = scope.make(caller, node, args, kwargs)
        if not future.done():
            scope.deferred.append(future)
        return future
    future = scope.schedule(caller, node, args, kwargs)
    if not future.done():
        scope.queued.remove(future)
        # A lone sync node running inline in the caller's thread (its loop
        # hidden): the call runs to the end on the portal's nested loop.
        run_sync("ainvoke", scope.execute, future)
    return future


async def run_with_calls(task: Task, body: Callable[[], Awaitable[T]]) -> T:
    """Run ``body`` (a task's code) with a group its calls start in at once.

    Waits for every call before returning, even calls nobody waited on. If
    ``body`` raises, running calls are cancelled; if it pauses on an
    interrupt, they run to the end first (their results survive for the
    resume). Cancelling the caller cancels every call.
    """
    scope = CallScope(task)
    task.calls = scope
    raised: BaseException | None = None
    result: Any = None
    try:
        async with call_group() as group:
            scope.group = group
            try:
                result = await body()
            except GraphBubbleUp as exc:
                raised = exc
            except Exception as exc:  # noqa: BLE001 - re-raised once the calls are done
                raised = exc
                group.cancel()
            finally:
                if scope.deferred:  # calls of sync code nobody waited on
                    scope.start_deferred()
    finally:
        scope.group = None
        task.calls = None
    error = scope.unobserved(raised)
    if error is not None:
        raise error
    out: T = result
    return out


async def settle_calls(task: Task) -> None:
    """After ``task``'s code returned: run its queued calls, raise what nobody waited on."""
    scope = task.calls
    if scope is None or scope.root is not task:
        return
    task.calls = None
    if scope.deferred:  # calls of sync code nobody waited on
        scope.start_deferred()
    while scope.queued:
        await scope.drain()
    error = scope.unobserved()
    if error is not None:
        raise error


def preload_results(run: Any, done: Mapping[str, Sequence[tuple[str, Any]]]) -> None:
    """Let calls that finished before (pending writes of a checkpoint) resolve at once."""
    results = run.extras.setdefault(CALL_RESULTS, {})
    for task_id, writes in done.items():
        for key, value in writes:
            if key == RETURN:
                results[task_id] = value


def step_calls(run: Any) -> list[Task]:
    """The call tasks made in the current step, in call order."""
    made = run.extras.get(_STEP_CALLS)
    if made is None or made[0] != run.step:
        return []
    return list(made[1])


def call_writes(
    run: Any, answers: Mapping[str, list[Any]]
) -> list[tuple[Task, list[tuple[str, Any]]]]:
    """The pending writes that keep a paused or failed step's calls for its resume.

    A call that finished and is not saved yet keeps its result; a call that
    answered some of its interrupts keeps the answers, so it is asked only
    what is still open when it runs again.
    """
    out: list[tuple[Task, list[tuple[str, Any]]]] = []
    saved = run.extras.get(_SAVED, ())
    for task in step_calls(run):
        if task.id in saved:
            continue
        if task.done:
            out.append((task, [*task.writes, (DONE, True)]))
        elif task.id in answers:
            out.append((task, [(RESUME, list(answers[task.id]))]))
    return out
