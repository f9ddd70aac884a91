"""``RunnableBranch`` (first true condition wins) and ``RunnableEach`` (``map()``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from actorgraph.channels._errors import RunnableInputError
from actorgraph.runnables._base import Input, Output, Runnable
from actorgraph.runnables._chunks import closing, collect, or_none
from actorgraph.runnables._config import child_config
from actorgraph.runnables._configurable import ConfigurableFieldSpec, union_specs
from actorgraph.runnables._sequence import coerce_to_runnable
from actorgraph.runnables._serializable import RunnableSerializable
from actorgraph.store._config import RunnableConfig

__all__ = ["RunnableBranch", "RunnableEach"]


class RunnableBranch(RunnableSerializable[Input, Output]):
    """Runs the Runnable of the first ``(condition, runnable)`` pair whose
    condition is true for the input, else the default (the last argument).

    ``RunnableBranch((cond1, r1), (cond2, r2), default)``; conditions and
    branches may be Runnables or functions. Conditions are checked in order,
    tagged ``condition:<n>``; the chosen branch is tagged ``branch:<n>`` (or
    ``branch:default``). Streaming streams the chosen branch.

    Raises:
        ValueError: fewer than two arguments.
        RunnableInputError: a branch that is not a ``(condition, runnable)`` pair
            (the message names its position).
    """

    def __init__(self: RunnableBranch[Any, Any], *branches: Any) -> None:
        if len(branches) < 2:
            raise ValueError(
                "RunnableBranch needs at least one (condition, runnable) pair and a default"
            )
        self.branches: list[tuple[Runnable[Input, Any], Runnable[Input, Output]]] = []
        for position, pair in enumerate(branches[:-1], start=1):
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise RunnableInputError(
                    f"branch {position} of RunnableBranch is {pair!r}: expected a "
                    "(condition, runnable) pair"
                )
            self.branches.append(
                (
                    coerce_to_runnable(pair[0], position=position),
                    coerce_to_runnable(pair[1], position=position),
                )
            )
        self.default: Runnable[Input, Output] = coerce_to_runnable(
            branches[-1], position=len(branches)
        )
        self.name = None

    @property
    def config_specs(self) -> list[ConfigurableFieldSpec]:
        runnables = [self.default, *(r for pair in self.branches for r in pair)]
        return union_specs(spec for runnable in runnables for spec in runnable.config_specs)

    async def _choose(
        self, input: Any, config: RunnableConfig
    ) -> tuple[Runnable[Input, Output], RunnableConfig]:
        for index, (condition, runnable) in enumerate(self.branches, start=1):
            if await condition.ainvoke(input, child_config(config, tag=f"condition:{index}")):
                return runnable, child_config(config, tag=f"branch:{index}")
        return self.default, child_config(config, tag="branch:default")

    async def _ainvoke_native(self, input: Input, config: RunnableConfig, **kwargs: Any) -> Output:
        runnable, chosen = await self._choose(input, config)
        return await runnable.ainvoke(input, chosen, **kwargs)

    async def _atransform_native(
        self, input: AsyncIterator[Input], config: RunnableConfig, **kwargs: Any
    ) -> AsyncIterator[Output]:
        total = await collect(input)
        value = or_none(total)
        runnable, chosen = await self._choose(value, config)
        async with closing(runnable.astream(value, chosen, **kwargs)) as it:
            async for chunk in it:
                yield chunk


class RunnableEach(RunnableSerializable[list[Input], list[Output]]):
    """Runs ``bound`` on every element of a list input, concurrently (as
    ``abatch``, honouring ``max_concurrency``), returning outputs in order.

    Raises:
        RunnableInputError: the input is not a list or tuple.
    """

    def __init__(self, *, bound: Runnable[Input, Output]) -> None:
        self.bound = bound
        self.name = None

    def _default_name(self) -> str:
        return f"RunnableEach<{self.bound.get_name()}>"

    @property
    def config_specs(self) -> list[ConfigurableFieldSpec]:
        return self.bound.config_specs

    async def _ainvoke_native(
        self, input: Sequence[Input], config: RunnableConfig, **kwargs: Any
    ) -> list[Output]:
        if not isinstance(input, (list, tuple)):
            raise RunnableInputError(
                f"{self.get_name()} expects a list input (one item per call), got "
                f"{type(input).__name__} {input!r}"
            )
        return await self.bound.abatch(list(input), config, **kwargs)
