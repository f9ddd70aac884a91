"""A first graph: fan out with Send, fold with a reducer, loop until done, stream progress.

Run it with ``make demo`` (or ``python -m examples.quickstart``). A planner splits
a topic into sections, one writer per section runs in parallel (``Send``), their
drafts fold into one list (a reducer), and a reviewer loops back until every
section is long enough. Each writer reports progress on the ``custom`` stream,
drawn here as a progress bar. The run keeps its state in memory: this example
uses no checkpointer yet (the SQLite saver plugs in with ``compile(checkpointer=...)``).
"""

from __future__ import annotations

import operator
import sys
from typing import Annotated, Any, Literal

import anyio
from typing_extensions import TypedDict

from actorgraph.config import get_stream_writer
from actorgraph.graph import END, START, StateGraph
from actorgraph.graph.state import CompiledStateGraph
from actorgraph.types import Send


class Essay(TypedDict):
    topic: str
    sections: list[str]
    drafts: Annotated[list[str], operator.add]
    rounds: Annotated[int, operator.add]


class Section(TypedDict):
    topic: str
    section: str
    round: int


def plan(state: Essay) -> dict[str, Any]:
    return {"sections": ["why", "how", "what next"]}


async def write(task: Section) -> dict[str, Any]:
    progress = get_stream_writer()
    words = [task["section"], "of", task["topic"], *["more"] * task["round"]]
    for done in range(1, len(words) + 1):
        await anyio.sleep(0.02)  # a model call would go here
        progress({"section": task["section"], "done": done, "of": len(words)})
    return {"drafts": [" ".join(words)]}


def review(state: Essay) -> dict[str, Any]:
    return {"rounds": 1}


def fan_out(state: Essay) -> list[Send]:
    return [
        Send("write", {"topic": state["topic"], "section": s, "round": state["rounds"]})
        for s in state["sections"]
    ]


def good_enough(state: Essay) -> Literal["plan", "__end__"]:
    return END if state["rounds"] >= 2 else "plan"


def build() -> CompiledStateGraph[Essay]:
    graph = StateGraph(Essay)
    graph.add_node(plan).add_node(write).add_node(review)
    graph.add_edge(START, "plan")
    graph.add_conditional_edges("plan", fan_out, ["write"])
    graph.add_edge("write", "review")
    graph.add_conditional_edges("review", good_enough)
    return graph.compile()


def _bar(done: int, total: int, width: int = 20) -> str:
    filled = width * done // total
    return "#" * filled + "." * (width - filled)


async def main() -> None:
    app = build()
    bars: dict[str, str] = {}
    final: dict[str, Any] = {}
    async with app.astream(
        {"topic": "actors", "drafts": [], "rounds": 0}, stream_mode=["custom", "values"]
    ) as stream:
        async for mode, chunk in stream:
            if mode == "custom":
                bars[chunk["section"]] = _bar(chunk["done"], chunk["of"])
                line = "  ".join(f"{name:>9} [{bar}]" for name, bar in sorted(bars.items()))
                sys.stdout.write("\r" + line)
                sys.stdout.flush()
            else:
                final = chunk
    print()
    print(f"rounds: {final['rounds']}")
    for draft in final["drafts"]:
        print(f"  - {draft}")
    print()
    print(app.get_graph().draw_mermaid())


if __name__ == "__main__":
    anyio.run(main)
