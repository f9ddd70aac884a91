"""What code running inside a node can reach: config, writer, store, runtime, interrupt."""

from __future__ import annotations

from typing import Any

from actorgraph.actors.pregel._pending import interrupt_id
from actorgraph.actors.pregel._runtime import Runtime
from actorgraph.actors.pregel._task import CURRENT_TASK, Task
from actorgraph.actors.pregel._types import Interrupt, StreamWriter
from actorgraph.channels._errors import GraphInterrupt
from actorgraph.store._config import RunnableConfig

__all__ = ["get_config", "get_runtime", "get_store", "get_stream_writer", "interrupt"]


def _current(what: str) -> Task:
    task = CURRENT_TASK.get()
    if task is None:
        raise RuntimeError(
            f"Called {what} outside of a runnable context: call it from a graph node "
            "(or code a node calls) while the graph runs."
        )
    return task


def get_config() -> RunnableConfig:
    """The config of the running task (metadata names step, node, path).

    Raises RuntimeError outside a run. Worker threads running sync nodes see it too.
    """
    return _current("get_config").config


def get_stream_writer() -> StreamWriter:
    """The ``custom`` stream writer of the running graph; a no-op if that mode is off.

    Raises RuntimeError outside a run.
    """
    return _current("get_stream_writer").run.writer


def get_store() -> Any:
    """The long-term store given to ``compile(store=...)`` (``None`` if there is none).

    Raises RuntimeError outside a run.
    """
    return _current("get_store").run.store


def get_runtime(context_schema: type[Any] | None = None) -> Runtime[Any]:
    """The :class:`Runtime` of the running graph; ``context_schema`` is a type hint only.

    Raises RuntimeError outside a run.
    """
    return _current("get_runtime").run.runtime


def interrupt(value: Any) -> Any:
    """Pause the run and hand ``value`` to the caller.

    The caller sees ``{"__interrupt__": [Interrupt(value, id)]}`` in the result
    (or the ``updates`` stream). Resuming with ``Command(resume=...)`` re-runs the
    node from its start (code before the interrupt runs again), and this call
    then returns the resume value. Several calls in one node are answered in
    order; the id is stable for the same task and position across resume and
    replay. Resuming needs a checkpointer. Raises RuntimeError outside a run.
    """
    task = _current("interrupt")
    run = task.run
    index = run.next_interrupt_index(task)
    resume = run.resume_for(task, index)
    if resume is not None:
        return resume[0]
    raise GraphInterrupt((Interrupt(value=value, id=interrupt_id(task.checkpoint_ns, index)),))
