"""A finished run leaves no reference cycles: it goes when the caller drops it.

Cycles (the run and its checkpointing side, the run and its tasks, a paused
node's error and the frames of its traceback) would wait for the garbage
collector, whose passes then cost a share of every invocation. The pending
writes the saver keeps (interrupts included) must stay intact all the same.
"""

from __future__ import annotations

import gc
from typing import Any, TypedDict

import pytest

from actorgraph.graph import END, START, StateGraph
from actorgraph.store import InMemorySaver
from actorgraph.types import Command, interrupt

pytestmark = pytest.mark.anyio


class _Ask(TypedDict):
    question: str
    answer: str


def _sync_ask(state: _Ask) -> dict[str, str]:
    return {"answer": interrupt(state["question"])}


async def _async_ask(state: _Ask) -> dict[str, str]:
    return {"answer": interrupt(state["question"])}


def _graph(node: Any) -> Any:
    builder = StateGraph(_Ask)
    builder.add_node("ask", node)
    builder.add_edge(START, "ask")
    builder.add_edge("ask", END)
    return builder.compile(checkpointer=InMemorySaver())


@pytest.mark.parametrize("node", [_sync_ask, _async_ask], ids=["sync", "async"])
async def test_interrupt_and_resume_leave_no_cycles(
    node: Any, anyio_backend: tuple[str, dict[str, object]]
) -> None:
    if node is _sync_ask and anyio_backend[0] == "trio":
        # Trio's sync nodes go through anyio.to_thread, whose frames keep the
        # node's error in a cycle of their own.
        pytest.skip("anyio.to_thread on trio keeps a raised error in a cycle")
    graph = _graph(node)
    config = {"configurable": {"thread_id": "warm-up"}}
    await graph.ainvoke({"question": "q", "answer": ""}, config)
    await graph.ainvoke(Command(resume="a"), config)
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for i in range(3):
            config = {"configurable": {"thread_id": f"t{i}"}}
            paused = await graph.ainvoke({"question": f"q{i}", "answer": ""}, config)
            assert paused["__interrupt__"][0].value == f"q{i}"
            done = await graph.ainvoke(Command(resume=f"a{i}"), config)
            assert done == {"question": f"q{i}", "answer": f"a{i}"}
        gc.collect()
        kinds = sorted({type(thing).__name__ for thing in gc.garbage})
    finally:
        gc.garbage.clear()
        gc.set_debug(0)
        gc.enable()
    assert kinds == []
    # What the saver keeps is whole: the pause is in the thread's history.
    history = [s async for s in graph.aget_state_history({"configurable": {"thread_id": "t1"}})]
    assert [s.metadata["step"] for s in history] == [1, 0, -1]
