"""The two savers are one model: random workouts leave them with the same
histories (values, versions, metadata, parents, pending writes)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings

from actorgraph.errors import CheckpointError
from actorgraph.store import InMemorySaver, RunnableConfig, SqliteSaver
from actorgraph.store.checkpoint import Checkpoint, CheckpointMetadata, new_checkpoint_id
from tests.strategies import checkpoint_workouts

Saver = InMemorySaver | SqliteSaver


def history(saver: Saver) -> list[tuple[Any, ...]]:
    return [
        (
            t.config,
            t.checkpoint.channel_values,
            t.checkpoint.channel_versions,
            t.metadata,
            t.parent_config,
            t.pending_writes,
        )
        for t in saver.list(None)
    ]


class Workout:
    """Applies the same operations to every saver, with the same ids and versions."""

    def __init__(self, savers: list[Saver]) -> None:
        self.savers = savers
        self.counter = 0

    def apply(self, op: tuple[Any, ...]) -> None:
        outcomes = [self._apply(saver, op) for saver in self.savers]
        assert len(set(outcomes)) == 1, (op, outcomes)

    def _latest(self, thread_id: str, ns: str) -> RunnableConfig | None:
        found = self.savers[0].get_tuple(
            {"configurable": {"thread_id": thread_id, "checkpoint_ns": ns}}
        )
        return None if found is None else found.config

    def _next_version(self) -> str:
        self.counter += 1
        return f"{self.counter:08d}.v"

    def prepare_put(self, op: tuple[Any, ...]) -> tuple[Any, ...]:
        """A put as the engine makes one: from the thread's latest checkpoint,
        with new versions for the channels that change."""
        _, thread_id, ns, append, count, run = op
        latest = self.savers[0].get_tuple(
            {"configurable": {"thread_id": thread_id, "checkpoint_ns": ns}}
        )
        versions = {} if latest is None else dict(latest.checkpoint.channel_versions)
        messages = [] if latest is None else latest.checkpoint.channel_values.get("messages", [])
        new: dict[str, Any] = {"count": self._next_version()}
        if append or "messages" not in versions:
            messages = [*messages, {"n": self.counter}]
            new["messages"] = self._next_version()
        versions.update(new)
        checkpoint = Checkpoint(
            id=new_checkpoint_id(),
            ts="2026-01-01T00:00:00+00:00",
            channel_values={"messages": messages, "count": count},
            channel_versions=versions,
        )
        parent = (
            {"configurable": {"thread_id": thread_id, "checkpoint_ns": ns}}
            if latest is None
            else latest.config
        )
        meta = CheckpointMetadata(source="loop", step=self.counter, run_id=run)
        return ("put", parent, checkpoint, meta, new)

    def _apply(self, saver: Saver, op: tuple[Any, ...]) -> str:
        try:
            kind = op[0]
            if kind == "put":
                _, parent, checkpoint, meta, new = op
                saver.put(parent, checkpoint, meta, new)
            elif kind == "writes":
                _, target, task, writes, path = op
                saver.put_writes(target, writes, task, path)
            elif kind == "prune":
                saver.prune(op[1], keep=op[2])
            elif kind == "delete":
                saver.delete_thread(op[1])
            elif kind == "copy":
                saver.copy_thread(op[1], op[2])
            else:
                saver.delete_for_runs([op[1]] if op[1] else [])
        except CheckpointError as error:
            return type(error).__name__
        return "ok"


@settings(max_examples=60)
@given(checkpoint_workouts())
def test_memory_and_sqlite_savers_agree(ops: list[tuple[Any, ...]]) -> None:
    memory, sqlite = InMemorySaver(), SqliteSaver()
    workout = Workout([memory, sqlite])
    try:
        for op in ops:
            if op[0] == "put":
                op = workout.prepare_put(op)
            elif op[0] == "writes":
                target = workout._latest(op[1], op[2])
                if target is None:
                    continue
                op = ("writes", target, op[3], op[4], op[5])
            workout.apply(op)
            assert history(memory) == history(sqlite), op
    finally:
        sqlite.close()
