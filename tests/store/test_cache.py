"""The node cache: namespaced get/set with ttl and clear, on both caches and backends."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from actorgraph.errors import DatabaseError, EventLoopThreadError, SerializationError
from actorgraph.store import BaseCache, InMemoryCache, SqliteCache, SqliteStore
from actorgraph.store.serde import default_serializer
from tests.store.store_support import factory, with_clock

pytestmark = pytest.mark.anyio

CacheFactory = Callable[..., BaseCache]


@pytest.fixture(params=["memory", "sqlite"])
def make_cache(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CacheFactory]:
    yield from factory(request.param, tmp_path, InMemoryCache, SqliteCache)


NODE = ("__pregel_ns_writes", "graph", "expensive_node")


async def test_set_then_get_returns_copies_of_any_node_output(make_cache: CacheFactory) -> None:
    cache = make_cache()
    output = {
        "result": 10,
        "when": datetime.datetime(2024, 1, 2, tzinfo=datetime.timezone.utc),
        "pair": (1, "a"),
        "tags": {"x", "y"},
    }
    await cache.aset({(NODE, "k1"): (output, None), (("other",), "k1"): ([1, 2], 60)})
    found = await cache.aget([(NODE, "k1"), (NODE, "missing"), (("other",), "k1")])
    assert found == {(NODE, "k1"): output, (("other",), "k1"): [1, 2]}
    found[(NODE, "k1")]["result"] = 99  # a reader's copy is its own
    assert (await cache.aget([(NODE, "k1")]))[(NODE, "k1")]["result"] == 10
    assert await cache.aget([]) == {}


async def test_entries_expire_after_their_ttl(make_cache: CacheFactory) -> None:
    cache = make_cache()
    clock = with_clock(cache)
    await cache.aset({(NODE, "short"): ("s", 3), (NODE, "long"): ("l", None)})
    clock.now += 2.5
    assert set(await cache.aget([(NODE, "short"), (NODE, "long")])) == {
        (NODE, "short"),
        (NODE, "long"),
    }
    clock.now += 1
    assert await cache.aget([(NODE, "short"), (NODE, "long")]) == {(NODE, "long"): "l"}
    await cache.aset({(NODE, "short"): ("again", 3)})  # a later set stores it afresh
    assert await cache.aget([(NODE, "short")]) == {(NODE, "short"): "again"}


async def test_clear_by_exact_namespace_or_everything(make_cache: CacheFactory) -> None:
    cache = make_cache()
    a, ab, b = ("a",), ("a", "b"), ("b",)
    await cache.aset({(a, "k"): (1, None), (ab, "k"): (2, None), (b, "k"): (3, None)})
    await cache.aclear([a, ("nothing",)])
    assert await cache.aget([(a, "k"), (ab, "k"), (b, "k")]) == {(ab, "k"): 2, (b, "k"): 3}
    await cache.aclear()
    assert await cache.aget([(ab, "k"), (b, "k")]) == {}


async def test_bad_entries_are_refused_before_anything_is_stored(make_cache: CacheFactory) -> None:
    cache = make_cache()
    with pytest.raises(SerializationError, match=r"cache entry 'bad' in \('n',\)"):
        await cache.aset({(("n",), "good"): (1, None), (("n",), "bad"): (lambda: 1, None)})
    with pytest.raises(ValueError, match="positive number of seconds"):
        await cache.aset({(("n",), "good"): (1, 0)})
    with pytest.raises(ValueError, match=r"\(namespace, key\) pair"):
        await cache.aget(["just-a-key"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="must be a string"):
        await cache.aget([(("n",), 3)])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="tuple of strings"):
        await cache.aclear(["n"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="only strings"):
        await cache.aset({((1,), "k"): (1, None)})  # type: ignore[dict-item]
    assert await cache.aget([(("n",), "good")]) == {}


async def test_a_custom_serializer_is_used(make_cache: CacheFactory) -> None:
    seen: list[Any] = []

    class Recording:
        def dumps_typed(self, obj: Any) -> tuple[str, bytes]:
            seen.append(obj)
            return default_serializer.dumps_typed(obj)

        def loads_typed(self, data: tuple[str, bytes]) -> Any:
            return default_serializer.loads_typed(data)

    cache = make_cache(serde=Recording())
    await cache.aset({(("n",), "k"): ({"v": 1}, None)})
    assert seen == [{"v": 1}]
    assert await cache.aget([(("n",), "k")]) == {(("n",), "k"): {"v": 1}}


async def test_blocking_face_refuses_the_event_loop_thread(make_cache: CacheFactory) -> None:
    cache = make_cache()
    with pytest.raises(EventLoopThreadError, match="await aset"):
        cache.set({(("n",), "k"): (1, None)})


def test_blocking_face_from_plain_code(make_cache: CacheFactory) -> None:
    cache = make_cache()
    cache.set({(("n",), "k"): ("v", None)})
    assert cache.get([(("n",), "k")]) == {(("n",), "k"): "v"}
    cache.clear([("n",)])
    assert cache.get([(("n",), "k")]) == {}


async def test_sqlite_cache_persists_and_shares_a_file_with_the_store(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    async with SqliteCache(path) as cache, SqliteStore(path) as store:
        await cache.aset({(("node", "with.dots"), "k"): ({"out": 1}, None)})
        await store.aput(("memories",), "m", {"text": "hi"})
    async with SqliteCache(path) as again, SqliteStore(path) as store_again:
        assert await again.aget([(("node", "with.dots"), "k")]) == {
            (("node", "with.dots"), "k"): {"out": 1}
        }
        assert await store_again.aget(("memories",), "m") is not None


async def test_sqlite_cache_refuses_use_after_close(tmp_path: Path) -> None:
    cache = SqliteCache(tmp_path / "closed.db")
    await cache.aset({(("n",), "k"): (1, None)})
    await cache.aclose()
    with pytest.raises(DatabaseError, match=r"SqliteCache on .*closed\.db is closed"):
        await cache.aget([(("n",), "k")])
