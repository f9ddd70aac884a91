"""The graph every durability proof runs: a chain, a Send fan-out and reducers.

Steps of one uninterrupted run (each task identified by a key it logs):

    step 0  ``a``        sets the items, starts the log
    step 1  ``b``        a sync node (a worker thread under ``ainvoke``)
    step 2  ``w:x`` ``w:yy`` ``w:zzz``   one Send per item, in parallel
    step 3  ``c``        runs once all workers are done
    step 4  ``d``        the last node

Every task appends its key to ``log`` (a list reducer) and adds to ``total``
(an int reducer), so the final state says which tasks' writes were kept and
in which order. :class:`Hooks` lets a test see each task enter and finish.
"""

from __future__ import annotations

import operator
import time
from collections.abc import Callable
from typing import Annotated, Any

import anyio
import anyio.lowlevel
from typing_extensions import TypedDict

from actorgraph.graph import END, START, StateGraph
from actorgraph.graph.state import CompiledStateGraph
from actorgraph.types import Send

__all__ = [
    "FINAL",
    "INPUT",
    "PREFIXES",
    "STEP_VALUES",
    "TASK_KEYS",
    "Hooks",
    "State",
    "build",
    "config_for",
    "saved_keys",
    "stored_state",
]

ITEMS = ["x", "yy", "zzz"]
TASK_KEYS = ("a", "b", *(f"w:{item}" for item in ITEMS), "c", "d")


class State(TypedDict, total=False):
    items: list[str]
    log: Annotated[list[str], operator.add]
    total: Annotated[int, operator.add]


class Work(TypedDict):
    item: str


INPUT: State = {"items": [], "log": [], "total": 0}

# The state after the input and after each superstep of an uninterrupted run.
STEP_VALUES: list[State] = [
    {"items": [], "log": [], "total": 0},
    {"items": ITEMS, "log": ["a"], "total": 1},
    {"items": ITEMS, "log": ["a", "b"], "total": 11},
    {"items": ITEMS, "log": ["a", "b", "w:x", "w:yy", "w:zzz"], "total": 11 + 600},
    {"items": ITEMS, "log": ["a", "b", "w:x", "w:yy", "w:zzz", "c"], "total": 611 + 1000},
    {"items": ITEMS, "log": [*TASK_KEYS], "total": 1611 + 10000},
]
FINAL: State = STEP_VALUES[-1]

# Where a thread may stand: its input checkpoint (the input not applied yet,
# as in LangGraph: only the reducers' empty values) or a state of the
# uninterrupted run.
PREFIXES: list[Any] = [{"log": [], "total": 0}, *STEP_VALUES]


def _nothing(key: str) -> None:
    pass


class Hooks:
    """What the nodes do besides their writes: report, pause, record.

    ``enter(key)`` runs when a task starts, ``done(key)`` just before it
    returns its writes (its work is complete, nothing is saved yet), and
    ``leave(key)`` whenever it stops, finished or cancelled. ``pause`` is
    awaited in async nodes between enter and done (``sleep`` seconds in the
    sync node), so a crash or a cancel can land inside a task.
    """

    def __init__(
        self,
        enter: Callable[[str], None] = _nothing,
        done: Callable[[str], None] = _nothing,
        leave: Callable[[str], None] = _nothing,
        *,
        pause: float = 0.0,
        sleep: float = 0.0,
    ) -> None:
        self.enter = enter
        self.done = done
        self.leave = leave
        self.pause = pause
        self.sleep = sleep

    async def step(self, key: str) -> None:
        self.enter(key)
        try:
            await anyio.sleep(self.pause)
            # A second yield point, so a cancel may land after the first await.
            await anyio.lowlevel.checkpoint()
            self.done(key)
        finally:
            self.leave(key)

    def block(self, key: str) -> None:
        """The sync node's part: blocks its worker thread for ``sleep`` seconds."""
        self.enter(key)
        try:
            time.sleep(self.sleep)
            self.done(key)
        finally:
            self.leave(key)


def build(hooks: Hooks, checkpointer: Any) -> CompiledStateGraph[State]:
    """The proof graph, compiled with ``checkpointer``."""

    async def a(state: State) -> State:
        await hooks.step("a")
        return {"items": ITEMS, "log": ["a"], "total": 1}

    def b(state: State) -> State:
        hooks.block("b")
        return {"log": ["b"], "total": 10}

    async def work(task: Work) -> State:
        key = f"w:{task['item']}"
        await hooks.step(key)
        return {"log": [key], "total": 100 * len(task["item"])}

    async def c(state: State) -> State:
        await hooks.step("c")
        return {"log": ["c"], "total": 1000}

    async def d(state: State) -> State:
        await hooks.step("d")
        return {"log": ["d"], "total": 10000}

    def fan_out(state: State) -> list[Send]:
        return [Send("work", {"item": item}) for item in state["items"]]

    graph = StateGraph(State)
    graph.add_node("a", a).add_node("b", b).add_node("work", work)
    graph.add_node("c", c).add_node("d", d)
    graph.add_edge(START, "a").add_edge("a", "b")
    graph.add_conditional_edges("b", fan_out, ["work"])
    graph.add_edge("work", "c").add_edge("c", "d").add_edge("d", END)
    return graph.compile(checkpointer=checkpointer)


def config_for(thread_id: str) -> Any:
    """The run config of one thread."""
    return {"configurable": {"thread_id": thread_id}}


def saved_keys(values: Any, pending_writes: Any) -> set[str]:
    """The task keys whose writes are saved: in the state, or pending on it."""
    keys = set(values.get("log", ()) if values else ())
    for _task_id, channel, value in pending_writes or ():
        if channel == "log":
            keys.update(value)
    return keys


def stored_state(channel_values: Any) -> dict[str, Any]:
    """The state a checkpoint holds, as ``get_state`` would show it, without
    the pending writes (reducers without a stored value are empty)."""
    state: dict[str, Any] = {"log": [], "total": 0}
    state.update((k, channel_values[k]) for k in ("items", "log", "total") if k in channel_values)
    return state
