"""InMemorySaver keeps each checkpoint as the channels it changed on its parent:
random workouts give the answers a saver that copies every checkpoint whole gives."""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings

from actorgraph.errors import CheckpointError
from actorgraph.store import InMemorySaver, RunnableConfig
from actorgraph.store.checkpoint import (
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    _memory_entries,
    empty_checkpoint,
    new_checkpoint_id,
)
from actorgraph.store.checkpoint._base import validate_keep
from actorgraph.store.checkpoint._types import (
    SPECIAL_WRITE_INDEX,
    checkpoint_config,
    config_target,
)
from tests.strategies import checkpoint_workouts


class FullCopies:
    """The reference: every checkpoint copied whole, the plainest code that does it."""

    def __init__(self) -> None:
        # (thread, ns, id) -> (checkpoint, metadata, parent id)
        self.rows: dict[tuple[str, str, str], tuple[Checkpoint, CheckpointMetadata, Any]] = {}
        # (thread, ns, id) -> {(task, slot): (task, channel, value, path)}
        self.writes: dict[tuple[str, str, str], dict[tuple[str, int], tuple[Any, ...]]] = {}

    def put(self, config: RunnableConfig, checkpoint: Checkpoint, metadata: Any) -> None:
        thread, ns, parent = config_target(config)
        copy = Checkpoint(
            id=checkpoint.id,
            ts=checkpoint.ts,
            channel_values=dict(checkpoint.channel_values),
            channel_versions=dict(checkpoint.channel_versions),
            versions_seen=dict(checkpoint.versions_seen),
            updated_channels=checkpoint.updated_channels,
        )
        self.rows[thread, ns, checkpoint.id] = (copy, metadata, parent)

    def put_writes(self, config: RunnableConfig, writes: Any, task: str, path: str) -> None:
        thread, ns, checkpoint_id = config_target(config)
        assert checkpoint_id is not None
        stored = self.writes.setdefault((thread, ns, checkpoint_id), {})
        for position, (channel, value) in enumerate(writes):
            slot = SPECIAL_WRITE_INDEX.get(channel, position)
            if slot < 0 or (task, slot) not in stored:
                stored[task, slot] = (task, channel, value, path)

    def _tuple(self, key: tuple[str, str, str]) -> tuple[Any, ...]:
        checkpoint, metadata, parent = self.rows[key]
        stored = self.writes.get(key, {})
        order = sorted(stored.items(), key=lambda item: (item[1][3], *item[0]))
        return (
            checkpoint_config(*key),
            checkpoint,
            metadata,
            None if parent is None else checkpoint_config(key[0], key[1], parent),
            [write[:3] for _, write in order],
        )

    def latest(self, thread: str, ns: str) -> tuple[Any, ...] | None:
        keys = [k for k in self.rows if k[:2] == (thread, ns)]
        return self._tuple(max(keys)) if keys else None

    def history(self) -> list[tuple[Any, ...]]:
        keys = sorted(self.rows, key=lambda k: (k[2], k[0], k[1]), reverse=True)
        return [self._tuple(k) for k in keys]

    def _drop(self, keys: list[tuple[str, str, str]]) -> None:
        for key in keys:
            del self.rows[key]
            self.writes.pop(key, None)

    def prune(self, threads: list[str], keep: Any) -> None:
        count = validate_keep(keep)
        for thread in threads:
            for ns in {k[1] for k in self.rows if k[0] == thread}:
                keys = sorted((k for k in self.rows if k[:2] == (thread, ns)), reverse=True)
                self._drop(keys[count:])

    def delete_thread(self, thread: str) -> None:
        self._drop([k for k in self.rows if k[0] == thread])
        for key in [k for k in self.writes if k[0] == thread]:
            del self.writes[key]

    def copy_thread(self, source: str, target: str) -> None:
        if any(k[0] == target for k in self.rows):
            raise CheckpointError("target has checkpoints")
        for (thread, ns, cid), row in list(self.rows.items()):
            if thread == source:
                self.rows[target, ns, cid] = row
        for (thread, ns, cid), stored in list(self.writes.items()):
            if thread == source:
                self.writes[target, ns, cid] = dict(stored)

    def delete_for_runs(self, runs: list[str]) -> None:
        self._drop([k for k, row in self.rows.items() if row[1].run_id in runs])


def _answer(found: CheckpointTuple | None) -> tuple[Any, ...] | None:
    if found is None:
        return None
    return (
        found.config,
        found.checkpoint,
        found.metadata,
        found.parent_config,
        found.pending_writes,
    )


def _copied(saver: InMemorySaver | FullCopies, source: str, target: str) -> str:
    try:
        saver.copy_thread(source, target)
    except CheckpointError:
        return "refused"
    return "ok"


class Workout:
    """Applies one workout to the delta saver and the reference. A put starts
    from the thread's latest checkpoint (or, for run "run-b", its oldest: a
    fork), appends to a list channel or replaces it, and drops the "count"
    channel when the count is 0; every other put goes the engine's way."""

    def __init__(self) -> None:
        self.saver = InMemorySaver()
        self.reference = FullCopies()
        self.counter = itertools.count()

    def _parent(self, thread: str, ns: str, fork: bool) -> tuple[Any, ...] | None:
        keys = sorted(k for k in self.reference.rows if k[:2] == (thread, ns))
        if not keys:
            return None
        return self.reference._tuple(keys[0] if fork else keys[-1])

    def put(self, thread: str, ns: str, append: bool, count: int, run: str | None) -> None:
        parent = self._parent(thread, ns, fork=run == "run-b")
        values: dict[str, Any] = {} if parent is None else dict(parent[1].channel_values)
        versions: dict[str, Any] = {} if parent is None else dict(parent[1].channel_versions)
        n = next(self.counter)
        new: dict[str, Any] = {}
        if append and "messages" in values:
            values["messages"] = [*values["messages"], n]
            new["messages"] = n
        elif not append or not values:
            values["messages"] = [n]
            new["messages"] = n
        if count:
            values["count"] = count
            new["count"] = n
        else:
            values.pop("count", None)
            versions.pop("count", None)
        versions.update(new)
        checkpoint = Checkpoint(
            id=new_checkpoint_id(),
            ts="2026-01-01T00:00:00+00:00",
            channel_values=values,
            channel_versions=versions,
            versions_seen={"node": {"messages": n}},
            updated_channels=sorted(new),
        )
        metadata = CheckpointMetadata(source="loop", step=n, run_id=run)
        config: RunnableConfig = (
            {"configurable": {"thread_id": thread, "checkpoint_ns": ns}}
            if parent is None
            else parent[0]
        )
        parent_id = config["configurable"].get("checkpoint_id")
        owned = self.saver._owned_put()
        assert owned is not None
        if n % 2:
            # The engine's way: live maps (changed afterwards) and what changed.
            owned(thread, ns, parent_id, checkpoint, metadata, [], dict(new), ("count",))
            values["scribble"] = versions["scribble"] = 1
        else:
            self.saver.put(config, checkpoint, metadata, new)
        self.reference.put(
            config,
            Checkpoint(
                id=checkpoint.id,
                ts=checkpoint.ts,
                channel_values={k: v for k, v in values.items() if k != "scribble"},
                channel_versions={k: v for k, v in versions.items() if k != "scribble"},
                versions_seen=checkpoint.versions_seen,
                updated_channels=checkpoint.updated_channels,
            ),
            metadata,
        )

    def apply(self, op: tuple[Any, ...]) -> None:
        kind = op[0]
        saver, reference = self.saver, self.reference
        if kind == "put":
            self.put(*op[1:])
        elif kind == "writes":
            _, thread, ns, task, writes, path = op
            latest = reference.latest(thread, ns)
            if latest is not None:
                saver.put_writes(latest[0], writes, task, path)
                reference.put_writes(latest[0], writes, task, path)
        elif kind == "prune":
            saver.prune(op[1], keep=op[2])
            reference.prune(op[1], op[2])
        elif kind == "delete":
            saver.delete_thread(op[1])
            reference.delete_thread(op[1])
        elif kind == "copy":
            assert _copied(saver, op[1], op[2]) == _copied(reference, op[1], op[2]), op
        else:
            runs = [op[1]] if op[1] else []
            saver.delete_for_runs(runs)
            reference.delete_for_runs(runs)

    def check(self) -> None:
        assert [_answer(t) for t in self.saver.list(None)] == self.reference.history()
        for thread, ns in {k[:2] for k in self.reference.rows}:
            config: RunnableConfig = {"configurable": {"thread_id": thread, "checkpoint_ns": ns}}
            assert _answer(self.saver.get_tuple(config)) == self.reference.latest(thread, ns)


@settings(max_examples=150, deadline=None)
@given(ops=checkpoint_workouts())
def test_delta_store_answers_as_whole_copies(ops: list[tuple[Any, ...]]) -> None:
    workout = Workout()
    for op in ops:
        workout.apply(op)
        workout.check()


@settings(max_examples=150, deadline=None)
@given(ops=checkpoint_workouts())
def test_delta_store_answers_as_whole_copies_with_short_chains(
    ops: list[tuple[Any, ...]],
) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_memory_entries, "MAX_DEPTH", 3)
        workout = Workout()
        workout.saver._rebuilds.size = 2
        for op in ops:
            workout.apply(op)
            # Reads fill the cache: check only now and then, so rebuilds start cold.
            if op[0] != "put":
                workout.check()
        workout.check()


def test_a_long_thread_is_stored_whole_now_and_then() -> None:
    saver = InMemorySaver()
    config: RunnableConfig = {"configurable": {"thread_id": "t", "checkpoint_ns": ""}}
    for step in range(2 * _memory_entries.MAX_DEPTH + 1):
        checkpoint = empty_checkpoint()
        checkpoint = Checkpoint(
            id=checkpoint.id,
            ts=checkpoint.ts,
            channel_values={"n": step, "fixed": "x"},
            channel_versions={"n": step + 1, "fixed": 1},
        )
        config = saver.put(config, checkpoint, CheckpointMetadata(step=step), {"n": step + 1})
    entries = saver._threads["t"][""].entries
    depths = [entry.depth for _, entry in sorted(entries.items())]
    assert max(depths) == _memory_entries.MAX_DEPTH - 1
    assert depths.count(0) == 3
    assert next(e.values for e in entries.values() if e.depth).keys() == {"n"}
    saver._rebuilds.clear()
    newest = saver.get_tuple(config)
    assert newest is not None
    assert newest.checkpoint.channel_values == {"n": 64, "fixed": "x"}
    # A second read is the cached rebuild itself.
    again = saver.get_tuple(config)
    assert again is not None
    assert again.checkpoint is newest.checkpoint


def test_pruning_stores_whole_what_lost_its_base() -> None:
    saver = InMemorySaver()
    config: RunnableConfig = {"configurable": {"thread_id": "t", "checkpoint_ns": ""}}
    for step in range(5):
        checkpoint = empty_checkpoint()
        checkpoint = Checkpoint(
            id=checkpoint.id,
            ts=checkpoint.ts,
            channel_values={"n": step, "fixed": "x"},
            channel_versions={"n": step + 1, "fixed": 1},
        )
        config = saver.put(config, checkpoint, CheckpointMetadata(step=step), {"n": step + 1})
    saver.prune(["t"], keep=2)
    entries = sorted(saver._threads["t"][""].entries.values(), key=lambda e: e.id)
    assert [e.depth for e in entries] == [0, 1]
    assert entries[0].base is None
    assert entries[1].base is entries[0]
    saver._rebuilds.clear()
    assert [t.checkpoint.channel_values for t in saver.list(None)] == [
        {"n": 4, "fixed": "x"},
        {"n": 3, "fixed": "x"},
    ]


def test_readme_example_runs(tmp_path: Path) -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## In-memory checkpoints as changes") :]
    start = section.index("```python\n") + len("```python\n")
    script = tmp_path / "readme_memory_deltas.py"
    script.write_text(section[start : section.index("```\n", start)], encoding="utf-8")
    subprocess.run([sys.executable, str(script)], check=True, capture_output=True, timeout=60)
