"""InMemorySaver's direct put (the engine's) and ``aput`` store a step's task writes
exactly as ``put_writes`` task by task does: with and without writes already stored for the
parent, with special channels and with a task named twice."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from actorgraph.store.checkpoint import InMemorySaver, TaskWrites, empty_checkpoint
from actorgraph.store.checkpoint._types import CheckpointMetadata, checkpoint_config

_TASK_WRITES = st.lists(
    st.tuples(
        st.sampled_from(["task-a", "task-b", "task-c"]),
        st.lists(
            st.tuples(
                st.sampled_from(["x", "y", "__error__", "__interrupt__", "__scheduled__"]),
                st.integers(0, 9),
            ),
            max_size=4,
        ),
        st.sampled_from(["", "p0", "p1"]),
    ),
    max_size=4,
)


def _pending(saver: InMemorySaver, checkpoint_id: str) -> list[Any]:
    found = saver.get_tuple(checkpoint_config("t", "", checkpoint_id))
    assert found is not None
    return list(found.pending_writes)


@settings(max_examples=60, deadline=None)
@given(before=_TASK_WRITES, writes=_TASK_WRITES)
def test_direct_put_stores_the_writes_aput_stores(
    before: list[tuple[str, list[tuple[str, int]], str]],
    writes: list[tuple[str, list[tuple[str, int]], str]],
) -> None:
    parent = empty_checkpoint()
    child = empty_checkpoint()
    metadata = CheckpointMetadata(source="loop", step=0)
    answers: list[Any] = []
    for direct in (False, True, None):
        saver = InMemorySaver()
        saver.put({"configurable": {"thread_id": "t", "checkpoint_ns": ""}}, parent, metadata, {})
        parent_config = checkpoint_config("t", "", parent.id)
        for task_id, task_writes, path in before:
            saver.put_writes(parent_config, task_writes, task_id, path)
        if direct:
            put = saver._owned_put()
            assert put is not None
            put("t", "", parent.id, child, metadata, [(t, list(w), p) for t, w, p in writes])
        elif direct is False:
            # The general path: the checkpoint, then each task's writes one by one.
            saver.put(parent_config, child, metadata, {})
            for task_id, task_writes, path in writes:
                saver.put_writes(parent_config, task_writes, task_id, path)
        else:
            saver.put(
                parent_config,
                child,
                metadata,
                {},
                writes=[TaskWrites(t, list(w), p) for t, w, p in writes],
            )
        answers.append((_pending(saver, parent.id), _pending(saver, child.id)))
    assert answers[0] == answers[1] == answers[2]


def test_direct_read_gives_what_get_tuple_gives() -> None:
    saver = InMemorySaver()
    metadata = CheckpointMetadata(source="loop", step=0)
    first, second = empty_checkpoint(), empty_checkpoint()
    saver.put({"configurable": {"thread_id": "t", "checkpoint_ns": ""}}, first, metadata, {})
    saver.put_writes(checkpoint_config("t", "", first.id), [("x", 1)], "task-a", "")
    saver.put(checkpoint_config("t", "", first.id), second, metadata, {})
    get = saver._owned_get()
    assert get is not None
    for thread, checkpoint_id in [("t", None), ("t", first.id), ("t", "nope"), ("u", None)]:
        config = {"configurable": {"thread_id": thread, "checkpoint_ns": ""}}
        if checkpoint_id is not None:
            config["configurable"]["checkpoint_id"] = checkpoint_id
        assert get(thread, "", checkpoint_id) == saver.get_tuple(config)  # type: ignore[arg-type]
    assert get("t", "", first.id) is not None


def test_a_saver_that_changes_get_tuple_gets_no_direct_read() -> None:
    class Counting(InMemorySaver):
        async def aget_tuple(self, config: Any) -> Any:
            return await super().aget_tuple(config)

    assert Counting()._owned_get() is None
