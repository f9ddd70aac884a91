"""Run records and the handlers that observe them (event streams, listeners).

A config's ``callbacks`` is either ``None`` (nothing observes the run: the fast
path, no record is made), a list of :class:`RunHandler` objects given by the
user, or a :class:`CallbackManager` that a parent run made for its children
(the same handlers plus the parent run, so each child knows its ancestry).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any
from uuid import UUID, uuid4

from actorgraph.actors.pregel._task import CURRENT_TASK
from actorgraph.runnables._config import ensure_config, inherited_config_var
from actorgraph.store._config import RunnableConfig

__all__ = [
    "CallbackManager",
    "Run",
    "RunHandler",
    "RunScope",
    "adispatch_custom_event",
    "callback_manager",
    "dispatch_custom_event",
    "observed",
    "prepare_run",
    "start_run",
    "trace_run",
]


class Run:
    """One execution of one Runnable, as handlers and listeners see it.

    ``inputs`` is ``{"input": value}`` (empty while a streamed input has not
    arrived yet), ``outputs`` is ``{"output": value}`` once the run ended,
    ``error`` the exception it failed with. Times are timezone-aware UTC.
    ``parent_ids`` lists the ancestors' ids, root first (``[]`` for a root).
    """

    __slots__ = (
        "end_time",
        "error",
        "id",
        "inputs",
        "metadata",
        "name",
        "outputs",
        "parent_ids",
        "parent_run_id",
        "run_type",
        "start_time",
        "tags",
    )

    def __init__(
        self,
        *,
        name: str,
        run_type: str = "chain",
        inputs: dict[str, Any] | None = None,
        tags: Sequence[str] = (),
        metadata: dict[str, Any] | None = None,
        run_id: UUID | None = None,
        parent: Run | None = None,
    ) -> None:
        self.id: UUID = run_id or uuid4()
        self.name = name
        self.run_type = run_type
        self.inputs: dict[str, Any] = inputs if inputs is not None else {}
        self.outputs: dict[str, Any] | None = None
        self.error: BaseException | None = None
        self.tags: list[str] = list(tags)
        self.metadata: dict[str, Any] = dict(metadata or {})
        self.start_time = datetime.now(timezone.utc)
        self.end_time: datetime | None = None
        self.parent_run_id: UUID | None = parent.id if parent else None
        self.parent_ids: list[str] = [*parent.parent_ids, str(parent.id)] if parent else []

    @property
    def type(self) -> str:
        """The run type (``"chain"``, ``"tool"``, ``"chat_model"``, ...)."""
        return self.run_type

    def __repr__(self) -> str:
        return f"Run(id={self.id!s}, name={self.name!r}, type={self.run_type!r})"


class RunHandler:
    """Observes runs. Subclass it and override the hooks you need; each hook is
    awaited in the task that runs the Runnable, so a slow hook slows the run.

    Pass instances as ``config={"callbacks": [handler]}``. A hook that raises
    fails the run; cancellation of the run reaches the hook like any await.
    """

    async def on_run_start(self, run: Run) -> None:
        """A run started; ``run.inputs`` holds the input if it is known."""

    async def on_run_stream(self, run: Run, chunk: Any) -> None:
        """A run in streaming mode produced ``chunk``."""

    async def on_run_end(self, run: Run) -> None:
        """A run finished; ``run.outputs`` holds the output."""

    async def on_run_error(self, run: Run) -> None:
        """A run failed with ``run.error``."""

    async def on_custom_event(self, name: str, data: Any, run: Run) -> None:
        """User code inside ``run`` dispatched a custom event."""


class CallbackManager:
    """The handlers of a run tree plus the run whose children get this config."""

    __slots__ = ("handlers", "parent")

    def __init__(self, handlers: Sequence[RunHandler], parent: Run | None) -> None:
        self.handlers = tuple(handlers)
        self.parent = parent


def observed(config: RunnableConfig | None) -> bool:
    """Whether a run with ``config`` has observers, given or inherited: the cheap
    test that lets code skip :func:`trace_run` (and its config merging) otherwise."""
    if config is not None and config.get("callbacks"):
        return True
    parent = inherited_config_var.get()
    if parent is not None:
        return bool(parent.get("callbacks"))
    task = CURRENT_TASK.get()  # a graph node's config carries the run's callbacks
    return task is not None and bool(task.run.config.get("callbacks"))


def callback_manager(config: RunnableConfig) -> CallbackManager | None:
    """The manager for ``config["callbacks"]``, or ``None`` if nothing observes.

    Raises:
        TypeError: callbacks that are neither handlers nor a manager.
    """
    callbacks = config.get("callbacks")
    if not callbacks:
        return None
    if isinstance(callbacks, CallbackManager):
        return callbacks
    if isinstance(callbacks, RunHandler):
        return CallbackManager((callbacks,), None)
    if isinstance(callbacks, (list, tuple)):
        for handler in callbacks:
            if not isinstance(handler, RunHandler):
                raise TypeError(
                    f"config['callbacks'] holds {type(handler).__name__}: pass a list of "
                    "actorgraph.runnables.RunHandler instances"
                )
        return CallbackManager(callbacks, None)
    raise TypeError(
        f"config['callbacks'] is a {type(callbacks).__name__}: pass a list of "
        "actorgraph.runnables.RunHandler instances"
    )


async def start_run(
    manager: CallbackManager,
    config: RunnableConfig,
    name: str,
    inputs: dict[str, Any],
    run_type: str = "chain",
) -> tuple[Run, CallbackManager]:
    """Record the start of a run, tell the handlers, and return the run with
    the manager its children should get."""
    run = Run(
        name=config.get("run_name") or name,
        run_type=run_type,
        inputs=inputs,
        tags=config.get("tags", ()),
        metadata=config.get("metadata"),
        run_id=config.get("run_id"),
        parent=manager.parent,
    )
    for handler in manager.handlers:
        await handler.on_run_start(run)
    return run, CallbackManager(manager.handlers, run)


async def end_run(manager: CallbackManager, run: Run, output: Any) -> None:
    """Record the output of ``run`` and tell the handlers."""
    run.outputs = {"output": output}
    run.end_time = datetime.now(timezone.utc)
    for handler in manager.handlers:
        await handler.on_run_end(run)


async def fail_run(manager: CallbackManager, run: Run, error: BaseException) -> None:
    """Record the failure of ``run`` and tell the handlers."""
    run.error = error
    run.end_time = datetime.now(timezone.utc)
    for handler in manager.handlers:
        await handler.on_run_error(run)


async def stream_run(manager: CallbackManager, run: Run, chunk: Any) -> None:
    """Tell the handlers that ``run`` produced ``chunk``."""
    for handler in manager.handlers:
        await handler.on_run_stream(run, chunk)


async def adispatch_custom_event(
    name: str, data: Any, *, config: RunnableConfig | None = None
) -> None:
    """Emit a custom event from user code running inside a Runnable.

    It appears in ``astream_events(version="v2")`` as ``on_custom_event`` with
    this ``name`` and ``data``, attributed to the enclosing run. Without
    observers it does nothing. Inside a ``RunnableLambda`` the config is found
    implicitly; pass ``config`` when dispatching from elsewhere.
    """
    manager = callback_manager(ensure_config(config))
    if manager is None or manager.parent is None:
        return
    for handler in manager.handlers:
        await handler.on_custom_event(name, data, manager.parent)


def dispatch_custom_event(name: str, data: Any, *, config: RunnableConfig | None = None) -> None:
    """Sync spelling of :func:`adispatch_custom_event`, for sync functions run by a
    Runnable (they run in a worker thread, so this hops back to the event loop).

    Raises:
        RuntimeError: not called from a worker thread of a running Runnable.
    """
    from anyio.from_thread import run as run_in_loop

    run_in_loop(lambda: adispatch_custom_event(name, data, config=config))


class RunScope:
    """What :func:`trace_run` yields: the config for the run's children, and a
    place for the output (``scope.output = ...``) and stream chunks."""

    __slots__ = ("_manager", "config", "output", "run")

    def __init__(
        self, config: RunnableConfig, manager: CallbackManager | None, run: Run | None
    ) -> None:
        self.config = config
        self.output: Any = None
        self.run = run
        self._manager = manager

    async def stream(self, chunk: Any) -> None:
        """Report a chunk of streamed output (``on_<type>_stream``)."""
        if self._manager is not None and self.run is not None:
            await stream_run(self._manager, self.run, chunk)

    async def start(self) -> None:
        """Announce the run (``on_<type>_start``); see :func:`prepare_run`."""
        if self._manager is not None and self.run is not None:
            for handler in self._manager.handlers:
                await handler.on_run_start(self.run)

    async def finish(self, error: BaseException | None = None) -> None:
        """End the run with ``self.output``, or fail it with ``error``."""
        if self._manager is None or self.run is None:
            return
        if error is None:
            await end_run(self._manager, self.run, self.output)
        elif isinstance(error, Exception):
            await fail_run(self._manager, self.run, error)

    async def custom_event(self, name: str, data: Any) -> None:
        """Report a custom event of this run (``on_custom_event``)."""
        if self._manager is not None and self.run is not None:
            for handler in self._manager.handlers:
                await handler.on_custom_event(name, data, self.run)


def prepare_run(
    config: RunnableConfig | None,
    name: str,
    inputs: dict[str, Any] | None = None,
    *,
    run_type: str = "chain",
) -> RunScope:
    """:func:`trace_run` in steps, for code that must hand out the children's
    config before the run starts (a graph stream builds its run first): the
    scope is built now, ``await scope.start()`` announces the run and
    ``await scope.finish(error)`` ends it. Without observers both do nothing."""
    from actorgraph.runnables._config import child_config

    full = ensure_config(config)
    manager = callback_manager(full)
    if manager is None:
        return RunScope(child_config(full), None, None)
    run = Run(
        name=full.get("run_name") or name,
        run_type=run_type,
        inputs=inputs if inputs is not None else {},
        tags=full.get("tags", ()),
        metadata=full.get("metadata"),
        run_id=full.get("run_id"),
        parent=manager.parent,
    )
    children = CallbackManager(manager.handlers, run)
    return RunScope(child_config(full, callbacks=children), manager, run)


class trace_run:  # noqa: N801 - used as ``async with trace_run(...)``, like a function
    """Record one run for observers, for Runnables that implement ``ainvoke``
    directly (the compiled graph, its nodes, tools, chat models)::

        async with trace_run(config, "my_node", {"input": state}) as scope:
            scope.output = await work(state, scope.config)

    It completes the config, starts a run (``on_<run_type>_start``), gives the
    config for children in ``scope.config`` (``run_name``/``run_id`` removed,
    the child callback manager set), and ends the run with ``scope.output`` or
    fails it with the exception. Without observers it only builds the child
    config. Cancellation is not reported as an error.
    """

    __slots__ = ("_config", "_inputs", "_name", "_run_type", "_scope")

    def __init__(
        self,
        config: RunnableConfig | None,
        name: str,
        inputs: dict[str, Any] | None = None,
        *,
        run_type: str = "chain",
    ) -> None:
        self._config = config
        self._name = name
        self._inputs = inputs if inputs is not None else {}
        self._run_type = run_type
        self._scope: RunScope | None = None

    async def __aenter__(self) -> RunScope:
        from actorgraph.runnables._config import child_config

        full = ensure_config(self._config)
        manager = callback_manager(full)
        if manager is None:
            self._scope = RunScope(child_config(full), None, None)
        else:
            run, children = await start_run(manager, full, self._name, self._inputs, self._run_type)
            self._scope = RunScope(child_config(full, callbacks=children), manager, run)
        return self._scope

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any
    ) -> None:
        scope = self._scope
        if scope is None or scope.run is None or scope._manager is None:
            return
        if exc is None:
            await end_run(scope._manager, scope.run, scope.output)
        elif isinstance(exc, Exception):
            await fail_run(scope._manager, scope.run, exc)
