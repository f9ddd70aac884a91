"""What the type checker infers for the long-term store and the node cache
(``make types`` checks it; nothing here runs)."""

from __future__ import annotations

from typing import Any

from typing_extensions import assert_type

from actorgraph.store import (
    BaseCache,
    BaseStore,
    GetOp,
    InMemoryStore,
    Item,
    PutOp,
    SearchItem,
    SqliteCache,
    SqliteStore,
)
from actorgraph.store.base_store import Result


async def store_faces(store: BaseStore) -> None:
    assert_type(await store.aget(("a",), "k"), Item | None)
    assert_type(store.get(("a",), "k", refresh_ttl=False), Item | None)
    assert_type(await store.asearch(("a",), query="q", filter={"n": 1}), list[SearchItem])
    assert_type(store.search(("a",), limit=3), list[SearchItem])
    assert_type(await store.aput(("a",), "k", {"v": 1}, index=False, ttl=5), None)
    assert_type(store.put(("a",), "k", {"v": 1}, ["text"]), None)
    assert_type(await store.alist_namespaces(prefix=("a", "*")), list[tuple[str, ...]])
    assert_type(store.list_namespaces(max_depth=1), list[tuple[str, ...]])
    assert_type(await store.abatch([GetOp(("a",), "k"), PutOp(("a",), "k", None)]), list[Result])
    assert_type(await store.asweep_ttl(), int)


async def stores_open_as_themselves() -> None:
    async with SqliteStore(":memory:") as sqlite:
        assert_type(sqlite, SqliteStore)
    with InMemoryStore() as memory:
        assert_type(memory, InMemoryStore)
    with SqliteStore.from_conn_string(":memory:") as conn_string:
        assert_type(conn_string, SqliteStore)


async def cache_faces(cache: BaseCache) -> None:
    key = (("node",), "k")
    assert_type(await cache.aget([key]), dict[tuple[tuple[str, ...], str], Any])
    assert_type(await cache.aset({key: ({"out": 1}, 60)}), None)
    assert_type(cache.clear([("node",)]), None)
    async with SqliteCache(":memory:") as sqlite_cache:
        assert_type(sqlite_cache, SqliteCache)
