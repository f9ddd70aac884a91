"""``RunnableSequence`` (the ``|`` operator) and the coercion of pipe operands."""

from __future__ import annotations

import inspect
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack
from typing import Any

from actorgraph.channels._errors import RunnableInputError
from actorgraph.runnables._base import Input, Output, Runnable
from actorgraph.runnables._chunks import closing
from actorgraph.runnables._config import child_config
from actorgraph.runnables._configurable import ConfigurableFieldSpec, union_specs
from actorgraph.runnables._serializable import RunnableSerializable
from actorgraph.store._config import RunnableConfig

__all__ = ["RunnableSequence", "coerce_to_runnable"]


def coerce_to_runnable(
    thing: Any, *, position: int | None = None, where: str | None = None
) -> Runnable[Any, Any]:
    """Turn a pipe operand into a Runnable.

    A Runnable is kept, an object with an ``ainvoke`` method (a chat model) is
    called through a thin delegate, a dict becomes a :class:`RunnableParallel`, a
    generator function (sync or async) a :class:`RunnableGenerator`, any other
    callable a :class:`RunnableLambda`.

    Raises:
        RunnableInputError: anything else; the message names the position.
    """
    if isinstance(thing, Runnable):
        return thing
    from actorgraph.runnables._delegate import RunnableDelegate, speaks_runnable

    if speaks_runnable(thing):
        return RunnableDelegate(thing)
    if inspect.isasyncgenfunction(thing) or inspect.isgeneratorfunction(thing):
        from actorgraph.runnables._lambda import RunnableGenerator

        return RunnableGenerator(thing)
    if callable(thing):
        from actorgraph.runnables._lambda import RunnableLambda

        return RunnableLambda(thing)
    if isinstance(thing, Mapping):
        from actorgraph.runnables._parallel import RunnableParallel

        return RunnableParallel(thing)
    if where is None:
        where = f"step {position} of the sequence" if position is not None else "a pipe operand"
    raise RunnableInputError(
        f"{where} is {type(thing).__name__} {thing!r}: expected a Runnable, a callable, "
        "a generator function, or a dict of those"
    )


def _note(exc: BaseException, message: str) -> None:
    # Notes keep the exception's type (callers catch ValueError etc.) while the
    # traceback says which step failed.
    if sys.version_info >= (3, 11):
        exc.add_note(message)


class RunnableSequence(RunnableSerializable[Input, Output]):
    """Runs steps one after another, each step's output the next one's input.

    Built by ``a | b | c``, ``a.pipe(b, c)`` or ``RunnableSequence(a, b, c)``
    (also ``first=``, ``middle=``, ``last=``); nested sequences are flattened.
    ``astream`` streams through every step's ``atransform``, so output starts as
    soon as the last step that must see its whole input has finished.
    Each step gets the tag ``seq:step:<n>`` (1-based). An exception from a step
    keeps its type and carries a note naming the step and its position.

    Raises:
        ValueError: fewer than two steps.
        RunnableInputError: a step that is not runnable-like (names its position).
    """

    def __init__(
        self: RunnableSequence[Any, Any],
        *steps: Any,
        name: str | None = None,
        first: Any = None,
        middle: list[Any] | None = None,
        last: Any = None,
    ) -> None:
        given = list(steps)
        if first is not None:
            given.insert(0, first)
        given.extend(middle or ())
        if last is not None:
            given.append(last)
        flat: list[Runnable[Any, Any]] = []
        for step in given:
            runnable = coerce_to_runnable(step, position=len(flat) + 1)
            if isinstance(runnable, RunnableSequence):
                flat.extend(runnable.steps)
            else:
                flat.append(runnable)
        if len(flat) < 2:
            raise ValueError(f"RunnableSequence must have at least 2 steps, got {len(flat)}")
        self.steps: list[Runnable[Any, Any]] = flat
        self.name = name

    @property
    def first(self) -> Runnable[Input, Any]:
        """The first step."""
        return self.steps[0]

    @property
    def middle(self) -> list[Runnable[Any, Any]]:
        """The steps between the first and the last."""
        return self.steps[1:-1]

    @property
    def last(self) -> Runnable[Any, Output]:
        """The last step."""
        return self.steps[-1]

    def __or__(self, other: Any) -> RunnableSequence[Input, Any]:
        return RunnableSequence(
            *self.steps, coerce_to_runnable(other, position=len(self.steps) + 1)
        )

    def __ror__(self, other: Any) -> RunnableSequence[Any, Output]:
        return RunnableSequence(coerce_to_runnable(other, position=1), *self.steps)

    def __repr__(self) -> str:
        return "\n| ".join(repr(step) for step in self.steps)

    def get_input_schema(self, config: RunnableConfig | None = None) -> Any:
        return self.first.get_input_schema(config)

    def get_output_schema(self, config: RunnableConfig | None = None) -> Any:
        return self.last.get_output_schema(config)

    @property
    def InputType(self) -> Any:  # noqa: N802 - the name users know
        return self.first.InputType

    @property
    def OutputType(self) -> Any:  # noqa: N802 - the name users know
        return self.last.OutputType

    @property
    def config_specs(self) -> list[ConfigurableFieldSpec]:
        return union_specs(spec for step in self.steps for spec in step.config_specs)

    def _describe(self, index: int) -> str:
        step = self.steps[index]
        return (
            f"while running step {index + 1} of {len(self.steps)} "
            f"({step.get_name()!r}) in {self.get_name()!r}"
        )

    async def _ainvoke_native(self, input: Input, config: RunnableConfig, **kwargs: Any) -> Output:
        value: Any = input
        for index, step in enumerate(self.steps):
            try:
                value = await step.ainvoke(value, child_config(config, tag=f"seq:step:{index + 1}"))
            except Exception as exc:  # noqa: PERF203 - the note must name the failing step
                _note(exc, self._describe(index))
                raise
        return value  # type: ignore[no-any-return]

    async def _atransform_native(
        self, input: AsyncIterator[Input], config: RunnableConfig, **kwargs: Any
    ) -> AsyncIterator[Output]:
        # An error raised in stage k passes through the stages after it; only the
        # first wrapper that sees it adds the note, so it names the right step.
        noted: set[int] = set()

        async def stage(index: int, source: AsyncIterator[Any]) -> AsyncIterator[Any]:
            step = self.steps[index]
            stream = step.atransform(source, child_config(config, tag=f"seq:step:{index + 1}"))
            try:
                async with closing(stream) as it:
                    async for chunk in it:
                        yield chunk
            except Exception as exc:
                if id(exc) not in noted:
                    noted.add(id(exc))
                    _note(exc, self._describe(index))
                raise

        async with AsyncExitStack() as stack:
            stream: AsyncIterator[Any] = input
            for index in range(len(self.steps)):
                # Close every stage on exit, last first: each stage only closes
                # the stream it made, not the one it reads.
                stream = await stack.enter_async_context(closing(stage(index, stream)))
            async for chunk in stream:
                yield chunk
