"""What the store tests share: one factory fixture over both stores, a clock, embedders."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol, TypeVar

import pytest

from actorgraph.store import BaseStore, InMemoryStore, SqliteStore

StoreFactory = Callable[..., BaseStore]


class Clock:
    """A wall clock the test moves by hand (seconds since the epoch)."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, *, minutes: float) -> None:
        self.now += minutes * 60.0


class _Clocked(Protocol):
    _clock: Callable[[], float]

    def close(self) -> None: ...


C = TypeVar("C", bound=_Clocked)


def factory(
    kind: str, tmp_path: Path, memory: Callable[..., C], sqlite: Callable[..., C]
) -> Iterator[Callable[..., C]]:
    """Yield a maker of ``memory(**kw)`` or ``sqlite(fresh_file, **kw)``; close them after."""
    made: list[C] = []

    def make(**kwargs: Any) -> C:
        fresh = tmp_path / f"{len(made)}.db"
        made.append(memory(**kwargs) if kind == "memory" else sqlite(fresh, **kwargs))
        return made[-1]

    yield make
    for thing in made:
        thing.close()


@pytest.fixture(params=["memory", "sqlite"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreFactory]:
    """Builds stores of the parametrized kind; SQLite ones get a fresh file each."""
    yield from factory(request.param, tmp_path, InMemoryStore, SqliteStore)


def with_clock(thing: _Clocked) -> Clock:
    """Give a store or a cache a hand-moved clock (the one seam tests use for time)."""
    clock = Clock()
    thing._clock = clock
    return clock


KEYWORDS = ("python", "guide", "typescript", "pizza")


def keyword_embed(texts: Sequence[str]) -> list[list[float]]:
    """A deterministic embedding: one dimension per keyword present."""
    return [[float(word in text.lower()) for word in KEYWORDS] for text in texts]


async def async_keyword_embed(texts: Sequence[str]) -> list[list[float]]:
    """``keyword_embed`` as a coroutine function."""
    return keyword_embed(texts)
