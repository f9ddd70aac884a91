"""Checkpoints: what a thread's state was after each superstep, and the savers
that keep them (:class:`InMemorySaver`, :class:`SqliteSaver`).

Most users only pass a saver to ``compile(checkpointer=...)``; the engine calls
the rest. Everything here is also exported by :mod:`actorgraph.store`.
"""

from actorgraph.store.checkpoint._base import BaseCheckpointSaver, Keep
from actorgraph.store.checkpoint._memory import InMemorySaver
from actorgraph.store.checkpoint._sqlite_saver import SqliteSaver
from actorgraph.store.checkpoint._types import (
    CHECKPOINT_FORMAT,
    SPECIAL_WRITE_INDEX,
    ChannelVersion,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointSource,
    CheckpointTuple,
    PendingWrite,
    TaskWrites,
    empty_checkpoint,
    new_checkpoint_id,
    new_checkpoint_stamp,
)
from actorgraph.store.checkpoint._write_behind import WriteBehind

__all__ = [
    "CHECKPOINT_FORMAT",
    "SPECIAL_WRITE_INDEX",
    "BaseCheckpointSaver",
    "ChannelVersion",
    "ChannelVersions",
    "Checkpoint",
    "CheckpointMetadata",
    "CheckpointSource",
    "CheckpointTuple",
    "InMemorySaver",
    "Keep",
    "PendingWrite",
    "SqliteSaver",
    "TaskWrites",
    "WriteBehind",
    "empty_checkpoint",
    "new_checkpoint_id",
    "new_checkpoint_stamp",
]
