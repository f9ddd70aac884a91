"""A first graph: fan out with Send, fold with a reducer, loop until done, stream progress.

Run it with ``make demo`` (or ``python -m examples.quickstart``). A planner splits
a topic into sections, one writer per section runs in parallel (``Send``), their
drafts fold into one list (a reducer), and a reviewer loops back until every
section is long enough. Each writer reports progress on the ``custom`` stream,
drawn here as a progress bar. Before publishing, the graph pauses on an
``interrupt()`` for approval: the run is checkpointed to ``quickstart.sqlite`` next
to this file, resumed with ``Command(resume=...)`` (automatically when stdin is not
a terminal, after asking when it is), and the thread's history is read back from
the SQLite file. Run it twice: the second run continues the same thread.
"""

from __future__ import annotations

import operator
import sys
from pathlib import Path
from typing import Annotated, Any, Literal

import anyio
from typing_extensions import TypedDict

from actorgraph.config import RunnableConfig, get_stream_writer
from actorgraph.graph import END, START, StateGraph
from actorgraph.graph.state import CompiledStateGraph
from actorgraph.store.checkpoint import SqliteSaver
from actorgraph.types import Command, Send, interrupt

DATABASE = Path(__file__).with_name("quickstart.sqlite")
THREAD: RunnableConfig = {"configurable": {"thread_id": "quickstart"}}


class Essay(TypedDict):
    topic: str
    sections: list[str]
    drafts: Annotated[list[str], operator.add]
    rounds: Annotated[int, operator.add]
    published: bool


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


def good_enough(state: Essay) -> Literal["plan", "approve"]:
    return "approve" if state["rounds"] % 2 == 0 else "plan"


def approve(state: Essay) -> dict[str, Any]:
    # Code before interrupt() runs again on resume; keep it free of side effects.
    answer = interrupt({"question": "Publish these drafts?", "drafts": len(state["drafts"])})
    return {"published": answer in (True, "y", "yes")}


def build(checkpointer: Any = None) -> CompiledStateGraph[Essay]:
    graph = StateGraph(Essay)
    graph.add_node(plan).add_node(write).add_node(review).add_node(approve)
    graph.add_edge(START, "plan")
    graph.add_conditional_edges("plan", fan_out, ["write"])
    graph.add_edge("write", "review")
    graph.add_conditional_edges("review", good_enough)
    graph.add_edge("approve", END)
    return graph.compile(checkpointer=checkpointer)


def _bar(done: int, total: int, width: int = 20) -> str:
    filled = width * done // total
    return "#" * filled + "." * (width - filled)


def _decide(prompt: str) -> bool:
    if sys.stdin.isatty():
        return input(f"{prompt} [y/n] ").strip().lower() in ("y", "yes")
    print(f"{prompt} -> yes (stdin is not a terminal)")
    return True


async def main(database: Path = DATABASE) -> None:
    async with SqliteSaver(database) as saver:
        app = build(saver)
        before = await app.aget_state(THREAD)
        if before.values:
            print(f"continuing thread 'quickstart' from {database.name}")
        final = await _write_essay(app)
        print()
        print(f"rounds: {final['rounds']}")
        for draft in final["drafts"]:
            print(f"  - {draft}")
        snapshot = await app.aget_state(THREAD)
        for pending in snapshot.interrupts:
            print(f"paused at {snapshot.next}: {pending.value}")
            final = await app.ainvoke(Command(resume=_decide(pending.value["question"])), THREAD)
        print(f"published: {final['published']}")
        print(f"history of thread 'quickstart' in {database.name}:")
        async for past in app.aget_state_history(THREAD, limit=8):
            meta = past.metadata
            print(f"  step {meta['step']:>3} {meta['source']:<6} next={past.next}")
    print()
    print(app.get_graph().draw_mermaid())


async def _write_essay(app: CompiledStateGraph[Essay]) -> dict[str, Any]:
    bars: dict[str, str] = {}
    final: dict[str, Any] = {}
    async with app.astream(
        {"topic": "actors", "rounds": 0, "published": False},
        THREAD,
        stream_mode=["custom", "values"],
    ) as stream:
        async for mode, chunk in stream:
            if mode == "custom":
                bars[chunk["section"]] = _bar(chunk["done"], chunk["of"])
                line = "  ".join(f"{name:>9} [{bar}]" for name, bar in sorted(bars.items()))
                sys.stdout.write("\r" + line)
                sys.stdout.flush()
            elif "__interrupt__" not in chunk:
                final = chunk
    return final


if __name__ == "__main__":
    anyio.run(main)
