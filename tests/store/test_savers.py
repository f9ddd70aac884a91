"""Both checkpoint savers behave alike, on asyncio and trio, through both faces."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import anyio
import msgspec
import pytest
from structlog.testing import capture_logs

from actorgraph.errors import CheckpointError, EventLoopThreadError, SerializationError
from actorgraph.store import (
    BaseCheckpointSaver,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    InMemorySaver,
    RunnableConfig,
    SqliteSaver,
)
from actorgraph.store.checkpoint import TaskWrites, empty_checkpoint, new_checkpoint_id

pytestmark = pytest.mark.anyio

Saver = InMemorySaver | SqliteSaver


@pytest.fixture(params=["memory", "sqlite-memory", "sqlite-file"])
def saver(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Saver]:
    made: Saver
    if request.param == "memory":
        made = InMemorySaver()
    elif request.param == "sqlite-memory":
        made = SqliteSaver()
    else:
        made = SqliteSaver(tmp_path / "checkpoints.db")
    yield made
    if isinstance(made, SqliteSaver):
        made.close()


def config(thread_id: str, ns: str = "", checkpoint_id: str | None = None) -> RunnableConfig:
    configurable: dict[str, Any] = {"thread_id": thread_id, "checkpoint_ns": ns}
    if checkpoint_id is not None:
        configurable["checkpoint_id"] = checkpoint_id
    return {"configurable": configurable}


def checkpoint(values: dict[str, Any], versions: dict[str, Any]) -> Checkpoint:
    return msgspec.structs.replace(
        empty_checkpoint(), channel_values=values, channel_versions=versions
    )


async def put_chain(
    saver: Saver, thread_id: str, n: int, *, ns: str = "", run_id: str | None = None
) -> list[RunnableConfig]:
    """``n`` checkpoints, each the child of the previous; channel ``count`` changes
    every step, ``big`` only at the first."""
    stored: list[RunnableConfig] = []
    parent = config(thread_id, ns)
    version: Any = None
    for step in range(n):
        version = saver.get_next_version(version, "count")
        new = {"count": version}
        versions = {"count": version, "big": 1}
        if step == 0:
            new["big"] = 1
        cp = checkpoint({"count": step, "big": "x" * 1000}, versions)
        meta = CheckpointMetadata(source="loop", step=step, run_id=run_id, extra={"tag": step % 2})
        parent = await saver.aput(parent, cp, meta, new)
        stored.append(parent)
    return stored


async def all_tuples(saver: Saver, cfg: RunnableConfig | None, **kw: Any) -> list[CheckpointTuple]:
    return [t async for t in saver.alist(cfg, **kw)]


def ids(tuples: list[CheckpointTuple]) -> list[str]:
    return [t.checkpoint.id for t in tuples]


def test_savers_satisfy_the_protocol() -> None:
    assert isinstance(InMemorySaver(), BaseCheckpointSaver)
    assert isinstance(SqliteSaver(), BaseCheckpointSaver)


async def test_put_then_get(saver: Saver) -> None:
    assert await saver.aget_tuple(config("t")) is None
    first = await saver.aput(
        config("t"),
        checkpoint({"a": [1, 2], "b": None}, {"a": 1, "b": 1}),
        {"source": "input", "step": -1, "user": "ann"},
        {"a": 1, "b": 1},
    )
    assert first["configurable"]["thread_id"] == "t"
    second_cp = checkpoint({"a": [1, 2, 3], "b": None}, {"a": 2, "b": 1})
    second = await saver.aput(first, second_cp, CheckpointMetadata(source="loop", step=0), {"a": 2})

    latest = await saver.aget_tuple(config("t"))
    assert latest is not None
    assert latest.checkpoint.id == second_cp.id == second["configurable"]["checkpoint_id"]
    assert latest.checkpoint.channel_values == {"a": [1, 2, 3], "b": None}
    assert latest.checkpoint.channel_versions == {"a": 2, "b": 1}
    assert latest.parent_config == first
    assert latest.metadata.step == 0

    old = await saver.aget_tuple(first)
    assert old is not None
    assert old.checkpoint.channel_values == {"a": [1, 2], "b": None}
    assert old.parent_config is None
    assert old.metadata.get("user") == "ann"
    assert old.metadata.source == "input"
    assert await saver.aget_tuple(config("t", checkpoint_id=new_checkpoint_id())) is None
    assert await saver.aget_tuple(config("t", ns="other")) is None


async def test_empty_channels_and_removed_channels(saver: Saver) -> None:
    first = await saver.aput(
        config("t"), checkpoint({"a": 1, "b": 2}, {"a": 1, "b": 1}), {}, {"a": 1, "b": 1}
    )
    # "b" is emptied (new version, no value); "c" never had a value stored.
    cp = checkpoint({"a": 1}, {"a": 1, "b": 2, "c": 1})
    await saver.aput(first, cp, {}, {"b": 2})
    latest = await saver.aget_tuple(config("t"))
    assert latest is not None
    assert latest.checkpoint.channel_values == {"a": 1}


async def test_snapshots_do_not_change_with_the_callers_dicts(saver: Saver) -> None:
    values = {"a": 1}
    versions: dict[str, Any] = {"a": 1}
    await saver.aput(config("t"), checkpoint(values, versions), {}, {"a": 1})
    values["a"] = 2
    versions["a"] = 2
    stored = await saver.aget_tuple(config("t"))
    assert stored is not None
    assert stored.checkpoint.channel_values == {"a": 1}
    assert stored.checkpoint.channel_versions == {"a": 1}


async def test_pending_writes(saver: Saver) -> None:
    stored = await saver.aput(config("t"), checkpoint({}, {}), {}, {})
    await saver.aput_writes(stored, [("x", 1), ("y", {"k": [1]})], "task-b", "path")
    await saver.aput_writes(stored, [("x", 99)], "task-b")  # same slot: kept as it was
    await saver.aput_writes(stored, [("__error__", "boom")], "task-a")
    await saver.aput_writes(stored, [("__error__", "boom again")], "task-a")  # replaces
    got = await saver.aget_tuple(stored)
    assert got is not None
    assert got.pending_writes == [
        ("task-a", "__error__", "boom again"),
        ("task-b", "x", 1),
        ("task-b", "y", {"k": [1]}),
    ]
    child = await saver.aput(stored, checkpoint({}, {}), {}, {})
    fresh = await saver.aget_tuple(child)
    assert fresh is not None
    assert fresh.pending_writes == []


async def test_step_writes_commit_with_the_checkpoint(saver: Saver) -> None:
    parent = await saver.aput(config("t"), checkpoint({}, {}), {}, {})
    await saver.aput(
        parent,
        checkpoint({"x": 1}, {"x": 1}),
        {"source": "loop", "step": 0},
        {"x": 1},
        writes=[TaskWrites("task-1", [("x", 1)], "node"), TaskWrites("task-2", [("y", 2)])],
    )
    got = await saver.aget_tuple(parent)
    assert got is not None
    # Ordered as the engine applies them: by task path first, then task id.
    assert got.pending_writes == [("task-2", "y", 2), ("task-1", "x", 1)]


async def test_config_errors(saver: Saver) -> None:
    with pytest.raises(CheckpointError, match="thread_id"):
        await saver.aget_tuple({"configurable": {}})
    with pytest.raises(CheckpointError, match="thread_id"):
        await saver.aput({}, checkpoint({}, {}), {}, {})
    with pytest.raises(CheckpointError, match="checkpoint_id") as caught:
        await saver.aput_writes(config("t"), [("x", 1)], "task")
    assert caught.value.thread_id == "t"
    with pytest.raises(CheckpointError, match="first checkpoint"):
        await saver.aput(config("t"), checkpoint({}, {}), {}, {}, writes=[TaskWrites("t", [])])
    with pytest.raises(CheckpointError, match="metadata"):
        await saver.aput(config("t"), checkpoint({}, {}), {"step": "not a number"}, {})
    with pytest.raises(ValueError, match="keep"):
        await saver.aprune(["t"], keep=-1)
    with pytest.raises(ValueError, match="limit"):
        await all_tuples(saver, None, limit=-1)


async def test_unserializable_value_names_the_channel_and_writes_nothing(saver: Saver) -> None:
    if isinstance(saver, InMemorySaver):
        pytest.skip("the in-memory saver keeps values as they are, without encoding")
    first = await saver.aput(config("t"), checkpoint({"a": 1}, {"a": 1}), {}, {"a": 1})
    bad = checkpoint({"a": 1, "tools": {"run": print}}, {"a": 1, "tools": 1})
    with pytest.raises(SerializationError, match=r"thread 't'.*tools\['run'\]") as caught:
        await saver.aput(first, bad, {}, {"tools": 1})
    assert "nothing was written" in str(caught.value)
    with pytest.raises(SerializationError, match=r"x \(written by task t1\)"):
        await saver.aput_writes(first, [("ok", 1), ("x", object())], "t1")
    latest = await saver.aget_tuple(config("t"))
    assert latest is not None
    assert latest.checkpoint.id == first["configurable"]["checkpoint_id"]
    assert latest.pending_writes == []


async def test_list_order_filter_before_limit(saver: Saver) -> None:
    stored = await put_chain(saver, "t", 5, run_id="run-1")
    await put_chain(saver, "other", 2)
    newest_first = [c["configurable"]["checkpoint_id"] for c in reversed(stored)]

    assert ids(await all_tuples(saver, config("t"))) == newest_first
    assert ids(await all_tuples(saver, config("t"), limit=2)) == newest_first[:2]
    assert ids(await all_tuples(saver, config("t"), before=stored[2])) == newest_first[3:]
    assert ids(await all_tuples(saver, config("t"), before=stored[4], limit=1)) == [newest_first[1]]
    steps = [t.metadata.step for t in await all_tuples(saver, config("t"), filter={"tag": 1})]
    assert steps == [3, 1]
    matched = await all_tuples(saver, config("t"), filter={"source": "loop", "step": 2})
    assert [t.metadata.step for t in matched] == [2]
    assert await all_tuples(saver, config("t"), filter={"step": 99}) == []
    assert await all_tuples(saver, config("t"), filter={"run_id": "run-1", "tag": 0}) != []
    assert await all_tuples(saver, config("t"), filter={"parents": {}}) != []
    assert len(await all_tuples(saver, None)) == 7
    assert len(await all_tuples(saver, {"configurable": {"thread_id": "t"}})) == 5
    only = await all_tuples(
        saver, config("t", checkpoint_id=stored[1]["configurable"]["checkpoint_id"])
    )
    assert ids(only) == [newest_first[3]]
    assert all(t.checkpoint.channel_values["big"] == "x" * 1000 for t in only)


async def test_list_pages_through_long_histories(saver: Saver) -> None:
    stored = await put_chain(saver, "long", 150)
    listed = await all_tuples(saver, config("long"))
    assert ids(listed) == [c["configurable"]["checkpoint_id"] for c in reversed(stored)]
    assert len(await all_tuples(saver, config("long"), limit=100)) == 100
    odd = await all_tuples(saver, config("long"), filter={"tag": 1}, limit=70)
    assert len(odd) == 70
    assert all(t.metadata.get("tag") == 1 for t in odd)
    # Stopping early is fine.
    async for _ in saver.alist(config("long")):
        break


async def test_namespaces_are_separate(saver: Saver) -> None:
    await put_chain(saver, "t", 2)
    await put_chain(saver, "t", 3, ns="child:1")
    assert len(await all_tuples(saver, config("t"))) == 2
    assert len(await all_tuples(saver, config("t", ns="child:1"))) == 3
    assert len(await all_tuples(saver, {"configurable": {"thread_id": "t"}})) == 5
    await saver.aprune(["t"], keep="latest")
    assert len(await all_tuples(saver, config("t"))) == 1
    assert len(await all_tuples(saver, config("t", ns="child:1"))) == 1


async def test_delete_thread_leaves_nothing(saver: Saver) -> None:
    stored = await put_chain(saver, "t", 3)
    await saver.aput_writes(stored[-1], [("x", 1)], "task")
    await put_chain(saver, "t", 2, ns="child:1")
    await put_chain(saver, "keep", 2)
    await saver.adelete_thread("t")
    await saver.adelete_thread("never-existed")
    assert await all_tuples(saver, {"configurable": {"thread_id": "t"}}) == []
    assert len(await all_tuples(saver, config("keep"))) == 2
    if isinstance(saver, SqliteSaver) and saver.path != ":memory:":
        assert _rows(saver.path, "t") == {
            "checkpoints": 0,
            "checkpoint_blobs": 0,
            "checkpoint_writes": 0,
        }


async def test_copy_thread(saver: Saver) -> None:
    stored = await put_chain(saver, "src", 3)
    await saver.aput_writes(stored[-1], [("x", "w")], "task")
    await put_chain(saver, "src", 1, ns="child:1")
    await saver.acopy_thread("src", "dst")
    src = await all_tuples(saver, {"configurable": {"thread_id": "src"}})
    dst = await all_tuples(saver, {"configurable": {"thread_id": "dst"}})
    assert ids(src) == ids(dst)
    assert [t.checkpoint.channel_values for t in src] == [t.checkpoint.channel_values for t in dst]
    latest = await saver.aget_tuple(config("dst"))
    assert latest is not None
    assert latest.pending_writes == [("task", "x", "w")]
    assert latest.config["configurable"]["thread_id"] == "dst"
    with pytest.raises(CheckpointError, match="already has checkpoints"):
        await saver.acopy_thread("src", "dst")
    await saver.acopy_thread("nothing-here", "dst2")
    assert await all_tuples(saver, config("dst2")) == []


async def test_prune_keeps_the_newest_and_their_values(saver: Saver) -> None:
    stored = await put_chain(saver, "t", 6)
    await saver.aput_writes(stored[-1], [("x", 1)], "task")
    await put_chain(saver, "other", 3)
    await saver.aprune(["t"], keep=2)
    kept = await all_tuples(saver, config("t"))
    assert ids(kept) == [c["configurable"]["checkpoint_id"] for c in reversed(stored[-2:])]
    # "big" was stored once, at the first step, which is gone: still readable.
    assert [t.checkpoint.channel_values for t in kept] == [
        {"count": 5, "big": "x" * 1000},
        {"count": 4, "big": "x" * 1000},
    ]
    assert kept[0].pending_writes == [("task", "x", 1)]
    assert len(await all_tuples(saver, config("other"))) == 3
    await saver.aprune(["t"], keep=0)
    assert await all_tuples(saver, config("t")) == []
    await saver.aprune([], keep="latest")
    if isinstance(saver, SqliteSaver) and saver.path != ":memory:":
        assert _rows(saver.path, "t")["checkpoint_blobs"] == 0


def _aged(values: dict[str, Any], versions: dict[str, Any], ts: str) -> Checkpoint:
    return msgspec.structs.replace(checkpoint(values, versions), ts=ts)


def _days_ago(days: float, *, zone: bool = True) -> str:
    made = datetime.now(timezone.utc) - timedelta(days=days)
    return (made if zone else made.replace(tzinfo=None)).isoformat()


async def test_prune_by_age_keeps_the_newest_and_the_recent(saver: Saver) -> None:
    stamps = [_days_ago(40), _days_ago(30, zone=False), "not a time", _days_ago(20), _days_ago(0)]
    parent = config("t")
    version: Any = None
    for step, ts in enumerate(stamps):
        version = saver.get_next_version(version, "n")
        parent = await saver.aput(
            parent, _aged({"n": step}, {"n": version}, ts), {}, {"n": version}
        )
    await saver.aprune(["t"], older_than=timedelta(days=25))
    left = await all_tuples(saver, config("t"))
    assert [t.checkpoint.channel_values["n"] for t in left] == [4, 3, 2]
    await saver.aprune(["t"], keep=0, older_than=timedelta(days=10))
    left = await all_tuples(saver, config("t"))
    assert [t.checkpoint.channel_values["n"] for t in left] == [4, 2]  # an unreadable ts stays
    await saver.aprune(["t"], keep=1)  # without an age, the count alone decides
    assert [t.checkpoint.channel_values["n"] for t in await all_tuples(saver, config("t"))] == [4]


async def test_prune_by_age_keeps_an_old_latest(saver: Saver) -> None:
    old = _aged({"n": 1}, {"n": saver.get_next_version(None, "n")}, _days_ago(400))
    await saver.aput(config("t"), old, {}, {})
    await saver.aprune(["t"], older_than=timedelta(days=1))
    assert len(await all_tuples(saver, config("t"))) == 1
    await anyio.to_thread.run_sync(lambda: saver.prune(["t"], keep=0, older_than=timedelta(1)))
    assert await all_tuples(saver, config("t")) == []


@pytest.mark.parametrize("older_than", [timedelta(days=-1), 30, "30d"])
async def test_prune_refuses_a_bad_age(saver: Saver, older_than: Any) -> None:
    with pytest.raises(ValueError, match="older_than must be a timedelta >= 0"):
        await saver.aprune(["t"], older_than=older_than)


async def test_delete_for_runs(saver: Saver) -> None:
    await put_chain(saver, "t", 2, run_id="run-a")
    await put_chain(saver, "t", 1, run_id="run-b", ns="child:1")
    await put_chain(saver, "u", 2, run_id="run-b")
    await saver.adelete_for_runs(["run-b", "run-none"])
    assert len(await all_tuples(saver, config("t"))) == 2
    assert await all_tuples(saver, config("t", ns="child:1")) == []
    assert await all_tuples(saver, config("u")) == []


async def test_storage_grows_with_changes_not_steps(tmp_path: Path) -> None:
    path = tmp_path / "growth.db"
    async with SqliteSaver(path) as saver:
        await put_chain(saver, "t", 100)
        latest = await saver.aget_tuple(config("t"))
        assert latest is not None
        assert latest.checkpoint.channel_values["big"] == "x" * 1000
    counts = _rows(str(path), "t")
    # 100 checkpoints share the one stored copy of "big"; "count" is stored per change.
    assert counts == {"checkpoints": 100, "checkpoint_blobs": 101, "checkpoint_writes": 0}


async def test_reused_version_keeps_the_newest_value(saver: Saver) -> None:
    first = await saver.aput(config("t"), checkpoint({"a": "old"}, {"a": 1}), {}, {"a": 1})
    with capture_logs() as logs:
        await saver.aput(first, checkpoint({"a": "new"}, {"a": 1}), {}, {"a": 1})
        await saver.aput(first, checkpoint({"a": "new"}, {"a": 1}), {}, {"a": 1})
    latest = await saver.aget_tuple(config("t"))
    assert latest is not None
    assert latest.checkpoint.channel_values == {"a": "new"}
    if isinstance(saver, SqliteSaver):
        assert [log["event"] for log in logs] == ["checkpoint.version_reused"]
        assert logs[0]["channel"] == "a"


def test_next_versions() -> None:
    memory = InMemorySaver()
    assert memory.get_next_version(None, "c") == 1
    assert memory.get_next_version(7, "c") == 8
    sqlite = SqliteSaver()
    first = sqlite.get_next_version(None, "c")
    second = sqlite.get_next_version(first, "c")
    fork = sqlite.get_next_version(first, "c")
    assert isinstance(first, str)
    assert isinstance(second, str)
    assert first < second
    assert second != fork
    assert second.split(".")[0] == str(fork).split(".")[0]
    assert memory.get_next_version(second, "c") == 3


async def test_blocking_faces(saver: Saver) -> None:
    def plain_code() -> list[str]:
        cfg = saver.put(config("t"), checkpoint({"a": 1}, {"a": 1}), {"step": 0}, {"a": 1})
        saver.put_writes(cfg, [("a", 2)], "task")
        got = saver.get_tuple(cfg)
        assert got is not None
        assert got.pending_writes == [("task", "a", 2)]
        saver.copy_thread("t", "t2")
        saver.prune(["t2"])
        saver.delete_for_runs(["none"])
        listed = [t.checkpoint.id for t in saver.list(config("t"))]
        saver.delete_thread("t2")
        return listed

    listed = await anyio.to_thread.run_sync(plain_code)
    assert len(listed) == 1
    name = type(saver).__name__
    with pytest.raises(EventLoopThreadError, match=rf"{name}.get_tuple\(\).*aget_tuple"):
        saver.get_tuple(config("t"))
    with pytest.raises(EventLoopThreadError, match="alist"):
        next(saver.list(None))


def _rows(path: str, thread_id: str) -> dict[str, int]:
    conn = sqlite3.connect(path)
    try:
        return {
            table: conn.execute(
                f"SELECT count(*) FROM {table} WHERE thread_id = ?",  # noqa: S608 - fixed names
                (thread_id,),
            ).fetchone()[0]
            for table in ("checkpoints", "checkpoint_blobs", "checkpoint_writes")
        }
    finally:
        conn.close()


def test_public_names() -> None:
    import actorgraph.errors
    import actorgraph.store
    import actorgraph.store.checkpoint

    assert {
        "BaseCheckpointSaver",
        "Checkpoint",
        "CheckpointMetadata",
        "CheckpointTuple",
        "InMemorySaver",
        "SqliteSaver",
    } <= set(actorgraph.store.__all__)
    assert {"TaskWrites", "WriteBehind", "new_checkpoint_id", "SPECIAL_WRITE_INDEX"} <= set(
        actorgraph.store.checkpoint.__all__
    )
    assert {"CheckpointError", "DatabaseError", "EventLoopThreadError"} <= set(
        actorgraph.errors.__all__
    )
    assert issubclass(actorgraph.errors.EventLoopThreadError, RuntimeError)
    assert issubclass(actorgraph.errors.CheckpointError, ValueError)
