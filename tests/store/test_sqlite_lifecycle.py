"""One lifecycle for every SQLite-backed object: ``SqliteSaver``, ``SqliteStore``
and ``SqliteCache`` each open lazily, offer blocking ``setup()`` and async
``asetup()``, ``from_conn_string``, ``with`` and ``async with`` (which open the
file on entry, so a bad file fails there), and refuse use after close."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest

from actorgraph.errors import DatabaseError, EventLoopThreadError
from actorgraph.store import InMemoryCache, SqliteCache, SqliteSaver, SqliteStore
from actorgraph.store._sqlite_threads import _registry, _registry_key
from actorgraph.store.checkpoint import Checkpoint, CheckpointMetadata, new_checkpoint_id

pytestmark = pytest.mark.anyio

KINDS: dict[str, Callable[[Any], Any]] = {
    "saver": SqliteSaver.from_conn_string,
    "store": SqliteStore.from_conn_string,
    "cache": SqliteCache.from_conn_string,
}
TABLES = {"saver": "checkpoints", "store": "store_items", "cache": "node_cache"}


@pytest.fixture(params=sorted(KINDS))
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def tables(path: Path) -> set[str]:
    import sqlite3

    with sqlite3.connect(path) as conn:
        return {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}


def is_open(path: Path) -> bool:
    return str(path.resolve()) in _registry


def not_a_database(tmp_path: Path) -> Path:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"these are not the pages of a database " * 200)
    return path


async def test_async_with_opens_on_entry_and_closes_on_exit(kind: str, tmp_path: Path) -> None:
    path = tmp_path / f"{kind}.db"
    made = KINDS[kind](path)
    assert not path.exists()  # creating it costs nothing
    async with made as entered:
        assert entered is made
        assert TABLES[kind] in tables(path)
    assert not is_open(path)
    with pytest.raises(DatabaseError, match="is closed; create a new one"):
        await made.asetup()


def test_with_opens_on_entry_and_closes_on_exit(kind: str, tmp_path: Path) -> None:
    path = tmp_path / f"{kind}.db"
    with KINDS[kind](path) as made:
        assert TABLES[kind] in tables(path)
        made.setup()  # again: harmless
    assert not is_open(path)


async def test_asetup_and_setup_open_now(kind: str, tmp_path: Path) -> None:
    path = tmp_path / f"{kind}.db"
    made = KINDS[kind](path)
    await made.asetup()
    assert TABLES[kind] in tables(path)
    with pytest.raises(EventLoopThreadError, match="asetup"):
        made.setup()
    await anyio.to_thread.run_sync(made.setup)  # plain code on a worker thread may block
    await made.aclose()
    assert not is_open(path)


async def test_a_bad_file_fails_at_entry_and_is_released(kind: str, tmp_path: Path) -> None:
    path = not_a_database(tmp_path)
    with pytest.raises(DatabaseError, match="not an SQLite database"):
        async with KINDS[kind](path):
            pytest.fail("the block must not start")
    assert not is_open(path)


def test_a_bad_file_fails_at_plain_entry_and_is_released(kind: str, tmp_path: Path) -> None:
    path = not_a_database(tmp_path)
    with pytest.raises(DatabaseError, match="not an SQLite database"), KINDS[kind](path):
        pytest.fail("the block must not start")
    assert not is_open(path)


async def test_the_memory_cache_has_both_blocks(tmp_path: Path) -> None:
    async with InMemoryCache() as cache:
        await cache.aset({(("n",), "k"): (1, None)})
        assert await cache.aget([(("n",), "k")]) == {(("n",), "k"): 1}
    made = SqliteCache(tmp_path / "cache.db")
    assert made.path == str(tmp_path / "cache.db")

    def plain() -> None:
        with InMemoryCache() as cache:
            cache.set({(("n",), "k"): ("v", 60)})
            assert cache.get([(("n",), "k")]) == {(("n",), "k"): "v"}

    await anyio.to_thread.run_sync(plain)
    await made.aclose()


async def test_a_plain_block_on_an_event_loop_is_refused(kind: str, tmp_path: Path) -> None:
    path = tmp_path / f"{kind}.db"
    made = KINDS[kind](path)
    with pytest.raises(EventLoopThreadError, match="asetup") as caught, made:
        pytest.fail("the block must not start")
    assert caught.value.__context__ is None  # refused before anything was opened
    assert not is_open(path)
    await made.aclose()


def test_live_in_memory_databases_never_share_one_file() -> None:
    # While one in-memory saver holds a checkpoint, every other one opened and
    # closed in turn must start empty: none may land on the first's database.
    first = SqliteSaver()
    config: Any = {"configurable": {"thread_id": "t", "checkpoint_ns": ""}}
    checkpoint = Checkpoint(
        id=new_checkpoint_id(),
        ts="2026-01-01T00:00:00+00:00",
        channel_values={"n": 1},
        channel_versions={"n": "1"},
    )
    first.put(config, checkpoint, CheckpointMetadata(source="input", step=-1), {"n": "1"})
    try:
        for _ in range(20):
            saver = SqliteSaver()
            try:
                assert saver.get_tuple(config) is None
            finally:
                saver.close()
        found = first.get_tuple(config)
        assert found is not None
        assert found.checkpoint.channel_values == {"n": 1}
    finally:
        first.close()


def test_in_memory_registry_keys_are_never_reused() -> None:
    keys = {_registry_key(":memory:")[0] for _ in range(100)}
    assert len(keys) == 100


def test_closing_a_file_folds_and_removes_its_log(tmp_path: Path) -> None:
    # Readers, the checkpointer and the writer all close on stop; the log must
    # be gone afterwards every time, not only when the writer happened to close last.
    config: Any = {"configurable": {"thread_id": "t", "checkpoint_ns": ""}}
    for round_ in range(10):
        path = tmp_path / f"log-{round_}.db"
        with SqliteSaver.from_conn_string(path) as saver:
            for n in range(5):
                checkpoint = Checkpoint(
                    id=new_checkpoint_id(),
                    ts="2026-01-01T00:00:00+00:00",
                    channel_values={"n": n},
                    channel_versions={"n": str(n + 1)},
                )
                meta = CheckpointMetadata(source="loop", step=n)
                config = saver.put(config, checkpoint, meta, {"n": str(n + 1)})
                assert saver.get_tuple(config) is not None
        assert not (tmp_path / f"log-{round_}.db-wal").exists()
