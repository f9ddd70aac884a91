"""Running several awaitables as tasks of the calling task, failing like one call."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, TypeVar

import anyio
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectReceiveStream

__all__ = ["FirstError", "gather", "yield_while_running"]

T = TypeVar("T")


class FirstError:
    """Remembers the first exception of a group of tasks and cancels the rest.

    Task groups raise an ``ExceptionGroup``; a Runnable raises the one error that
    stopped it, with its own type, as a single call would.
    """

    __slots__ = ("error", "scope")

    def __init__(self, scope: anyio.CancelScope) -> None:
        self.scope = scope
        self.error: Exception | None = None

    def record(self, error: Exception) -> None:
        if self.error is None:
            self.error = error
        self.scope.cancel()

    def reraise(self) -> None:
        if self.error is not None:
            raise self.error


async def gather(
    calls: Sequence[Callable[[], Awaitable[T]]],
    limit: int | None = None,
    *,
    return_exceptions: bool = False,
) -> list[T]:
    """Await every call concurrently (at most ``limit`` at once) and return the
    results in order.

    The first exception cancels the other calls, waits for them, and is raised;
    with ``return_exceptions`` it takes the call's place in the results instead.
    Cancelling the caller cancels every call.
    """
    if len(calls) == 1:
        try:
            return [await calls[0]()]
        except Exception as exc:
            if return_exceptions:
                return [exc]  # type: ignore[list-item]
            raise
    results: list[Any] = [None] * len(calls)
    limiter = anyio.Semaphore(limit) if limit else None

    async def one(index: int, first: FirstError) -> None:
        try:
            if limiter is None:
                results[index] = await calls[index]()
            else:
                async with limiter:
                    results[index] = await calls[index]()
        except Exception as exc:  # noqa: BLE001 - returned, or re-raised once the tasks are done
            if return_exceptions:
                results[index] = exc
            else:
                first.record(exc)

    async with anyio.create_task_group() as group:
        first = FirstError(group.cancel_scope)
        for index in range(len(calls) - 1):
            group.start_soon(one, index, first)
        # The calling task runs the last call itself: one task fewer to start.
        await one(len(calls) - 1, first)
    first.reraise()
    return results


async def yield_while_running(
    receive: MemoryObjectReceiveStream[T], start: Callable[[TaskGroup], object]
) -> AsyncIterator[T]:
    """Yield what arrives on ``receive`` while the tasks ``start(group)`` started
    run, until every sender is closed.

    Closing this iterator early (``aclose``) cancels the tasks and waits for
    them, then ends quietly: a task group must not see ``GeneratorExit`` as an
    error. If the group is cancelled from inside (a task recorded a failure),
    the iteration simply ends and the caller raises the failure.
    """
    with receive:
        async with anyio.create_task_group() as group:
            start(group)
            try:
                async for item in receive:
                    yield item
            except GeneratorExit:
                group.cancel_scope.cancel()
                return
