"""The run-scoped dependencies a node can receive: context, store, stream writer."""

from actorgraph.actors.pregel import Runtime, get_runtime

__all__ = ["Runtime", "get_runtime"]
