"""Node caching: look a task's writes up before running it, store them after."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from actorgraph.actors.pregel._spec import TASKS, unseeded
from actorgraph.actors.pregel._task import Task
from actorgraph.actors.pregel._types import Send

__all__ = ["NodeCache", "cache_key", "lookup", "store"]

FullKey = tuple[tuple[str, ...], str]


class NodeCache(Protocol):
    """What ``compile(cache=...)`` needs (``actorgraph.store.cache`` implements it)."""

    async def aget(self, keys: Sequence[FullKey]) -> dict[FullKey, Any]: ...

    async def aset(self, pairs: Mapping[FullKey, tuple[Any, int | float | None]]) -> None: ...

    async def aclear(self, namespaces: Sequence[tuple[str, ...]] | None = None) -> None: ...


def namespace(node: str) -> tuple[str, ...]:
    """The cache namespace of a node's entries."""
    return ("__node_writes__", node)


def cache_key(task: Task) -> FullKey | None:
    """The cache address of ``task``, or ``None`` when its node has no CachePolicy."""
    node = task.node
    policy = node.cache_policy if node is not None else None
    if policy is None:
        return None
    key = policy.key_func(task.input)
    if isinstance(key, bytes):
        key = hashlib.blake2b(key, digest_size=16).hexdigest()
    return namespace(task.name), str(key)


def _encode(writes: list[tuple[str, Any]]) -> list[list[Any]]:
    # Sends are stored as plain pairs so any serializer can keep them.
    return [[k, [v.node, v.arg] if k == TASKS else unseeded(v)] for k, v in writes]


def _decode(stored: list[list[Any]]) -> list[tuple[str, Any]]:
    return [(k, Send(v[0], v[1]) if k == TASKS else v) for k, v in stored]


async def lookup(cache: NodeCache, tasks: list[Task]) -> dict[int, FullKey]:
    """Fill the writes of tasks whose results are cached; return the keys of the others.

    The returned map (task index to key) names the tasks to store after they run.
    """
    keys: dict[int, FullKey] = {}
    for index, task in enumerate(tasks):
        key = cache_key(task)
        if key is not None:
            keys[index] = key
    if not keys:
        return keys
    hits = await cache.aget(list(dict.fromkeys(keys.values())))
    for index, key in list(keys.items()):
        stored = hits.get(key)
        if stored is not None:
            task = tasks[index]
            task.writes = _decode(stored)
            task.cached = True
            del keys[index]
    return keys


async def store(cache: NodeCache, tasks: list[Task], keys: dict[int, FullKey]) -> None:
    """Store the writes of the tasks that ran and have a CachePolicy."""
    pairs: dict[FullKey, tuple[Any, int | float | None]] = {}
    for index, key in keys.items():
        task = tasks[index]
        policy = task.node.cache_policy if task.node is not None else None
        if policy is not None:
            pairs[key] = (_encode(task.writes), policy.ttl)
    if pairs:
        await cache.aset(pairs)
