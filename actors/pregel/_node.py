"""Node actors: run one node's code for a task, with injection, threads and retries.

A node actor is the executor of one node's tasks: :func:`run_task` takes a
task in and leaves the task's writes behind. Today the run supervisor calls it
directly. A mailbox per node would cost a memory-stream hop per task each way
(``benchmarks/bench_chain.py`` measures 6-25 µs per hop against about 10 µs for
a whole superstep), which the hot path does not need while every node actor
lives inside its run's task group; the interface stays this small so node
actors can move onto the actor library when one must outlive a run.
"""

from __future__ import annotations

import functools
import inspect
import random
import typing
from collections.abc import Callable
from typing import Any

import anyio
import anyio.lowlevel

from actorgraph.actors._adapter_loop import loop_hidden
from actorgraph.actors._adapter_threads import Patience, run_sync_in_worker
from actorgraph.actors.pregel._runtime import Runtime
from actorgraph.actors.pregel._spec import NodeCall
from actorgraph.actors.pregel._task import CURRENT_TASK, Task
from actorgraph.actors.pregel._types import RetryPolicy, StreamWriter
from actorgraph.channels._errors import GraphBubbleUp, ParentCommand

__all__ = ["INJECTABLE", "make_node_call", "run_task"]

INJECTABLE = ("config", "runtime", "writer", "store")
"""Keyword parameters a node may declare to receive run objects, by name or type."""


def _annotation_kind(annotation: Any) -> str | None:
    if annotation is inspect.Parameter.empty:
        return None
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    origin = typing.get_origin(annotation)
    if origin is not None:
        text = getattr(origin, "__name__", text)
    if annotation is Runtime or origin is Runtime or text.startswith("Runtime"):
        return "runtime"
    if text.startswith("RunnableConfig"):
        return "config"
    if text.startswith("StreamWriter") or annotation == StreamWriter:
        return "writer"
    if "Store" in text and text.endswith("Store"):
        return "store"
    return None


def _injection_plan(fn: Callable[..., Any]) -> tuple[bool, tuple[tuple[str, str], ...]]:
    """Whether ``fn`` takes the state, and which run objects it asks for."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return True, ()
    try:
        hints = typing.get_type_hints(fn)
    except Exception:  # noqa: BLE001 - unresolvable hints fall back to the raw annotations
        hints = {}
    params = list(signature.parameters.values())
    takes_state = False
    plan: list[tuple[str, str]] = []
    for index, param in enumerate(params):
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        kind = _annotation_kind(hints.get(param.name, param.annotation))
        if (
            kind is None
            and param.name in INJECTABLE
            and (index > 0 or param.kind == param.KEYWORD_ONLY)
        ):
            kind = param.name
        if index == 0 and param.kind != param.KEYWORD_ONLY and kind is None:
            takes_state = True
            continue
        if kind is not None:
            plan.append((param.name, kind))
    return takes_state, tuple(plan)


def _inject(task: Task, plan: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    run = task.run
    out: dict[str, Any] = {}
    for name, kind in plan:
        if kind == "config":
            out[name] = task.config
        elif kind == "runtime":
            out[name] = run.runtime
        elif kind == "writer":
            out[name] = run.writer
        else:
            out[name] = run.store
    return out


def _is_async_callable(fn: Any) -> bool:
    if inspect.iscoroutinefunction(fn):
        return True
    call = getattr(fn, "__call__", None)  # noqa: B004 - callable objects with async __call__
    return call is not None and inspect.iscoroutinefunction(call)


def make_node_call(fn: Any, *, inline: bool = False) -> NodeCall:
    """Wrap a node's callable so the engine can await it for a task.

    Coroutine functions are awaited; objects with ``ainvoke`` (Runnables,
    compiled graphs) get the task's config; plain functions run on a worker
    thread under anyio's default thread limiter (size it with
    ``anyio.to_thread.current_default_thread_limiter().total_tokens = n``), or
    inline when the run allows it (see ``compile(inline_sync_nodes=...)``) or
    ``inline`` is set (routers: they are meant to be cheap).
    """
    ainvoke = getattr(fn, "ainvoke", None)
    if ainvoke is not None and not inspect.isfunction(fn):

        async def call_runnable(task: Task) -> Any:
            return await ainvoke(task.input, task.config)

        return call_runnable
    target = fn.func if isinstance(fn, functools.partial) else fn
    takes_state, plan = _injection_plan(target if inspect.isroutine(target) else fn)
    if _is_async_callable(fn):
        if not plan:
            if takes_state:

                async def call_async(task: Task) -> Any:
                    return await fn(task.input)

                return call_async

            async def call_async_bare(task: Task) -> Any:
                return await fn()

            return call_async_bare

        async def call_async_injected(task: Task) -> Any:
            if takes_state:
                return await fn(task.input, **_inject(task, plan))
            return await fn(**_inject(task, plan))

        return call_async_injected

    def bound(task: Task) -> Callable[[], Any]:
        kwargs = _inject(task, plan) if plan else {}
        if takes_state:
            return functools.partial(fn, task.input, **kwargs)
        return functools.partial(fn, **kwargs)

    # Shared by every run of the node: how long a call of it usually takes.
    patience = Patience()

    async def call_sync(task: Task) -> Any:
        run = task.run
        if inline or run.inline_sync:
            if not plan and takes_state:
                return fn(task.input)
            return bound(task)()
        if run.private_loop and run.alone:
            with loop_hidden():
                return bound(task)()
        result = await run_sync_in_worker(bound(task), patience=patience)
        if run.failed is None:
            # The thread could not be stopped: what it returns after the run
            # was cancelled is dropped here, so no durability mode keeps it.
            # (A sibling's failure also cancels; a result finished then is
            # kept, so the resumed run does not redo it.)
            await anyio.lowlevel.checkpoint_if_cancelled()
        return result

    return call_sync


async def _settle_calls(task: Task) -> None:
    # Imported here: task calls run tasks through this module.
    from actorgraph.actors.pregel._call import settle_calls

    await settle_calls(task)


def _retry_delay(policy: RetryPolicy, attempt: int) -> float:
    delay = min(
        policy.initial_interval * policy.backoff_factor ** (attempt - 1), policy.max_interval
    )
    if policy.jitter:
        delay *= 1 + random.random() * 0.5  # noqa: S311 - jitter, not cryptography
    return delay


async def run_task(task: Task) -> None:
    """Run ``task`` to completion, retrying by its node's policy; writes land on the task.

    Raises whatever the node raised once retries are exhausted (with a note
    naming the node). On cancellation the task's writes are incomplete and are
    never applied.
    """
    node = task.node
    assert node is not None  # noqa: S101 - the START task never reaches a node actor
    key = task.run.call_key
    call = node.call if key is None else node.variants.get(key, node.call)
    token = CURRENT_TASK.set(task)
    try:
        attempt = 0
        while True:
            try:
                result = await call(task)
                calls = task.calls
                # A task call shares its root's calls: only the root settles them.
                if calls is not None and calls.root is task:
                    await _settle_calls(task)
                break
            except ParentCommand as exc:
                # A subgraph this node ran sent a command to its closest parent:
                # this graph. It counts as what the node returned.
                command = exc.command
                result = type(command)(
                    update=command.update, goto=command.goto, resume=command.resume
                )
                break
            except GraphBubbleUp:
                raise
            except Exception as exc:
                attempt += 1
                policy = next((p for p in node.retry_policy if p.should_retry(exc)), None)
                if policy is None or attempt >= policy.max_attempts:
                    if hasattr(exc, "add_note"):
                        exc.add_note(f"During task with name {task.name!r} and id {task.id!r}")
                    raise
                task.writes.clear()
                task.calls = None
                task.run.interrupt_counts.pop(task.id, None)
                await anyio.sleep(_retry_delay(policy, attempt))
        routing = node.writer(task, result)
        if routing is not None:
            await routing
    finally:
        CURRENT_TASK.reset(token)
