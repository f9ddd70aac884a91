"""Fixtures of the durable-execution tests: each runs on both savers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from actorgraph.store.checkpoint import InMemorySaver, SqliteSaver

Saver = InMemorySaver | SqliteSaver


@pytest.fixture(params=["memory", "sqlite"])
def saver(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Saver]:
    made: Saver = InMemorySaver() if request.param == "memory" else SqliteSaver(tmp_path / "t.db")
    yield made
    if isinstance(made, SqliteSaver):
        made.close()
