"""A task: one node run in one superstep, with the writes it produced."""

from __future__ import annotations

import operator
from collections.abc import Callable
from contextvars import ContextVar
from hashlib import blake2b as _blake2b
from typing import TYPE_CHECKING, Any, NamedTuple

import msgspec

from actorgraph.actors.pregel._spec import NodeSpec
from actorgraph.channels.base import BaseChannel
from actorgraph.channels.binop import BinaryOperatorAggregate

if TYPE_CHECKING:
    from actorgraph.actors.pregel._run import RunSupervisor
    from actorgraph.store._config import RunnableConfig

__all__ = ["CURRENT_TASK", "PULL", "PUSH", "Task", "id_prefix", "id_with"]

PULL = "__pregel_pull"
PUSH = "__pregel_push"

CURRENT_TASK: ContextVar[Task | None] = ContextVar("actorgraph_task", default=None)
"""The task whose code is running; how get_config() and friends find their run."""


# Values a router cannot change in place: a reduction holding one is adopted as is.
_IMMUTABLE = frozenset({str, int, float, bool, bytes, type(None)})


class _Fresh(NamedTuple):
    base: BaseChannel[Any, Any, Any]
    version: Any
    values: list[Any]
    channel: BinaryOperatorAggregate[Any]
    changed: bool
    value: Any
    items: list[Any] | None


def _as_id(state: Any) -> str:
    digest: str = state.hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:]}"


def id_prefix(run: RunSupervisor, name: str, head: tuple[Any, ...]) -> Any:
    """The hash state of the id of a task of ``run`` named ``name`` whose path is
    ``(kind, *head, last)``, up to ``last``: tasks that differ only there (the
    calls of one caller) finish a copy with :func:`id_with` instead of hashing
    the whole id again. Gives what :attr:`Task.id` gives."""
    parts = (run.run_key, run.ns_str, str(run.step), name, *map(str, head))
    return _blake2b(("\x00".join(parts) + "\x00").encode(), digest_size=16)


def _task_id(run_key: str, ns_str: str, step: int, name: str, path: tuple[Any, ...]) -> str:
    if len(path) == 2 and type(path[1]) is str and type(name) is str:
        # An edge-triggered task (PULL, node) or a keyed one: one f-string
        # gives the very text the join below would.
        text = f"{run_key}\x00{ns_str}\x00{step}\x00{name}\x00{path[1]}"
    else:
        text = "\x00".join((run_key, ns_str, str(step), name, *map(str, path[1:])))
    return _as_id(_blake2b(text.encode(), digest_size=16))


# Not tracked by the collector (gc=False): a saver may keep one per write for
# good, and it holds only text and ints (Task.id_later checks), so no cycle.
class _IdLater(msgspec.Struct, frozen=True, gc=False):
    """A task id's parts; calling it makes the id."""

    run_key: str
    ns: str
    step: int
    name: str
    path: tuple[Any, ...]

    def __call__(self) -> str:
        return _task_id(self.run_key, self.ns, self.step, self.name, self.path)


def id_with(prefix: Any, last: Any) -> str:
    """The task id whose path ends in ``last``, from its :func:`id_prefix`."""
    state = prefix.copy()
    state.update(str(last).encode())
    return _as_id(state)


class Task:
    """One unit of work of a step.

    ``input`` is the state as it was at the start of the step (or a Send's
    argument); ``writes`` collects ``(channel, value)`` pairs, applied only after
    every task of the step has finished. The id and the config view are built
    on first use only: most tasks never need them.
    """

    __slots__ = (
        "_config",
        "_id",
        "cached",
        "calls",
        "done",
        "fresh",
        "input",
        "name",
        "node",
        "path",
        "run",
        "triggers",
        "writes",
    )

    def __init__(
        self,
        run: RunSupervisor,
        node: NodeSpec | None,
        name: str,
        path: tuple[Any, ...],
        triggers: tuple[str, ...],
        input: Any,
    ) -> None:
        self.run = run
        self.node = node
        self.name = name
        self.path = path
        self.triggers = triggers
        self.input = input
        self.writes: list[tuple[str, Any]] = []
        self.cached = False
        # The CallScope of the task calls this task made (task calls only).
        self.calls: Any = None
        # Set when the task's code returned (not paused, failed or cancelled).
        self.done = False
        # What read_fresh computed per key, for apply_writes to reuse (see there).
        self.fresh: dict[str, _Fresh] | None = None
        self._id: str | None = None
        self._config: RunnableConfig | None = None

    @property
    def step(self) -> int:
        """The superstep this task belongs to."""
        return self.run.step

    @property
    def id(self) -> str:
        """A deterministic id: the same run position always gives the same id."""
        if self._id is None:
            run = self.run
            self._id = _task_id(run.run_key, run.ns_str, run.step, self.name, self.path)
        return self._id

    def id_later(self) -> str | Callable[[], str]:
        """The id, or when not made yet and its parts cannot change, a call that
        makes it (the same text :attr:`id` gives): for writes a saver keeps but
        rarely reads, so most ids are never hashed."""
        if self._id is not None:
            return self._id
        run = self.run
        run_key, ns, name, path = run.run_key, run.ns_str, self.name, self.path
        # Plain ASCII text and ints only: their text cannot change before the
        # call, and encoding them cannot fail there instead of here.
        if type(name) is str and name.isascii() and run_key.isascii() and ns.isascii():
            for part in path[1:]:
                if type(part) is not int and (type(part) is not str or not part.isascii()):
                    break
            else:
                return _IdLater(run_key, ns, run.step, name, path)
        return self.id

    @property
    def checkpoint_ns(self) -> str:
        """This task's namespace: ``parent_ns|name:task_id``."""
        own = f"{self.name}:{self.id}"
        return f"{self.run.ns_str}|{own}" if self.run.ns_str else own

    @property
    def config(self) -> RunnableConfig:
        """The run's config as this task sees it (metadata names step, node, path)."""
        if self._config is None:
            self._config = self.run.task_config(self)
        return self._config

    def read_fresh(self, keys: tuple[str, ...] | list[str]) -> dict[str, Any]:
        """The state after this task's own writes, for routers; other tasks' writes unseen.

        Only the channels this task wrote are copied, so a router costs what the
        node wrote, not the size of the state. A reducer's result is kept so that
        the step can adopt it instead of reducing the same writes again (see
        :meth:`take_fresh`).
        """
        run = self.run
        channels = run.channels
        pending: dict[str, list[Any]] = {}
        for key, value in self.writes:
            pending.setdefault(key, []).append(value)
        out: dict[str, Any] = {}
        for key in keys:
            channel = channels.read(key)  # copied below before it changes
            values = pending.get(key)
            if values is not None:
                base = channel
                channel = channel.copy()
                changed = channel.update(values)
                if type(channel) is BinaryOperatorAggregate:
                    value = channel.value
                    fresh = self.fresh
                    if fresh is None:
                        fresh = self.fresh = {}
                    fresh[key] = _Fresh(
                        base,
                        run.versions.get(key, 0),
                        values,
                        channel,
                        changed,
                        value,
                        list(value) if type(value) is list else None,
                    )
            if channel.is_available():
                out[key] = channel.get()
        return out

    def take_fresh(
        self, key: str, values: list[Any], channel: BaseChannel[Any, Any, Any], version: Any
    ) -> _Fresh | None:
        """The reduction :meth:`read_fresh` made of ``key``, if applying ``values``
        to ``channel`` (at ``version``) now would give exactly it, else ``None``.

        That holds when the channel is the one read and has not changed since,
        ``values`` are the very writes reduced then (so no other task wrote the
        key: the result never depends on which task finished first), and the
        router left the value as it was (a list is compared item by item; only
        lists and values that cannot change in place are adopted).
        """
        fresh = self.fresh
        if fresh is None:
            return None
        entry = fresh.get(key)
        if (
            entry is None
            or entry.base is not channel
            or entry.version != version
            or len(entry.values) != len(values)
            or not all(map(operator.is_, entry.values, values))
            or entry.channel.value is not entry.value
        ):
            return None
        items = entry.items
        if items is not None:
            if entry.value != items:
                return None
        elif type(entry.value) not in _IMMUTABLE:
            return None
        return entry

    def __repr__(self) -> str:
        return f"Task({self.name!r}, path={self.path!r})"
