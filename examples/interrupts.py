"""Human in the loop: interrupt(), resume with Command, parallel interrupts, breakpoints.

Run it with ``python -m examples.interrupts``.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any

from typing_extensions import TypedDict

from actorgraph.config import RunnableConfig
from actorgraph.graph import END, START, StateGraph
from actorgraph.store.checkpoint import InMemorySaver
from actorgraph.types import Command, interrupt


class Order(TypedDict):
    item: str
    approvals: Annotated[list[str], operator.add]


def ask(role: str) -> Any:
    def node(state: Order) -> dict[str, Any]:
        # Code before interrupt() runs again when the node resumes.
        answer = interrupt({"role": role, "approve": state["item"]})
        return {"approvals": [f"{role}: {answer}"]}

    return node


def main() -> list[str]:
    graph = StateGraph(Order)
    graph.add_node("manager", ask("manager")).add_node("finance", ask("finance"))
    graph.add_edge(START, "manager").add_edge(START, "finance")
    graph.add_edge("manager", END).add_edge("finance", END)
    app = graph.compile(checkpointer=InMemorySaver())
    thread: RunnableConfig = {"configurable": {"thread_id": "order-1"}}
    lines: list[str] = []

    paused = app.invoke({"item": "laptop", "approvals": []}, thread)
    lines.extend(f"waiting: {pending.value}" for pending in paused["__interrupt__"])
    # Two interrupts are pending: answer them by id (all at once, or one by one).
    by_role = {pending.value["role"]: pending.id for pending in paused["__interrupt__"]}
    still = app.invoke(Command(resume={by_role["manager"]: "yes"}), thread)
    lines.append(f"still waiting: {[i.value['role'] for i in still['__interrupt__']]}")
    done = app.invoke(Command(resume={by_role["finance"]: "no"}), thread)
    lines.append(f"approvals: {sorted(done['approvals'])}")

    # Static breakpoints: stop before a node, edit the state, continue with None.
    checked = graph.compile(checkpointer=InMemorySaver(), interrupt_before=["finance"])
    other: RunnableConfig = {"configurable": {"thread_id": "order-2"}}
    checked.invoke({"item": "desk", "approvals": []}, other)
    lines.append(f"breakpoint before: {checked.get_state(other).next}")
    checked.update_state(other, {"item": "chair"})
    lines.append(f"resumed: {checked.invoke(None, other)['item']}")
    for line in lines:
        print(line)
    return lines


if __name__ == "__main__":
    main()
