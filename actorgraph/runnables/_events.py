"""``astream_events``: a run tree as a stream of event dicts (version ``"v2"``).

Every event is a dict with ``event`` (``on_<type>_start|stream|end`` or
``on_custom_event``), ``name``, ``run_id`` (a string), ``parent_ids`` (ancestor
run ids, root first; ``[]`` for the root), ``tags``, ``metadata`` and ``data``:
``{"input": ...}`` on start (empty when the input is streamed in, in which
case the end event carries it), ``{"chunk": ...}`` on stream, ``{"output":
...}`` on end, the dispatched data for a custom event.

Stream events come from runs executed in streaming mode (the root, and steps
of streamed sequences); runs that are invoked inside another run report
start and end only.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any

import anyio
from anyio.streams.memory import MemoryObjectSendStream

from actorgraph.runnables._chunks import closing
from actorgraph.runnables._config import ensure_config
from actorgraph.runnables._tasks import yield_while_running
from actorgraph.runnables._tracing import CallbackManager, Run, RunHandler, callback_manager
from actorgraph.store._config import RunnableConfig

if TYPE_CHECKING:
    from actorgraph.runnables._base import Runnable

__all__ = ["EventFilter", "stream_events", "with_handler"]


class EventFilter:
    """Which runs' events to keep: by name, run type and tag.

    With no ``include_*`` everything is included; an event is kept if it
    matches any include and no exclude.
    """

    __slots__ = (
        "exclude_names",
        "exclude_tags",
        "exclude_types",
        "include_names",
        "include_tags",
        "include_types",
    )

    def __init__(
        self,
        include_names: Sequence[str] | None = None,
        include_types: Sequence[str] | None = None,
        include_tags: Sequence[str] | None = None,
        exclude_names: Sequence[str] | None = None,
        exclude_types: Sequence[str] | None = None,
        exclude_tags: Sequence[str] | None = None,
    ) -> None:
        self.include_names = frozenset(include_names or ())
        self.include_types = frozenset(include_types or ())
        self.include_tags = frozenset(include_tags or ())
        self.exclude_names = frozenset(exclude_names or ())
        self.exclude_types = frozenset(exclude_types or ())
        self.exclude_tags = frozenset(exclude_tags or ())

    def keeps(self, name: str, run_type: str, tags: Sequence[str]) -> bool:
        """Whether an event of this run passes the filter."""
        if self.include_names or self.include_types or self.include_tags:
            included = (
                name in self.include_names
                or run_type in self.include_types
                or not self.include_tags.isdisjoint(tags)
            )
            if not included:
                return False
        return not (
            name in self.exclude_names
            or run_type in self.exclude_types
            or not self.exclude_tags.isdisjoint(tags)
        )


class _EventHandler(RunHandler):
    """Turns run notifications into event dicts on a stream."""

    def __init__(
        self, send: MemoryObjectSendStream[dict[str, Any]], event_filter: EventFilter
    ) -> None:
        self.send = send
        self.filter = event_filter
        self.input_streamed: set[str] = set()

    def _emit(self, run: Run, event: str, data: dict[str, Any], name: str | None = None) -> None:
        shown = name or run.name
        if not self.filter.keeps(shown, run.run_type, run.tags):
            return
        self.send.send_nowait(
            {
                "event": event,
                "name": shown,
                "run_id": str(run.id),
                "parent_ids": list(run.parent_ids),
                "tags": list(run.tags),
                "metadata": dict(run.metadata),
                "data": data,
            }
        )

    async def on_run_start(self, run: Run) -> None:
        if "input" not in run.inputs:
            self.input_streamed.add(str(run.id))
        self._emit(run, f"on_{run.run_type}_start", dict(run.inputs))

    async def on_run_stream(self, run: Run, chunk: Any) -> None:
        self._emit(run, f"on_{run.run_type}_stream", {"chunk": chunk})

    async def on_run_end(self, run: Run) -> None:
        data = dict(run.outputs or {})
        if str(run.id) in self.input_streamed:
            self.input_streamed.discard(str(run.id))
            data["input"] = run.inputs.get("input")
        self._emit(run, f"on_{run.run_type}_end", data)

    async def on_custom_event(self, name: str, data: Any, run: Run) -> None:
        self._emit(run, "on_custom_event", data, name=name)


def with_handler(config: RunnableConfig, handler: RunHandler) -> RunnableConfig:
    """``config`` with ``handler`` observing the run tree, besides its own handlers."""
    manager = callback_manager(config)
    if manager is None:
        callbacks = CallbackManager((handler,), None)
    else:
        callbacks = CallbackManager((*manager.handlers, handler), manager.parent)
    return {**config, "callbacks": callbacks}


async def stream_events(
    runnable: Runnable[Any, Any],
    input: Any,
    config: RunnableConfig | None,
    version: str,
    event_filter: EventFilter,
    kwargs: dict[str, Any],
) -> AsyncIterator[dict[str, Any]]:
    """Run ``runnable.astream`` and yield the events of its run tree."""
    if version != "v2":
        raise NotImplementedError(f"astream_events supports version='v2' only, got {version!r}")
    send, receive = anyio.create_memory_object_stream[dict[str, Any]](math.inf)
    full = with_handler(ensure_config(config), _EventHandler(send, event_filter))

    failure: list[Exception] = []

    async def drive() -> None:
        # The events emitted before a failure are still delivered: the error is
        # raised once the stream has been drained.
        with send:
            try:
                async with closing(runnable.astream(input, full, **kwargs)) as it:
                    async for _ in it:
                        pass
            except Exception as exc:  # noqa: BLE001 - re-raised once the tasks are done
                failure.append(exc)

    async with closing(
        yield_while_running(receive, lambda group: group.start_soon(drive))
    ) as events:
        async for event in events:
            yield event
    if failure:
        raise failure[0]
