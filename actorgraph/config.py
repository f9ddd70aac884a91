"""The run's configuration, and what code inside a node can reach while it runs."""

from actorgraph.actors.pregel import get_config, get_store, get_stream_writer
from actorgraph.store._config import RunnableConfig

__all__ = ["RunnableConfig", "get_config", "get_store", "get_stream_writer"]
