"""A router's reduction of its node's writes becomes the step's, when nothing else wrote."""

from __future__ import annotations

import operator
from typing import Annotated, Any

import anyio
import pytest
from typing_extensions import TypedDict

from actorgraph.graph import END, START, MessagesState, StateGraph
from actorgraph.messages import AIMessage, HumanMessage
from actorgraph.store import InMemorySaver

pytestmark = pytest.mark.anyio


def counting(calls: list[Any], reduce: Any) -> Any:
    def reducer(left: Any, right: Any) -> Any:
        calls.append(right)
        return reduce(left, right)

    return reducer


def routed_graph(schema: Any, node: Any, route: Any) -> Any:
    graph = StateGraph(schema)
    graph.add_node("node", node)
    graph.add_node("after", lambda state: None)
    graph.add_edge(START, "node")
    graph.add_conditional_edges("node", route, ["after", END])
    graph.add_edge("after", END)
    return graph


CALLS: list[Any] = []


class Counted(TypedDict):
    items: Annotated[list[str], counting(CALLS, operator.add)]
    total: Annotated[int, counting(CALLS, operator.add)]


class Listed(TypedDict):
    items: Annotated[list[str], operator.add]


def merge_dicts(left: dict[str, int], right: dict[str, int]) -> dict[str, int]:
    return {**left, **right}


class Seen(TypedDict):
    seen: Annotated[dict[str, int], merge_dicts]


async def test_the_step_adopts_the_routers_reduction() -> None:
    CALLS.clear()
    seen: list[Any] = []

    def route(state: Counted) -> str:
        seen.append((list(state["items"]), state["total"]))
        return "after"

    graph = routed_graph(Counted, lambda state: {"items": ["x"], "total": 2}, route).compile()
    out = await graph.ainvoke({"items": ["a"], "total": 1})
    assert out == {"items": ["a", "x"], "total": 3}
    assert seen == [(["a", "x"], 3)]
    # The input is folded once per key, the node's writes once (by the router's read).
    assert CALLS == [["a"], 1, ["x"], 2]


async def test_a_key_written_by_two_tasks_is_reduced_in_task_order() -> None:
    seen: list[list[str]] = []

    async def slow(state: Listed) -> dict[str, Any]:
        await anyio.sleep(0.01)
        return {"items": ["slow"]}

    def route(state: Listed) -> str:
        seen.append(list(state["items"]))
        return END

    graph = StateGraph(Listed)
    graph.add_node("a_fast", lambda state: {"items": ["fast"]})
    graph.add_node("b_slow", slow)
    graph.add_edge(START, "a_fast")
    graph.add_edge(START, "b_slow")
    graph.add_conditional_edges("a_fast", route, [END])
    graph.add_conditional_edges("b_slow", route, [END])
    out = await graph.compile().ainvoke({"items": []})
    assert out == {"items": ["fast", "slow"]}
    assert sorted(seen) == [["fast"], ["slow"]]


async def test_a_router_that_changes_the_list_in_place_does_not_change_the_state() -> None:
    def route(state: MessagesState) -> str:
        state["messages"].append(HumanMessage("sneaked in", id="x"))
        return END

    node = routed_graph(MessagesState, lambda state: {"messages": [AIMessage("hi", id="2")]}, route)
    out = await node.compile().ainvoke({"messages": [HumanMessage("go", id="1")]})
    assert [m.id for m in out["messages"]] == ["1", "2"]


async def test_a_router_that_changes_a_dict_in_place_does_not_change_the_state() -> None:
    def route(state: Seen) -> str:
        state["seen"]["sneaked"] = 1
        return END

    graph = routed_graph(Seen, lambda state: {"seen": {"node": 1}}, route).compile()
    assert await graph.ainvoke({"seen": {}}) == {"seen": {"node": 1}}


async def test_an_agent_loop_with_a_saver_resumes_from_its_checkpoints() -> None:
    def model(state: MessagesState) -> dict[str, Any]:
        turns = len(state["messages"])
        return {"messages": [AIMessage("done" if turns >= 5 else f"turn {turns}")]}

    def route(state: MessagesState) -> str:
        return END if state["messages"][-1].content == "done" else "tools"

    graph = StateGraph(MessagesState)
    graph.add_node("model", model)
    graph.add_node("tools", lambda state: {"messages": [HumanMessage("result")]})
    graph.add_edge(START, "model")
    graph.add_conditional_edges("model", route, ["tools", END])
    graph.add_edge("tools", "model")
    saver = InMemorySaver()
    app = graph.compile(checkpointer=saver)
    config: Any = {"configurable": {"thread_id": "t"}}
    out = await app.ainvoke({"messages": [HumanMessage("go")]}, config)
    contents = [m.content for m in out["messages"]]
    assert contents == ["go", "turn 1", "result", "turn 3", "result", "done"]
    assert len({m.id for m in out["messages"]}) == 6
    history = [s async for s in app.aget_state_history(config)]
    middle = next(s for s in history if len(s.values["messages"]) == 3)
    replayed = await app.ainvoke(None, middle.config)
    assert replayed["messages"] == out["messages"]
