"""What the type checker infers for the checkpoint API (``make types`` checks
it; nothing here runs)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

from typing_extensions import assert_type

from actorgraph.store import (
    BaseCheckpointSaver,
    CheckpointTuple,
    InMemorySaver,
    RunnableConfig,
    SqliteSaver,
)
from actorgraph.store.checkpoint import ChannelVersion, WriteBehind, empty_checkpoint


async def saver_faces(saver: SqliteSaver, config: RunnableConfig) -> None:
    assert_type(await saver.aget_tuple(config), CheckpointTuple | None)
    assert_type(saver.get_tuple(config), CheckpointTuple | None)
    assert_type(saver.alist(config), AsyncIterator[CheckpointTuple])
    assert_type(saver.list(None, limit=3), Iterator[CheckpointTuple])
    stored = await saver.aput(config, empty_checkpoint(), {"step": 0}, {"a": 1})
    assert_type(stored, RunnableConfig)
    assert_type(saver.get_next_version(None, "a"), ChannelVersion)
    async with saver.write_behind(max_pending=4) as queue:
        assert_type(queue, WriteBehind)
        assert_type(await queue.put(config, empty_checkpoint(), {}, {}), RunnableConfig)


def both_savers_are_checkpointers() -> list[BaseCheckpointSaver]:
    return [InMemorySaver(), SqliteSaver()]
