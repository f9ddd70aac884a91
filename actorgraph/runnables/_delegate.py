"""Objects that speak ``ainvoke``/``astream`` without being Runnables (chat
models, for example) become pipe steps through a thin delegate."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from actorgraph.runnables._base import Runnable
from actorgraph.runnables._chunks import closing
from actorgraph.store._config import RunnableConfig

__all__ = ["RunnableDelegate", "speaks_runnable"]


def speaks_runnable(thing: object) -> bool:
    """Whether ``thing`` has a callable ``ainvoke`` (the least a step needs)."""
    return callable(getattr(thing, "ainvoke", None))


class RunnableDelegate(Runnable[Any, Any]):
    """A pipe step that calls another object's ``ainvoke``, and its ``astream``
    when it has one; nothing is added per call."""

    def __init__(self, target: Any) -> None:
        self.target = target
        self.name = getattr(target, "name", None) or type(target).__name__

    def __repr__(self) -> str:
        return f"RunnableDelegate({self.target!r})"

    async def ainvoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        return await self.target.ainvoke(input, config, **kwargs)

    async def astream(
        self, input: Any, config: RunnableConfig | None = None, **kwargs: Any
    ) -> AsyncIterator[Any]:
        if not callable(getattr(self.target, "astream", None)):
            yield await self.target.ainvoke(input, config, **kwargs)
            return
        async with closing(self.target.astream(input, config, **kwargs)) as chunks:
            async for chunk in chunks:
                yield chunk
