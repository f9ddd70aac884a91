"""How state persists: the serializer, checkpoint savers, the store, the cache."""

from actorgraph.store._config import RunnableConfig

__all__ = ["RunnableConfig"]
