"""Observed graph runs: what ``astream_events`` and callbacks see of a graph.

A run is observed when its config carries callbacks (``astream_events`` adds
its own), given or inherited. Only then does any of this run: a plain run
picks the untraced node calls once per run (``RunSupervisor.call_key``) and
pays nothing more.

What an observed run reports, as LangGraph does:

* the graph itself as a ``chain`` run named after the graph (``"LangGraph"``
  unless ``compile(name=...)``), with its input, each chunk of ``astream`` as
  ``on_chain_stream``, and the output state at the end;
* each node task as a ``chain`` run named after the node, its metadata holding
  ``langgraph_step``, ``langgraph_node``, ``langgraph_triggers``,
  ``langgraph_path``, ``langgraph_checkpoint_ns`` and ``checkpoint_ns``, tagged
  ``graph:step:<n>``; input the state it read, output what it returned;
* whatever runs inside a node, as children of the node's run: Runnables and
  chat models inherit the node's config (callbacks included) through
  ``inherited_config_var``, so a fake or real chat model reports
  ``on_chat_model_start/stream/end`` and tools ``on_tool_start/end``;
* ``adispatch_custom_event`` from a node as ``on_custom_event`` of the node's
  run, and each chunk a node writes with its stream writer
  (``get_stream_writer()``, an injected ``writer``) as ``on_custom_event``
  named ``"custom"``, attributed to the node that wrote it. (LangGraph shows
  writer chunks only as ``on_chain_stream`` of the root, without the node;
  they reach the caller's stream as usual when it asked for ``custom``.)
  Writer chunks travel the run's stream, so their events are reported when the
  stream reaches them: after events the node reported directly (its end,
  even) may already have been.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from contextlib import aclosing
from contextvars import ContextVar
from typing import Any, cast

from actorgraph.actors.pregel._pregel import Pregel
from actorgraph.actors.pregel._run import RunSupervisor
from actorgraph.actors.pregel._spec import NodeCall
from actorgraph.actors.pregel._stream import RunStream
from actorgraph.actors.pregel._task import CURRENT_TASK, Task
from actorgraph.runnables._config import inherited_config_var
from actorgraph.runnables._tracing import RunScope, prepare_run, trace_run
from actorgraph.store._config import RunnableConfig

__all__ = ["attribute_writer", "is_traced", "observed_stream", "traced_ainvoke", "traced_node"]

_NODE_RUN: ContextVar[RunScope | None] = ContextVar("actorgraph_node_run", default=None)


class _Attributed:
    """A stream-writer chunk of an observed run, with the node run that wrote it."""

    __slots__ = ("scope", "value")

    def __init__(self, scope: RunScope, value: Any) -> None:
        self.scope = scope
        self.value = value


def is_traced(run: RunSupervisor) -> bool:
    """Whether ``run`` reports to observers."""
    return run.call_key is not None and run.call_key.startswith("traced")


def _own_config(config: RunnableConfig, step: int) -> RunnableConfig:
    # The graph's run id names the graph run, never a node's.
    out = cast("dict[str, Any]", dict(config))
    out.pop("run_id", None)
    out.pop("run_name", None)
    out["tags"] = [*out.get("tags", ()), f"graph:step:{step}"]
    return cast("RunnableConfig", out)


def traced_node(call: NodeCall) -> NodeCall:
    """``call`` reporting each task as a run of its own (observed runs only)."""

    async def call_traced(task: Task) -> Any:
        config = _own_config(task.config, task.step)
        async with trace_run(config, task.name, {"input": task.input}) as scope:
            saved = task._config
            task._config = scope.config
            config_token = inherited_config_var.set(scope.config)
            scope_token = _NODE_RUN.set(scope)
            try:
                scope.output = await call(task)
            finally:
                _NODE_RUN.reset(scope_token)
                inherited_config_var.reset(config_token)
                task._config = saved
        return scope.output

    return call_traced


def attribute_writer(run: RunSupervisor) -> None:
    """Make ``run``'s stream writer tag each chunk with the node run writing it.

    Only for observed runs whose chunks reach an observed stream, which
    unwraps them (:func:`observed_stream`).
    """
    parent = CURRENT_TASK.get()
    forwarded = parent is not None and run.bus is parent.run.bus
    if not is_traced(run) or "custom" not in run.modes:
        return
    if forwarded and parent is not None and not is_traced(parent.run):
        return
    emit = run.writer

    def writer(chunk: Any) -> None:
        scope = _NODE_RUN.get()
        emit(chunk if scope is None else _Attributed(scope, chunk))

    run.writer = writer
    run.runtime = run.runtime.override(stream_writer=writer)


def _with_run_id(scope: RunScope, config: RunnableConfig | None) -> RunnableConfig:
    # The engine derives task ids from the run id: keep the caller's.
    run_id = (config or {}).get("run_id")
    if run_id is None:
        return scope.config
    return cast("RunnableConfig", {**scope.config, "run_id": run_id})


def observed_stream(
    graph: Pregel,
    input: Any,
    config: RunnableConfig | None,
    *,
    stream_mode: str | Sequence[str] | None,
    subgraphs: bool,
    report: bool,
    options: dict[str, Any],
) -> RunStream:
    """``graph.astream(...)`` as an observed run (see the module doc).

    ``report`` adds ``on_chain_stream`` per chunk (a streamed run; an invoked
    one reports start and end only).
    """
    scope = prepare_run(config, graph.get_name(), {"input": input})  # type: ignore[attr-defined]
    wanted = "updates" if stream_mode is None else stream_mode
    single = isinstance(wanted, str)
    modes = (wanted,) if isinstance(wanted, str) else tuple(wanted)
    internal = list(dict.fromkeys((*modes, "custom")))
    holder: list[RunSupervisor] = []

    async def observe(chunks: AsyncIterator[Any]) -> AsyncGenerator[Any, None]:
        await scope.start()
        try:
            async with aclosing(chunks):  # type: ignore[type-var]
                async for raw in chunks:
                    ns, mode, payload = raw if subgraphs else ((), *raw)
                    if mode == "custom":
                        target = scope
                        if isinstance(payload, _Attributed):
                            target, payload = payload.scope, payload.value
                        await target.custom_event("custom", payload)
                        if "custom" not in modes:
                            continue
                    chunk = payload if single else (mode, payload)
                    if subgraphs:
                        chunk = (ns, chunk) if single else (ns, mode, payload)
                    if report:
                        await scope.stream(chunk)
                    yield chunk
        except Exception as exc:
            await scope.finish(exc)
            raise
        scope.output = holder[0].output()
        await scope.finish()

    stream = graph._stream(
        input,
        _with_run_id(scope, config),
        stream_mode=internal,
        subgraphs=subgraphs,
        transform=observe,
        **options,
    )
    holder.append(stream.run)
    return stream


async def traced_ainvoke(
    graph: Pregel, input: Any, config: RunnableConfig | None, kwargs: dict[str, Any]
) -> Any:
    """``graph.ainvoke(...)`` as an observed run.

    At the top level the run streams internally so stream-writer chunks become
    events; inside a node it forwards to the parent's stream as usual.
    """
    stream_mode = kwargs.get("stream_mode", "values")
    if CURRENT_TASK.get() is None and stream_mode == "values":
        options = {k: v for k, v in kwargs.items() if k not in ("stream_mode", "durability")}
        options.setdefault("context", None)
        options.setdefault("output_keys", None)
        options.setdefault("interrupt_before", None)
        options.setdefault("interrupt_after", None)
        stream = observed_stream(
            graph,
            input,
            config,
            stream_mode=["values"],
            subgraphs=False,
            report=False,
            options=options,
        )
        async with stream:
            async for _ in stream:
                pass
        return graph._finish_output(stream.run)
    async with trace_run(config, graph.get_name(), {"input": input}) as scope:  # type: ignore[attr-defined]
        scope.output = await Pregel.ainvoke(graph, input, _with_run_id(scope, config), **kwargs)
    return scope.output
