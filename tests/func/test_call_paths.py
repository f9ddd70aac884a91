"""Task calls on their cheap path (no checkpointer: no task ids, results kept by run
position) give what the general path (with a checkpointer) gives."""

from __future__ import annotations

import itertools
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typing_extensions import TypedDict

from actorgraph.actors.pregel._call import CallScope
from actorgraph.actors.pregel._pending import path_str
from actorgraph.actors.pregel._task import PUSH, Task
from actorgraph.func import entrypoint, task
from actorgraph.graph import END, START, StateGraph
from actorgraph.store import InMemorySaver

pytestmark = pytest.mark.anyio

_threads = itertools.count()


@task
async def double(n: int) -> int:
    return n * 2


@task
async def double_twice(n: int) -> int:
    return await double(await double(n))


@task
def add_one(n: int) -> int:
    return n + 1


async def _fan_out(numbers: list[int]) -> list[int]:
    futures = [double_twice(n) if n % 3 == 0 else double(n) for n in numbers]
    synced = [add_one(n) for n in numbers[:2]]
    return [await f for f in futures] + [await f for f in synced]


def _config(saver: InMemorySaver | None) -> Any:
    return {"configurable": {"thread_id": f"t{next(_threads)}"}} if saver else None


@pytest.fixture
def id_count(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The task ids computed while the test runs."""
    made: list[str] = []
    original = vars(Task)["id"].fget

    def counting(self: Task) -> str:
        value: str = original(self)
        made.append(value)
        return value

    monkeypatch.setattr(Task, "id", property(counting))
    return made


async def test_a_run_without_checkpointer_makes_no_task_ids(id_count: list[str]) -> None:
    flow = entrypoint()(_fan_out)
    assert await flow.ainvoke([1, 3, 4]) == [2, 12, 8, 2, 4]
    assert id_count == []
    # Streams that show ids still get them.
    chunks = [c async for c in flow.astream([1], stream_mode="tasks")]
    assert all(isinstance(c["id"], str) for c in chunks)
    assert id_count


async def test_a_checkpointer_keeps_each_call_under_its_task_id() -> None:
    saver = InMemorySaver()
    flow = entrypoint(checkpointer=saver)(_fan_out)
    config = _config(saver)
    assert await flow.ainvoke([1, 3], config) == [2, 12, 2, 4]
    # One pending write of each finished call, under the same ids a tasks stream shows.
    streamed = [c async for c in flow.astream([1, 3], _config(saver), stream_mode="tasks")]
    call_ids = {c["id"] for c in streamed if c["name"] != "_fan_out" and "result" not in c}
    assert len(call_ids) == 6  # double, double_twice + its two doubles, two add_one
    history = [s async for s in flow.aget_state_history(config)]
    assert history  # the run was saved


async def test_a_node_running_again_calls_its_tasks_again() -> None:
    """Results are kept by step, name and call position: the same node in a later
    step (same position in the node's code) gets a fresh call."""

    class State(TypedDict):
        n: int
        seen: list[int]

    def node(state: State) -> dict[str, Any]:
        value = add_one(state["n"]).result()
        return {"n": value, "seen": [*state["seen"], value]}

    def again(state: State) -> str:
        return END if state["n"] >= 3 else "node"

    graph = (
        StateGraph(State)
        .add_node("node", node)
        .add_edge(START, "node")
        .add_conditional_edges("node", again)
        .compile()
    )
    assert await graph.ainvoke({"n": 0, "seen": []}) == {"n": 3, "seen": [1, 2, 3]}


@settings(max_examples=15, deadline=None)
@given(numbers=st.lists(st.integers(-1000, 1000), max_size=12))
async def test_with_and_without_checkpointer_agree(numbers: list[int]) -> None:
    results = []
    for saver in (None, InMemorySaver()):
        flow = entrypoint(checkpointer=saver)(_fan_out)
        chunks = [c async for c in flow.astream(numbers, _config(saver))]
        # Calls that run at once stream in the order they finish: compare as sets.
        shown = sorted(map(repr, chunks[:-1])), chunks[-1]
        results.append((await flow.ainvoke(numbers, _config(saver)), shown))
    assert results[0] == results[1]
    expected = [n * 4 if n % 3 == 0 else n * 2 for n in numbers] + [n + 1 for n in numbers[:2]]
    assert results[0][0] == expected


_path_parts = st.one_of(st.integers(-5, 10_000), st.text(max_size=8))


@settings(max_examples=60, deadline=None)
@given(
    run_key=st.text(max_size=12),
    ns=st.sampled_from(["", "parent:1", "a:1|b:2"]),
    step=st.integers(0, 50),
    name=st.text(min_size=1, max_size=8),
    caller=st.tuples(st.sampled_from(["__pregel_pull", "__pregel_push"]), _path_parts),
    positions=st.lists(st.integers(0, 500), min_size=1, max_size=4),
)
def test_a_calls_saved_id_and_path_are_the_general_ones(
    run_key: str, ns: str, step: int, name: str, caller: tuple[Any, ...], positions: list[int]
) -> None:
    run: Any = SimpleNamespace(run_key=run_key, ns_str=ns, step=step)
    scope = CallScope.__new__(CallScope)
    scope.run = run
    scope.prefixes = {}
    for position in positions:  # the second one of a caller reuses the shared part
        path = (PUSH, caller, position)
        fast = Task(run, None, name, path, (PUSH,), None)
        general = Task(run, None, name, path, (PUSH,), None)
        assert scope.saved_as(fast) == path_str(path)
        assert fast.id == general.id
