"""What a node can ask for besides its state: the run's context, store and writer."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Generic, TypeVar

from actorgraph.actors.pregel._types import StreamWriter

__all__ = ["Runtime"]

ContextT = TypeVar("ContextT")


def _no_op_writer(_chunk: Any) -> None:
    return None


@dataclass(frozen=True)
class Runtime(Generic[ContextT]):
    """The run-scoped dependencies a node receives as ``runtime: Runtime[Ctx]``.

    ``context`` is what the caller passed as ``invoke(..., context=...)`` (a dict is
    coerced into the graph's ``context_schema`` when that is a dataclass or model);
    ``store`` is the graph's long-term store (or ``None``); ``stream_writer`` sends
    to the ``custom`` stream; ``previous`` is the functional API's last return value.
    """

    context: ContextT = None  # type: ignore[assignment]
    store: Any = None
    stream_writer: StreamWriter = field(default=_no_op_writer)
    previous: Any = None

    def override(self, **changes: Any) -> Runtime[ContextT]:
        """A copy with some fields replaced."""
        return replace(self, **changes)
