"""``RunnableWithFallbacks``: try a Runnable, then its fallbacks in order."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from actorgraph.channels._errors import RunnableInputError
from actorgraph.runnables._base import Input, Output, Runnable
from actorgraph.runnables._chunks import closing, collect, or_none
from actorgraph.runnables._configurable import ConfigurableFieldSpec, union_specs
from actorgraph.runnables._serializable import RunnableSerializable
from actorgraph.store._config import RunnableConfig

__all__ = ["RunnableWithFallbacks"]


class RunnableWithFallbacks(RunnableSerializable[Input, Output]):
    """Runs ``runnable``; while the attempt fails with one of
    ``exceptions_to_handle``, runs the next fallback on the same input.

    Other exceptions are raised at once. When every attempt fails, the first
    (primary) error is raised. With ``exception_key`` the input must be a dict
    and each fallback receives the previous error under that key. Streams fall
    back only while no chunk was yielded.

    Raises:
        RunnableInputError: ``exception_key`` set and the input is not a dict.
    """

    def __init__(
        self,
        *,
        runnable: Runnable[Input, Output],
        fallbacks: Sequence[Runnable[Input, Output]],
        exceptions_to_handle: tuple[type[BaseException], ...] = (Exception,),
        exception_key: str | None = None,
    ) -> None:
        self.runnable = runnable
        self.fallbacks = list(fallbacks)
        self.exceptions_to_handle = exceptions_to_handle
        self.exception_key = exception_key
        self.name = None

    @property
    def runnables(self) -> list[Runnable[Input, Output]]:
        """The primary Runnable followed by the fallbacks."""
        return [self.runnable, *self.fallbacks]

    def get_input_schema(self, config: RunnableConfig | None = None) -> Any:
        return self.runnable.get_input_schema(config)

    def get_output_schema(self, config: RunnableConfig | None = None) -> Any:
        return self.runnable.get_output_schema(config)

    @property
    def config_specs(self) -> list[ConfigurableFieldSpec]:
        return union_specs(spec for runnable in self.runnables for spec in runnable.config_specs)

    def _input_for(self, input: Any, error: BaseException | None) -> Any:
        if self.exception_key is None:
            return input
        if not isinstance(input, dict):
            raise RunnableInputError(
                f"{self.get_name()} has exception_key={self.exception_key!r}, so its input must "
                f"be a dict, got {type(input).__name__} {input!r}"
            )
        return input if error is None else {**input, self.exception_key: error}

    async def _ainvoke_native(self, input: Input, config: RunnableConfig, **kwargs: Any) -> Output:
        first: BaseException | None = None
        last: BaseException | None = None
        for runnable in self.runnables:
            try:
                return await runnable.ainvoke(self._input_for(input, last), config, **kwargs)
            except self.exceptions_to_handle as exc:  # noqa: PERF203 - each attempt is its own try
                first = first or exc
                last = exc
        assert first is not None  # noqa: S101 - at least one attempt ran and failed
        raise first

    async def _atransform_native(
        self, input: AsyncIterator[Input], config: RunnableConfig, **kwargs: Any
    ) -> AsyncIterator[Output]:
        total = await collect(input)
        value = or_none(total)
        first: BaseException | None = None
        last: BaseException | None = None
        for runnable in self.runnables:
            produced = False
            try:
                stream = runnable.astream(self._input_for(value, last), config, **kwargs)
                async with closing(stream) as it:
                    async for chunk in it:
                        produced = True
                        yield chunk
                return
            except self.exceptions_to_handle as exc:
                if produced:
                    raise
                first = first or exc
                last = exc
        assert first is not None  # noqa: S101 - at least one attempt ran and failed
        raise first
