"""What the store tests share: one factory fixture over both stores, a clock, embedders."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

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


@pytest.fixture(params=["memory", "sqlite"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreFactory]:
    """Builds stores of the parametrized kind; SQLite ones get a fresh file each."""
    made: list[BaseStore] = []

    def make(**kwargs: Any) -> BaseStore:
        store: BaseStore
        if request.param == "memory":
            store = InMemoryStore(**kwargs)
        else:
            store = SqliteStore(tmp_path / f"store{len(made)}.db", **kwargs)
        made.append(store)
        return store

    yield make
    for store in made:
        store.close()


def with_clock(store: BaseStore) -> Clock:
    """Give ``store`` a hand-moved clock and return it."""
    clock = Clock()
    store._clock = clock
    return clock


KEYWORDS = ("python", "guide", "typescript", "pizza")


def keyword_embed(texts: Sequence[str]) -> list[list[float]]:
    """A deterministic embedding: one dimension per keyword present."""
    return [[float(word in text.lower()) for word in KEYWORDS] for text in texts]


async def async_keyword_embed(texts: Sequence[str]) -> list[list[float]]:
    """``keyword_embed`` as a coroutine function."""
    return keyword_embed(texts)
