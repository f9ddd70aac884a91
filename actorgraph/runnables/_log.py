"""``astream_log``: a run tree as JSON-patch operations on a run-state document.

The state document of a run is::

    {"id": <root run id>, "name": ..., "type": "chain",
     "streamed_output": [chunks of the root], "final_output": <root output>,
     "logs": {<run name>: {"id", "name", "type", "tags", "metadata",
                           "start_time", "end_time", "streamed_output",
                           "final_output"}}}

Each :class:`RunLogPatch` carries ``ops`` (``add``/``replace`` operations with
JSON-pointer paths). Patches add up: ``patch + patch`` gives a :class:`RunLog`,
whose ``state`` is the document so far; ``diff=False`` yields those directly.
Repeated run names are logged as ``name:2``, ``name:3``, ...
"""

from __future__ import annotations

import copy
import math
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import anyio
from anyio.streams.memory import MemoryObjectSendStream

from actorgraph.runnables._chunks import MISSING, add_chunks, closing
from actorgraph.runnables._config import ensure_config
from actorgraph.runnables._events import EventFilter, with_handler
from actorgraph.runnables._tasks import yield_while_running
from actorgraph.runnables._tracing import Run, RunHandler
from actorgraph.store._config import RunnableConfig

if TYPE_CHECKING:
    from actorgraph.runnables._base import Runnable

__all__ = ["RunLog", "RunLogPatch", "stream_log"]


def _apply(state: Any, op: dict[str, Any]) -> Any:
    """Apply one ``add``/``replace`` operation; returns the new root."""
    path = op["path"]
    if path == "":
        return copy.deepcopy(op["value"])
    *parents, last = [part.replace("~1", "/").replace("~0", "~") for part in path[1:].split("/")]
    target = state
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    value = copy.deepcopy(op["value"])
    if isinstance(target, list):
        if last == "-":
            target.append(value)
        elif op["op"] == "add":
            target.insert(int(last), value)
        else:
            target[int(last)] = value
    else:
        target[last] = value
    return state


class RunLogPatch:
    """A list of JSON-patch operations on the run state document."""

    __slots__ = ("ops",)

    def __init__(self, *ops: dict[str, Any]) -> None:
        self.ops = list(ops)

    def __add__(self, other: RunLogPatch) -> RunLog:
        state: Any = None
        for op in [*self.ops, *other.ops]:
            state = _apply(state, op)
        return RunLog(*self.ops, *other.ops, state=state)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, RunLogPatch)
            and not isinstance(other, RunLog)
            and self.ops == other.ops
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"RunLogPatch({', '.join(repr(op) for op in self.ops)})"


class RunLog(RunLogPatch):
    """The operations so far and the ``state`` they build."""

    __slots__ = ("state",)

    def __init__(self, *ops: dict[str, Any], state: Any) -> None:
        super().__init__(*ops)
        self.state = state

    def __add__(self, other: RunLogPatch) -> RunLog:
        state = copy.deepcopy(self.state)
        for op in other.ops:
            state = _apply(state, op)
        return RunLog(*self.ops, *other.ops, state=state)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RunLog) and self.state == other.state

    def __repr__(self) -> str:
        return f"RunLog({self.state!r})"


class _LogHandler(RunHandler):
    def __init__(
        self,
        send: MemoryObjectSendStream[RunLogPatch],
        event_filter: EventFilter,
        stream_list: bool,
    ) -> None:
        self.send = send
        self.filter = event_filter
        self.stream_list = stream_list
        self.root: str | None = None
        self.keys: dict[str, str] = {}
        self.counts: dict[str, int] = {}
        self.final: Any = MISSING

    def _emit(self, *ops: dict[str, Any]) -> None:
        self.send.send_nowait(RunLogPatch(*ops))

    async def on_run_start(self, run: Run) -> None:
        if self.root is None:
            self.root = str(run.id)
            state: dict[str, Any] = {
                "id": self.root,
                "name": run.name,
                "type": run.run_type,
                "streamed_output": [],
                "final_output": None,
                "logs": {},
            }
            self._emit({"op": "replace", "path": "", "value": state})
            return
        if not self.filter.keeps(run.name, run.run_type, run.tags):
            return
        count = self.counts[run.name] = self.counts.get(run.name, 0) + 1
        key = run.name if count == 1 else f"{run.name}:{count}"
        self.keys[str(run.id)] = key
        entry = {
            "id": str(run.id),
            "name": run.name,
            "type": run.run_type,
            "tags": list(run.tags),
            "metadata": dict(run.metadata),
            "start_time": run.start_time.isoformat(),
            "streamed_output": [],
            "streamed_output_str": [],
            "final_output": None,
            "end_time": None,
        }
        self._emit({"op": "add", "path": f"/logs/{_escape(key)}", "value": entry})

    async def on_run_stream(self, run: Run, chunk: Any) -> None:
        if str(run.id) == self.root:
            self.final = add_chunks(self.final, chunk)
            ops = [{"op": "replace", "path": "/final_output", "value": self.final}]
            if self.stream_list:
                ops.insert(0, {"op": "add", "path": "/streamed_output/-", "value": chunk})
            self._emit(*ops)
            return
        key = self.keys.get(str(run.id))
        if key is not None:
            path = f"/logs/{_escape(key)}/streamed_output/-"
            self._emit({"op": "add", "path": path, "value": chunk})

    async def on_run_end(self, run: Run) -> None:
        key = self.keys.get(str(run.id))
        if key is None:
            return
        output = (run.outputs or {}).get("output")
        self._emit(
            {"op": "add", "path": f"/logs/{_escape(key)}/final_output", "value": output},
            {
                "op": "add",
                "path": f"/logs/{_escape(key)}/end_time",
                "value": (run.end_time or run.start_time).isoformat(),
            },
        )


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


async def stream_log(
    runnable: Runnable[Any, Any],
    input: Any,
    config: RunnableConfig | None,
    *,
    diff: bool,
    with_streamed_output_list: bool,
    event_filter: EventFilter,
    kwargs: dict[str, Any],
) -> AsyncIterator[RunLogPatch]:
    """Run ``runnable.astream`` and yield the patches (or, without ``diff``,
    the cumulative logs) of its run tree."""
    send, receive = anyio.create_memory_object_stream[RunLogPatch](math.inf)
    full = with_handler(
        ensure_config(config), _LogHandler(send, event_filter, with_streamed_output_list)
    )
    failure: list[Exception] = []

    async def drive() -> None:
        with send:
            try:
                async with closing(runnable.astream(input, full, **kwargs)) as it:
                    async for _ in it:
                        pass
            except Exception as exc:  # noqa: BLE001 - raised once the stream is drained
                failure.append(exc)

    log: RunLog | None = None
    async with closing(
        yield_while_running(receive, lambda group: group.start_soon(drive))
    ) as patches:
        async for patch in patches:
            if diff:
                yield patch
            else:
                log = (log or RunLog(state=None)) + patch
                yield log
    if failure:
        raise failure[0]
