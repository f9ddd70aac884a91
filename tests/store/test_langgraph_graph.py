"""A real LangGraph graph (fan-out with Send, interrupt and resume, the
messages reducer) checkpointed by our SqliteSaver through the adapter.

``langgraph`` is in the ``dev`` extra (never a dependency of the package), so
this runs in CI; it is skipped only where ``langgraph`` is not installed."""

from __future__ import annotations

import operator
from pathlib import Path
from typing import Annotated, Any

import anyio
import pytest

pytest.importorskip("langgraph.graph")

from langchain_core.messages import AIMessage, HumanMessage
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.types import Command, Send, interrupt
from typing_extensions import TypedDict

from actorgraph.store import SqliteSaver
from actorgraph.store.langgraph_compat import LangGraphSaver

pytestmark = pytest.mark.anyio


class State(TypedDict):
    messages: Annotated[list[Any], add_messages]
    items: Annotated[list[int], operator.add]


def chat(state: State) -> dict[str, Any]:
    return {"messages": [AIMessage(f"reply {len(state['messages'])}")]}


def fan_out(state: State) -> list[Send]:
    return [Send("work", {"items": [i], "messages": []}) for i in range(3)]


def work(state: State) -> dict[str, Any]:
    return {"items": [state["items"][0] * 10]}


def ask(state: State) -> dict[str, Any]:
    return {"messages": [HumanMessage(interrupt("ok?"))]}


def graph(saver: LangGraphSaver) -> Any:
    builder = StateGraph(State)
    builder.add_node("chat", chat)
    builder.add_node("work", work)
    builder.add_node("ask", ask)
    builder.add_edge(START, "chat")
    builder.add_conditional_edges("chat", fan_out, ["work"])
    builder.add_edge("work", "ask")
    builder.add_edge("ask", END)
    return builder.compile(checkpointer=saver)


def test_plain_invoke_with_interrupt_and_resume(tmp_path: Path) -> None:
    with SqliteSaver(tmp_path / "graph.db") as inner:
        app = graph(LangGraphSaver(inner))
        config: Any = {"configurable": {"thread_id": "1"}}
        paused = app.invoke({"messages": [HumanMessage("hi")], "items": []}, config)
        assert [i.value for i in paused["__interrupt__"]] == ["ok?"]
        done = app.invoke(Command(resume="yes"), config)
        assert [m.content for m in done["messages"]] == ["hi", "reply 1", "yes"]
        assert sorted(done["items"]) == [0, 10, 20]
        assert len(list(app.get_state_history(config))) >= 4


async def test_invoke_under_a_running_loop_on_both_backends(
    tmp_path: Path, anyio_backend: Any
) -> None:
    # LangGraph's async runner is asyncio-only; under trio the graph runs its
    # plain face on a worker thread of the loop, our saver's threads beside it.
    async with SqliteSaver(tmp_path / "graph.db") as inner:
        app = graph(LangGraphSaver(inner))
        config: Any = {"configurable": {"thread_id": "2"}}
        first: Any = {"messages": [HumanMessage("hi")], "items": []}
        resume: Any = Command(resume="async yes")
        if anyio_backend[0] == "asyncio":
            await app.ainvoke(first, config)
            done = await app.ainvoke(resume, config)
        else:
            await anyio.to_thread.run_sync(app.invoke, first, config)
            done = await anyio.to_thread.run_sync(app.invoke, resume, config)
        assert [m.content for m in done["messages"]] == ["hi", "reply 1", "async yes"]
        assert sorted(done["items"]) == [0, 10, 20]
