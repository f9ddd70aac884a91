"""``RunnableBinding`` (bound kwargs, config, types) and listeners."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any, cast

from actorgraph.runnables._base import Input, Output, Runnable
from actorgraph.runnables._chunks import MISSING, add_chunks, closing, or_none
from actorgraph.runnables._config import ensure_config, merge_configs
from actorgraph.runnables._configurable import ConfigurableFieldSpec
from actorgraph.runnables._serializable import RunnableSerializable
from actorgraph.runnables._tracing import Run
from actorgraph.store._config import RunnableConfig

__all__ = ["RunnableBinding", "RunnableListeners"]


class RunnableBinding(RunnableSerializable[Input, Output]):
    """Another Runnable with bound keyword arguments, config and types.

    Made by ``bind(**kwargs)``, ``with_config(...)`` and ``with_types(...)``,
    or directly: ``RunnableBinding(bound=r, kwargs={"stop": ["-"]})``. Every
    call merges the bound config under the call's config (the call's values
    win, tags are joined), applies ``config_factories`` in order, adds the
    bound kwargs under the call's, and delegates to ``bound``; it does not add a
    run of its own, so events carry the bound Runnable's name (or the bound
    ``run_name``).

    With ``custom_input_type`` every input is checked against it first.

    Raises:
        RunnableInputError: the input does not match ``custom_input_type``.
    """

    def __init__(
        self,
        *,
        bound: Runnable[Input, Output],
        kwargs: Mapping[str, Any] | None = None,
        config: RunnableConfig | None = None,
        config_factories: Sequence[Callable[[RunnableConfig], RunnableConfig]] = (),
        custom_input_type: Any = None,
        custom_output_type: Any = None,
        name: str | None = None,
    ) -> None:
        self.bound = bound
        self.kwargs: dict[str, Any] = dict(kwargs or {})
        self.config: RunnableConfig = config or {}
        self.config_factories = list(config_factories)
        self.custom_input_type = custom_input_type
        self.custom_output_type = custom_output_type
        self.name = name

    def __repr__(self) -> str:
        return f"{type(self).__name__}(bound={self.bound!r}, kwargs={self.kwargs!r}, config={self.config!r})"

    def _default_name(self) -> str:
        return self.bound.get_name()

    @property
    def InputType(self) -> Any:  # noqa: N802 - the name users know
        return (
            self.custom_input_type if self.custom_input_type is not None else self.bound.InputType
        )

    @property
    def OutputType(self) -> Any:  # noqa: N802 - the name users know
        return (
            self.custom_output_type
            if self.custom_output_type is not None
            else self.bound.OutputType
        )

    def get_input_schema(self, config: RunnableConfig | None = None) -> Any:
        if self.custom_input_type is not None:
            return self.custom_input_type
        return self.bound.get_input_schema(merge_configs(self.config, config))

    def get_output_schema(self, config: RunnableConfig | None = None) -> Any:
        if self.custom_output_type is not None:
            return self.custom_output_type
        return self.bound.get_output_schema(merge_configs(self.config, config))

    @property
    def config_specs(self) -> list[ConfigurableFieldSpec]:
        return self.bound.config_specs

    def get_graph(self, config: RunnableConfig | None = None) -> Any:
        return self.bound.get_graph(merge_configs(self.config, config))

    def _flat(self) -> bool:
        # Only a plain binding folds another binding step into itself; the
        # subclasses (retry, listeners, history) add behaviour of their own.
        return type(self) is RunnableBinding

    def bind(self, **kwargs: Any) -> RunnableBinding[Input, Output]:
        if not self._flat():
            return super().bind(**kwargs)
        return self._copy(kwargs={**self.kwargs, **kwargs})

    def with_config(
        self, config: RunnableConfig | None = None, **kwargs: Any
    ) -> RunnableBinding[Input, Output]:
        if not self._flat():
            return super().with_config(config, **kwargs)
        extra = cast("RunnableConfig", {**(config or {}), **kwargs})
        return self._copy(config=merge_configs(self.config, extra))

    def _copy(self, **changes: Any) -> RunnableBinding[Input, Output]:
        fields: dict[str, Any] = {
            "bound": self.bound,
            "kwargs": self.kwargs,
            "config": self.config,
            "config_factories": self.config_factories,
            "custom_input_type": self.custom_input_type,
            "custom_output_type": self.custom_output_type,
            "name": self.name,
        }
        return RunnableBinding(**{**fields, **changes})

    def _merge(self, config: RunnableConfig | None) -> RunnableConfig:
        merged = merge_configs(self.config, config) if self.config else ensure_config(config)
        for factory in self.config_factories:
            merged = factory(merged)
        return merged

    def _check(self, input: Any) -> None:
        if self.custom_input_type is not None:
            from actorgraph.runnables._schema import check_input

            check_input(input, self.custom_input_type, self.get_name())

    async def ainvoke(
        self, input: Input, config: RunnableConfig | None = None, **kwargs: Any
    ) -> Output:
        self._check(input)
        return await self.bound.ainvoke(input, self._merge(config), **{**self.kwargs, **kwargs})

    async def astream(
        self, input: Input, config: RunnableConfig | None = None, **kwargs: Any
    ) -> AsyncIterator[Output]:
        self._check(input)
        stream = self.bound.astream(input, self._merge(config), **{**self.kwargs, **kwargs})
        async with closing(stream) as it:
            async for chunk in it:
                yield chunk

    async def atransform(
        self, input: AsyncIterator[Input], config: RunnableConfig | None = None, **kwargs: Any
    ) -> AsyncIterator[Output]:
        stream = self.bound.atransform(input, self._merge(config), **{**self.kwargs, **kwargs})
        async with closing(stream) as it:
            async for chunk in it:
                yield chunk


def _takes_config(listener: Callable[..., Any]) -> bool:
    try:
        parameters = inspect.signature(listener).parameters.values()
    except (TypeError, ValueError):
        return False
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2 or any(p.name == "config" for p in parameters)


class RunnableListeners(RunnableBinding[Input, Output]):
    """Calls listeners around every call of ``bound`` (``with_listeners`` /
    ``with_alisteners``).

    Each listener gets the :class:`Run` (``id``, ``name``, ``inputs``,
    ``outputs``, ``error``, ``start_time``, ``end_time``, ``tags``,
    ``metadata``) and, if it takes a second parameter, the config. A listener
    may be sync (called in the event loop: keep it quick) or async (awaited:
    ``on_start`` before the call starts, ``on_end``/``on_error`` after it
    finished). A listener that raises fails the call. ``on_error`` listeners
    run for exceptions, not for cancellation.
    """

    def __init__(
        self,
        bound: Runnable[Input, Output],
        *,
        on_start: Callable[..., Any] | None = None,
        on_end: Callable[..., Any] | None = None,
        on_error: Callable[..., Any] | None = None,
    ) -> None:
        super().__init__(bound=bound)
        self.on_start, self.on_end, self.on_error = on_start, on_end, on_error

    async def _notify(
        self, listener: Callable[..., Any] | None, run: Run, config: RunnableConfig
    ) -> None:
        if listener is None:
            return
        result = listener(run, config) if _takes_config(listener) else listener(run)
        if inspect.isawaitable(result):
            await result

    def _start(self, input: Any, config: RunnableConfig) -> Run:
        return Run(
            name=config.get("run_name") or self.bound.get_name(),
            inputs={"input": input},
            tags=config.get("tags", ()),
            metadata=config.get("metadata"),
            run_id=config.get("run_id"),
        )

    async def _finish(self, run: Run, config: RunnableConfig, output: Any) -> None:
        run.outputs = {"output": output}
        run.end_time = datetime.now(timezone.utc)
        await self._notify(self.on_end, run, config)

    async def _fail(self, run: Run, config: RunnableConfig, error: Exception) -> None:
        run.error = error
        run.end_time = datetime.now(timezone.utc)
        await self._notify(self.on_error, run, config)

    async def ainvoke(
        self, input: Input, config: RunnableConfig | None = None, **kwargs: Any
    ) -> Output:
        full = self._merge(config)
        run = self._start(input, full)
        await self._notify(self.on_start, run, full)
        try:
            output = await self.bound.ainvoke(input, full, **kwargs)
        except Exception as exc:
            await self._fail(run, full, exc)
            raise
        await self._finish(run, full, output)
        return output

    async def astream(
        self, input: Input, config: RunnableConfig | None = None, **kwargs: Any
    ) -> AsyncIterator[Output]:
        full = self._merge(config)
        run = self._start(input, full)
        await self._notify(self.on_start, run, full)
        total: Any = MISSING
        try:
            async with closing(self.bound.astream(input, full, **kwargs)) as it:
                async for chunk in it:
                    total = add_chunks(total, chunk)
                    yield chunk
        except Exception as exc:
            await self._fail(run, full, exc)
            raise
        await self._finish(run, full, or_none(total))
