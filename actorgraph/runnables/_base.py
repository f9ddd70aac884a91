"""``Runnable``: one async implementation, sync faces as portals, composition.

Two ways to implement a Runnable:

* **Native** (every built-in): implement ``_ainvoke_native`` and, to stream, also
  ``_atransform_native``. The base class then provides ``ainvoke``/``astream``/
  ``atransform`` with config completion, run tracing for observers (event
  streams, listeners) and the child config, so the hooks only do the work.
* **Direct** (the compiled graph, user classes): override ``ainvoke`` (and
  ``astream`` to stream) yourself; nothing is added per call. A class that only
  overrides the sync ``invoke`` works too: its ``ainvoke`` runs ``invoke`` in a
  worker thread, as the reference documents.

The sync faces (``invoke``, ``batch``, ``stream``, ``transform``,
``batch_as_completed``) are portals over the async ones and refuse to run
inside an event loop (:class:`~actorgraph.errors.SyncCalledFromAsyncError`).
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, cast, get_args

import anyio
import anyio.to_thread

from actorgraph.actors._portal import iterate_sync, run_sync
from actorgraph.runnables._batch import Tap, run_batch
from actorgraph.runnables._chunks import (
    MISSING,
    add_chunks,
    aiter_one,
    aiter_sync,
    closing,
    collect,
    or_none,
)
from actorgraph.runnables._config import child_config, ensure_config, get_config_list
from actorgraph.runnables._tasks import gather
from actorgraph.runnables._tracing import (
    callback_manager,
    end_run,
    fail_run,
    start_run,
    stream_run,
)
from actorgraph.store._config import RunnableConfig

if TYPE_CHECKING:
    from actorgraph.runnables._binding import RunnableBinding
    from actorgraph.runnables._configurable import ConfigurableFieldSpec
    from actorgraph.runnables._fallbacks import RunnableWithFallbacks
    from actorgraph.runnables._retry import RunnableRetry
    from actorgraph.runnables._sequence import RunnableSequence
    from actorgraph.runnables._tool import RunnableTool

__all__ = ["Input", "Other", "Output", "Runnable"]

Input = TypeVar("Input")
Output = TypeVar("Output")
Other = TypeVar("Other")


class Runnable(Generic[Input, Output]):
    """A unit of work that can be invoked, batched, streamed and composed.

    Compose with ``|`` (a :class:`RunnableSequence`), dicts (a
    :class:`RunnableParallel`), plain functions (a :class:`RunnableLambda`) and
    generator functions (a :class:`RunnableGenerator`). Configure with
    ``with_config``, ``bind``, ``with_retry``, ``with_fallbacks``,
    ``with_listeners``. See ``examples/runnables_compose.py``.

    Cancellation: cancelling the task that awaits ``ainvoke``/``abatch`` (or
    closing an ``astream`` iterator) cancels every child task it started and
    waits for them; nothing keeps running in the background.
    """

    name: str | None = None

    # Set per class by __init_subclass__: which implementation style it uses.
    _native: ClassVar[bool] = False
    _sync_only: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._native = cls._ainvoke_native is not Runnable._ainvoke_native
        cls._sync_only = cls.invoke is not Runnable.invoke and cls.ainvoke is Runnable.ainvoke

    # ----------------------------------------------------------------- hooks

    async def _ainvoke_native(self, input: Input, config: RunnableConfig, **kwargs: Any) -> Output:
        """Do the work of one call; ``config`` is the config for children."""
        raise NotImplementedError

    async def _atransform_native(
        self, input: AsyncIterator[Input], config: RunnableConfig, **kwargs: Any
    ) -> AsyncIterator[Output]:
        """Stream output while input streams in; by default buffers the input."""
        total = await collect(input)
        yield await self._ainvoke_native(or_none(total), config, **kwargs)

    # -------------------------------------------------------------- identity

    def get_name(self, suffix: str | None = None, *, name: str | None = None) -> str:
        """The name of this Runnable: ``name``, else its ``name`` attribute, else
        a name derived from what it wraps or its class. ``suffix`` is appended:
        ``"add_one_input"``, ``"RunnableLambdaInput"``."""
        found = name or self.name or self._default_name()
        if suffix is None:
            return found
        if found[:1].isupper():
            return found + suffix.title()
        return f"{found}_{suffix.lower()}"

    def _default_name(self) -> str:
        return type(self).__name__

    # ------------------------------------------------------------ async core

    async def ainvoke(
        self, input: Input, config: RunnableConfig | None = None, **kwargs: Any
    ) -> Output:
        """Run once on ``input`` and return the output.

        Raises whatever the work raises. Cancellation propagates into the work.
        """
        if not self._native:
            if self._sync_only:
                call = functools.partial(self.invoke, input, config, **kwargs)
                return await anyio.to_thread.run_sync(call)
            raise NotImplementedError(
                f"{type(self).__name__} must implement ainvoke() (or invoke(), or _ainvoke_native())"
            )
        full = ensure_config(config)
        manager = callback_manager(full)
        if manager is None:
            return await self._ainvoke_native(input, child_config(full), **kwargs)
        run, children = await start_run(manager, full, self.get_name(), {"input": input})
        try:
            output = await self._ainvoke_native(
                input, child_config(full, callbacks=children), **kwargs
            )
        except Exception as exc:
            await fail_run(manager, run, exc)
            raise
        await end_run(manager, run, output)
        return output

    async def astream(
        self, input: Input, config: RunnableConfig | None = None, **kwargs: Any
    ) -> AsyncIterator[Output]:
        """Yield the output in chunks as it is produced (one chunk for a
        Runnable that does not stream).

        Closing the iterator early (``aclose()``) cancels the remaining work and
        waits for it. To stop early, iterate inside ``async with
        contextlib.aclosing(runnable.astream(x)) as chunks:``: an async generator
        that is merely dropped is closed later by the garbage collector, outside
        the task that ran it, and the tasks behind a parallel stream cannot be
        cancelled cleanly from there. The sync ``stream()`` does this for you."""
        if not self._native:
            yield await self.ainvoke(input, config, **kwargs)
            return
        source = aiter_one(input)
        traced = self._traced_transform(source, config, kwargs, input)
        async with closing(source), closing(traced) as it:
            async for chunk in it:
                yield chunk

    async def atransform(
        self, input: AsyncIterator[Input], config: RunnableConfig | None = None, **kwargs: Any
    ) -> AsyncIterator[Output]:
        """Like ``astream`` over an input that itself arrives in chunks.

        Runnables that stream (sequences of streaming steps, generators,
        parallel maps, passthroughs) start yielding before the input ends; the
        others add the chunks together first (``+``, dicts merged)."""
        if not self._native:
            total = await collect(input)
            async with closing(self.astream(total, config, **kwargs)) as it:
                async for chunk in it:
                    yield chunk
            return
        async with closing(self._traced_transform(input, config, kwargs, MISSING)) as it:
            async for chunk in it:
                yield chunk

    async def _traced_transform(
        self,
        input: AsyncIterator[Input],
        config: RunnableConfig | None,
        kwargs: dict[str, Any],
        known_input: Any,
    ) -> AsyncIterator[Output]:
        full = ensure_config(config)
        manager = callback_manager(full)
        if manager is None:
            async with closing(self._atransform_native(input, child_config(full), **kwargs)) as it:
                async for chunk in it:
                    yield chunk
            return
        tapped = Tap(input) if known_input is MISSING else None
        inputs = {} if known_input is MISSING else {"input": known_input}
        run, children = await start_run(manager, full, self.get_name(), inputs)
        output: Any = MISSING
        source = tapped.iterate() if tapped is not None else input
        try:
            inner = self._atransform_native(
                source, child_config(full, callbacks=children), **kwargs
            )
            async with closing(source), closing(inner) as it:
                async for chunk in it:
                    output = add_chunks(output, chunk)
                    await stream_run(manager, run, chunk)
                    yield chunk
        except Exception as exc:
            await fail_run(manager, run, exc)
            raise
        if tapped is not None:
            run.inputs = {"input": or_none(tapped.total)}
        await end_run(manager, run, or_none(output))

    async def abatch(
        self,
        inputs: Sequence[Input],
        config: RunnableConfig | Sequence[RunnableConfig] | None = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any,
    ) -> list[Output]:
        """Run on every input concurrently (at most ``max_concurrency`` at once)
        and return the outputs in input order.

        ``config`` is one config for all inputs or a list with one per input.
        With ``return_exceptions`` a failed input's exception takes its place in
        the list; otherwise the first failure cancels the others and is raised.
        The calls are tasks in a task group of the calling task.
        """
        configs = get_config_list(config, len(inputs))
        if not inputs:
            return []
        calls = [
            functools.partial(self.ainvoke, item, item_config, **kwargs)
            for item, item_config in zip(inputs, configs, strict=True)
        ]
        return await gather(
            calls, configs[0].get("max_concurrency"), return_exceptions=return_exceptions
        )

    async def abatch_as_completed(
        self,
        inputs: Sequence[Input],
        config: RunnableConfig | Sequence[RunnableConfig] | None = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any,
    ) -> AsyncIterator[tuple[int, Output | Exception]]:
        """Like ``abatch``, but yield ``(index, output)`` as each call finishes."""
        configs = get_config_list(config, len(inputs))
        if not inputs:
            return
        async with closing(
            run_batch(self.ainvoke, inputs, configs, return_exceptions, kwargs)
        ) as it:
            async for item in it:
                yield item

    # ------------------------------------------------------------- sync faces

    def invoke(self, input: Input, config: RunnableConfig | None = None, **kwargs: Any) -> Output:
        """Sync face of :meth:`ainvoke`.

        Raises:
            SyncCalledFromAsyncError: called from inside a running event loop.
        """
        return run_sync("ainvoke", functools.partial(self.ainvoke, input, config, **kwargs))

    def batch(
        self,
        inputs: Sequence[Input],
        config: RunnableConfig | Sequence[RunnableConfig] | None = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any,
    ) -> list[Output]:
        """Sync face of :meth:`abatch`."""
        call = functools.partial(
            self.abatch, inputs, config, return_exceptions=return_exceptions, **kwargs
        )
        return run_sync("abatch", call)

    def batch_as_completed(
        self,
        inputs: Sequence[Input],
        config: RunnableConfig | Sequence[RunnableConfig] | None = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any,
    ) -> Iterator[tuple[int, Output | Exception]]:
        """Sync face of :meth:`abatch_as_completed`."""
        return iterate_sync(
            "abatch_as_completed",
            lambda: self.abatch_as_completed(
                inputs, config, return_exceptions=return_exceptions, **kwargs
            ),
        )

    def stream(
        self, input: Input, config: RunnableConfig | None = None, **kwargs: Any
    ) -> Iterator[Output]:
        """Sync face of :meth:`astream`; closing the iterator cancels the run."""
        return iterate_sync("astream", lambda: self.astream(input, config, **kwargs))

    def transform(
        self, input: Iterator[Input], config: RunnableConfig | None = None, **kwargs: Any
    ) -> Iterator[Output]:
        """Sync face of :meth:`atransform`; ``input`` is pulled in a worker thread."""

        async def transform() -> AsyncIterator[Output]:
            source = aiter_sync(input)
            async with closing(source), closing(self.atransform(source, config, **kwargs)) as it:
                async for chunk in it:
                    yield chunk

        return iterate_sync("atransform", transform)

    # ----------------------------------------------------------- composition

    def __or__(self, other: Any) -> RunnableSequence[Input, Any]:
        from actorgraph.runnables._sequence import RunnableSequence, coerce_to_runnable

        return RunnableSequence(self, coerce_to_runnable(other, position=2))

    def __ror__(self, other: Any) -> RunnableSequence[Any, Output]:
        from actorgraph.runnables._sequence import RunnableSequence, coerce_to_runnable

        return RunnableSequence(coerce_to_runnable(other, position=1), self)

    def pipe(self, *others: Any, name: str | None = None) -> RunnableSequence[Input, Any]:
        """``self | others[0] | ...`` as one sequence, optionally named."""
        from actorgraph.runnables._sequence import RunnableSequence

        return RunnableSequence(self, *others, name=name)

    def pick(self, keys: str | list[str]) -> RunnableSequence[Input, Any]:
        """Follow with a :class:`RunnablePick`: one key gives its bare value, a
        list of keys a smaller dict."""
        from actorgraph.runnables._parallel import RunnablePick

        return self | RunnablePick(keys)

    def assign(self, **kwargs: Any) -> RunnableSequence[Input, dict[str, Any]]:
        """Follow with a :class:`RunnableAssign`: each value runs on the whole
        output dict and its result is added under its key."""
        from actorgraph.runnables._parallel import RunnableAssign, RunnableParallel

        return self | RunnableAssign(RunnableParallel(kwargs))

    def map(self) -> Runnable[list[Input], list[Output]]:
        """A Runnable that runs this one on each element of a list input."""
        from actorgraph.runnables._branch import RunnableEach

        each: Runnable[list[Input], list[Output]] = RunnableEach(bound=self)
        return each

    def bind(self, **kwargs: Any) -> RunnableBinding[Input, Output]:
        """A Runnable that passes ``kwargs`` to every call of this one."""
        from actorgraph.runnables._binding import RunnableBinding

        return RunnableBinding(bound=self, kwargs=kwargs)

    def with_config(
        self, config: RunnableConfig | None = None, **kwargs: Any
    ) -> RunnableBinding[Input, Output]:
        """A Runnable that merges ``config`` (and config keys given as keyword
        arguments) under every call's config; the call's own values win."""
        from actorgraph.runnables._binding import RunnableBinding

        return RunnableBinding(
            bound=self, config=cast("RunnableConfig", {**(config or {}), **kwargs})
        )

    def with_types(
        self, *, input_type: Any = None, output_type: Any = None
    ) -> RunnableBinding[Input, Output]:
        """A Runnable with declared input/output types. The input is checked
        against ``input_type`` on every call (a :class:`RunnableInputError` names
        the step) and the schemas use both types."""
        from actorgraph.runnables._binding import RunnableBinding

        return RunnableBinding(
            bound=self, custom_input_type=input_type, custom_output_type=output_type
        )

    def with_retry(
        self,
        *,
        retry_if_exception_type: tuple[type[BaseException], ...] = (Exception,),
        wait_exponential_jitter: bool = True,
        exponential_jitter_params: Mapping[str, float] | None = None,
        stop_after_attempt: int = 3,
    ) -> RunnableRetry[Input, Output]:
        """Retry failed calls whose exception is one of ``retry_if_exception_type``,
        ``stop_after_attempt`` attempts in all, waiting with exponential backoff
        and jitter between them; the last exception is raised."""
        from actorgraph.runnables._retry import RunnableRetry

        return RunnableRetry(
            bound=self,
            retry_exception_types=retry_if_exception_type,
            wait_exponential_jitter=wait_exponential_jitter,
            exponential_jitter_params=exponential_jitter_params,
            max_attempt_number=stop_after_attempt,
        )

    def with_fallbacks(
        self,
        fallbacks: Sequence[Runnable[Input, Output]],
        *,
        exceptions_to_handle: tuple[type[BaseException], ...] = (Exception,),
        exception_key: str | None = None,
    ) -> RunnableWithFallbacks[Input, Output]:
        """Try this Runnable, then each fallback in order, while they fail with
        one of ``exceptions_to_handle``. See :class:`RunnableWithFallbacks`."""
        from actorgraph.runnables._fallbacks import RunnableWithFallbacks

        return RunnableWithFallbacks(
            runnable=self,
            fallbacks=fallbacks,
            exceptions_to_handle=exceptions_to_handle,
            exception_key=exception_key,
        )

    def with_listeners(
        self,
        *,
        on_start: Callable[..., Any] | None = None,
        on_end: Callable[..., Any] | None = None,
        on_error: Callable[..., Any] | None = None,
    ) -> RunnableBinding[Input, Output]:
        """Call sync listeners with the :class:`Run` (and optionally the config)
        when a call starts, ends, or fails."""
        from actorgraph.runnables._binding import RunnableListeners

        return RunnableListeners(self, on_start=on_start, on_end=on_end, on_error=on_error)

    def with_alisteners(
        self,
        *,
        on_start: Callable[..., Any] | None = None,
        on_end: Callable[..., Any] | None = None,
        on_error: Callable[..., Any] | None = None,
    ) -> RunnableBinding[Input, Output]:
        """Like :meth:`with_listeners` with async listeners: ``on_start`` is awaited
        before the call starts, ``on_end`` after it finished."""
        from actorgraph.runnables._binding import RunnableListeners

        return RunnableListeners(self, on_start=on_start, on_end=on_end, on_error=on_error)

    def as_tool(
        self,
        args_schema: Any = None,
        *,
        name: str | None = None,
        description: str | None = None,
        arg_types: Mapping[str, Any] | None = None,
    ) -> RunnableTool:
        """This Runnable as a tool: a name, a description and an argument
        schema (``args_schema``, or built from ``arg_types``, or this Runnable's
        input schema). See :class:`RunnableTool`."""
        from actorgraph.runnables._tool import RunnableTool

        return RunnableTool(
            self, args_schema=args_schema, name=name, description=description, arg_types=arg_types
        )

    # ---------------------------------------------------------------- schemas

    @property
    def InputType(self) -> Any:  # noqa: N802 - the name users know
        """The declared input type.

        Raises:
            TypeError: the class declares none (subclass ``Runnable[In, Out]``).
        """
        return self._generic_arg(0, "input")

    @property
    def OutputType(self) -> Any:  # noqa: N802 - the name users know
        """The declared output type.

        Raises:
            TypeError: the class declares none (subclass ``Runnable[In, Out]``).
        """
        return self._generic_arg(1, "output")

    def _generic_arg(self, index: int, what: str) -> Any:
        for klass in type(self).__mro__:
            for base in getattr(klass, "__orig_bases__", ()):
                args = get_args(base)
                if len(args) == 2 and not isinstance(args[index], TypeVar):
                    return args[index]
        raise TypeError(
            f"cannot infer the {what} type of {self.get_name()}: declare it by subclassing "
            f"Runnable[InputType, OutputType] or use .with_types({what}_type=...)"
        )

    @property
    def input_schema(self) -> Any:
        """The input type, as msgspec or pydantic validate against it."""
        return self.get_input_schema()

    @property
    def output_schema(self) -> Any:
        """The output type, as msgspec or pydantic validate against it."""
        return self.get_output_schema()

    def get_input_schema(self, config: RunnableConfig | None = None) -> Any:
        """The input type under ``config`` (configurable Runnables may differ)."""
        try:
            return self.InputType
        except TypeError:
            return Any

    def get_output_schema(self, config: RunnableConfig | None = None) -> Any:
        """The output type under ``config``."""
        try:
            return self.OutputType
        except TypeError:
            return Any

    def get_input_jsonschema(self, config: RunnableConfig | None = None) -> dict[str, Any]:
        """JSON schema of the input, titled ``<name>_input`` / ``<Name>Input``."""
        from actorgraph.runnables._schema import json_schema

        return json_schema(self.get_input_schema(config), self.get_name("Input"))

    def get_output_jsonschema(self, config: RunnableConfig | None = None) -> dict[str, Any]:
        """JSON schema of the output, titled ``<name>_output`` / ``<Name>Output``."""
        from actorgraph.runnables._schema import json_schema

        return json_schema(self.get_output_schema(config), self.get_name("Output"))

    @property
    def config_specs(self) -> list[ConfigurableFieldSpec]:
        """The configurable fields of this Runnable and its children."""
        return []

    def config_schema(self, *, include: Sequence[str] | None = None) -> type[Any]:
        """A msgspec Struct type describing the config this Runnable accepts:
        ``configurable`` holds one field per config spec; ``include`` adds other
        top-level config keys (``"tags"``, ``"metadata"``, ...)."""
        from actorgraph.runnables._schema import config_struct

        return config_struct(self.get_name("Config"), self.config_specs, include or ())

    def get_config_jsonschema(self, *, include: Sequence[str] | None = None) -> dict[str, Any]:
        """JSON schema of :meth:`config_schema`."""
        from actorgraph.runnables._schema import json_schema

        return json_schema(self.config_schema(include=include), None)

    # --------------------------------------------------------------- drawing

    def get_graph(self, config: RunnableConfig | None = None) -> Any:
        """A drawable graph of this Runnable: one node for a plain Runnable,
        the steps and branches for compositions (``draw_mermaid``/``draw_ascii``)."""
        from actorgraph.runnables._graph import runnable_graph

        return runnable_graph(self, config)

    # ---------------------------------------------------------------- events

    async def astream_events(
        self,
        input: Input,
        config: RunnableConfig | None = None,
        *,
        version: str = "v2",
        include_names: Sequence[str] | None = None,
        include_types: Sequence[str] | None = None,
        include_tags: Sequence[str] | None = None,
        exclude_names: Sequence[str] | None = None,
        exclude_types: Sequence[str] | None = None,
        exclude_tags: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[dict[str, Any]]:
        """Stream the run as events (``on_chain_start``/``stream``/``end``,
        ``on_custom_event``, ...) from every nested run, filtered by name, type
        and tag. See :mod:`actorgraph.runnables._events` for the shapes.

        Raises:
            NotImplementedError: ``version`` other than ``"v2"`` (the default;
                the reference's deprecated ``"v1"`` is not offered).
        """
        from actorgraph.runnables._events import EventFilter, stream_events

        event_filter = EventFilter(
            include_names, include_types, include_tags, exclude_names, exclude_types, exclude_tags
        )
        async with closing(stream_events(self, input, config, version, event_filter, kwargs)) as it:
            async for event in it:
                yield event

    async def astream_log(
        self,
        input: Input,
        config: RunnableConfig | None = None,
        *,
        diff: bool = True,
        with_streamed_output_list: bool = True,
        include_names: Sequence[str] | None = None,
        include_types: Sequence[str] | None = None,
        include_tags: Sequence[str] | None = None,
        exclude_names: Sequence[str] | None = None,
        exclude_types: Sequence[str] | None = None,
        exclude_tags: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[Any]:
        """Stream the run as JSON-patch operations (:class:`RunLogPatch`) on a
        document of the run's state and its inner runs' (``logs``), filtered by
        name, type and tag; with ``diff=False`` yield the cumulative
        :class:`RunLog` instead. Patches add up with ``+`` to a ``RunLog``."""
        from actorgraph.runnables._events import EventFilter
        from actorgraph.runnables._log import stream_log

        event_filter = EventFilter(
            include_names, include_types, include_tags, exclude_names, exclude_types, exclude_tags
        )
        stream = stream_log(
            self,
            input,
            config,
            diff=diff,
            with_streamed_output_list=with_streamed_output_list,
            event_filter=event_filter,
            kwargs=kwargs,
        )
        async with closing(stream) as it:
            async for item in it:
                yield item
