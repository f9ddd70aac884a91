"""The long-term store's documented behaviour, run once per store on both backends."""

from __future__ import annotations

import sqlite3
import textwrap
import threading
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import anyio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actorgraph.errors import (
    DatabaseError,
    DeserializationError,
    EventLoopThreadError,
    InvalidNamespaceError,
    SerializationError,
)
from actorgraph.store import (
    NOT_PROVIDED,
    BaseStore,
    GetOp,
    IndexConfig,
    InMemoryStore,
    ListNamespacesOp,
    MatchCondition,
    PutOp,
    SearchItem,
    SearchOp,
    SqliteStore,
)
from actorgraph.store._portal import run_blocking
from actorgraph.store.base_store import Op, Result
from tests.store._processes import run_together
from tests.store.store_support import Clock, StoreFactory, make_store, with_clock
from tests.strategies import store_ops, store_puts, store_reads

__all__ = ["make_store"]

pytestmark = pytest.mark.anyio


# --- put / get / delete --------------------------------------------------------------


async def test_put_get_overwrite_delete(make_store: StoreFactory) -> None:
    store = make_store()
    ns = ("users", "123")
    assert await store.aget(ns, "prefs") is None
    await store.aput(ns, "prefs", {"theme": "dark"})
    item = await store.aget(ns, "prefs")
    assert item is not None
    assert (item.namespace, item.key, item.value) == (ns, "prefs", {"theme": "dark"})
    assert item.created_at.tzinfo is timezone.utc
    await store.aput(ns, "prefs", {"theme": "light"})
    again = await store.aget(ns, "prefs")
    assert again is not None
    assert again.value == {"theme": "light"}
    await store.adelete(ns, "prefs")
    assert await store.aget(ns, "prefs") is None
    await store.adelete(ns, "prefs")  # deleting what is absent is fine


async def test_created_at_survives_an_overwrite(make_store: StoreFactory) -> None:
    store = make_store()
    clock = with_clock(store)
    await store.aput(("a",), "k", {"v": 1})
    clock.advance(minutes=5)
    await store.aput(("a",), "k", {"v": 2})
    item = await store.aget(("a",), "k")
    assert item is not None
    assert item.created_at == datetime.fromtimestamp(clock.now - 300, timezone.utc)
    assert item.updated_at == datetime.fromtimestamp(clock.now, timezone.utc)
    # Deleting and writing again starts a new item.
    await store.adelete(("a",), "k")
    await store.aput(("a",), "k", {"v": 3})
    fresh = await store.aget(("a",), "k")
    assert fresh is not None
    assert fresh.created_at == fresh.updated_at


async def test_values_round_trip_as_json_copies(make_store: StoreFactory) -> None:
    store = make_store()
    value: dict[str, Any] = {
        "n": 1,
        "f": 1.5,
        "b": True,
        "none": None,
        "list": [1, "x"],
        "nested": {"a": [{}]},
    }
    await store.aput(("a",), "k", value)
    item = await store.aget(("a",), "k")
    assert item is not None
    assert item.value == value
    item.value["n"] = 99  # what a reader gets is its own copy
    value["n"] = 42  # and so is what the writer gave
    again = await store.aget(("a",), "k")
    assert again is not None
    assert again.value["n"] == 1


async def test_item_dict_shape(make_store: StoreFactory) -> None:
    store = make_store()
    await store.aput(("1", "memories"), "k1", {"food_preference": "I like pizza"})
    found = (await store.asearch(("1", "memories")))[-1].dict()
    assert found["namespace"] == ["1", "memories"]
    assert found["key"] == "k1"
    assert found["value"] == {"food_preference": "I like pizza"}
    assert datetime.fromisoformat(found["created_at"]) == datetime.fromisoformat(
        found["updated_at"]
    )
    assert found["score"] is None


@pytest.mark.parametrize(
    ("namespace", "named"),
    [
        ((), "empty"),
        (("a.b",), "'a.b'"),
        (("ok", ""), "empty label"),
        (("langgraph", "x"), "'langgraph'"),
        (("a", 3), "3"),
        ("users", "tuple of strings"),
        (("a", "*"), "wildcard"),
    ],
)
async def test_invalid_namespaces_are_refused_naming_the_label(
    make_store: StoreFactory, namespace: object, named: str
) -> None:
    store = make_store()
    with pytest.raises(InvalidNamespaceError, match=named):
        await store.aput(namespace, "k", {"v": 1})  # type: ignore[arg-type]
    with pytest.raises(InvalidNamespaceError):
        await store.aget(namespace, "k")  # type: ignore[arg-type]
    assert await store.alist_namespaces() == []


async def test_bad_keys_values_and_ttls_are_refused(make_store: StoreFactory) -> None:
    store = make_store()
    with pytest.raises(ValueError, match="non-empty string"):
        await store.aput(("a",), "", {"v": 1})
    with pytest.raises(SerializationError, match="must be a dict"):
        await store.aput(("a",), "k", ["not", "a", "dict"])  # type: ignore[arg-type]
    with pytest.raises(SerializationError, match=r"value\['deep'\]\[1\]: type 'type' is not JSON"):
        await store.aput(("a",), "k", {"deep": [1, object]})
    with pytest.raises(SerializationError, match="keys must be strings"):
        await store.aput(("a",), "k", {"deep": {1: "x"}})
    with pytest.raises(SerializationError, match=r"value\['x'\]: inf, which JSON cannot hold"):
        await store.aput(("a",), "k", {"x": float("inf")})
    with pytest.raises(SerializationError, match="nan"):
        await store.aput(("a",), "k", {"x": float("nan")})
    with pytest.raises(ValueError, match="positive number of minutes"):
        await store.aput(("a",), "k", {"v": 1}, ttl=-1)
    with pytest.raises(ValueError, match="list of field"):
        await store.aput(("a",), "k", {"v": 1}, index="text")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="non-string path"):
        await store.aput(("a",), "k", {"v": 1}, index=[1])  # type: ignore[list-item]
    assert await store.asearch(("a",)) == []


# --- search and filters ----------------------------------------------------------------


async def test_search_prefix_order_and_paging(make_store: StoreFactory) -> None:
    store = make_store()
    for i in range(15):
        await store.aput(("docs", "u1"), f"k{i:02}", {"i": i})
    await store.aput(("docs", "u2"), "other", {"i": 99})
    await store.aput(("docsx",), "sibling", {"i": -1})
    await store.aput(("elsewhere",), "x", {"i": -2})
    first = await store.asearch(("docs",))
    assert len(first) == 10  # the default limit
    assert [item.key for item in first] == [f"k{i:02}" for i in range(10)]
    assert all(isinstance(item, SearchItem) and item.score is None for item in first)
    rest = await store.asearch(("docs",), offset=10, limit=10)
    assert [item.key for item in rest] == [f"k{i:02}" for i in range(10, 15)] + ["other"]
    # Overwriting keeps an item's place; the newest item is last.
    await store.aput(("docs", "u1"), "k00", {"i": 100})
    everything = await store.asearch(("docs",), limit=100)
    assert everything[0].key == "k00"
    assert everything[-1].key == "other"
    assert [i.key for i in await store.asearch((), limit=100)][-2:] == ["sibling", "x"]
    assert await store.asearch(("docs",), limit=0) == []


async def test_filter_equality_and_operators(make_store: StoreFactory) -> None:
    store = make_store()
    await store.aput(
        ("documents", "user123"), "item789", {"title": "Another", "author": "John Doe"}
    )
    await store.aput(("documents", "user456"), "item1", {"title": "Doc", "author": "Jane", "n": 10})
    await store.aput(("documents", "user456"), "item2", {"author": "Jane", "n": 3, "tag": "x"})
    await store.aput(("other",), "x", {"author": "John Doe"})

    async def keys(**filter: object) -> list[str]:
        return [i.key for i in await store.asearch(("documents",), filter=filter)]

    assert await keys(author="John Doe") == ["item789"]
    assert await keys(n={"$gt": 6}) == ["item1"]
    assert await keys(n={"$gte": 3, "$lt": 10}) == ["item2"]
    assert await keys(n={"$lte": 3}) == ["item2"]
    assert await keys(author={"$ne": "Jane"}) == ["item789"]
    assert await keys(author={"$eq": "Jane"}, n=3) == ["item1", "item2"][1:]
    assert await keys(n={"$gt": "5"}) == []  # a string never orders against a number
    assert await keys(tag=None) == ["item789", "item1"]  # absent reads as null
    assert await keys(author="John Doe", n=1) == []


async def test_filter_on_nested_values_lists_and_bools(make_store: StoreFactory) -> None:
    store = make_store()
    await store.aput(
        ("a",), "1", {"meta": {"lang": "en", "stars": 4}, "tags": ["x", "y"], "ok": True}
    )
    await store.aput(("a",), "2", {"meta": {"lang": "fr", "stars": 2}, "tags": ["x"], "ok": 1})

    async def keys(**filter: object) -> list[str]:
        return [i.key for i in await store.asearch(("a",), filter=filter)]

    assert await keys(meta={"lang": "en"}) == ["1"]
    assert await keys(**{"meta.stars": {"$gte": 3}}) == ["1"]
    assert await keys(tags=["x", "y"]) == ["1"]
    assert await keys(tags=["x"]) == ["2"]
    assert await keys(tags=["x", True]) == []
    assert await keys(ok=True) == ["1"]  # True is not 1 in JSON
    assert await keys(ok=1) == ["2"]
    assert await keys(meta="en") == []
    assert await keys(**{"meta.lang.x": "en"}) == []  # walks into a string: nothing there
    assert await keys(ok={"$gt": False}) == ["1"]  # booleans order among themselves
    assert await keys(ok={"$lt": 2}) == ["2"]  # but never against numbers: True is left out
    with pytest.raises(ValueError, match=r"unknown operator '\$regex'.*\$eq"):
        await keys(meta={"$regex": "e"})
    with pytest.raises(ValueError, match=r"'meta.stars' uses the unknown operator 'x' beside"):
        await keys(meta={"stars": {"$gt": 1, "x": 2}})
    with pytest.raises(ValueError, match=r"'tags' uses the unknown operator '\$in'"):
        await keys(tags=[{"$in": [1]}])
    assert await keys(meta={"stars": {"$gt": 3}}) == ["1"]


async def test_filters_beyond_what_sql_can_compare(make_store: StoreFactory) -> None:
    store = make_store()
    await store.aput(("a",), "big", {"n": 2**70, "x": 1.5})
    await store.aput(("a",), "small", {"n": 1, "x": float(10**300)})
    assert [i.key for i in await store.asearch(("a",), filter={"n": 2**70})] == ["big"]
    assert [i.key for i in await store.asearch(("a",), filter={"n": {"$gt": 2**64}})] == ["big"]
    assert [i.key for i in await store.asearch(("a",), filter={"x": {"$gt": 1e299}})] == ["small"]
    everything = await store.asearch(("a",), filter={"x": {"$lt": float("inf")}})
    assert [i.key for i in everything] == ["big", "small"]


async def test_filter_pages_after_filtering(make_store: StoreFactory) -> None:
    store = make_store()
    for i in range(12):
        await store.aput(("a",), f"k{i:02}", {"even": i % 2 == 0})
    page = await store.asearch(("a",), filter={"even": True}, offset=2, limit=3)
    assert [i.key for i in page] == ["k04", "k06", "k08"]


async def test_bad_paging_is_refused(make_store: StoreFactory) -> None:
    store = make_store()
    with pytest.raises(ValueError, match="limit must be an int"):
        await store.asearch(("a",), limit=-1)
    with pytest.raises(ValueError, match="offset must be an int"):
        await store.alist_namespaces(offset=-2)
    with pytest.raises(ValueError, match="max_depth"):
        await store.alist_namespaces(max_depth=0)


# --- list_namespaces -----------------------------------------------------------------------


async def test_list_namespaces_as_documented(make_store: StoreFactory) -> None:
    store = make_store()
    for ns in [
        ("a", "b", "c"),
        ("a", "b", "d", "e"),
        ("a", "b", "d", "i"),
        ("a", "b", "f"),
        ("a", "c", "f"),
    ]:
        await store.aput(ns, "k", {"v": 1})
    assert await store.alist_namespaces(prefix=("a", "b"), max_depth=3) == [
        ("a", "b", "c"),
        ("a", "b", "d"),
        ("a", "b", "f"),
    ]
    assert await store.alist_namespaces(suffix=("f",)) == [("a", "b", "f"), ("a", "c", "f")]
    assert await store.alist_namespaces(prefix=("a", "*", "f")) == [
        ("a", "b", "f"),
        ("a", "c", "f"),
    ]
    assert await store.alist_namespaces(max_depth=2) == [("a", "b"), ("a", "c")]
    assert await store.alist_namespaces(prefix=("a",), suffix=("*", "i")) == [("a", "b", "d", "i")]
    assert await store.alist_namespaces(prefix=("a", "b", "c", "d")) == []
    assert await store.alist_namespaces(limit=2, offset=1) == [
        ("a", "b", "d", "e"),
        ("a", "b", "d", "i"),
    ]
    await store.adelete(("a", "c", "f"), "k")
    assert await store.alist_namespaces(prefix=("a", "c")) == []


# --- batch ------------------------------------------------------------------------------------


async def test_batch_runs_in_order_and_answers_in_order(make_store: StoreFactory) -> None:
    store = make_store()
    results = await store.abatch(
        [
            PutOp(("a",), "k", {"v": 1}),
            GetOp(("a",), "k"),
            SearchOp(("a",)),
            ListNamespacesOp((MatchCondition("prefix", ("a",)),)),
            PutOp(("a",), "k", None),
            GetOp(("a",), "k"),
        ]
    )
    assert results[0] is None
    first = results[1]
    assert first is not None
    assert not isinstance(first, list)
    assert first.value == {"v": 1}
    assert isinstance(results[2], list)
    assert len(results[2]) == 1
    assert results[3] == [("a",)]
    assert results[4:] == [None, None]


async def test_a_bad_op_leaves_the_whole_batch_unwritten(make_store: StoreFactory) -> None:
    store = make_store()
    with pytest.raises(SerializationError):
        await store.abatch([PutOp(("a",), "good", {"v": 1}), PutOp(("a",), "bad", {"v": {1, 2}})])
    with pytest.raises(TypeError, match="Unknown store operation"):
        await store.abatch([PutOp(("a",), "good", {"v": 1}), "get a"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="match type"):
        await store.abatch([ListNamespacesOp((MatchCondition("middle", ("a",)),))])  # type: ignore[arg-type]
    assert await store.aget(("a",), "good") is None


# --- ttl ----------------------------------------------------------------------------------------


async def test_ttl_expiry_and_refresh_on_read(make_store: StoreFactory) -> None:
    store = make_store()
    clock = with_clock(store)
    await store.aput(("a",), "short", {"v": 1}, ttl=10)
    await store.aput(("a",), "forever", {"v": 2})
    clock.advance(minutes=8)
    assert await store.aget(("a",), "short") is not None  # read: the timer restarts
    clock.advance(minutes=8)
    assert [i.key for i in await store.asearch(("a",))] == ["short", "forever"]  # restarts
    clock.advance(minutes=8)
    assert await store.aget(("a",), "short", refresh_ttl=False) is not None
    clock.advance(minutes=3)
    assert await store.aget(("a",), "short") is None
    assert [i.key for i in await store.asearch(("a",))] == ["forever"]
    await store.aput(("b",), "gone", {"v": 3}, ttl=1)
    clock.advance(minutes=2)
    assert await store.alist_namespaces() == [("a",)]


async def test_search_without_refresh_leaves_the_timer(make_store: StoreFactory) -> None:
    store = make_store()
    clock = with_clock(store)
    await store.aput(("a",), "k", {"v": 1}, ttl=10)
    clock.advance(minutes=6)
    assert len(await store.asearch(("a",), refresh_ttl=False)) == 1
    clock.advance(minutes=6)
    assert await store.asearch(("a",)) == []


async def test_ttl_defaults_and_refresh_config(make_store: StoreFactory) -> None:
    store = make_store(ttl={"default_ttl": 5, "refresh_on_read": False})
    clock = with_clock(store)
    await store.aput(("a",), "default", {"v": 1})
    await store.aput(("a",), "never", {"v": 2}, ttl=None)
    clock.advance(minutes=4)
    assert await store.aget(("a",), "default") is not None  # no refresh by config
    clock.advance(minutes=2)
    assert await store.aget(("a",), "default") is None
    assert await store.aget(("a",), "never") is not None


async def test_put_over_an_expired_item_starts_a_new_one(make_store: StoreFactory) -> None:
    store = make_store()
    clock = with_clock(store)
    await store.aput(("a",), "k", {"v": 1}, ttl=1)
    clock.advance(minutes=2)
    await store.aput(("a",), "k", {"v": 2})
    item = await store.aget(("a",), "k")
    assert item is not None
    assert item.created_at == item.updated_at


async def test_sweep_deletes_expired_items(make_store: StoreFactory) -> None:
    store = make_store()
    clock = with_clock(store)
    await store.aput(("a",), "1", {"v": 1}, ttl=1)
    await store.aput(("b", "c"), "2", {"v": 2}, ttl=3)
    await store.aput(("a",), "3", {"v": 3})
    clock.advance(minutes=2)
    assert await store.asweep_ttl() == 1
    assert await store.asweep_ttl() == 0
    clock.advance(minutes=2)
    assert await store.asweep_ttl() == 1
    assert await store.alist_namespaces() == [("a",)]


async def test_sweeper_runs_inside_async_with(make_store: StoreFactory) -> None:
    store = make_store(ttl={"sweep_interval_minutes": 0.0005})  # every 30 ms
    clock = with_clock(store)
    await store.aput(("a",), "k", {"v": 1}, ttl=1)
    clock.advance(minutes=2)
    swept = anyio.Event()
    original = store.asweep_ttl

    async def counting() -> int:
        deleted = await original()
        if deleted:
            swept.set()
        return deleted

    store.asweep_ttl = counting  # type: ignore[method-assign]
    with anyio.fail_after(5):
        async with store:
            await swept.wait()
    assert not store.stop_ttl_sweeper()  # the block ended it


async def test_sweeper_in_the_callers_task_group(make_store: StoreFactory) -> None:
    store = make_store()
    calls = 0
    twice = anyio.Event()
    original = store.asweep_ttl

    async def counting() -> int:
        nonlocal calls
        calls += 1
        if calls == 2:
            twice.set()
        return await original()

    store.asweep_ttl = counting  # type: ignore[method-assign]
    with pytest.raises(ValueError, match="needs an interval"):
        await store.run_ttl_sweeper()
    async with anyio.create_task_group() as tg:
        store.start_ttl_sweeper(tg, interval_minutes=0.0005)
        with anyio.fail_after(5):
            await twice.wait()
        assert store.stop_ttl_sweeper()
    assert not store.stop_ttl_sweeper()


def test_ttl_config_is_checked() -> None:
    with pytest.raises(ValueError, match="default_ttl"):
        InMemoryStore(ttl={"default_ttl": 0})
    with pytest.raises(ValueError, match="sweep_interval_minutes"):
        InMemoryStore(ttl={"sweep_interval_minutes": -1})


# --- the blocking face -----------------------------------------------------------------------


async def test_blocking_face_refuses_the_event_loop_thread(make_store: StoreFactory) -> None:
    store = make_store()
    with pytest.raises(EventLoopThreadError, match=r"await aput"):
        store.put(("a",), "k", {"v": 1})
    with pytest.raises(EventLoopThreadError, match=r"await aget"):
        store.get(("a",), "k")


async def test_blocking_face_from_a_worker_thread(make_store: StoreFactory) -> None:
    store = make_store()

    def work() -> list[str]:
        store.put(("a",), "k", {"v": 1})
        store.batch([PutOp(("a",), "j", {"v": 2})])
        return [item.key for item in store.search(("a",))]

    assert await anyio.to_thread.run_sync(work) == ["k", "j"]
    assert (await store.aget(("a",), "j")) is not None


def test_blocking_face_from_plain_code(make_store: StoreFactory) -> None:
    store = make_store(ttl={"default_ttl": 1})
    clock = with_clock(store)
    store.put(("a", "b"), "k", {"v": 1})
    item = store.get(("a", "b"), "k")
    assert item is not None
    assert item.value == {"v": 1}
    assert [i.key for i in store.search(("a",), filter={"v": 1})] == ["k"]
    assert store.list_namespaces(prefix=("a",)) == [("a", "b")]
    store.delete(("a", "b"), "k")
    assert store.get(("a", "b"), "k") is None
    store.put(("a",), "t", {"v": 2})
    clock.advance(minutes=2)
    assert store.sweep_ttl() == 1


def test_errors_raised_inside_a_worker_thread_call_pass_through() -> None:
    store = InMemoryStore()

    async def fails() -> None:
        raise RuntimeError("from the loop")

    async def main() -> None:
        def work() -> None:
            store.put(("langgraph",), "k", {"v": 1})

        with pytest.raises(InvalidNamespaceError):
            await anyio.to_thread.run_sync(work)
        with pytest.raises(RuntimeError, match="from the loop"):
            await anyio.to_thread.run_sync(run_blocking, "fails", fails)

    anyio.run(main)
    assert repr(NOT_PROVIDED) == "NOT_PROVIDED"


# --- the two stores agree ----------------------------------------------------------------


def _step(store: BaseStore, clock: Clock, op: tuple[Any, ...]) -> object:
    name, *args = op
    if name == "put":
        namespace, key, value, ttl = args
        store.put(namespace, key, value, ttl=ttl)
        return None
    if name == "delete":
        store.delete(*args)
        return None
    if name == "get":
        namespace, key, refresh = args
        item = store.get(namespace, key, refresh_ttl=refresh)
        return None if item is None else item.dict()
    if name == "search":
        prefix, filter, limit, offset, query = args
        found = store.search(prefix, query=query, filter=filter, limit=limit, offset=offset)
        return [item.dict() for item in found]
    if name == "list":
        prefix, suffix, depth = args
        return store.list_namespaces(prefix=prefix, suffix=suffix, max_depth=depth)
    if name == "advance":
        clock.advance(minutes=args[0])
        return None
    return store.sweep_ttl()


def _xy_embed(texts: Sequence[str]) -> list[list[float]]:
    return [[float(text == "x"), float(text == "y")] for text in texts]


@settings(max_examples=60)
@given(
    puts=st.lists(store_puts(), min_size=3, max_size=10),
    ops=st.lists(store_ops(), max_size=20),
    reads=st.lists(store_reads(), min_size=1, max_size=6),
)
def test_memory_and_sqlite_stores_give_the_same_answers(
    puts: list[tuple[Any, ...]], ops: list[tuple[Any, ...]], reads: list[tuple[Any, ...]]
) -> None:
    index: IndexConfig = {"dims": 2, "embed": _xy_embed, "fields": ["s"]}
    memory, sqlite = InMemoryStore(index=index), SqliteStore(index=index)
    clocks = [with_clock(memory), with_clock(sqlite)]
    try:
        for op in puts + ops + reads:
            assert _step(memory, clocks[0], op) == _step(sqlite, clocks[1], op), op
    finally:
        sqlite.close()


def test_concurrent_blocking_writers_in_threads(make_store: StoreFactory) -> None:
    store = make_store()

    def write(thread: int) -> None:
        for i in range(25):
            store.put(("t", str(thread)), f"k{i}", {"i": i})

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(store.search(("t",), limit=1000)) == 100


async def test_concurrent_writers_in_tasks(make_store: StoreFactory) -> None:
    store = make_store()
    async with anyio.create_task_group() as tg:
        for i in range(40):
            tg.start_soon(store.aput, ("a",), f"k{i}", {"i": i})
    assert sorted(i.value["i"] for i in await store.asearch(("a",), limit=100)) == list(range(40))


async def test_cancelled_put_writes_nothing(make_store: StoreFactory) -> None:
    started = anyio.Event()

    async def stuck(texts: list[str]) -> list[list[float]]:
        started.set()
        await anyio.sleep_forever()
        raise AssertionError("unreachable")

    store = make_store(index={"dims": 2, "embed": stuck})
    async with anyio.create_task_group() as tg:
        tg.start_soon(store.aput, ("a",), "k", {"text": "x"})
        await started.wait()
        tg.cancel_scope.cancel()
    assert await store.aget(("a",), "k") is None


class _DelegatingStore(BaseStore):
    """A user's store: only abatch and asweep_ttl, everything else inherited."""

    def __init__(self) -> None:
        super().__init__()
        self.inner = InMemoryStore()

    async def abatch(self, ops: Iterable[Op]) -> list[Result]:
        return await self.inner.abatch(ops)

    async def asweep_ttl(self) -> int:
        return await self.inner.asweep_ttl()


def test_a_store_implementing_only_abatch_gets_both_faces() -> None:
    store = _DelegatingStore()
    store.put(("a",), "k", {"v": 1})
    assert [i.key for i in store.search(("a",))] == ["k"]
    assert store.sweep_ttl() == 0
    store.close()

    async def main() -> None:
        async with store:
            assert await store.aget(("a",), "k") is not None
        await store.__aexit__(None, None, None)  # a second exit does nothing

    anyio.run(main)


async def test_a_failing_start_closes_what_was_opened(make_store: StoreFactory) -> None:
    store = make_store(ttl={"sweep_interval_minutes": 1})
    closed = []
    original_close = store.aclose

    async def broken(*, task_status: object = None) -> None:
        raise LookupError("sweeper cannot start")

    async def recording_close() -> None:
        closed.append(True)
        await original_close()

    store.run_ttl_sweeper = broken  # type: ignore[assignment,method-assign]
    store.aclose = recording_close  # type: ignore[method-assign]
    with pytest.raises(LookupError, match="cannot start"):
        async with store:
            raise AssertionError("unreachable")
    assert closed == [True]


# --- the SQLite file -------------------------------------------------------------------------


async def test_sqlite_store_opens_lazily_and_refuses_use_after_close(tmp_path: Path) -> None:
    path = tmp_path / "lazy.db"
    store = SqliteStore(path)
    assert not path.exists()  # nothing is opened until it is needed
    await store.asetup()
    assert path.exists()
    await store.aput(("a",), "k", {"v": 1})
    await store.aclose()
    await store.aclose()  # closing twice is fine
    with pytest.raises(DatabaseError, match=r"SqliteStore on .*lazy\.db is closed"):
        await store.aget(("a",), "k")
    reopened = SqliteStore(path)
    assert await reopened.aget(("a",), "k") is not None
    await reopened.aclose()


async def test_sqlite_store_on_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"these are not the tables you are looking for" * 100)
    store = SqliteStore(path)
    with pytest.raises(DatabaseError, match=r"notes\.txt"):
        await store.asetup()
    with pytest.raises(DatabaseError, match=r"notes\.txt"):
        await store.aput(("a",), "k", {"v": 1})
    await store.aclose()


_WORKER = textwrap.dedent(
    """
    import sys, time
    import anyio
    from actorgraph.store import SqliteCache, SqliteStore

    async def main(path, worker, start_at):
        await anyio.sleep(max(0.0, start_at - time.time()))
        async with SqliteStore(path) as store, SqliteCache(path) as cache:
            for i in range(50):
                await store.aput(("w", str(worker)), f"k{i}", {"i": i})
                await cache.aset({(("w", str(worker)), f"k{i}"): (i, None)})
            assert len(await store.asearch(("w", str(worker)), limit=100)) == 50

    anyio.run(main, sys.argv[4], int(sys.argv[1]), float(sys.argv[2]), backend=sys.argv[3])
    """
)


def test_processes_share_one_new_store_file(tmp_path: Path) -> None:
    path = tmp_path / "shared-store.db"
    run_together(_WORKER, str(path), workers=4)
    store = SqliteStore(path)
    assert store.list_namespaces() == [("w", str(worker)) for worker in range(4)]
    assert len(store.search(("w",), limit=1000)) == 200
    store.close()


def test_sqlite_store_in_plain_code_as_langgraph_users_write_it(tmp_path: Path) -> None:
    with SqliteStore.from_conn_string(tmp_path / "plain.db") as store:
        store.setup()
        store.put(("users", "123"), "prefs", {"theme": "dark"})
        item = store.get(("users", "123"), "prefs")
        assert item is not None
        assert item.value == {"theme": "dark"}
    with pytest.raises(DatabaseError, match="is closed"):
        store.get(("users", "123"), "prefs")


async def test_a_damaged_value_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "damaged.db"
    async with SqliteStore(path) as store:
        await store.aput(("a",), "k", {"v": 1})
        await store.aput(("a",), "fine", {"v": 2})
    conn = sqlite3.connect(path)
    conn.execute("UPDATE store_items SET value = '{not json' WHERE key = 'k'")
    conn.commit()
    conn.close()
    async with SqliteStore(path) as store:
        with pytest.raises(DeserializationError, match=r"\('a',\) key 'k' is not a JSON object"):
            await store.aget(("a",), "k")
        with pytest.raises(DeserializationError, match="Put the item again or delete it"):
            await store.asearch(("a",))
        await store.adelete(("a",), "k")
        assert [item.key for item in await store.asearch(("a",))] == ["fine"]
