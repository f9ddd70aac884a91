"""The compiled graph's run API: invoke, stream, batch; async engine, sync portals."""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Any

import anyio

from actorgraph.actors._portal import (
    iterate_sync,
    owns_private_loop,
    run_sync,
)
from actorgraph.actors.pregel._cache import namespace as cache_namespace
from actorgraph.actors.pregel._durable import attach_durability
from actorgraph.actors.pregel._run import RunSupervisor
from actorgraph.actors.pregel._spec import GraphSpec, NodeSpec
from actorgraph.actors.pregel._state import StateAPI
from actorgraph.actors.pregel._stream import RunStream, StreamBus
from actorgraph.actors.pregel._task import CURRENT_TASK, PULL, Task
from actorgraph.channels._errors import GraphInterrupt
from actorgraph.store._config import RunnableConfig

__all__ = ["NodeView", "Pregel"]


def _unset_sink(chunk: Any) -> None:
    raise AssertionError("a stream's sink is set when it starts")  # pragma: no cover


def _check_durability(durability: str | None) -> None:
    if durability not in (None, "sync", "async", "exit"):
        raise ValueError(f"durability must be 'sync', 'async' or 'exit', got {durability!r}.")


# LangGraph run options taken and ignored here: they only change what LangGraph
# prints (debug, print_mode) or, for invoke, which namespaces it streams inside.
_IGNORED_OPTIONS = frozenset({"debug", "print_mode", "subgraphs"})


def _check_options(method: str, options: dict[str, Any]) -> None:
    """Refuse keyword arguments a run method does not know, naming them: a typo
    (``stream_modes=``) must not silently run with the defaults."""
    if not options or options.keys() <= _IGNORED_OPTIONS:
        return
    unknown = sorted(options.keys() - _IGNORED_OPTIONS)
    hint = ""
    if "checkpoint_during" in unknown:
        hint = " (checkpoint_during is durability= here: 'async', 'sync' or 'exit')"
    raise TypeError(
        f"{method}() got unexpected keyword argument(s) {', '.join(map(repr, unknown))}{hint}; "
        "it takes context, stream_mode, output_keys, interrupt_before, interrupt_after, "
        "durability (and subgraphs for streams)"
    )


class NodeView:
    """One node of a compiled graph, callable on its own (for tests).

    ``invoke(state)`` runs just the node's code with its injections and returns
    what the node returned; no edges run, nothing is written or checkpointed.
    """

    def __init__(self, graph: Pregel, spec: NodeSpec) -> None:
        self.graph = graph
        self.spec = spec
        self.name = spec.name
        self.metadata = spec.metadata

    async def ainvoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        """Run the node's code on ``input``; raises what the node raises."""
        run = self.graph._new_run(
            config,
            bus=None,
            forward=False,
            context=kwargs.get("context"),
            interrupt_before=(),
            interrupt_after=(),
            output_keys=None,
            persist=False,
        )
        task = Task(run, self.spec, self.name, (PULL, self.name), self.spec.triggers, input)
        token = CURRENT_TASK.set(task)
        try:
            return await self.spec.call(task)
        finally:
            CURRENT_TASK.reset(token)

    def invoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        """Sync :meth:`ainvoke`; raises SyncCalledFromAsyncError inside a running event loop."""
        return run_sync("ainvoke", self.ainvoke, input, config, **kwargs)

    def __repr__(self) -> str:
        return f"NodeView({self.name!r})"


class Pregel(StateAPI):
    """A compiled graph: runs it with ``invoke``/``stream``/``batch`` and their async twins.

    There is one engine, async, on anyio (asyncio or trio). The sync methods
    are portals over it and raise RuntimeError when called inside a running
    event loop.
    """

    def __init__(
        self,
        spec: GraphSpec,
        *,
        checkpointer: Any = None,
        store: Any = None,
        cache: Any = None,
        interrupt_before: Sequence[str] | str = (),
        interrupt_after: Sequence[str] | str = (),
        debug: bool = False,
        name: str = "LangGraph",
        inline_sync_nodes: bool = False,
    ) -> None:
        self.spec = spec
        self.checkpointer = checkpointer
        self.store = store
        self.cache = cache
        self.interrupt_before_nodes = interrupt_before
        self.interrupt_after_nodes = interrupt_after
        self.debug = debug
        self.name = name
        self.inline_sync_nodes = inline_sync_nodes
        self.nodes: dict[str, NodeView] = {
            name: NodeView(self, n) for name, n in spec.nodes.items()
        }
        self.channels = spec.channels

    async def aclear_cache(self, nodes: Sequence[str] | None = None) -> None:
        """Forget cached node results (of ``nodes``, or of every node)."""
        if self.cache is not None:
            names = self.spec.nodes if nodes is None else nodes
            await self.cache.aclear([cache_namespace(name) for name in names])

    def clear_cache(self, nodes: Sequence[str] | None = None) -> None:
        """Sync :meth:`aclear_cache`; raises SyncCalledFromAsyncError inside a running loop."""
        run_sync("aclear_cache", self.aclear_cache, nodes)

    # -- hooks the facade refines ---------------------------------------------------

    def _coerce_context(self, context: Any) -> Any:
        return context

    def _finish_output(self, run: RunSupervisor) -> Any:
        if run.interrupts and CURRENT_TASK.get() is not None:
            # A subgraph paused inside a node: the pause belongs to the whole
            # run, so it travels up through the node instead of being its result.
            raise GraphInterrupt(tuple(run.interrupts))
        out: Any = run.output()
        if run.interrupts:
            out["__interrupt__"] = list(run.interrupts)
        return out

    # -- runs -------------------------------------------------------------------------

    def _observe_run(self, run: RunSupervisor) -> None:
        """Adjust a new run whose calls are observed (``run.call_key`` is set)."""

    def _new_run(
        self,
        config: RunnableConfig | None,
        *,
        bus: StreamBus | None,
        context: Any,
        interrupt_before: Sequence[str] | str | None,
        interrupt_after: Sequence[str] | str | None,
        forward: bool,
        output_keys: Sequence[str] | str | None,
        private_loop: bool = False,
        durability: str | None = None,
        persist: bool = True,
    ) -> RunSupervisor:
        config = config if config is not None else {}
        ns: tuple[str, ...] = ()
        store = self.store
        parent = CURRENT_TASK.get()
        if parent is not None:
            parent_run = parent.run
            # A second graph run started by the same task gets a namespace of
            # its own (counted in call order, so a re-run task gets them back).
            calls = parent_run.child_runs.get(parent.id, 0)
            parent_run.child_runs[parent.id] = calls + 1
            own = (
                f"{parent.name}:{parent.id}" if calls == 0 else f"{parent.name}:{parent.id}:{calls}"
            )
            ns = (*parent_run.ns, own)
            if forward and bus is None:
                bus = parent_run.bus
            if context is None:
                context = parent_run.runtime.context
            if store is None:
                store = parent_run.store
        run = RunSupervisor(  # positionally (see RunSupervisor.__init__)
            self.spec,
            config,
            bus,
            ns,
            # No context is no context for every schema: no coercion to ask for.
            None if context is None else self._coerce_context(context),
            store,
            self.inline_sync_nodes,
            private_loop,
            interrupt_before if interrupt_before is not None else self.interrupt_before_nodes,
            interrupt_after if interrupt_after is not None else self.interrupt_after_nodes,
            self.cache,
            output_keys,
        )
        if persist and (self.checkpointer is not None or parent is not None):
            attach_durability(run, self.checkpointer, config, parent, durability)
        if run.call_key is not None:
            self._observe_run(run)
        return run

    async def _ainvoke(
        self,
        input: Any,
        config: RunnableConfig | None,
        stream_mode: str | Sequence[str],
        context: Any,
        output_keys: Sequence[str] | str | None,
        interrupt_before: Sequence[str] | str | None,
        interrupt_after: Sequence[str] | str | None,
        durability: str | None,
        private_loop: bool = False,
    ) -> Any:
        # Positional parameters: the sync face hands them through the portal
        # as one tuple, with no keyword dict to build and unpack per call.
        if stream_mode == "values":
            run = self._new_run(
                config,
                bus=None,
                forward=True,
                context=context,
                output_keys=output_keys,
                interrupt_before=interrupt_before,
                interrupt_after=interrupt_after,
                durability=durability,
                private_loop=private_loop,
            )
            try:
                await run.start(input)
                while await run.tick():
                    pass
            finally:
                if run.durable is not None:  # what close() owes; no coroutine made otherwise
                    await run.close()
            output = self._finish_output(run)
            run.release()
            return output
        chunks: list[Any] = []
        single = isinstance(stream_mode, str)
        modes = frozenset((stream_mode,) if isinstance(stream_mode, str) else stream_mode)
        run = self._new_run(
            config,
            bus=StreamBus(modes, chunks.append, single=single),
            forward=False,
            context=context,
            output_keys=output_keys,
            interrupt_before=interrupt_before,
            interrupt_after=interrupt_after,
            durability=durability,
            private_loop=private_loop,
        )
        try:
            await run.start(input)
            while await run.tick():
                pass
        finally:
            await run.close()
        return chunks

    async def ainvoke(
        self,
        input: Any,
        config: RunnableConfig | None = None,
        *,
        context: Any = None,
        stream_mode: str | Sequence[str] = "values",
        output_keys: Sequence[str] | str | None = None,
        interrupt_before: Sequence[str] | str | None = None,
        interrupt_after: Sequence[str] | str | None = None,
        durability: str | None = None,
        **kwargs: Any,
    ) -> Any:
        """Run the graph to the end and return its output.

        With ``stream_mode="values"`` (the default) the result is the output
        state (plus ``"__interrupt__"`` when the run paused); with another mode,
        the list of chunks ``stream()`` would give. Raises what a node raised
        (after its retries), :class:`GraphRecursionError`, or
        :class:`InvalidUpdateError` for writes the state cannot take. Cancelling
        the caller cancels the running step; its writes are dropped.

        With ``compile(checkpointer=...)`` the config needs a ``thread_id``:
        the run starts from the thread's latest checkpoint (or its
        ``checkpoint_id``, replaying from there), ``None`` as input continues
        it and ``Command(resume=...)`` answers its interrupts. ``durability``
        is ``"async"`` (default), ``"sync"`` or ``"exit"``; whatever it is,
        a cancelled run writes what it owes (shielded) before it returns. See
        ``examples/persistence.py`` and ``examples/interrupts.py``.
        """
        if kwargs:
            _check_options("ainvoke", kwargs)
        if durability is not None:
            _check_durability(durability)
        return await self._ainvoke(
            input,
            config,
            stream_mode,
            context,
            output_keys,
            interrupt_before,
            interrupt_after,
            durability,
        )

    def invoke(
        self,
        input: Any,
        config: RunnableConfig | None = None,
        *,
        context: Any = None,
        stream_mode: str | Sequence[str] = "values",
        output_keys: Sequence[str] | str | None = None,
        interrupt_before: Sequence[str] | str | None = None,
        interrupt_after: Sequence[str] | str | None = None,
        durability: str | None = None,
        **kwargs: Any,
    ) -> Any:
        """Sync :meth:`ainvoke`: runs the engine on this thread's reused event loop.

        Raises :class:`SyncCalledFromAsyncError` (a RuntimeError) inside a running
        event loop. Called from a sync node (a worker thread), the run joins that
        node's event loop as its child. A sync node that is the only task of its
        step runs in this thread, as LangGraph's sync invoke does (no
        worker-thread hop); nodes of a fan-out still run on worker threads,
        concurrently.
        """
        if kwargs:
            _check_options("invoke", kwargs)
        if durability is not None:
            _check_durability(durability)
        return run_sync(
            "ainvoke",
            self._ainvoke,
            input,
            config,
            stream_mode,
            context,
            output_keys,
            interrupt_before,
            interrupt_after,
            durability,
            owns_private_loop(),
        )

    def _stream(
        self,
        input: Any,
        config: RunnableConfig | None,
        *,
        stream_mode: str | Sequence[str] | None,
        subgraphs: bool,
        transform: Any = None,
        **options: Any,
    ) -> RunStream:
        if stream_mode is None:
            stream_mode = "updates"
        single = isinstance(stream_mode, str)
        modes = frozenset((stream_mode,) if isinstance(stream_mode, str) else stream_mode)
        bus = StreamBus(modes, _unset_sink, single=single, subgraphs=subgraphs)
        run = self._new_run(config, bus=bus, forward=False, **options)
        return RunStream(run, input, transform)

    def astream(
        self,
        input: Any,
        config: RunnableConfig | None = None,
        *,
        context: Any = None,
        stream_mode: str | Sequence[str] | None = None,
        output_keys: Sequence[str] | str | None = None,
        subgraphs: bool = False,
        interrupt_before: Sequence[str] | str | None = None,
        interrupt_after: Sequence[str] | str | None = None,
        durability: str | None = None,
        **kwargs: Any,
    ) -> RunStream:
        """Stream a run's chunks, live: ``async for chunk in graph.astream(x)``.

        The run is a producer task feeding a bounded buffer (see
        :class:`RunStream`): tokens and custom chunks arrive while nodes run, a
        slow consumer slows the run, and breaking out, ``aclose()`` or
        cancelling the consumer cancels the run. Errors are raised from the
        iteration with their own type.

        ``stream_mode`` defaults to ``"updates"`` (``{node: update}`` per task), as
        in LangGraph 1.x; older LangGraph documentation says ``"values"``. A list
        of modes gives ``(mode, chunk)`` pairs; ``subgraphs=True`` prefixes the
        namespace tuple.
        """
        _check_options("astream", kwargs)
        _check_durability(durability)
        return self._stream(
            input,
            config,
            stream_mode=stream_mode,
            subgraphs=subgraphs,
            context=context,
            output_keys=output_keys,
            interrupt_before=interrupt_before,
            interrupt_after=interrupt_after,
            durability=durability,
        )

    def stream(
        self,
        input: Any,
        config: RunnableConfig | None = None,
        *,
        context: Any = None,
        stream_mode: str | Sequence[str] | None = None,
        output_keys: Sequence[str] | str | None = None,
        subgraphs: bool = False,
        interrupt_before: Sequence[str] | str | None = None,
        interrupt_after: Sequence[str] | str | None = None,
        durability: str | None = None,
        **kwargs: Any,
    ) -> Generator[Any, None, None]:
        """Sync :meth:`astream`: a generator over the run's chunks.

        ``stream_mode`` defaults to ``"updates"`` (LangGraph 1.x behaviour; older
        docs say ``"values"``). The engine runs on an event loop in a helper
        thread and streams live through a bounded buffer: chunks (tokens,
        custom events) arrive while nodes run, and the run waits when the
        consumer is behind. Raises RuntimeError inside a running event loop;
        closing the generator early cancels the run.
        """
        _check_options("stream", kwargs)
        _check_durability(durability)
        return iterate_sync(
            "astream",
            lambda: self._stream(
                input,
                config,
                stream_mode=stream_mode,
                subgraphs=subgraphs,
                context=context,
                output_keys=output_keys,
                interrupt_before=interrupt_before,
                interrupt_after=interrupt_after,
                durability=durability,
            ),
        )

    async def abatch(
        self,
        inputs: Sequence[Any],
        config: RunnableConfig | Sequence[RunnableConfig] | None = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any,
    ) -> list[Any]:
        """Run :meth:`ainvoke` on each input concurrently; results in input order.

        ``config`` is one config for all or one per input; ``max_concurrency`` in
        the (first) config bounds how many run at once. With
        ``return_exceptions=True`` a failed run's exception takes its place.
        """
        configs: list[RunnableConfig | None]
        if config is None or isinstance(config, dict):
            configs = [config] * len(inputs)
        else:
            configs = list(config)
        if len(configs) != len(inputs):
            raise ValueError(
                f"abatch got {len(inputs)} inputs but {len(configs)} configs; pass one "
                "config or one per input."
            )
        first = configs[0] if configs else None
        limit = (first or {}).get("max_concurrency") if first is not None else None
        limiter = anyio.CapacityLimiter(limit) if limit else None
        results: list[Any] = [None] * len(inputs)
        errors: list[BaseException] = []

        async def one(index: int) -> None:
            try:
                if limiter is not None:
                    async with limiter:
                        results[index] = await self.ainvoke(inputs[index], configs[index], **kwargs)
                else:
                    results[index] = await self.ainvoke(inputs[index], configs[index], **kwargs)
            except Exception as exc:  # noqa: BLE001 - returned or re-raised below
                if not return_exceptions:
                    errors.append(exc)
                    group.cancel_scope.cancel()
                results[index] = exc

        async with anyio.create_task_group() as group:
            for index in range(len(inputs)):
                group.start_soon(one, index)
        if errors:
            raise errors[0]
        return results

    def batch(
        self,
        inputs: Sequence[Any],
        config: RunnableConfig | Sequence[RunnableConfig] | None = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any,
    ) -> list[Any]:
        """Sync :meth:`abatch`. Raises RuntimeError inside a running event loop."""
        return run_sync(
            "abatch", self.abatch, inputs, config, return_exceptions=return_exceptions, **kwargs
        )
