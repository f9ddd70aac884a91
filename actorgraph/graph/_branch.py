"""Conditional edges: a router function and the map from its answers to nodes."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any, Final, Literal, get_args, get_origin

from actorgraph.actors.pregel._node import make_node_call
from actorgraph.actors.pregel._task import Task
from actorgraph.actors.pregel._types import Send
from actorgraph.channels._errors import InvalidUpdateError

__all__ = ["END", "START", "Branch"]

START: Final = "__start__"
"""The virtual first node: edges from it receive the graph's input."""
END: Final = "__end__"
"""The virtual last node: routing to it ends that branch of the run."""


def _literal_ends(path: Callable[..., Any]) -> tuple[str, ...] | None:
    """Destinations named by a ``-> Literal[...]`` return annotation, if any."""
    target = getattr(path, "__call__", path) if not inspect.isroutine(path) else path  # noqa: B004
    try:
        hints = typing.get_type_hints(target)
    except Exception:  # noqa: BLE001 - unresolvable hints just mean "unknown"
        return None
    ret = hints.get("return")
    if ret is None:
        return None
    if get_origin(ret) is Literal:
        return tuple(str(a) for a in get_args(ret))
    return None


class Branch:
    """The router of one conditional edge.

    ``path`` gets the state as the source node left it (the source's own writes
    applied, its siblings' not) and returns a node name, ``END``, a
    :class:`Send`, or a list of those; ``path_map`` (dict) translates answers,
    a list names the possible destinations.
    """

    def __init__(
        self,
        source: str,
        path: Callable[..., Any],
        path_map: Mapping[Hashable, str] | Sequence[str] | None,
    ) -> None:
        self.source = source
        self.path = path
        self.name = getattr(path, "__name__", type(path).__name__)
        self.mapping: dict[Hashable, str] | None
        if path_map is None:
            self.mapping = None
            self.ends = _literal_ends(path)
        elif isinstance(path_map, Mapping):
            self.mapping = dict(path_map)
            self.ends = tuple(dict.fromkeys(self.mapping.values()))
        else:
            self.mapping = None
            self.ends = tuple(path_map)
        self.call = make_node_call(path, inline=True)

    def destinations(self, answer: Any) -> list[str | Send]:
        """Translate a router's answer into node names and Sends."""
        items = answer if isinstance(answer, (list, tuple)) else [answer]
        out: list[str | Send] = []
        for item in items:
            if isinstance(item, Send):
                out.append(item)
                continue
            if self.mapping is not None:
                try:
                    item = self.mapping[item]
                except (KeyError, TypeError):
                    raise InvalidUpdateError(
                        f"The router {self.name!r} of node {self.source!r} returned {item!r}, "
                        f"which its path_map does not name (keys: {list(self.mapping)!r})."
                    ) from None
            if item is None:
                continue
            if not isinstance(item, str):
                raise InvalidUpdateError(
                    f"The router {self.name!r} of node {self.source!r} returned "
                    f"{type(item).__name__} {item!r:.80}; return a node name, END, a Send, "
                    "or a list of them (or give a path_map)."
                )
            out.append(item)
        return out

    async def route(
        self, task: Task, read: tuple[str, ...], managed: tuple[tuple[str, Any], ...], mapper: Any
    ) -> list[str | Send]:
        """Run the router against ``task``'s fresh state (managed values included)."""
        state: Any = task.read_fresh(read)
        for key, value in managed:
            state[key] = value.get(task.run.step, task.run.stop)
        if mapper is not None:
            state = mapper(state)
        saved = task.input
        task.input = state
        try:
            answer = await self.call(task)
        finally:
            task.input = saved
        return self.destinations(answer)
