"""The Pregel engine: run supervisor, node actors, superstep planning, the stream bus.

The facade (:mod:`actorgraph.graph`, :mod:`actorgraph.types`, ...) re-exports
what users write; this package is the engine's own surface.
"""

from actorgraph.actors.pregel._context import (
    get_config,
    get_runtime,
    get_store,
    get_stream_writer,
    interrupt,
)
from actorgraph.actors.pregel._managed import IsLastStep, ManagedValue, RemainingSteps
from actorgraph.actors.pregel._pregel import NodeView, Pregel
from actorgraph.actors.pregel._runtime import Runtime
from actorgraph.actors.pregel._spec import TASKS, GraphSpec, NodeSpec
from actorgraph.actors.pregel._state import StateUpdate
from actorgraph.actors.pregel._stream import RunStream
from actorgraph.actors.pregel._types import (
    All,
    CachePolicy,
    Command,
    Durability,
    Interrupt,
    PregelTask,
    RetryPolicy,
    Send,
    StateSnapshot,
    StreamMode,
    StreamWriter,
    default_cache_key,
    default_retry_on,
)

__all__ = [
    "TASKS",
    "All",
    "CachePolicy",
    "Command",
    "Durability",
    "GraphSpec",
    "Interrupt",
    "IsLastStep",
    "ManagedValue",
    "NodeSpec",
    "NodeView",
    "Pregel",
    "PregelTask",
    "RemainingSteps",
    "RetryPolicy",
    "RunStream",
    "Runtime",
    "Send",
    "StateSnapshot",
    "StateUpdate",
    "StreamMode",
    "StreamWriter",
    "default_cache_key",
    "default_retry_on",
    "get_config",
    "get_runtime",
    "get_store",
    "get_stream_writer",
    "interrupt",
]
