"""Threads, state history and time travel with a checkpointer.

Run it with ``python -m examples.persistence``. A two-node graph runs on a
thread; the thread is continued, inspected (``get_state``, history), replayed
from an earlier checkpoint and forked with ``update_state``.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any

from typing_extensions import TypedDict

from actorgraph.config import RunnableConfig
from actorgraph.graph import END, START, StateGraph
from actorgraph.graph.state import CompiledStateGraph
from actorgraph.store.checkpoint import InMemorySaver


class State(TypedDict):
    topic: str
    notes: Annotated[list[str], operator.add]


def research(state: State) -> dict[str, Any]:
    return {"notes": [f"facts about {state['topic']}"]}


def write(state: State) -> dict[str, Any]:
    return {"notes": [f"an essay on {state['topic']}"]}


def build(checkpointer: Any) -> CompiledStateGraph[State]:
    graph = StateGraph(State)
    graph.add_node(research).add_node(write)
    graph.add_edge(START, "research").add_edge("research", "write").add_edge("write", END)
    return graph.compile(checkpointer=checkpointer)


def main() -> list[str]:
    app = build(InMemorySaver())
    thread: RunnableConfig = {"configurable": {"thread_id": "essay"}}
    lines: list[str] = []
    app.invoke({"topic": "owls", "notes": []}, thread)
    lines.append(f"state: {app.get_state(thread).values}")
    for snapshot in app.get_state_history(thread):  # newest first
        meta = snapshot.metadata
        lines.append(f"step {meta['step']:>2} {meta['source']:<5} next={snapshot.next}")
    # Time travel: replay from the checkpoint before `write` (research is not re-run) ...
    before_write = next(s for s in app.get_state_history(thread) if s.next == ("write",))
    app.invoke(None, before_write.config)
    # ... or fork it: change the state there and run on from the new checkpoint.
    forked = app.update_state(before_write.config, {"topic": "bats"})
    lines.append(f"fork: {app.invoke(None, forked)['notes']}")
    for line in lines:
        print(line)
    return lines


if __name__ == "__main__":
    main()
