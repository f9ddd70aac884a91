"""The layered ASCII rendering behind :meth:`actorgraph._drawing.Graph.draw_ascii`.

Steps: break cycles (edges back to a node still being visited in a depth-first
walk are drawn reversed), rank nodes by longest path from the sources, split
edges that span several ranks with pass-through points, order each rank by the
mean position of its upper neighbours, then draw boxes and edges on a character
canvas. Between two ranks every bending edge gets a row of its own, so edges never
share a horizontal run.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from actorgraph._drawing import Graph

__all__ = ["render"]

_GAP = 3  # columns between boxes of one rank


@dataclass
class _Item:
    """A box, or a pass-through point of an edge that spans several ranks."""

    key: str
    label: str | None  # None for a pass-through point
    rank: int
    x: int = 0
    ports: int = 1  # the most edges meeting one side of the box

    @property
    def width(self) -> int:
        if self.label is None:
            return 1
        # Wide enough that edges meeting one side attach two columns apart.
        return max(len(self.label) + 4, 2 * self.ports + 3)

    @property
    def center(self) -> int:
        return self.x + self.width // 2


@dataclass
class _Segment:
    """One rank-to-rank piece of an edge, drawn from ``upper`` down to ``lower``."""

    upper: _Item
    lower: _Item
    conditional: bool
    arrow_down: bool  # arrow at the lower end (a forward edge's target)
    arrow_up: bool  # arrow at the upper end (an edge that closes a cycle)
    label: str | None
    up_x: int = 0  # where the segment leaves the upper item
    down_x: int = 0  # where it enters the lower item
    legend: str = ""  # how the edge is listed when its label finds no room


def render(graph: Graph) -> str:
    """Draw ``graph`` as text; an empty graph draws as an empty string."""
    if not graph.nodes:
        return ""
    order = list(graph.nodes)
    loops = {e.source for e in graph.edges if e.source == e.target}
    edges = [e for e in graph.edges if e.source != e.target]
    back = _back_edges(order, [(e.source, e.target) for e in edges])
    ranks = _ranks(
        order,
        [(t, s) if (s, t) in back else (s, t) for s, t in ((e.source, e.target) for e in edges)],
    )
    items = {
        key: _Item(key, graph.nodes[key].name + (" (loop)" if key in loops else ""), ranks[key])
        for key in order
    }
    segments: list[_Segment] = []
    for number, edge in enumerate(edges):
        reversed_ = (edge.source, edge.target) in back
        top, bottom = (edge.target, edge.source) if reversed_ else (edge.source, edge.target)
        chain = [items[top]]
        for rank in range(items[top].rank + 1, items[bottom].rank):
            point = _Item(f"\0{number}:{rank}", None, rank)
            items[point.key] = point
            chain.append(point)
        chain.append(items[bottom])
        for i, (upper, lower) in enumerate(itertools.pairwise(chain)):
            segments.append(
                _Segment(
                    upper,
                    lower,
                    edge.conditional,
                    arrow_down=not reversed_ and i == len(chain) - 2,
                    arrow_up=reversed_ and i == 0,
                    label=edge.data if i == len(chain) - 2 else None,
                    legend=f"{graph.nodes[edge.source].name}"
                    f"{' -.-> ' if edge.conditional else ' --> '}"
                    f"{graph.nodes[edge.target].name}: {edge.data}",
                )
            )
    for item in items.values():
        item.ports = max(
            sum(1 for s in segments if s.upper is item), sum(1 for s in segments if s.lower is item)
        )
    rows = _order_ranks(items, segments)
    _assign_ports(segments)
    return _draw(rows, segments)


def _back_edges(order: list[str], edges: list[tuple[str, str]]) -> set[tuple[str, str]]:
    successors: dict[str, list[str]] = {key: [] for key in order}
    has_incoming = set()
    for source, target in edges:
        successors[source].append(target)
        has_incoming.add(target)
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    back: set[tuple[str, str]] = set()
    roots = [k for k in order if k not in has_incoming] + order
    for root in roots:
        if root in state:
            continue
        state[root] = 1
        stack = [(root, iter(successors[root]))]
        while stack:
            node, pending = stack[-1]
            nxt = next(pending, None)
            if nxt is None:
                state[node] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                back.add((node, nxt))
            elif nxt not in state:
                state[nxt] = 1
                stack.append((nxt, iter(successors[nxt])))
    return back


def _ranks(order: list[str], edges: list[tuple[str, str]]) -> dict[str, int]:
    incoming = dict.fromkeys(order, 0)
    successors: dict[str, list[str]] = {key: [] for key in order}
    for source, target in edges:
        successors[source].append(target)
        incoming[target] += 1
    rank = dict.fromkeys(order, 0)
    ready = [k for k in order if incoming[k] == 0]
    while ready:
        node = ready.pop(0)
        for nxt in successors[node]:
            rank[nxt] = max(rank[nxt], rank[node] + 1)
            incoming[nxt] -= 1
            if incoming[nxt] == 0:
                ready.append(nxt)
    return rank


def _order_ranks(items: dict[str, _Item], segments: list[_Segment]) -> list[list[_Item]]:
    depth = max(item.rank for item in items.values()) + 1
    rows: list[list[_Item]] = [[] for _ in range(depth)]
    for item in items.values():
        rows[item.rank].append(item)
    uppers: dict[str, list[_Item]] = {}
    for segment in segments:
        uppers.setdefault(segment.lower.key, []).append(segment.upper)
    for rank in range(1, depth):
        position = {item.key: i for i, item in enumerate(rows[rank - 1])}
        current = {item.key: i for i, item in enumerate(rows[rank])}

        rows[rank].sort(
            key=functools.partial(_barycenter, uppers=uppers, above=position, here=current)
        )
    width = max(sum(i.width for i in row) + _GAP * (len(row) - 1) for row in rows)
    for row in rows:
        used = sum(i.width for i in row) + _GAP * (len(row) - 1)
        x = (width - used) // 2
        for item in row:
            item.x = x
            x += item.width + _GAP
    return rows


def _assign_ports(segments: list[_Segment]) -> None:
    # Edges meeting one side of a box attach at points spread along it, ordered by
    # where their other end is, so they do not run on top of each other.
    bottoms: dict[str, list[_Segment]] = {}
    tops: dict[str, list[_Segment]] = {}
    for segment in segments:
        bottoms.setdefault(segment.upper.key, []).append(segment)
        tops.setdefault(segment.lower.key, []).append(segment)
    for group in bottoms.values():
        group.sort(key=lambda s: s.lower.center)
        for i, segment in enumerate(group):
            segment.up_x = _port(segment.upper, i, len(group))
    for group in tops.values():
        group.sort(key=lambda s: s.upper.center)
        for i, segment in enumerate(group):
            segment.down_x = _port(segment.lower, i, len(group))


def _port(item: _Item, index: int, count: int) -> int:
    if item.label is None or count == 1:
        return item.center
    inner = item.width - 2
    return item.x + 1 + (index + 1) * inner // (count + 1)


def _barycenter(
    item: _Item, uppers: dict[str, list[_Item]], above: dict[str, int], here: dict[str, int]
) -> tuple[float, int]:
    seen = [above[u.key] for u in uppers.get(item.key, ()) if u.key in above]
    mean = sum(seen) / len(seen) if seen else float(here[item.key])
    return mean, here[item.key]


class _Canvas:
    def __init__(self, width: int) -> None:
        self.width = width
        self.lines: list[list[str]] = []
        self.unplaced: list[str] = []  # labels listed under the drawing

    def put(self, x: int, y: int, ch: str, *, line: bool = True) -> None:
        while len(self.lines) <= y:
            self.lines.append([" "] * self.width)
        row = self.lines[y]
        old = row[x]
        if not line or old in (" ", ch):
            row[x] = ch
        elif old not in "v^":
            row[x] = "+"

    def text(self, x: int, y: int, text: str) -> bool:
        """Write ``text`` if every cell it needs, and one on each side, is blank."""
        row = self.lines[y]
        cells = row[max(x - 1, 0) : x + len(text) + 1]
        if x + len(text) < self.width and all(c == " " for c in cells):
            row[x : x + len(text)] = list(text)
            return True
        return False

    def render(self) -> str:
        drawing = ["".join(row).rstrip() for row in self.lines]
        if self.unplaced:
            drawing += ["", *self.unplaced]
        return "\n".join(drawing)


def _draw(rows: list[list[_Item]], segments: list[_Segment]) -> str:
    width = max(i.x + i.width for row in rows for i in row) + 1
    labels = [s.label for s in segments if s.label]
    width += max((len(label) + 2 for label in labels), default=0)
    canvas = _Canvas(width)
    y = 0
    for rank, row in enumerate(rows):
        for item in row:
            _draw_item(canvas, item, y)
        y += 3
        if rank == len(rows) - 1:
            break
        below = [s for s in segments if s.upper.rank == rank]
        y = _draw_channel(canvas, below, y)
    return canvas.render()


def _draw_item(canvas: _Canvas, item: _Item, y: int) -> None:
    if item.label is None:
        for dy in range(3):
            canvas.put(item.x, y + dy, "|")
        return
    rule = "+" + "-" * (item.width - 2) + "+"
    for dx, ch in enumerate(rule):
        canvas.put(item.x + dx, y, ch, line=False)
        canvas.put(item.x + dx, y + 2, ch, line=False)
    for dx, ch in enumerate("|" + f" {item.label} ".center(item.width - 2) + "|"):
        canvas.put(item.x + dx, y + 1, ch, line=False)


def _draw_channel(canvas: _Canvas, segments: list[_Segment], y: int) -> int:
    bending = sorted((s for s in segments if s.up_x != s.down_x), key=lambda s: (s.up_x, s.down_x))
    height = len(bending) + 2
    turns = {id(segment): 1 + i for i, segment in enumerate(bending)}
    for segment in segments:
        up, down = segment.up_x, segment.down_x
        vertical, horizontal = (":", ".") if segment.conditional else ("|", "-")
        turn = turns.get(id(segment), height)
        for dy in range(height):
            if dy == turn:
                for hx in range(min(up, down), max(up, down) + 1):
                    canvas.put(hx, y + dy, "+" if hx in (up, down) else horizontal)
            else:
                canvas.put(up if dy < turn else down, y + dy, vertical)
        if segment.arrow_up:
            canvas.put(up, y, "^", line=False)
        if segment.arrow_down:
            canvas.put(down, y + height - 1, "v", line=False)
    for segment in segments:
        if segment.label and not _place_label(
            canvas, segment, y, turns.get(id(segment), height), height
        ):
            canvas.unplaced.append(segment.legend)
    return y + height


def _place_label(canvas: _Canvas, segment: _Segment, y: int, turn: int, height: int) -> bool:
    # Beside the run into the target first, then beside the turn, then beside the
    # run out of the source: the first spot with room wins.
    spots = [(segment.down_x + 2, y + dy) for dy in range(height - 1, turn, -1)]
    if turn < height:
        spots.append((max(segment.up_x, segment.down_x) + 2, y + turn))
    spots += [(segment.up_x + 2, y + dy) for dy in range(min(turn, height) - 1, -1, -1)]
    return any(canvas.text(x, row, segment.label or "") for x, row in spots)
