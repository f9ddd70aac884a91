"""A real LangGraph graph (fan-out with Send, interrupt and resume, the
messages reducer) checkpointed by our SqliteSaver through the adapter.

Runs when the ``langgraph`` package is installed (it is not a dependency)."""

from __future__ import annotations

import operator
from pathlib import Path
from typing import Annotated, Any

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


async def test_async_invoke_with_interrupt_and_resume(tmp_path: Path, anyio_backend: Any) -> None:
    if anyio_backend[0] != "asyncio":
        pytest.skip("LangGraph's runner is asyncio-only")
    async with SqliteSaver(tmp_path / "graph.db") as inner:
        app = graph(LangGraphSaver(inner))
        config: Any = {"configurable": {"thread_id": "2"}}
        await app.ainvoke({"messages": [HumanMessage("hi")], "items": []}, config)
        done = await app.ainvoke(Command(resume="async yes"), config)
        assert [m.content for m in done["messages"]] == ["hi", "reply 1", "async yes"]
