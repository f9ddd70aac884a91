"""Adding stream chunks together, and small async-iterator helpers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from types import TracebackType
from typing import Any, Final, Generic, TypeVar

import anyio.to_thread

__all__ = ["MISSING", "add_chunks", "aiter_one", "aiter_sync", "closing", "collect", "or_none"]

T = TypeVar("T")


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


#: Stands for "no value yet" where ``None`` is a valid value.
MISSING: Final = _Missing()


def add_chunks(left: Any, right: Any) -> Any:
    """The sum of two stream chunks, as a default ``transform`` buffers them.

    Dicts merge key by key (values of a shared key are added), everything else
    uses ``+``; chunks that cannot be added keep the later one, as a stream of
    whole values means "the latest value".
    """
    if left is MISSING:
        return right
    if isinstance(left, dict) and isinstance(right, dict):
        merged = dict(left)
        for key, value in right.items():
            merged[key] = add_chunks(merged[key], value) if key in merged else value
        return merged
    try:
        return left + right
    except TypeError:
        return right


def or_none(value: Any) -> Any:
    """``None`` for ``MISSING`` (an empty stream), else the value."""
    return None if value is MISSING else value


async def collect(stream: AsyncIterator[Any]) -> Any:
    """Add every chunk of ``stream`` together; ``MISSING`` for an empty stream."""
    total: Any = MISSING
    async for chunk in stream:
        total = add_chunks(total, chunk)
    return total


async def aiter_one(value: T) -> AsyncIterator[T]:
    """An async iterator over one value."""
    yield value


async def aiter_sync(items: Iterable[T]) -> AsyncIterator[T]:
    """Pull a sync iterator in a worker thread, one item per hop, so a slow
    producer (a generator doing I/O) does not block the event loop."""
    iterator: Iterator[T] = iter(items)
    done: Any = MISSING
    while True:
        item = await anyio.to_thread.run_sync(next, iterator, done)
        if item is MISSING:
            return
        yield item


class closing(Generic[T]):  # noqa: N801 - reads like contextlib.aclosing, which it mirrors
    """``async with closing(stream) as it``: close an async iterator on exit.

    Like :func:`contextlib.aclosing`, typed for ``AsyncIterator`` (every async
    generator is one); iterators without ``aclose`` are left alone.
    """

    __slots__ = ("iterator",)

    def __init__(self, iterator: AsyncIterator[T]) -> None:
        self.iterator = iterator

    async def __aenter__(self) -> AsyncIterator[T]:
        return self.iterator

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        close = getattr(self.iterator, "aclose", None)
        if close is not None:
            await close()
