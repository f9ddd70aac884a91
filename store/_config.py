"""The run configuration every layer passes along.

Defined here, in the lowest layer that reads it (savers read ``thread_id``),
and re-exported by :mod:`actorgraph.config` and :mod:`actorgraph.runnables`.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from typing_extensions import TypedDict

__all__ = ["RunnableConfig"]


class RunnableConfig(TypedDict, total=False):
    """Configuration for a run, as LangChain and LangGraph users write it.

    ``configurable`` carries ``thread_id``, ``checkpoint_ns``, ``checkpoint_id``
    and the user's own keys. ``recursion_limit`` defaults to 25.
    """

    tags: list[str]
    metadata: dict[str, Any]
    callbacks: Any
    run_name: str
    max_concurrency: int | None
    recursion_limit: int
    configurable: dict[str, Any]
    run_id: UUID | None
