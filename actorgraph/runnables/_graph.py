"""``get_graph`` for Runnables (filled in on the shared drawing module)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from actorgraph.store._config import RunnableConfig

if TYPE_CHECKING:
    from actorgraph.runnables._base import Runnable

__all__ = ["runnable_graph"]


def runnable_graph(runnable: Runnable[Any, Any], config: RunnableConfig | None) -> Any:
    """The drawable graph of ``runnable``."""
    raise NotImplementedError
