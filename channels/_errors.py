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
    "ActorCrashed",
    "ActorError",
    "ActorGraphError",
    "ActorStopped",
    "AskTimeout",
    "CheckpointError",
    "CheckpointNotFoundError",
    "DatabaseError",
    "DeadActor",
    "DeserializationError",
    "EmptyChannelError",
    "EmptyInputError",
    "ErrorCode",
    "EscalationError",
    "EventLoopThreadError",
    "GraphBubbleUp",
    "GraphInterrupt",
    "GraphRecursionError",
    "GraphValidationError",
    "InvalidMessageError",
    "InvalidNamespaceError",
    "InvalidUpdateError",
    "MailboxFull",
    "NodeError",
    "NodeInterrupt",
    "ParentCommand",
    "ResumeError",
    "RunnableConfigurationError",
    "RunnableInputError",
    "ScriptExhaustedError",
    "SerializationError",
    "SyncCalledFromAsyncError",
    "TaskNotFound",
    "UnknownNodeError",
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


# --- persistence -------------------------------------------------------------------


class DatabaseError(ActorGraphError):
    """A database file cannot be used: not an SQLite file, truncated or corrupt,
    written by a newer actorgraph, or locked for longer than the busy timeout.

    ``path`` names the file (``":memory:"`` for an in-memory database).
    """

    def __init__(self, message: str, *, path: str) -> None:
        super().__init__(message)
        self.path = path


class CheckpointError(ActorGraphError, ValueError):
    """A checkpoint cannot be written or read: a config without ``thread_id``, a
    stored blob that does not decode, a value that does not serialize.

    ``thread_id``, ``checkpoint_ns`` and ``checkpoint_id`` name the checkpoint
    when they are known; ``channel`` the channel when one is at fault.
    """

    def __init__(
        self,
        message: str,
        *,
        thread_id: str | None = None,
        checkpoint_ns: str | None = None,
        checkpoint_id: str | None = None,
        channel: str | None = None,
    ) -> None:
        super().__init__(message)
        self.thread_id = thread_id
        self.checkpoint_ns = checkpoint_ns
        self.checkpoint_id = checkpoint_id
        self.channel = channel


class EventLoopThreadError(ActorGraphError, RuntimeError):
    """A blocking (sync) method was called on a thread that runs an event loop.

    Blocking there would stall every task of the loop (or deadlock), so the call
    is refused: use the ``a``-prefixed async method with ``await`` instead.
    """


# --- the long-term store ------------------------------------------------------------


class InvalidNamespaceError(ActorGraphError, ValueError):
    """A store namespace is invalid (empty, a label with a dot, a reserved root)."""


# --- runnables ------------------------------------------------------------------------


class RunnableInputError(ActorGraphError, TypeError, ValueError):
    """A Runnable received input (or produced output) of the wrong shape or type.

    The message names the step (its name and, inside a sequence, its position)
    and what it expected. Both a ``TypeError`` and a ``ValueError``: LangChain
    raises one or the other depending on the Runnable, and code catching either
    keeps working.
    """


class RunnableConfigurationError(ActorGraphError, ValueError):
    """``config["configurable"]`` is missing a required key or names an unknown
    alternative, or a configurable field does not exist on the Runnable.

    A ``ValueError`` so code written for LangChain keeps catching it.
    """


class SyncCalledFromAsyncError(ActorGraphError, RuntimeError):
    """A sync face (``invoke``, ``batch``, ``stream``) was called from inside a
    running event loop, where it would block the loop; ``await`` the async face
    (``ainvoke``, ``abatch``, ``astream``) instead."""


# --- messages -------------------------------------------------------------------------


class InvalidMessageError(ActorGraphError, ValueError):
    """A value cannot be read as a message, or a ``RemoveMessage`` names an id that
    is not in the list. The message names the position, the value or the id."""


class ScriptExhaustedError(ActorGraphError, RuntimeError):
    """A scripted fake chat model was called more times than it has replies; the
    message says how many it had. Add replies to the script."""


# --- actors ---------------------------------------------------------------------------


class ActorError(ActorGraphError):
    """Base of the errors raised by actors, refs and supervisors."""


class MailboxFull(ActorError):  # noqa: N818 - reads as the condition, like Akka's
    """A send found the actor's mailbox full and its overflow policy is ``fail``
    (or a queued ask was pushed out under ``drop_oldest``/``drop_newest``)."""

    def __init__(self, path: str, capacity: int) -> None:
        super().__init__(
            f"mailbox of actor {path!r} is full ({capacity} messages); "
            "raise its capacity, slow the sender, or use Overflow.WAIT for backpressure"
        )
        self.path = path
        self.capacity = capacity


class ActorStopped(ActorError):  # noqa: N818 - the state the message ran into
    """The actor has stopped: it takes no more messages, and asks still queued
    when it stopped fail with this error."""

    def __init__(self, path: str, reason: str = "stopped") -> None:
        super().__init__(
            f"actor {path!r} has stopped ({reason}); watch it or join() it to learn "
            "when it goes down, and spawn a new one to continue"
        )
        self.path = path
        self.reason = reason


#: The name Akka and pykka users look for.
DeadActor = ActorStopped


class ActorCrashed(ActorError):  # noqa: N818 - what happened, as the asker sees it
    """The actor raised while handling an ask; the original exception is the
    ``__cause__`` and the actor's supervisor applies its restart strategy."""

    def __init__(self, path: str, error: BaseException) -> None:
        super().__init__(f"actor {path!r} crashed handling the request: {error!r}")
        self.path = path
        self.error = error


class AskTimeout(ActorError, TimeoutError):  # noqa: N818 - the name Akka users know
    """No reply came within the ``timeout`` given to ``ask``."""

    def __init__(self, path: str, message_type: str, timeout: float) -> None:
        super().__init__(
            f"actor {path!r} did not reply to {message_type} within {timeout} s; "
            "raise the timeout or check that the actor replies to this message"
        )
        self.path = path
        self.timeout = timeout


class EscalationError(ActorError):
    """A supervisor exceeded its restart intensity, stopped its children and gave
    up; its parent sees this as a crashed child (the root raises it out of
    ``ActorSystem``)."""

    def __init__(self, path: str, restarts: int, period: float, cause: BaseException) -> None:
        super().__init__(
            f"supervisor {path!r} gave up after {restarts} restarts within {period} s "
            f"(last failure: {cause!r}); fix the failing child or raise the "
            "supervisor's intensity/period"
        )
        self.path = path
        self.cause = cause


# --- durable execution --------------------------------------------------------------


class CheckpointNotFoundError(CheckpointError):
    """A config names a ``checkpoint_id`` the thread does not have; nothing is run
    or written. The message names the thread and the id."""


class ResumeError(ActorGraphError, ValueError):
    """``Command(resume=...)`` cannot be matched to a pending interrupt: the thread
    is not interrupted, an interrupt id is unknown, or a single value was given
    while several interrupts wait. Nothing is run or written."""


class UnknownNodeError(ActorGraphError, ValueError):
    """``update_state(..., as_node=...)`` names a node the graph does not have;
    nothing is written. The message lists the graph's nodes."""
