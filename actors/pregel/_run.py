"""The run supervisor: drives one run's supersteps from input to output."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

import anyio
import structlog

from actorgraph.actors.pregel._algo import apply_writes, plan_step
from actorgraph.actors.pregel._cache import NodeCache
from actorgraph.actors.pregel._cache import lookup as cache_lookup
from actorgraph.actors.pregel._cache import store as cache_store
from actorgraph.actors.pregel._durable import RunDurability
from actorgraph.actors.pregel._node import run_task
from actorgraph.actors.pregel._runtime import Runtime
from actorgraph.actors.pregel._spec import RETURN, GraphSpec, unseeded
from actorgraph.actors.pregel._stream import BoundedSink, StreamBus
from actorgraph.actors.pregel._task import CURRENT_TASK, PULL, Task
from actorgraph.actors.pregel._types import Interrupt
from actorgraph.actors.pregel._views import StateViews
from actorgraph.channels._errors import (
    ErrorCode,
    GraphInterrupt,
    GraphRecursionError,
    InvalidUpdateError,
    ParentCommand,
    create_error_message,
)
from actorgraph.channels.base import MISSING, BaseChannel
from actorgraph.store._config import RunnableConfig

__all__ = ["DEFAULT_RECURSION_LIMIT", "START", "RunChannels", "RunSupervisor"]

START = "__start__"
DEFAULT_RECURSION_LIMIT = 25

# Events are dropped (for the cost of one call) until the application
# configures structlog; a library must not print on its own.
_logger = structlog.get_logger("actorgraph.pregel")
_log_enabled = structlog.is_configured


_NO_MODES: frozenset[str] = frozenset()


def _no_op(_chunk: Any) -> None:
    return None


class RunChannels(dict[str, BaseChannel[Any, Any, Any]]):
    """A run's channels, shared with the compiled graph until the run changes them.

    ``channels[key]`` is the run's own channel, copied from the graph's
    prototype the first time it is asked for: code that may change a channel
    (update, consume, finish) goes through it. :meth:`read` gives the run's own
    channel when there is one, else the prototype itself, which the caller only
    reads. A run that reads a wide state and writes two keys copies two
    channels; concurrent runs of one graph never share a channel they write.
    """

    __slots__ = ("prototypes",)

    def __init__(self, prototypes: dict[str, BaseChannel[Any, Any, Any]]) -> None:
        # Empty as dict.__new__ made it: no dict.__init__ (nor super()) to call per run.
        self.prototypes = prototypes

    def __missing__(self, key: str) -> BaseChannel[Any, Any, Any]:
        channel = self[key] = self.prototypes[key].copy()
        return channel

    def read(self, key: str) -> BaseChannel[Any, Any, Any]:
        """The channel ``key`` for reading only: the run's copy, or the shared prototype."""
        channel = self.get(key)
        return self.prototypes[key] if channel is None else channel


class RunSupervisor:
    """Owns one run: its channels, versions, step counter and stream.

    Each :meth:`tick` plans a step, hands the tasks to their node actors
    (concurrently when there are several, inline when there is one), applies
    the writes in task order and emits stream events. Nothing here outlives
    the call that drives it: cancelling the caller cancels the step's tasks,
    and their partial writes are dropped.

    Thousands of runs may wait in flight at once, so a run is kept small: slots
    instead of a ``__dict__``, and what most runs never use (the runtime, the
    per-feature dicts, the interrupt lists) is made on first use.
    """

    __slots__ = (
        "__weakref__",
        "_child_runs",
        "_extras",
        "_interrupt_counts",
        "_run_key",
        "_runtime",
        "alone",
        "breakpoint",
        "bus",
        "cache",
        "call_key",
        "channels",
        "config",
        "context",
        "durable",
        "failed",
        "inline_sync",
        "interrupt_after",
        "interrupt_before",
        "interrupts",
        "last_tasks",
        "limit",
        "limiter",
        "modes",
        "ns",
        "ns_str",
        "output_keys",
        "output_set",
        "paused",
        "private_loop",
        "seen",
        "sends",
        "spec",
        "step",
        "stop",
        "store",
        "updated",
        "version",
        "versions",
        "views",
        "writer",
        "written_last",
    )

    # Positional parameters too: calling a class with keywords builds a dict
    # of them and unpacks it again for __init__, a cost per run.
    def __init__(
        self,
        spec: GraphSpec,
        config: RunnableConfig,
        bus: StreamBus | None,
        ns: tuple[str, ...] = (),
        context: Any = None,
        store: Any = None,
        inline_sync: bool = False,
        private_loop: bool = False,
        interrupt_before: Sequence[str] | str = (),
        interrupt_after: Sequence[str] | str = (),
        cache: NodeCache | None = None,
        output_keys: Sequence[str] | str | None = None,
    ) -> None:
        self.spec = spec
        self.config = config
        self.bus = bus
        self.ns = ns
        self.ns_str = "|".join(ns) if ns else ""
        # Task ids (and what is derived from them: interrupt ids, invented
        # message ids) are unique per run; a run resumed from a checkpoint
        # must give its key back to get the same ids again. Made on first use.
        run_id = config.get("run_id")
        self._run_key: str | None = str(run_id) if run_id else None
        self.store = store
        self.cache = cache
        if output_keys is None:
            self.output_keys: tuple[str, ...] = spec.output_keys
            self.output_set = spec.output_set
        else:
            self.output_keys = (
                (output_keys,) if isinstance(output_keys, str) else tuple(output_keys)
            )
            unknown = [key for key in self.output_keys if key not in spec.channels]
            if unknown:
                raise ValueError(
                    f"output_keys names {unknown!r}, which the graph does not have; its keys "
                    f"are {', '.join(spec.output_keys)}."
                )
            self.output_set = frozenset(self.output_keys)
        self.modes: frozenset[str] = bus.modes if bus is not None else _NO_MODES
        # Which variant of each node's call this run uses (NodeSpec.variants):
        # decided once per run, so a plain run pays one attribute read per task.
        self.call_key: str | None = "messages" if "messages" in self.modes else None
        if config.get("callbacks"):
            self.call_key = "traced+messages" if self.call_key else "traced"
        self.channels: RunChannels = RunChannels(spec.channels)
        self.versions: dict[str, int] = {}
        self.seen: dict[str, dict[str, int]] = {}
        self.version = 0
        self.step = 0
        limit = config.get("recursion_limit", DEFAULT_RECURSION_LIMIT)
        if limit < 1:
            raise ValueError(f"recursion_limit must be at least 1, got {limit}")
        self.limit = limit
        self.stop = limit
        self.updated: set[str] = set()
        self.sends: list[Any] = []
        # A fresh run has nothing holding a one-step value; a run restored from a
        # checkpoint starts with every channel here instead.
        self.written_last: Any = ()
        # Whether sync node functions run on the event loop instead of a worker
        # thread (compile(inline_sync_nodes=True)).
        self.inline_sync = inline_sync
        # A run driven by the sync invoke() owns its event loop: a sync node
        # that is alone in its step runs on it (see _adapter_loop.loop_hidden).
        self.private_loop = private_loop
        self.alone = False
        # Some LangGraph docs put max_concurrency under "configurable", where
        # LangGraph silently ignores it; honour it there too.
        max_concurrency = config.get("max_concurrency")
        if not max_concurrency:
            configurable = config.get("configurable")
            max_concurrency = configurable.get("max_concurrency") if configurable else None
        self.limiter = anyio.CapacityLimiter(max_concurrency) if max_concurrency else None
        self.writer: Callable[[Any], None] = _no_op
        if bus is not None:
            self.writer = bus.custom_writer() or self._custom
        self.context = context
        self._runtime: Runtime[Any] | None = None
        self.interrupt_before = interrupt_before
        self.interrupt_after = interrupt_after
        # Empty tuples until something pauses; replaced, never mutated in place.
        self.interrupts: Sequence[Interrupt] = ()
        self.breakpoint: str | None = None
        self.last_tasks: Sequence[Task] = ()
        self._extras: dict[str, Any] | None = None
        # Set by the graph when the run has a checkpointer and a thread.
        self.durable: RunDurability | None = None
        self._interrupt_counts: dict[str, int] | None = None
        self._child_runs: dict[str, int] | None = None
        # The tasks of the current step that paused, with their interrupts.
        self.paused: Sequence[tuple[Task, Sequence[Interrupt]]] = ()
        self.failed: Task | None = None
        # Wide state views kept across steps (see _views.py); None until used.
        self.views: StateViews | None = None

    @property
    def run_key(self) -> str:
        """The key task ids are derived from (the config's ``run_id``, else random)."""
        key = self._run_key
        if key is None:
            key = self._run_key = str(uuid.uuid4())
        return key

    @run_key.setter
    def run_key(self, key: str) -> None:
        self._run_key = key

    @property
    def runtime(self) -> Runtime[Any]:
        """The :class:`Runtime` nodes of this run receive (context, store, writer)."""
        runtime = self._runtime
        if runtime is None:
            runtime = self._runtime = Runtime(
                context=self.context, store=self.store, stream_writer=self.writer
            )
        return runtime

    @runtime.setter
    def runtime(self, runtime: Runtime[Any]) -> None:
        self._runtime = runtime

    @property
    def extras(self) -> dict[str, Any]:
        """Per-run state of facade features (for example message ids already
        streamed), keyed by the feature; the engine itself never reads it."""
        extras = self._extras
        if extras is None:
            extras = self._extras = {}
        return extras

    @property
    def interrupt_counts(self) -> dict[str, int]:
        """How many ``interrupt()`` calls each task (by id) has made so far."""
        counts = self._interrupt_counts
        if counts is None:
            counts = self._interrupt_counts = {}
        return counts

    @property
    def child_runs(self) -> dict[str, int]:
        """How many graph runs each task (by id) has started inside this run."""
        runs = self._child_runs
        if runs is None:
            runs = self._child_runs = {}
        return runs

    # -- stream -------------------------------------------------------------------

    def _custom(self, chunk: Any) -> None:
        bus = self.bus
        if bus is not None:
            bus.emit(self.ns, "custom", chunk)

    async def emit_live(self, mode: str, payload: Any) -> None:
        """Emit an event from inside a running task, waiting if the consumer is behind."""
        bus = self.bus
        if bus is None:
            return
        bus.emit(self.ns, mode, payload)
        sink = bus.sink
        if isinstance(sink, BoundedSink):
            await sink.flush()

    def emit_values(self) -> None:
        """Emit the output keys that have values (``values`` mode)."""
        assert self.bus is not None  # noqa: S101 - only called when a bus exists
        self.bus.emit(self.ns, "values", self.output())

    def _task_done(self, task: Task) -> None:
        modes = self.modes
        if "updates" in modes:
            chunk: dict[str, Any] = {task.name: self.task_update(task)}
            if task.cached:
                chunk["__metadata__"] = {"cached": True}
            self.bus.emit(self.ns, "updates", chunk)  # type: ignore[union-attr]
        if "tasks" in modes or "debug" in modes:
            keys = self.spec.stream_keys
            payload: dict[str, Any] = {
                "id": task.id,
                "name": task.name,
                "error": None,
                "result": {k: unseeded(v) for k, v in task.writes if k in keys or k == RETURN},
                "interrupts": [],
            }
            self._emit_task_event("task_result", payload)

    def _emit_task_event(self, kind: str, payload: dict[str, Any]) -> None:
        bus = self.bus
        assert bus is not None  # noqa: S101 - modes are only set with a bus
        if "tasks" in self.modes:
            bus.emit(self.ns, "tasks", payload)
        if "debug" in self.modes:
            bus.emit(
                self.ns,
                "debug",
                {"type": kind, "step": self.step, "timestamp": _now(), "payload": payload},
            )

    def task_update(self, task: Task) -> Any:
        """The state update of ``task`` as ``updates`` shows it (None for no update).

        A task call shows its result, a graph with a single channel that
        channel's bare value.
        """
        keys = self.spec.stream_keys
        single = self.spec.single_channel
        update: dict[str, Any] | None = None
        for key, value in task.writes:
            if key in (RETURN, single):
                return unseeded(value)
            if key in keys:
                if update is None:
                    update = {}
                update[key] = unseeded(value)
        return update

    def next_interrupt_index(self, task: Task) -> int:
        """The position of ``task``'s next ``interrupt()`` call (0, 1, ...)."""
        counts = self.interrupt_counts
        index = counts.get(task.id, 0)
        counts[task.id] = index + 1
        return index

    def resume_for(self, task: Task, index: int = 0) -> tuple[Any] | None:
        """The answer to ``task``'s ``index``-th ``interrupt()``, if the caller gave one.

        Only a run with a checkpointer can be resumed; others have no answers.
        """
        durable = self.durable
        if durable is None:
            return None
        return durable.resume_for(task, index)

    def emit_checkpoint(
        self, config: RunnableConfig, parent: RunnableConfig | None, metadata: Any, checkpoint: Any
    ) -> None:
        """Emit a ``checkpoints`` event (and a ``debug`` one) for a checkpoint just saved."""
        bus = self.bus
        assert bus is not None  # noqa: S101 - modes are only set with a bus
        payload = {
            "config": config,
            "parent_config": parent,
            "metadata": metadata.as_dict(),
            "values": self.output(),
            "next": (
                *sorted(name for name in self.spec.nodes if self._pending(name)),
                *(send.node for send in self.sends),
            ),
        }
        if "checkpoints" in self.modes:
            bus.emit(self.ns, "checkpoints", payload)
        if "debug" in self.modes:
            bus.emit(
                self.ns,
                "debug",
                {"type": "checkpoint", "step": self.step, "timestamp": _now(), "payload": payload},
            )

    def _pending(self, name: str) -> bool:
        seen = self.seen.get(name) or {}
        node = self.spec.nodes[name]
        return any(
            self.versions.get(t, 0) > seen.get(t, 0) and self.channels.read(t).is_available()
            for t in node.triggers
        )

    def release(self) -> None:
        """Drop what ties a finished run to itself (its checkpointing side and
        its last tasks point back at it), so it goes as soon as the caller
        drops it rather than at the next pass of the garbage collector."""
        self.durable = None
        self.last_tasks = ()
        self.paused = ()

    async def close(self) -> None:
        """Write what the run still owes its checkpointer (shielded); idempotent."""
        if self.durable is not None:
            await self.durable.finish()

    # -- the run ------------------------------------------------------------------

    def output(self) -> Any:
        """The output keys that have a value (a single-channel graph: its value or None)."""
        channels = self.channels
        single = self.spec.single_channel
        if single is not None and self.output_keys == (single,):
            channel = channels.read(single)
            return channel.get() if channel.is_available() else None
        views = self.views
        if views is not None and views.at == self.version and views.of is self.versions:
            # A node read exactly these keys and the kept view is current (see
            # _views): it holds the available values in this order already.
            kept = views.views.get(self.output_keys)
            if kept is not None:
                return dict(kept[1])
        out: dict[str, Any] = {}
        own = channels.get
        prototypes = channels.prototypes
        plain = self.spec.plain_keys
        for key in self.output_keys:
            found = own(key)
            channel = prototypes[key] if found is None else found
            if key in plain:
                # For these channels get() is this slot (see value_is_plain).
                value = channel.value  # type: ignore[attr-defined]
                if value is not MISSING:
                    out[key] = value
            elif channel.is_available():
                out[key] = channel.get()
        return out

    async def start(self, input: Any) -> None:
        """Apply the input as the writes of step 0 (the START node).

        With a checkpointer, first restore the thread: ``None`` continues it,
        ``Command(resume=...)`` answers its interrupts.
        """
        if self.durable is not None:
            await self.durable.start(input)
            return
        task = Task(self, None, START, (PULL, START), (), input)
        await self.spec.map_input(task, input)
        updated = apply_writes(self, [task])
        if "values" in self.modes and not updated.isdisjoint(self.output_set):
            self.emit_values()
        self.step = 1

    def task_config(self, task: Task) -> RunnableConfig:
        """The config a task sees: the caller's, plus step/node/path metadata."""
        config = self.config
        metadata = dict(config.get("metadata") or {})
        if task.node is not None and task.node.metadata:
            metadata.update(task.node.metadata)
        metadata.update(
            langgraph_step=self.step,
            langgraph_node=task.name,
            langgraph_triggers=task.triggers,
            langgraph_path=task.path,
            langgraph_checkpoint_ns=task.checkpoint_ns,
            checkpoint_ns=task.checkpoint_ns,
        )
        configurable = dict(config.get("configurable") or {})
        configurable["checkpoint_ns"] = task.checkpoint_ns
        out: RunnableConfig = {**config, "metadata": metadata, "configurable": configurable}
        return out

    def _recursion_error(self) -> GraphRecursionError:
        last = ", ".join(repr(n) for n in self.last_names()) or "none"
        return GraphRecursionError(
            create_error_message(
                message=(
                    f"Recursion limit of {self.limit} reached without hitting a stop "
                    f"condition (the last step ran {last}). You can increase the limit by "
                    "setting the `recursion_limit` config key."
                ),
                error_code=ErrorCode.GRAPH_RECURSION_LIMIT,
            )
        )

    async def tick(self) -> bool:
        """Run one superstep; False when the run is over.

        Raises :class:`GraphRecursionError` past ``recursion_limit`` steps and
        whatever a node raised (after its retries; siblings are cancelled and
        the step's writes are dropped).
        """
        durable = self.durable
        if durable is not None:
            try:
                going = await self._tick_durable(durable)
            except BaseException:
                await durable.finish()
                raise
            if not going:
                await durable.finish()
            return going
        if self.step > self.stop:
            raise self._recursion_error()
        tasks = plan_step(self)
        if not tasks:
            return False
        if self.interrupt_before or self.modes:
            if not self._begin(tasks, skip=False):
                return False
        else:
            self.paused = ()  # what _begin does when it has nothing to announce
        if self.cache is None and len(tasks) == 1 and not tasks[0].cached:
            # The common step runs in this frame: a run parked in a node (a
            # model call, a gate) holds one engine frame, not four.
            task = tasks[0]
            self.failed = None
            self.alone = True
            try:
                await run_task(task)
            except BaseException as exc:
                if not self._lone_paused(task, exc):
                    raise
            else:
                task.done = True
                if self.modes:
                    await self._lone_done(task)
        else:
            await self._run_tasks(tasks)
        if self.interrupts:
            self._emit_interrupts()
            return False
        return self._advance(tasks, self._apply(tasks))

    async def _tick_durable(self, durable: RunDurability) -> bool:
        tasks = self._plan()
        held = durable.prepare(tasks)
        if not tasks:
            return False
        skip = durable.skip_before
        durable.skip_before = False
        if not self._begin(tasks, skip=skip):
            return False
        running = tasks
        if held:
            waiting = {id(task) for task, _ in held}
            running = [task for task in tasks if id(task) not in waiting]
        try:
            if len(running) == 1 and self.cache is None and not running[0].cached:
                await self._run_one(running[0])
            elif running:
                await self._run_tasks(running)
        except BaseException as exc:
            failed = self.failed
            error = (failed, exc) if failed is not None and isinstance(exc, Exception) else None
            await durable.save_pending(running, self.paused, error)
            raise
        if held:
            order = {id(task): i for i, task in enumerate(tasks)}
            self.paused = sorted([*self.paused, *held], key=lambda pair: order[id(pair[0])])
            self.interrupts = [i for _, ints in self.paused for i in ints]
        if self.interrupts:
            await durable.save_pending(running, self.paused)
            self._emit_interrupts()
            return False
        durable.check_writes(tasks)
        updated = self._apply(tasks)
        await durable.save("loop", tasks)
        return self._advance(tasks, updated)

    def _plan(self) -> list[Task]:
        if self.step > self.stop:
            raise self._recursion_error()
        return plan_step(self)

    def _begin(self, tasks: list[Task], *, skip: bool) -> bool:
        """Stop at a static breakpoint before ``tasks`` (False), else announce them."""
        if (
            self.interrupt_before
            and not skip
            and self._should_interrupt(self.interrupt_before, tasks)
        ):
            self.breakpoint = "before"
            self._emit_breakpoint()
            return False
        modes = self.modes
        if "tasks" in modes or "debug" in modes:
            for task in tasks:
                self._emit_task_event(
                    "task",
                    {
                        "id": task.id,
                        "name": task.name,
                        "input": task.input,
                        "triggers": task.triggers,
                    },
                )
        self.paused = ()
        return True

    def _emit_interrupts(self) -> None:
        payload: dict[str, Any] = {"__interrupt__": tuple(self.interrupts)}
        for mode in ("updates", "values"):
            if mode in self.modes:
                self.bus.emit(self.ns, mode, payload)  # type: ignore[union-attr]

    def _apply(self, tasks: list[Task]) -> set[str]:
        updated = apply_writes(self, tasks)
        modes = self.modes
        if modes and "values" in modes and not updated.isdisjoint(self.output_set):
            self.emit_values()
        self.last_tasks = tasks
        return updated

    def _advance(self, tasks: list[Task], updated: set[str]) -> bool:
        """Close the step whose writes were applied; False at a breakpoint after it."""
        if _log_enabled():
            _logger.debug(
                "run.step",
                step=self.step,
                ns=self.ns_str,
                nodes=self.last_names(),
                tasks=len(tasks),
                updated=sorted(updated),
            )
        self.step += 1
        if self.interrupt_after and self._should_interrupt(self.interrupt_after, tasks):
            self.breakpoint = "after"
            self._emit_breakpoint()
            return False
        return True

    def _emit_breakpoint(self) -> None:
        # A static breakpoint shows in the updates stream as an interrupt without payload.
        if "updates" in self.modes:
            self.bus.emit(self.ns, "updates", {"__interrupt__": ()})  # type: ignore[union-attr]

    def last_names(self) -> tuple[str, ...]:
        """The nodes the last finished step ran, in task order."""
        return tuple(dict.fromkeys(task.name for task in self.last_tasks))

    def _should_interrupt(self, names: Sequence[str] | str, tasks: list[Task]) -> bool:
        if names == "*":
            return True
        return any(task.name in names for task in tasks)

    async def _run_tasks(self, tasks: list[Task]) -> None:
        cache = self.cache
        if cache is not None:
            keys = await cache_lookup(cache, tasks)
            await self._execute(tasks)
            await cache_store(cache, tasks, keys)
        else:
            await self._execute(tasks)

    async def _execute(self, tasks: list[Task]) -> None:
        if len(tasks) == 1 and not tasks[0].cached:
            await self._run_one(tasks[0])
        else:
            await self._run_all(tasks)

    async def _run_one(self, task: Task) -> None:
        """Run the only task of a step in this task (no task group)."""
        self.failed = None
        self.alone = True
        try:
            await run_task(task)
        except BaseException as exc:
            if not self._lone_paused(task, exc):
                raise
        else:
            task.done = True
            if self.modes:
                await self._lone_done(task)

    def _lone_paused(self, task: Task, exc: BaseException) -> bool:
        """Whether the step's only task paused (recorded here); else mark it failed.

        A command for a parent this graph does not have raises its own error here.
        """
        if isinstance(exc, GraphInterrupt):
            self.interrupts = [*self.interrupts, *exc.interrupts]
            self.paused = ((task, exc.interrupts),)
            return True
        if isinstance(exc, ParentCommand):
            raise self._no_parent(task, exc) from None
        self.failed = task
        return False

    async def _lone_done(self, task: Task) -> None:
        self._task_done(task)
        sink = self.bus.sink  # type: ignore[union-attr]
        if isinstance(sink, BoundedSink):
            await sink.flush()

    async def _run_all(self, tasks: list[Task]) -> None:
        """Run a step's tasks concurrently; the first failure cancels the others."""
        self.failed = None
        self.alone = False
        sink = self.bus.sink if self.bus is not None else None
        done = [task.cached for task in tasks]
        released = 0
        while released < len(tasks) and done[released]:
            if self.modes:
                self._task_done(tasks[released])
            released += 1
        errors: list[Exception] = []
        # Interrupts are reported in task order, whatever order they happen in.
        paused: dict[int, Sequence[Interrupt]] = {}

        async def one(index: int, task: Task, cancel: anyio.CancelScope) -> None:
            nonlocal released
            try:
                if self.limiter is not None:
                    async with self.limiter:
                        await run_task(task)
                else:
                    await run_task(task)
            except GraphInterrupt as exc:
                paused[index] = exc.interrupts
            except Exception as exc:  # noqa: BLE001 - re-raised once the group is done
                if not errors:
                    self.failed = task
                errors.append(exc)
                cancel.cancel()
                return
            done[index] = True
            task.done = index not in paused
            # Updates are released in task order, each as soon as every task
            # before it has finished: the stream never depends on timing.
            while released < len(tasks) and done[released]:
                if self.modes and released not in paused:
                    self._task_done(tasks[released])
                released += 1
            if isinstance(sink, BoundedSink):
                await sink.flush()

        async with anyio.create_task_group() as group:
            for index, task in enumerate(tasks):
                if not task.cached:
                    group.start_soon(one, index, task, group.cancel_scope)
        if paused:
            order = sorted(paused)
            self.interrupts = [*self.interrupts, *(i for index in order for i in paused[index])]
            self.paused = [*self.paused, *((tasks[index], paused[index]) for index in order)]
        if errors:
            error = errors[0]
            if isinstance(error, ParentCommand):
                raise self._no_parent(tasks[0], error) from None
            raise error

    def _no_parent(self, task: Task, exc: ParentCommand) -> Exception:
        if CURRENT_TASK.get() is not None:
            return exc
        return InvalidUpdateError(
            f"A node returned {exc.command!r} with graph=Command.PARENT, but this graph "
            "has no parent: it runs at the top level. Drop graph=Command.PARENT."
        )


def _now() -> str:
    from datetime import datetime, timezone

    return datetime.now(timezone.utc).isoformat()
