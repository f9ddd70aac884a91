"""``get_graph`` for Runnables: steps and branches as a drawable graph."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from actorgraph._drawing import Graph, Node
from actorgraph.store._config import RunnableConfig

if TYPE_CHECKING:
    from actorgraph.runnables._base import Runnable

__all__ = ["runnable_graph"]


def _add(graph: Graph, name: str, data: Any) -> Node:
    # Ids must be unique and must not contain ":" (the drawing groups such ids as
    # subgraphs), so a repeated name gets a numeric suffix.
    node_id, count = name.replace(":", "_"), 1
    while node_id in graph.nodes:
        count += 1
        node_id = f"{name.replace(':', '_')}_{count}"
    return graph.add_node(data, node_id, name=name)


def _draw(
    graph: Graph, runnable: Runnable[Any, Any], config: RunnableConfig | None
) -> tuple[list[Node], list[Node]]:
    """Add ``runnable`` to ``graph``; return its entry nodes and exit nodes."""
    from actorgraph.runnables._binding import RunnableBinding
    from actorgraph.runnables._parallel import RunnableParallel
    from actorgraph.runnables._sequence import RunnableSequence

    if (
        isinstance(runnable, RunnableBinding)
        and type(runnable).get_graph is RunnableBinding.get_graph
    ):
        return _draw(graph, runnable.bound, config)
    if isinstance(runnable, RunnableSequence):
        entries: list[Node] = []
        exits: list[Node] = []
        for step in runnable.steps:
            first, last = _draw(graph, step, config)
            for source in exits:
                for target in first:
                    graph.add_edge(source, target)
            entries = entries or first
            exits = last
        return entries, exits
    if isinstance(runnable, RunnableParallel):
        entries, exits = [], []
        for step in runnable.steps__.values():
            first, last = _draw(graph, step, config)
            entries += first
            exits += last
        return entries, exits
    node = _add(graph, runnable.get_name(), runnable)
    return [node], [node]


def runnable_graph(runnable: Runnable[Any, Any], config: RunnableConfig | None) -> Graph:
    """The drawable graph of ``runnable``: an input node, the steps (parallel
    branches side by side), an output node. Render it with ``draw_mermaid()`` or
    ``draw_ascii()``."""
    graph = Graph()
    start = _add(graph, runnable.get_name("Input"), None)
    entries, exits = _draw(graph, runnable, config)
    end = _add(graph, runnable.get_name("Output"), None)
    for node in entries:
        graph.add_edge(start, node)
    for node in exits:
        graph.add_edge(node, end)
    return graph
