"""The functional API: workflows as plain functions (``@entrypoint``) calling ``@task``s.

An entrypoint is a graph of one node that runs your function; every task it
calls runs as a task of its own in the same superstep, so its result is
streamed (``updates`` shows ``{task_name: result}``), cached, retried and, with
a checkpointer, kept: a resumed workflow runs the function again from its start
and every task call that had finished returns its saved result instead of
running again. See ``examples/functional_api.py``.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar, overload

from typing_extensions import ParamSpec

from actorgraph._drawing import Graph
from actorgraph.actors._adapter_threads import run_sync_in_worker
from actorgraph.actors.pregel._call import (
    CallFuture,
    SyncTaskCall,
    call_task,
    run_with_calls,
    write_return,
)
from actorgraph.actors.pregel._node import _inject, _injection_plan, _is_async_callable
from actorgraph.actors.pregel._pregel import Pregel
from actorgraph.actors.pregel._spec import GraphSpec, NodeSpec
from actorgraph.actors.pregel._task import CURRENT_TASK, PUSH, Task
from actorgraph.actors.pregel._types import (
    CachePolicy,
    Command,
    Interrupt,
    RetryPolicy,
    Send,
    default_cache_key,
)
from actorgraph.channels import EphemeralValue, LastValue
from actorgraph.channels._errors import GraphInterrupt, InvalidUpdateError
from actorgraph.graph._messages_mode import stream_messages
from actorgraph.graph._schema import coerce_context
from actorgraph.graph.state import _policies
from actorgraph.store._config import RunnableConfig
from actorgraph.store.serde import register

__all__ = ["CallFuture", "EntrypointGraph", "TaskFunction", "entrypoint", "task"]

P = ParamSpec("P")
T = TypeVar("T")
R = TypeVar("R")
S = TypeVar("S")
ContextT = TypeVar("ContextT")

START = "__start__"
END = "__end__"
PREVIOUS = "__previous__"


# -- tasks ----------------------------------------------------------------------------


def _call_cache_policy(policy: CachePolicy | None) -> CachePolicy | None:
    """The policy keyed on a call's arguments: ``key_func(*args, **kwargs)``."""
    if policy is None:
        return None
    key_func = policy.key_func

    def key(value: Any) -> str | bytes:
        args, kwargs = value
        if key_func is default_cache_key:
            return key_func([list(args), kwargs])
        return key_func(*args, **kwargs)

    return CachePolicy(key_func=key, ttl=policy.ttl)


class TaskFunction(Generic[P, T]):
    """A function decorated with ``@task``: calling it returns a future of its result.

    Call it from an entrypoint, a graph node or another task; ``.result()``
    waits in sync code, ``await`` in async code. Calling it anywhere else
    raises RuntimeError naming the task. A sync function runs on a worker
    thread (called from sync code and waited on at once, in the waiting
    thread: see ``actors/pregel/_call.py``), an async one on the event loop;
    cancelling the run cancels it.
    """

    def __init__(
        self,
        func: Callable[P, Any],
        *,
        name: str | None = None,
        retry_policy: RetryPolicy | Sequence[RetryPolicy] | None = None,
        cache_policy: CachePolicy | None = None,
    ) -> None:
        self.func = func
        self.name: str = name or getattr(func, "__name__", None) or type(func).__name__
        functools.update_wrapper(self, func)
        call: Callable[[Task], Awaitable[Any]]
        if _is_async_callable(func):

            async def call_async(task: Task) -> Any:
                args, kwargs = task.input
                return await func(*args, **kwargs)

            call = call_async
        else:
            # On a worker thread, or inline in the sync code that waits on it.
            call = SyncTaskCall(func)

        self.spec = NodeSpec(
            self.name,
            triggers=(PUSH,),
            reads=None,
            call=call,
            call_streaming=stream_messages(call, bare=True),
            writer=write_return,
            retry_policy=_policies(retry_policy),
            cache_policy=_call_cache_policy(cache_policy),
        )

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> CallFuture[T]:
        caller = CURRENT_TASK.get()
        if caller is None:
            raise RuntimeError(
                f"Called task {self.name!r} outside of a run: tasks can only be called from "
                "an @entrypoint function, a graph node, or another task while it runs. "
                f"Call the plain function ({self.name}.func) to run it directly."
            )
        future: CallFuture[T] = call_task(caller, self.spec, args, kwargs)
        return future

    def __repr__(self) -> str:
        return f"task({self.name!r})"


class _TaskDecorator:
    def __init__(
        self,
        name: str | None,
        retry_policy: RetryPolicy | Sequence[RetryPolicy] | None,
        cache_policy: CachePolicy | None,
    ) -> None:
        self.options = {"name": name, "retry_policy": retry_policy, "cache_policy": cache_policy}

    @overload
    def __call__(self, func: Callable[P, Awaitable[T]]) -> TaskFunction[P, T]: ...

    @overload
    def __call__(self, func: Callable[P, T]) -> TaskFunction[P, T]: ...

    def __call__(self, func: Callable[P, Any]) -> TaskFunction[P, Any]:
        return TaskFunction(func, **self.options)  # type: ignore[arg-type]


@overload
def task(func: Callable[P, Awaitable[T]], /) -> TaskFunction[P, T]: ...


@overload
def task(func: Callable[P, T], /) -> TaskFunction[P, T]: ...


@overload
def task(
    *,
    name: str | None = None,
    retry_policy: RetryPolicy | Sequence[RetryPolicy] | None = None,
    cache_policy: CachePolicy | None = None,
) -> _TaskDecorator: ...


def task(
    func: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    retry_policy: RetryPolicy | Sequence[RetryPolicy] | None = None,
    cache_policy: CachePolicy | None = None,
) -> TaskFunction[Any, Any] | _TaskDecorator:
    """Make ``func`` a task: ``@task``, ``@task()`` or ``@task(name=, retry_policy=, cache_policy=)``.

    ``retry_policy`` retries the call (a policy or a list, the first matching
    one applies); ``cache_policy`` caches its result by its arguments
    (``key_func(*args, **kwargs)``, needs ``@entrypoint(cache=...)``). Its
    result must be serializable when the entrypoint has a checkpointer.
    """
    decorator = _TaskDecorator(name, retry_policy, cache_policy)
    if func is not None:
        return decorator(func)
    return decorator


# -- entrypoints ----------------------------------------------------------------------


def _read(task: Task, key: str) -> Any:
    channel = task.run.channels[key]
    return channel.get() if channel.is_available() else None


def _entry_call(func: Callable[..., Any]) -> Callable[[Task], Awaitable[Any]]:
    """Run the entrypoint's function for a task: input, injections, calls, threads."""
    _, plan = _injection_plan(func)
    try:
        params = inspect.signature(func).parameters
    except (TypeError, ValueError):
        params = {}  # type: ignore[assignment]
    wants_previous = "previous" in params and list(params).index("previous") > 0
    run_async = _is_async_callable(func)

    async def call(task: Task) -> Any:
        run = task.run
        previous = _read(task, PREVIOUS)
        if previous is not None:
            # The entrypoint is its run's only node: get_runtime() in it and
            # in its tasks sees the same previous value.
            run.runtime = run.runtime.override(previous=previous)
        kwargs = _inject(task, plan)
        if wants_previous:
            kwargs["previous"] = previous
        bound = functools.partial(func, task.input, **kwargs)
        if run_async:  # no wrapper coroutine per run
            return await run_with_calls(task, bound)
        # Always a worker thread, even alone under invoke(): the function
        # may wait on its tasks, which need the loop to run.
        return await run_with_calls(task, functools.partial(run_sync_in_worker, bound))

    return call


def _write_final(task: Task, result: Any) -> None:
    if isinstance(result, entrypoint.final):
        task.writes.append((END, result.value))
        task.writes.append((PREVIOUS, result.save))
    else:
        task.writes.append((END, result))
        task.writes.append((PREVIOUS, result))


async def _map_input(task: Task, value: Any) -> None:
    if isinstance(value, Command):
        if value.resume is not None:
            raise InvalidUpdateError(
                "Command(resume=...) needs a checkpointer and a thread_id: pass "
                "@entrypoint(checkpointer=...) and config={'configurable': {'thread_id': ...}}."
            )
        raise InvalidUpdateError(
            "An entrypoint takes its input, None, or Command(resume=...) to resume; "
            "Command(update=/goto=) has no meaning for it."
        )
    if value is not None:
        task.writes.append((START, value))


class EntrypointGraph(Pregel):
    """What ``@entrypoint`` returns: a graph of one node running the decorated function.

    ``invoke``/``ainvoke`` return the function's return value (or
    ``{"__interrupt__": [...]}`` when it paused); ``stream`` shows each task's
    result as ``{task_name: result}`` in ``updates`` and the return value as
    ``{entrypoint_name: value}``; ``values`` is the return value, once.
    """

    def __init__(
        self, spec: GraphSpec, *, func: Callable[..., Any], context_schema: Any, **kwargs: Any
    ) -> None:
        super().__init__(spec, **kwargs)
        self.func = func
        self.context_schema = context_schema

    def _coerce_context(self, context: Any) -> Any:
        return coerce_context(self.context_schema, context)

    def _finish_output(self, run: Any) -> Any:
        if run.interrupts:
            if CURRENT_TASK.get() is not None:
                raise GraphInterrupt(tuple(run.interrupts))
            return {"__interrupt__": list(run.interrupts)}
        return run.output()

    def get_graph(self, config: RunnableConfig | None = None, *, xray: bool | int = False) -> Graph:
        """A drawing of the entrypoint: ``__start__ -> name -> __end__``.

        The tasks it calls are decided at run time, so they are not drawn.
        """
        graph = Graph()
        graph.add_node(name=START)
        graph.add_node(self.func, id=self.name)
        graph.add_node(name=END)
        graph.add_edge(START, self.name)
        graph.add_edge(self.name, END)
        return graph

    def __repr__(self) -> str:
        return f"EntrypointGraph(name={self.name!r})"


class entrypoint(Generic[ContextT]):  # noqa: N801 - the decorator name users know
    """Turn a function into a workflow: ``@entrypoint(checkpointer=..., store=..., cache=...)``.

    The function takes one positional argument, the input (pass several values
    in a dict), and may declare ``previous`` (its last saved value on this
    thread, None at first; needs a checkpointer), ``config``, ``store``,
    ``writer`` and ``runtime`` (by name or annotation). It may be sync (run on
    a worker thread) or async. Return :class:`entrypoint.final` to return one
    value and save another as the next ``previous``. ``retry_policy`` and
    ``cache_policy`` apply to the whole function. The result is an
    :class:`EntrypointGraph`. Cancelling a run cancels the function and its
    running tasks (sync code already on a worker thread finishes, its result
    dropped). ``examples/functional_api.py`` shows it all.
    """

    @dataclasses.dataclass(frozen=True)
    class final(Generic[R, S]):  # noqa: N801 - LangGraph's name
        """Return ``value`` to the caller, save ``save`` as the next ``previous``."""

        value: R
        save: S

    def __init__(
        self,
        checkpointer: Any = None,
        store: Any = None,
        cache: Any = None,
        context_schema: type[ContextT] | None = None,
        cache_policy: CachePolicy | None = None,
        retry_policy: RetryPolicy | Sequence[RetryPolicy] | None = None,
    ) -> None:
        if inspect.isfunction(checkpointer):
            raise TypeError(
                f"@entrypoint needs parentheses: write @entrypoint() above "
                f"{checkpointer.__name__!r} (or @entrypoint(checkpointer=...))."
            )
        self.checkpointer = checkpointer
        self.store = store
        self.cache = cache
        self.context_schema = context_schema
        self.cache_policy = cache_policy
        self.retry_policy = _policies(retry_policy)

    def __call__(self, func: Callable[..., Any]) -> EntrypointGraph:
        """Build the workflow graph for ``func``."""
        # Checkpoints hold interrupts (and resume commands) by these names.
        for cls in (Send, Command, Interrupt):
            register(cls, name=f"actorgraph.types.{cls.__name__}")
        name = getattr(func, "__name__", None) or type(func).__name__
        call = _entry_call(func)
        node = NodeSpec(
            name,
            triggers=(START,),
            reads=(START,),
            mapper=lambda values: values.get(START),
            call=call,
            call_streaming=stream_messages(call),
            writer=_write_final,
            retry_policy=self.retry_policy,
            cache_policy=self.cache_policy,
        )
        spec = GraphSpec(
            channels={
                START: EphemeralValue(Any, key=START),
                END: LastValue(Any, key=END),
                PREVIOUS: LastValue(Any, key=PREVIOUS),
            },
            nodes={name: node},
            map_input=_map_input,
            output_keys=(END,),
            stream_keys=(END,),
            name=name,
            single_channel=END,
        )
        return EntrypointGraph(
            spec,
            func=func,
            context_schema=self.context_schema,
            checkpointer=self.checkpointer,
            store=self.store,
            cache=self.cache,
            name=name,
        )
