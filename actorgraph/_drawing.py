"""A drawable view of a graph: nodes, edges, and two renderings.

Compiled graphs (``get_graph()``) and Runnables build a :class:`Graph`, then
render it with :meth:`Graph.draw_mermaid` (Mermaid text, as LangGraph prints it)
or :meth:`Graph.draw_ascii` (a layered box drawing for terminals, no extra
dependency). Nothing here does I/O.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Edge", "Graph", "Node"]


@dataclass(frozen=True)
class Node:
    """A node of the drawing: ``id`` is unique, ``name`` is what is shown."""

    id: str
    name: str
    data: Any = None
    metadata: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Edge:
    """An edge; ``conditional`` edges are drawn dotted, ``data`` is the label."""

    source: str
    target: str
    data: str | None = None
    conditional: bool = False


_MERMAID_STYLES = (
    "\tclassDef default fill:#f2f0ff,line-height:1.2\n"
    "\tclassDef first fill-opacity:0\n"
    "\tclassDef last fill:#bfb6fc\n"
)
_NO_IMAGES = (
    "{method}() is not available: actorgraph draws graphs as text only; use "
    "print(graph.draw_mermaid()) and paste it into a Mermaid viewer, or graph.draw_ascii()"
)
_SAFE_ID = re.compile(r"[^A-Za-z0-9_-]")
_PLAIN_LABEL = re.compile(r"[A-Za-z0-9_\- .]*")


@dataclass
class Graph:
    """Nodes by id (in insertion order) and edges (in insertion order)."""

    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)

    def add_node(
        self,
        data: Any = None,
        id: str | None = None,
        *,
        name: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> Node:
        """Add a node; ``id`` defaults to ``name``, then to the next free number.

        Raises ``ValueError`` when the id is taken.
        """
        node_id = id if id is not None else name if name is not None else str(len(self.nodes))
        if node_id in self.nodes:
            raise ValueError(f"graph drawing: node id {node_id!r} is already used")
        node = Node(node_id, name if name is not None else node_id, data, metadata)
        self.nodes[node_id] = node
        return node

    def add_edge(
        self,
        source: Node | str,
        target: Node | str,
        data: str | None = None,
        conditional: bool = False,
    ) -> Edge:
        """Add an edge between two existing nodes; raises ``ValueError`` naming an
        unknown end."""
        ends = [n.id if isinstance(n, Node) else n for n in (source, target)]
        for end in ends:
            if end not in self.nodes:
                raise ValueError(f"graph drawing: edge end {end!r} is not a node")
        edge = Edge(ends[0], ends[1], data, conditional)
        self.edges.append(edge)
        return edge

    def first_node(self) -> Node | None:
        """The one node without incoming edges, if exactly one has none."""
        targets = {e.target for e in self.edges if e.source != e.target}
        found = [n for n in self.nodes.values() if n.id not in targets]
        return found[0] if len(found) == 1 else None

    def last_node(self) -> Node | None:
        """The one node without outgoing edges, if exactly one has none."""
        sources = {e.source for e in self.edges if e.source != e.target}
        found = [n for n in self.nodes.values() if n.id not in sources]
        return found[0] if len(found) == 1 else None

    def to_json(self) -> dict[str, Any]:
        """Nodes and edges as plain data (the ``data`` of nodes is left out)."""
        return {
            "nodes": [{"id": n.id, "name": n.name} for n in self.nodes.values()],
            "edges": [
                {
                    "source": e.source,
                    "target": e.target,
                    "data": e.data,
                    "conditional": e.conditional,
                }
                for e in self.edges
            ],
        }

    # --- Mermaid ------------------------------------------------------------------

    def draw_mermaid(self, *, with_styles: bool = True, curve_style: str = "linear") -> str:
        """Mermaid flowchart text: the init line, ``graph TD;``, one line per node
        (the first node as a stadium with class ``first``, the last with class
        ``last``), one per edge (``-->``, or dotted ``-.->`` when conditional, with
        the label inline), then the three ``classDef`` lines. Node ids with a
        ``prefix:`` (subgraph nodes) are grouped in ``subgraph prefix`` blocks.
        """
        first, last = self.first_node(), self.last_node()
        out = [f"%%{{init: {{'flowchart': {{'curve': '{curve_style}'}}}}}}%%\ngraph TD;\n"]
        groups: dict[str, list[Node]] = {}
        for node in self.nodes.values():
            if node is not first and node is not last:
                groups.setdefault(node.id.rpartition(":")[0], []).append(node)
        top = [first] if first is not None else []
        top += groups.pop("", []) + ([last] if last is not None and last is not first else [])
        out += [_mermaid_node(n, first, last) for n in top]
        for prefix, members in groups.items():
            out.append(f"\tsubgraph {prefix}\n")
            out += [_mermaid_node(n, first, last) for n in members]
            out.append("\tend\n")
        for edge in self.edges:
            if edge.conditional:
                arrow = f" -. &nbsp;{edge.data}&nbsp; .-> " if edge.data else " -.-> "
            else:
                arrow = f" -- &nbsp;{edge.data}&nbsp; --> " if edge.data else " --> "
            out.append(f"\t{_safe_id(edge.source)}{arrow}{_safe_id(edge.target)};\n")
        if with_styles:
            out.append(_MERMAID_STYLES)
        return "".join(out)

    def draw_mermaid_png(self, *args: Any, **kwargs: Any) -> bytes:
        """Not offered: rendering Mermaid to PNG needs a browser or a web service.

        Always raises ``NotImplementedError``; print :meth:`draw_mermaid` and paste
        it into any Mermaid viewer, or use :meth:`draw_ascii` in a terminal.
        """
        raise NotImplementedError(_NO_IMAGES.format(method="draw_mermaid_png"))

    def draw_png(self, *args: Any, **kwargs: Any) -> bytes:
        """Not offered (it needs graphviz); raises ``NotImplementedError`` like
        :meth:`draw_mermaid_png`."""
        raise NotImplementedError(_NO_IMAGES.format(method="draw_png"))

    # --- ASCII ----------------------------------------------------------------------

    def draw_ascii(self) -> str:
        """A layered drawing: one row of boxes per layer, top to bottom.

        Edges run down from the lower side of a box to the top of the next
        (``|`` and ``-``, dotted ``:`` and ``.`` when conditional) and end in
        ``v``; edges that close a cycle end in ``^`` at the box they return to.
        A node with an edge to itself shows ``(loop)``. Labels are written next
        to their edge where there is room, otherwise listed under the drawing as
        ``source --> target: label``.
        """
        from actorgraph._drawing_ascii import render

        return render(self)

    def print_ascii(self) -> None:
        """Write :meth:`draw_ascii` to standard output."""
        sys.stdout.write(self.draw_ascii() + "\n")


def _safe_id(node_id: str) -> str:
    return _SAFE_ID.sub(lambda m: f"_{ord(m.group()):x}_", node_id)


def _mermaid_label(name: str) -> str:
    if _PLAIN_LABEL.fullmatch(name):
        return name
    return '"' + name.replace('"', "#quot;") + '"'


def _mermaid_node(node: Node, first: Node | None, last: Node | None) -> str:
    if node is first or node is last:
        shape = f"([<p>{node.name}</p>]):::{'first' if node is first else 'last'}"
        return f"\t{_safe_id(node.id)}{shape}\n"
    return f"\t{_safe_id(node.id)}({_mermaid_label(node.name)})\n"
