"""How state persists: the serializer, checkpoint savers, the store, the cache."""

from actorgraph.store._config import RunnableConfig
from actorgraph.store.checkpoint import (
    BaseCheckpointSaver,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    InMemorySaver,
    SqliteSaver,
)

__all__ = [
    "BaseCheckpointSaver",
    "Checkpoint",
    "CheckpointMetadata",
    "CheckpointTuple",
    "InMemorySaver",
    "RunnableConfig",
    "SqliteSaver",
]
