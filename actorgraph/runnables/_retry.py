"""``RunnableRetry``: retry a Runnable on chosen exception types."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Mapping
from typing import Any

import anyio

from actorgraph.runnables._base import Input, Output, Runnable
from actorgraph.runnables._binding import RunnableBinding
from actorgraph.runnables._chunks import closing
from actorgraph.runnables._config import child_config
from actorgraph.store._config import RunnableConfig

__all__ = ["RunnableRetry"]

_JITTER_DEFAULTS = {"initial": 1.0, "max": 60.0, "exp_base": 2.0, "jitter": 1.0}


class RunnableRetry(RunnableBinding[Input, Output]):
    """Retries ``bound`` while it fails with one of ``retry_exception_types``,
    ``max_attempt_number`` attempts in all; the last exception is raised, and
    other exception types are raised at once. Made by ``with_retry``.

    Between attempts it sleeps ``min(max, initial * exp_base ** (n - 1)) +
    uniform(0, jitter)`` seconds when ``wait_exponential_jitter`` is on (the
    parameters come from ``exponential_jitter_params``), else not at all.
    Attempts after the first are tagged ``retry:attempt:<n>``. ``astream``
    retries only while no chunk has been yielded: a stream that already
    produced output is not replayed. Cancellation during a wait or an attempt
    stops retrying.

    Raises:
        ValueError: ``max_attempt_number`` below 1 or unknown jitter parameters.
    """

    def __init__(
        self,
        *,
        bound: Runnable[Input, Output],
        retry_exception_types: tuple[type[BaseException], ...] = (Exception,),
        wait_exponential_jitter: bool = True,
        exponential_jitter_params: Mapping[str, float] | None = None,
        max_attempt_number: int = 3,
    ) -> None:
        super().__init__(bound=bound)
        if max_attempt_number < 1:
            raise ValueError(f"stop_after_attempt must be at least 1, got {max_attempt_number}")
        unknown = set(exponential_jitter_params or {}) - set(_JITTER_DEFAULTS)
        if unknown:
            raise ValueError(
                f"unknown exponential_jitter_params {sorted(unknown)}; use {sorted(_JITTER_DEFAULTS)}"
            )
        self.retry_exception_types = retry_exception_types
        self.wait_exponential_jitter = wait_exponential_jitter
        self.jitter_params = {**_JITTER_DEFAULTS, **(exponential_jitter_params or {})}
        self.max_attempt_number = max_attempt_number

    def _delay(self, attempt: int) -> float:
        if not self.wait_exponential_jitter:
            return 0.0
        params = self.jitter_params
        base = min(params["max"], params["initial"] * params["exp_base"] ** (attempt - 1))
        return base + random.uniform(0, params["jitter"])  # noqa: S311 - jitter, not secrecy

    def _attempt_config(self, config: RunnableConfig, attempt: int) -> RunnableConfig:
        if attempt == 1:
            return config
        return child_config(config, tag=f"retry:attempt:{attempt}")

    async def _wait(self, attempt: int) -> None:
        delay = self._delay(attempt)
        if delay > 0:
            await anyio.sleep(delay)

    async def ainvoke(
        self, input: Input, config: RunnableConfig | None = None, **kwargs: Any
    ) -> Output:
        full = self._merge(config)
        for attempt in range(1, self.max_attempt_number + 1):
            try:
                return await self.bound.ainvoke(
                    input, self._attempt_config(full, attempt), **kwargs
                )
            except self.retry_exception_types:
                if attempt == self.max_attempt_number:
                    raise
            await self._wait(attempt)
        raise AssertionError("unreachable: the loop returns or raises")

    async def astream(
        self, input: Input, config: RunnableConfig | None = None, **kwargs: Any
    ) -> AsyncIterator[Output]:
        full = self._merge(config)
        for attempt in range(1, self.max_attempt_number + 1):
            produced = False
            try:
                stream = self.bound.astream(input, self._attempt_config(full, attempt), **kwargs)
                async with closing(stream) as it:
                    async for chunk in it:
                        produced = True
                        yield chunk
                return
            except self.retry_exception_types:
                if produced or attempt == self.max_attempt_number:
                    raise
            await self._wait(attempt)
