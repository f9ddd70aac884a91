"""How state persists: the serializer, checkpoint savers, the store, the cache."""

from actorgraph.store._config import RunnableConfig
from actorgraph.store.base_store import (
    NOT_PROVIDED,
    BaseStore,
    GetOp,
    IndexConfig,
    Item,
    ListNamespacesOp,
    MatchCondition,
    PutOp,
    SearchItem,
    SearchOp,
    TTLConfig,
)
from actorgraph.store.cache import BaseCache, InMemoryCache, SqliteCache
from actorgraph.store.checkpoint import (
    BaseCheckpointSaver,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    InMemorySaver,
    SqliteSaver,
)
from actorgraph.store.memory_store import InMemoryStore
from actorgraph.store.sqlite_store import SqliteStore

__all__ = [
    "BaseCheckpointSaver",
    "Checkpoint",
    "CheckpointMetadata",
    "CheckpointTuple",
    "InMemorySaver",
    "RunnableConfig",
    "SqliteSaver",
]

# --- the long-term store and the node cache ---
__all__ += [
    "NOT_PROVIDED",
    "BaseCache",
    "BaseStore",
    "GetOp",
    "InMemoryCache",
    "InMemoryStore",
    "IndexConfig",
    "Item",
    "ListNamespacesOp",
    "MatchCondition",
    "PutOp",
    "SearchItem",
    "SearchOp",
    "SqliteCache",
    "SqliteStore",
    "TTLConfig",
]
