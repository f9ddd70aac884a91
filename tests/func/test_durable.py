"""The functional API with a checkpointer: previous, final, resume, replayed tasks."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from actorgraph.config import RunnableConfig
from actorgraph.func import entrypoint, task
from actorgraph.store import InMemorySaver, SqliteSaver
from actorgraph.types import Command, interrupt

pytestmark = pytest.mark.anyio


def cfg(thread: str | None = None) -> RunnableConfig:
    return {"configurable": {"thread_id": thread or str(uuid.uuid4())}}


@pytest.fixture(params=["memory", "sqlite"])
def saver(request: pytest.FixtureRequest) -> Any:
    if request.param == "memory":
        return InMemorySaver()
    return SqliteSaver(":memory:")


@pytest.mark.parametrize("durability", ["sync", "async", "exit"])
async def test_essay_review_resumes_without_rerunning_the_task(saver: Any, durability: str) -> None:
    calls: list[str] = []

    @task
    def compose_essay(topic: str) -> str:
        calls.append(topic)
        return f"An essay about {topic}"

    @entrypoint(checkpointer=saver)
    def review_workflow(topic: str) -> dict[str, Any]:
        essay = compose_essay(topic).result()
        human_review = interrupt({"question": "Please provide a review", "essay": essay})
        return {"essay": essay, "review": human_review}

    config = cfg()
    first = [c async for c in review_workflow.astream("cats", config, durability=durability)]
    assert first[0] == {"compose_essay": "An essay about cats"}
    (paused,) = first[1]["__interrupt__"]
    assert paused.value == {"question": "Please provide a review", "essay": "An essay about cats"}
    resume: Command[str] = Command(resume="This essay is great.")
    second = [c async for c in review_workflow.astream(resume, config, durability=durability)]
    assert second == [
        {"review_workflow": {"essay": "An essay about cats", "review": "This essay is great."}}
    ]
    assert calls == ["cats"]


async def test_previous_is_the_last_return_value(saver: Any) -> None:
    seen: list[Any] = []

    @entrypoint(checkpointer=saver)
    def my_workflow(number: int, *, previous: Any = None) -> int:
        seen.append(previous)
        return number + (previous or 0)

    config = cfg()
    assert await my_workflow.ainvoke(1, config) == 1
    assert await my_workflow.ainvoke(2, config) == 3
    assert seen == [None, 1]
    assert await my_workflow.ainvoke(2, cfg()) == 2  # another thread starts fresh


async def test_final_saves_another_value(saver: Any) -> None:
    @entrypoint(checkpointer=saver)
    def my_workflow(number: int, *, previous: Any = None) -> entrypoint.final[int, int]:
        previous = previous or 0
        return entrypoint.final(value=previous, save=2 * number)

    config = cfg("1")
    assert await my_workflow.ainvoke(3, config) == 0
    assert await my_workflow.ainvoke(1, config) == 6


async def test_runtime_previous(saver: Any) -> None:
    from actorgraph.runtime import Runtime, get_runtime

    @task
    def seen_by_task() -> Any:
        return get_runtime().previous

    @entrypoint(checkpointer=saver)
    async def flow(x: str, runtime: Runtime[None]) -> str:
        assert await seen_by_task() == runtime.previous == get_runtime().previous
        return f"{runtime.previous}>{x}"

    config = cfg()
    assert await flow.ainvoke("a", config) == "None>a"
    assert await flow.ainvoke("b", config) == "None>a>b"


async def test_human_in_the_loop_inside_a_task(saver: Any) -> None:
    runs: list[str] = []

    @task
    def step_1(q: str) -> str:
        runs.append("step_1")
        return f"{q} bar"

    @task
    def human_feedback(q: str) -> str:
        runs.append("human_feedback")
        return f"{q} {interrupt(f'Please provide feedback: {q}')}"

    @task
    def step_3(q: str) -> str:
        runs.append("step_3")
        return f"{q} qux"

    @entrypoint(checkpointer=saver)
    def graph(q: str) -> str:
        return step_3(human_feedback(step_1(q).result()).result()).result()

    config = cfg("1")
    first = [c async for c in graph.astream("foo", config)]
    assert first[0] == {"step_1": "foo bar"}
    assert first[1]["__interrupt__"][0].value == "Please provide feedback: foo bar"
    second = [c async for c in graph.astream(Command(resume="baz"), config)]
    assert second == [
        {"human_feedback": "foo bar baz"},
        {"step_3": "foo bar baz qux"},
        {"graph": "foo bar baz qux"},
    ]
    assert runs == ["step_1", "human_feedback", "human_feedback", "step_3"]
    state = await graph.aget_state(config)
    assert state.values == "foo bar baz qux"
    assert state.next == ()


async def test_resume_after_an_error_does_not_rerun_finished_tasks(saver: Any) -> None:
    slow_calls = 0
    attempts = 0

    @task
    def slow_task() -> str:
        nonlocal slow_calls
        slow_calls += 1
        return "Ran slow task."

    @task
    def get_info() -> str:
        nonlocal attempts
        attempts += 1
        if attempts < 2:
            raise ValueError("Failure")
        return "OK"

    @entrypoint(checkpointer=saver)
    def main(inputs: dict[str, str], writer: Any) -> str:
        result = slow_task().result()
        get_info().result()
        return result

    config = cfg("1")
    with pytest.raises(ValueError, match="Failure"):
        await main.ainvoke({"any_input": "foobar"}, config)
    assert await main.ainvoke(None, config) == "Ran slow task."
    assert slow_calls == 1


async def test_side_effects_belong_in_tasks(saver: Any) -> None:
    outside: list[int] = []
    inside: list[int] = []

    @task
    def write_to_file() -> float:
        inside.append(1)
        return time.time()

    @entrypoint(checkpointer=saver)
    def flow(_: int) -> dict[str, Any]:
        outside.append(1)
        stamp = write_to_file().result()
        answer = interrupt("question")
        return {"stamp": stamp, "answer": answer}

    config = cfg()
    paused = await flow.ainvoke(1, config)
    assert [i.value for i in paused["__interrupt__"]] == ["question"]
    stamp = (await flow.aget_state(config)).tasks[0].interrupts[0].value
    assert stamp == "question"
    done = await flow.ainvoke(Command(resume="yes"), config)
    assert done["answer"] == "yes"
    assert len(outside) == 2
    assert len(inside) == 1


async def test_parallel_interrupted_tasks_resume_by_id(saver: Any) -> None:
    @task
    async def ask(topic: str) -> str:
        return f"{topic}: {interrupt(topic)}"

    @entrypoint(checkpointer=saver)
    async def flow(topics: list[str]) -> list[str]:
        futures = [ask(t) for t in topics]
        return [await f for f in futures]

    config = cfg()
    paused = await flow.ainvoke(["a", "b"], config)
    pending = {i.value: i.id for i in paused["__interrupt__"]}
    assert set(pending) == {"a", "b"}
    again = await flow.ainvoke(Command(resume={pending["a"]: "yes"}), config)
    assert [i.value for i in again["__interrupt__"]] == ["b"]
    out = await flow.ainvoke(Command(resume={pending["b"]: "no"}), config)
    assert out == ["a: yes", "b: no"]


async def test_a_task_with_two_interrupts(saver: Any) -> None:
    @task
    def two_questions() -> str:
        return f"{interrupt('first')} {interrupt('second')}"

    @entrypoint(checkpointer=saver)
    def flow(_: int) -> str:
        return two_questions().result()

    config = cfg()
    assert [i.value for i in (await flow.ainvoke(1, config))["__interrupt__"]] == ["first"]
    out = await flow.ainvoke(Command(resume="one"), config)
    assert [i.value for i in out["__interrupt__"]] == ["second"]
    assert await flow.ainvoke(Command(resume="two"), config) == "one two"


async def test_tasks_in_a_graph_node_are_replayed_on_resume(saver: Any) -> None:
    from typing_extensions import TypedDict

    from actorgraph.graph import START, StateGraph

    class State(TypedDict):
        urls: list[str]
        results: list[str]

    fetched: list[str] = []

    @task
    async def make_request(url: str) -> str:
        fetched.append(url)
        return f"page of {url}"

    async def call_api(state: State) -> dict[str, Any]:
        futures = [make_request(url) for url in state["urls"]]
        results = [await f for f in futures]
        approved = interrupt("approve the pages?")
        return {"results": [*results, str(approved)]}

    app = StateGraph(State).add_node(call_api).add_edge(START, "call_api")
    graph = app.compile(checkpointer=saver)
    config = cfg()
    paused = await graph.ainvoke({"urls": ["a", "b"]}, config)
    assert [i.value for i in paused["__interrupt__"]] == ["approve the pages?"]
    out = await graph.ainvoke(Command(resume="yes"), config)
    assert out["results"] == ["page of a", "page of b", "yes"]
    assert sorted(fetched) == ["a", "b"]


async def test_a_failed_task_runs_again_on_resume_and_a_finished_one_does_not(
    saver: Any,
) -> None:
    runs: list[str] = []
    fail = True

    @task
    async def good() -> str:
        runs.append("good")
        return "good"

    @task
    async def flaky() -> str:
        runs.append("flaky")
        if fail:
            raise KeyError("flaky")
        return "flaky"

    @entrypoint(checkpointer=saver)
    async def flow(_: int) -> list[str]:
        first = await good()
        return [first, await flaky()]

    config = cfg()
    with pytest.raises(KeyError):
        await flow.ainvoke(1, config)
    fail = False
    assert await flow.ainvoke(None, config) == ["good", "flaky"]
    assert runs == ["good", "flaky", "flaky"]
    # A new input starts over: the task runs again.
    assert await flow.ainvoke(2, config) == ["good", "flaky"]
    assert runs.count("good") == 2


async def test_an_entrypoint_called_inside_a_task_resumes_inside(saver: Any) -> None:
    runs: list[str] = []

    @entrypoint()
    def inner(x: str) -> str:
        runs.append("inner")
        return f"{x}:{interrupt('inner question')}"

    @task
    def call_inner(x: str) -> str:
        return str(inner.invoke(x))

    @entrypoint(checkpointer=saver)
    def outer(x: str) -> str:
        runs.append("outer")
        return call_inner(x).result() + "!"

    config = cfg()
    paused = await outer.ainvoke("hi", config)
    assert [i.value for i in paused["__interrupt__"]] == ["inner question"]
    assert await outer.ainvoke(Command(resume="answer"), config) == "hi:answer!"
    assert runs == ["outer", "inner", "outer", "inner"]


async def test_checkpoints_stream_shows_the_return_value(saver: Any) -> None:
    @task
    def inc(x: int) -> int:
        return x + 1

    @entrypoint(checkpointer=saver)
    def flow(x: int) -> int:
        return inc(x).result()

    chunks = [c async for c in flow.astream(1, cfg(), stream_mode=["checkpoints", "updates"])]
    assert [mode for mode, _ in chunks] == [
        "checkpoints",
        "checkpoints",
        "updates",
        "updates",
        "checkpoints",
    ]
    assert chunks[1][1]["next"] == ("flow",)
    assert chunks[2][1] == {"inc": 2}
    assert chunks[-1][1]["values"] == 2


async def test_a_task_result_the_checkpointer_cannot_store_is_a_clear_error() -> None:
    class Opaque:
        pass

    @task
    def make() -> Opaque:
        return Opaque()

    @entrypoint(checkpointer=SqliteSaver(":memory:"))
    def flow(_: int) -> str:
        make().result()
        return "unreachable"

    from actorgraph.errors import SerializationError

    with pytest.raises(SerializationError, match="task 'make' returned a value of type Opaque"):
        await flow.ainvoke(1, cfg())


@pytest.mark.parametrize("durability", ["sync", "exit"])
def test_tasks_in_a_lone_sync_node_under_invoke_are_kept(durability: str) -> None:
    from typing_extensions import TypedDict

    from actorgraph.graph import START, StateGraph

    class State(TypedDict):
        n: int

    runs: list[int] = []

    @task
    def inc(n: int) -> int:
        runs.append(n)
        return n + 1

    def node(state: State) -> dict[str, Any]:
        done = inc(state["n"]).result()  # runs right here: the node is alone under invoke()
        return {"n": done + (1 if interrupt("ok?") else 0)}

    graph = StateGraph(State).add_node(node).add_edge(START, "node")
    app = graph.compile(checkpointer=SqliteSaver(":memory:"))
    config = cfg()
    assert app.invoke({"n": 1}, config, durability=durability)["__interrupt__"][0].value == "ok?"
    assert app.invoke(Command(resume=True), config, durability=durability) == {"n": 3}
    assert runs == [1]
