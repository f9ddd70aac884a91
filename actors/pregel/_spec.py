"""What the engine runs: a graph lowered to channels and nodes (built by the facade)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from actorgraph.actors.pregel._types import CachePolicy, RetryPolicy
from actorgraph.actors.pregel._views import WIDE
from actorgraph.channels.base import BaseChannel, value_is_plain
from actorgraph.channels.binop import BinaryOperatorAggregate
from actorgraph.channels.last_value import LastValue, LastValueAfterFinish

if TYPE_CHECKING:
    from actorgraph.actors.pregel._task import Task

__all__ = ["RETURN", "TASKS", "GraphSpec", "NodeSpec", "SeededWrite", "unseeded"]

# update() methods known to return False, changing nothing, when a step brings no write.
_KEEPS_ON_EMPTY = frozenset(
    {LastValue.update, LastValueAfterFinish.update, BinaryOperatorAggregate.update}
)

TASKS = "__pregel_tasks"
"""The write key of a :class:`Send`: the engine turns these into next-step tasks."""

RETURN = "__return__"
"""The write key of a task call's result (never applied to a channel)."""


class SeededWrite:
    """A write whose reducer derives what it must invent (ids) from ``seed``.

    ``seed`` names the writing task and the write's position in it, so applying
    the same task's writes again (a replay, a resume) invents the same ids, on
    whatever state they land. The updates stream and the cache see ``value``.
    """

    __slots__ = ("seed", "value")

    def __init__(self, seed: str, value: Any) -> None:
        self.seed = seed
        self.value = value

    def __repr__(self) -> str:
        return f"SeededWrite({self.seed!r}, {self.value!r})"


def unseeded(value: Any) -> Any:
    """``value`` without its :class:`SeededWrite` wrapper, if it has one."""
    return value.value if type(value) is SeededWrite else value


NodeCall = Callable[["Task"], Awaitable[Any]]
"""Runs a node's user code for one task and returns what it returned."""

NodeWriter = Callable[["Task", Any], "Awaitable[None] | None"]
"""Turns a node's return value into writes appended to ``task.writes``.

A writer that has nothing to wait for (no router to run) does its work in the
call and returns ``None``; otherwise it returns what to await to finish: one
coroutine less per task on the common path.
"""


class NodeSpec:
    """One node of a compiled graph: what triggers it, what it reads, how it runs.

    ``reads`` are the channels its state input is built from (``None``: the node
    reads nothing); ``mapper`` turns that dict into the node's input type;
    ``managed`` are ``(key, ManagedValue)`` pairs added to the input.
    """

    __slots__ = (
        "cache_policy",
        "call",
        "call_streaming",
        "managed",
        "mapper",
        "metadata",
        "name",
        "read_plan",
        "reads",
        "retry_policy",
        "triggers",
        "variants",
        "wide",
        "writer",
    )

    def __init__(
        self,
        name: str,
        *,
        triggers: Sequence[str],
        reads: Sequence[str] | None,
        call: NodeCall,
        writer: NodeWriter,
        mapper: Callable[[dict[str, Any]], Any] | None = None,
        managed: Sequence[tuple[str, Any]] = (),
        retry_policy: Sequence[RetryPolicy] = (),
        cache_policy: CachePolicy | None = None,
        metadata: Mapping[str, Any] | None = None,
        call_streaming: NodeCall | None = None,
        variants: Mapping[str, NodeCall] | None = None,
    ) -> None:
        self.name = name
        self.triggers = tuple(triggers)
        self.reads = tuple(reads) if reads is not None else None
        # ``(key, plain)`` per read key, set by the GraphSpec that knows the
        # channels: ``plain`` keys are read from the channel's value slot.
        self.read_plan: tuple[tuple[str, bool], ...] = tuple((key, False) for key in reads or ())
        # Whether the run keeps this node's view across steps (see _views.py).
        self.wide = False
        self.call = call
        # The same call wrapped for runs that stream chat-model tokens
        # (``messages`` mode); other runs skip the wrapper.
        self.call_streaming = call_streaming
        # The call as runs of a given kind make it (see RunSupervisor.call_key):
        # "messages" streams tokens, "traced" reports the node to observers.
        self.variants: dict[str, NodeCall] = dict(variants or {})
        if call_streaming is not None:
            self.variants.setdefault("messages", call_streaming)
        self.writer = writer
        self.mapper = mapper
        self.managed = tuple(managed)
        self.retry_policy = tuple(retry_policy)
        self.cache_policy = cache_policy
        self.metadata = dict(metadata or {})

    def __repr__(self) -> str:
        return f"NodeSpec({self.name!r}, triggers={self.triggers!r})"


class GraphSpec:
    """A graph as the engine sees it.

    ``channels`` are prototypes copied per run. ``map_input`` appends the writes
    of the run's input to the synthetic START task; ``output_keys`` and
    ``stream_keys`` select what ``invoke`` returns and what ``updates`` shows.
    ``single_channel`` names the one output and stream channel of a graph whose
    output, ``values`` chunks and ``updates`` are that channel's bare value
    (an entrypoint's return value) rather than a dict of keys.
    """

    def __init__(
        self,
        *,
        channels: Mapping[str, BaseChannel[Any, Any, Any]],
        nodes: Mapping[str, NodeSpec],
        map_input: Callable[[Task, Any], Awaitable[None]],
        output_keys: Sequence[str],
        stream_keys: Sequence[str],
        name: str = "LangGraph",
        single_channel: str | None = None,
    ) -> None:
        self.channels = dict(channels)
        self.single_channel = single_channel
        self.nodes = dict(nodes)
        self.map_input = map_input
        self.output_keys = tuple(output_keys)
        self.output_set = frozenset(output_keys)
        self.stream_keys = frozenset(stream_keys)
        self.name = name
        # Keys whose writes carry a seed (see SeededWrite), set by the facade;
        # pending writes restored from a checkpoint get their seed back.
        self.seeded_keys: frozenset[str] = frozenset()
        trigger_to_nodes: dict[str, list[str]] = {}
        for node in self.nodes.values():
            for trigger in node.triggers:
                trigger_to_nodes.setdefault(trigger, []).append(node.name)
        self.trigger_to_nodes = {k: tuple(sorted(v)) for k, v in trigger_to_nodes.items()}
        for node in self.nodes.values():
            node.read_plan = tuple(
                (key, key in self.channels and value_is_plain(self.channels[key]))
                for key in node.reads or ()
            )
            node.wide = len(node.read_plan) >= WIDE and all(plain for _, plain in node.read_plan)
        self.trigger_set = frozenset(self.trigger_to_nodes)
        # Only channels that override finish() can change when a run is ending;
        # calling it on the others would make the last step cost O(all channels).
        self.finish_keys = tuple(
            key
            for key, channel in self.channels.items()
            if type(channel).finish is not BaseChannel.finish
        )
        # Likewise for consume(): a trigger whose channel keeps the default is
        # not asked after every task it triggered.
        self.consume_keys = frozenset(
            key
            for key, channel in self.channels.items()
            if type(channel).consume is not BaseChannel.consume
        )
        # Channels that may change when a step passes without a write to them
        # (a one-step value): only these are revisited the step after a write.
        # Known reducers that ignore an empty update are left out by identity of
        # their update method; any other channel is revisited, as before.
        self.step_scoped = frozenset(
            key
            for key, channel in self.channels.items()
            if type(channel).update not in _KEEPS_ON_EMPTY
        )
        # Channels whose value is their ``value`` slot, for readers of many keys.
        self.plain_keys = frozenset(
            key for key, channel in self.channels.items() if value_is_plain(channel)
        )
