"""The concurrent part of ``abatch``/``abatch_as_completed``, and the input tap
of traced streams."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

import anyio
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectSendStream

from actorgraph.runnables._chunks import MISSING, add_chunks, closing
from actorgraph.runnables._tasks import yield_while_running
from actorgraph.store._config import RunnableConfig

__all__ = ["Tap", "run_batch"]

T = TypeVar("T")


async def run_batch(
    call: Callable[..., Awaitable[Any]],
    inputs: Sequence[Any],
    configs: list[RunnableConfig],
    return_exceptions: bool,
    kwargs: dict[str, Any],
) -> AsyncIterator[tuple[int, Any]]:
    """Yield ``(index, call(inputs[index], configs[index], **kwargs))`` as each
    call finishes; calls are tasks of the caller, at most ``max_concurrency``
    (from the first config) at once.

    With ``return_exceptions`` a failure is yielded in place of the result;
    otherwise the first failure cancels the other calls and is raised, with its
    own type, once they have stopped.
    """
    limit = configs[0].get("max_concurrency")
    limiter = anyio.Semaphore(limit) if limit else None
    send, receive = anyio.create_memory_object_stream[tuple[int, Any]](len(inputs))
    failure: list[Exception] = []

    async def one(index: int, scope: anyio.CancelScope, out: MemoryObjectSendStream[Any]) -> None:
        with out:
            try:
                if limiter is None:
                    result: Any = await call(inputs[index], configs[index], **kwargs)
                else:
                    async with limiter:
                        result = await call(inputs[index], configs[index], **kwargs)
            except Exception as exc:  # noqa: BLE001 - returned or re-raised below
                if not return_exceptions:
                    if not failure:
                        failure.append(exc)
                    scope.cancel()
                    return
                result = exc
            out.send_nowait((index, result))

    def start(group: TaskGroup) -> None:
        with send:
            for index in range(len(inputs)):
                group.start_soon(one, index, group.cancel_scope, send.clone())

    # A failure cancels the group's scope, which ends the iteration.
    async with closing(yield_while_running(receive, start)) as results:
        async for item in results:
            yield item
    if failure:
        raise failure[0]


class Tap(Generic[T]):
    """Passes a stream through while adding its chunks up (a run's input)."""

    __slots__ = ("source", "total")

    def __init__(self, source: AsyncIterator[T]) -> None:
        self.source = source
        self.total: Any = MISSING

    async def iterate(self) -> AsyncIterator[T]:
        async for chunk in self.source:
            self.total = add_chunks(self.total, chunk)
            yield chunk
