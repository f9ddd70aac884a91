"""Every exception actorgraph raises, in one module.

It lives in the lowest layer (``channels``) so that every layer above can raise
these types without breaking the import direction; users import them from
:mod:`actorgraph.errors`. Each message names what is wrong (node, channel, key,
field) and, where there is one, the fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from typing import Any

__all__ = [
    "ActorGraphError",
    "DeserializationError",
    "EmptyChannelError",
    "EmptyInputError",
    "ErrorCode",
    "GraphBubbleUp",
    "GraphInterrupt",
    "GraphRecursionError",
    "GraphValidationError",
    "InvalidMessageError",
    "InvalidNamespaceError",
    "InvalidUpdateError",
    "NodeError",
    "NodeInterrupt",
    "ParentCommand",
    "ScriptExhaustedError",
    "SerializationError",
    "TaskNotFound",
    "create_error_message",
]


class ErrorCode(Enum):
    """Codes appended to error messages, as LangGraph users know them."""

    GRAPH_RECURSION_LIMIT = "GRAPH_RECURSION_LIMIT"
    INVALID_CONCURRENT_GRAPH_UPDATE = "INVALID_CONCURRENT_GRAPH_UPDATE"
    INVALID_GRAPH_NODE_RETURN_VALUE = "INVALID_GRAPH_NODE_RETURN_VALUE"
    MULTIPLE_SUBGRAPHS = "MULTIPLE_SUBGRAPHS"
    INVALID_CHAT_HISTORY = "INVALID_CHAT_HISTORY"


def create_error_message(*, message: str, error_code: ErrorCode) -> str:
    """Append the troubleshooting code to ``message``."""
    return f"{message}\n(error code: {error_code.value})"


class ActorGraphError(Exception):
    """Base class of the errors actorgraph defines itself."""


# --- channels and state -------------------------------------------------------


class EmptyChannelError(ActorGraphError):
    """Raised when reading a channel that has no value yet."""


class InvalidUpdateError(ActorGraphError):
    """Raised when a channel receives an invalid set of writes.

    For example two writes to a key without a reducer in one step; the message
    names the key and suggests ``Annotated[T, reducer]``.
    """


# --- serialization --------------------------------------------------------------


class SerializationError(ActorGraphError, TypeError):
    """A value could not be encoded; the message names its path, e.g.
    ``state['messages'][3].payload: type Foo is not serializable``."""


class DeserializationError(ActorGraphError, ValueError):
    """Bytes could not be decoded: truncated or corrupt data, a newer format, or
    a type that is not registered (named in the message)."""


# --- the engine -------------------------------------------------------------------


class GraphValidationError(ActorGraphError, ValueError):
    """A graph is malformed; raised by ``compile()`` naming the node or edge."""


class GraphRecursionError(ActorGraphError, RecursionError):
    """The run reached ``recursion_limit`` supersteps without finishing.

    Raise the limit with ``config={"recursion_limit": N}`` if the graph is meant
    to run longer.
    """


class EmptyInputError(ActorGraphError):
    """The graph received no input (``invoke(None)`` on a thread with no state)."""


class TaskNotFound(ActorGraphError):  # noqa: N818 - the name users know
    """The executor could not find a task it was asked to run."""


class NodeError(ActorGraphError):
    """A node failed in a way that is the node's fault (for example it returned
    a value the engine cannot apply). ``node`` names it."""

    def __init__(self, message: str, *, node: str) -> None:
        super().__init__(message)
        self.node = node


class GraphBubbleUp(ActorGraphError):  # noqa: N818 - the name users know
    """Base of the signals that travel up through nodes to the run supervisor."""


class GraphInterrupt(GraphBubbleUp):
    """Raised inside a node by ``interrupt()``; the run pauses and the caller
    sees the interrupts. Never surfaced to the user by ``invoke``."""

    def __init__(self, interrupts: Sequence[Any] = ()) -> None:
        super().__init__(interrupts)
        self.interrupts: Sequence[Any] = interrupts


class NodeInterrupt(GraphInterrupt):
    """Deprecated spelling of ``interrupt(value)`` kept for LangGraph users."""

    def __init__(self, value: Any, id: str | None = None) -> None:
        super().__init__([value])
        self.value = value
        self.id = id


class ParentCommand(GraphBubbleUp):
    """Carries a ``Command(graph=Command.PARENT)`` from a subgraph to its parent."""

    def __init__(self, command: Any) -> None:
        super().__init__(command)
        self.command = command


# --- the long-term store ------------------------------------------------------------


class InvalidNamespaceError(ActorGraphError, ValueError):
    """A store namespace is invalid (empty, a label with a dot, a reserved root)."""


# --- messages -------------------------------------------------------------------------


class InvalidMessageError(ActorGraphError, ValueError):
    """A value cannot be read as a message, or a ``RemoveMessage`` names an id that
    is not in the list. The message names the position, the value or the id."""


class ScriptExhaustedError(ActorGraphError, RuntimeError):
    """A scripted fake chat model was called more times than it has replies; the
    message says how many it had. Add replies to the script."""
