"""@entrypoint and @task without a checkpointer: calls, futures, streams, injection, errors."""

from __future__ import annotations

import threading
from typing import Any

import anyio
import anyio.lowlevel
import pytest

from actorgraph.config import RunnableConfig, get_store, get_stream_writer
from actorgraph.func import entrypoint, task
from actorgraph.graph import START, StateGraph
from actorgraph.runtime import Runtime
from actorgraph.store import InMemoryCache, InMemoryStore
from actorgraph.types import CachePolicy, Command, RetryPolicy, StreamWriter, interrupt

pytestmark = pytest.mark.anyio


@task
def add_one(n: int) -> int:
    return n + 1


@task
async def double(n: int) -> int:
    return n * 2


@task
def is_even(number: int) -> bool:
    return number % 2 == 0


@task
def format_message(even: bool) -> str:
    return "The number is even." if even else "The number is odd."


@entrypoint()
def parity(inputs: dict[str, int]) -> str:
    return format_message(is_even(inputs["number"]).result()).result()


@entrypoint()
def fan_out(numbers: list[int]) -> list[int]:
    futures = [add_one(i) for i in numbers]
    return [f.result() for f in futures]


async def test_sequential_tasks() -> None:
    assert await parity.ainvoke({"number": 7}) == "The number is odd."
    assert await parity.ainvoke({"number": 4}) == "The number is even."


def test_sync_invoke_of_a_sync_entrypoint() -> None:
    assert fan_out.invoke([1, 2, 3]) == [2, 3, 4]
    assert list(fan_out.stream([1], stream_mode="values")) == [[2]]
    assert parity.invoke({"number": 2}) == "The number is even."


async def test_parallel_tasks_stream_their_results_by_name() -> None:
    assert await fan_out.ainvoke([1, 2, 3]) == [2, 3, 4]
    chunks = [c async for c in fan_out.astream([1, 2, 3], stream_mode="updates")]
    assert sorted(c["add_one"] for c in chunks[:3]) == [2, 3, 4]
    assert chunks[3] == {"fan_out": [2, 3, 4]}
    assert [c async for c in fan_out.astream([1], stream_mode="values")] == [[2]]


async def test_parallel_tasks_run_at_the_same_time() -> None:
    barrier = threading.Barrier(3, timeout=10)

    @task
    def meet(n: int) -> int:
        barrier.wait()  # only returns once all three run at once
        return n

    @task
    async def ameet(first: anyio.Event, second: anyio.Event) -> str:
        first.set()
        await second.wait()
        return "met"

    @entrypoint()
    def sync_flow(numbers: list[int]) -> list[int]:
        return [f.result() for f in [meet(n) for n in numbers]]

    @entrypoint()
    async def async_flow(_: None) -> list[str]:
        one, two = anyio.Event(), anyio.Event()
        futures = [ameet(one, two), ameet(two, one)]
        return [await f for f in futures]

    with anyio.fail_after(20):
        assert await sync_flow.ainvoke([1, 2, 3]) == [1, 2, 3]
        assert await async_flow.ainvoke(0) == ["met", "met"]


@entrypoint()
async def mixed(n: int) -> list[int]:
    a, b = add_one(n), double(n)
    return [await a, await b, await add_one(5)]


async def test_async_entrypoint_with_sync_and_async_tasks() -> None:
    assert await mixed.ainvoke(3) == [4, 6, 6]


def test_sync_invoke_of_an_async_entrypoint() -> None:
    assert mixed.invoke(3) == [4, 6, 6]
    assert list(mixed.stream(1))[-1] == {"mixed": [2, 2, 6]}


async def test_a_task_calls_tasks() -> None:
    @task
    def outer(n: int) -> int:
        return add_one(n).result() + add_one(n + 1).result()

    @task
    async def aouter(n: int) -> int:
        return await double(n) + await outer(n)

    @entrypoint()
    async def flow(n: int) -> int:
        return await aouter(n)

    chunks = [c async for c in flow.astream(1)]
    assert chunks[-1] == {"flow": 2 + 5}
    assert sorted(str(c) for c in chunks[:-1]) == sorted(
        str(c) for c in [{"double": 2}, {"add_one": 2}, {"add_one": 3}, {"outer": 5}, {"aouter": 7}]
    )


async def test_task_outside_a_run_names_the_task() -> None:
    with pytest.raises(RuntimeError, match="'add_one' outside of a run"):
        add_one(1)


async def test_result_in_async_code_asks_for_await() -> None:
    @task
    async def slow() -> int:
        await anyio.sleep(0.01)
        return 1

    @entrypoint()
    async def flow(_: int) -> int:
        return slow().result()

    with pytest.raises(RuntimeError, match="Use `await slow"):
        await flow.ainvoke(1)


async def test_the_input_is_the_first_parameter_only() -> None:
    @entrypoint()
    def two(a: int, b: int) -> int:
        return a + b

    with pytest.raises(TypeError, match="'b'"):
        await two.ainvoke(1)


def test_entrypoint_without_parentheses_is_a_clear_error() -> None:
    def flow(x: int) -> int:
        return x

    with pytest.raises(TypeError, match=r"@entrypoint\(\)"):
        entrypoint(flow)


async def test_injected_parameters() -> None:
    store = InMemoryStore()
    await store.aput(("values",), "foo", {"bar": 2})
    seen: dict[str, Any] = {}

    @task
    def my_task(value: int) -> int:
        item = get_store().get(("values",), "foo")
        assert item is not None
        return int(item.value["bar"]) + value

    @entrypoint(store=store)
    def flow(
        value: int,
        *,
        previous: Any = None,
        config: RunnableConfig,
        writer: StreamWriter,
        runtime: Runtime[None],
        store: Any,
    ) -> int:
        seen.update(previous=previous, runtime=runtime, store=store, config=config)
        writer("started")
        return my_task(value).result()

    chunks = [c async for c in flow.astream(1, stream_mode=["custom", "updates"])]
    assert chunks == [
        ("custom", "started"),
        ("updates", {"my_task": 3}),
        ("updates", {"flow": 3}),
    ]
    assert seen["previous"] is None
    assert seen["runtime"].previous is None
    assert seen["store"] is store
    assert seen["runtime"].store is store
    assert seen["config"]["metadata"]["langgraph_node"] == "flow"


async def test_custom_stream_from_the_entrypoint() -> None:
    @entrypoint()
    def main(inputs: dict[str, int]) -> int:
        writer = get_stream_writer()
        writer("Started processing")
        result = inputs["x"] * 2
        writer(f"Result is {result}")
        return result

    chunks = [c async for c in main.astream({"x": 5}, stream_mode=["custom", "updates"])]
    assert chunks == [
        ("custom", "Started processing"),
        ("custom", "Result is 10"),
        ("updates", {"main": 10}),
    ]


async def test_final_returns_one_value_and_saves_another() -> None:
    @entrypoint()
    def flow(number: int, *, previous: Any = None) -> entrypoint.final[int, int]:
        return entrypoint.final(value=previous or 0, save=2 * number)

    assert await flow.ainvoke(3) == 0
    assert [c async for c in flow.astream(3)] == [{"flow": 0}]


async def test_task_retry_policy() -> None:
    attempts = 0

    @task(retry_policy=RetryPolicy(retry_on=ValueError, initial_interval=0.0, jitter=False))
    def get_info() -> str:
        nonlocal attempts
        attempts += 1
        if attempts < 2:
            raise ValueError("Failure")
        return "OK"

    @entrypoint()
    def main(inputs: dict[str, str], writer: StreamWriter) -> str:
        return get_info().result()

    assert await main.ainvoke({"any_input": "foobar"}) == "OK"
    assert attempts == 2


async def test_task_cache_policy() -> None:
    calls = 0

    @task(cache_policy=CachePolicy(ttl=120))
    def slow_add(x: int) -> int:
        nonlocal calls
        calls += 1
        return x * 2

    @entrypoint(cache=InMemoryCache())
    def main(inputs: dict[str, int]) -> dict[str, int]:
        result1 = slow_add(inputs["x"]).result()
        result2 = slow_add(inputs["x"]).result()
        return {"result1": result1, "result2": result2}

    chunks = [c async for c in main.astream({"x": 5}, stream_mode="updates")]
    assert chunks == [
        {"slow_add": 10},
        {"slow_add": 10, "__metadata__": {"cached": True}},
        {"main": {"result1": 10, "result2": 10}},
    ]
    assert calls == 1


async def test_cache_key_func_gets_the_arguments() -> None:
    keys: list[tuple[Any, ...]] = []

    def key(a: int, *, b: int) -> str:
        keys.append((a, b))
        return f"{a}"

    @task(name="keyed", cache_policy=CachePolicy(key_func=key))
    def add(a: int, *, b: int) -> int:
        return a + b

    @entrypoint(cache=InMemoryCache())
    def main(x: int) -> list[int]:
        return [add(x, b=1).result(), add(x, b=2).result()]

    assert await main.ainvoke(1) == [2, 2]  # same key for a=1: the second is cached
    assert keys == [(1, 1), (1, 2)]


async def test_entrypoint_inside_an_entrypoint() -> None:
    @entrypoint()
    def inner(x: int) -> int:
        return x * 10

    @entrypoint()
    async def outer(x: int) -> int:
        return int(await inner.ainvoke(x)) + 1

    assert await outer.ainvoke(2) == 21


async def test_an_unobserved_failing_task_fails_the_entrypoint() -> None:
    @task
    def boom() -> None:
        raise KeyError("boom")

    @entrypoint()
    def flow(_: int) -> str:
        boom()
        return "done"

    with pytest.raises(KeyError, match="boom"):
        await flow.ainvoke(1)


async def test_a_caught_task_error_is_handled_by_the_caller() -> None:
    @task
    async def boom() -> None:
        raise KeyError("boom")

    @entrypoint()
    async def flow(_: int) -> str:
        try:
            await boom()
        except KeyError:
            return "handled"
        return "not raised"

    assert await flow.ainvoke(1) == "handled"


async def test_a_failing_entrypoint_cancels_its_running_tasks() -> None:
    finished: list[str] = []

    @task
    async def slow() -> None:
        await anyio.sleep(10)
        finished.append("slow")

    @entrypoint()
    async def flow(_: int) -> None:
        slow()
        await anyio.lowlevel.checkpoint()
        raise LookupError("stop")

    with anyio.fail_after(5), pytest.raises(LookupError):
        await flow.ainvoke(1)
    assert finished == []


async def test_retried_entrypoint_does_not_rerun_finished_tasks() -> None:
    runs: list[str] = []
    attempts = 0

    @task
    def expensive(x: int) -> int:
        runs.append("expensive")
        return x + 1

    @entrypoint(retry_policy=RetryPolicy(initial_interval=0.0, jitter=False, retry_on=OSError))
    def flow(x: int) -> int:
        nonlocal attempts
        value = expensive(x).result()
        attempts += 1
        if attempts == 1:
            raise OSError("flaky")
        return value

    assert await flow.ainvoke(1) == 2
    assert runs == ["expensive"]
    assert attempts == 2


async def test_interrupt_inside_a_task_without_checkpointer() -> None:
    @task
    def step_1(q: str) -> str:
        return f"{q} bar"

    @task
    def human_feedback(q: str) -> str:
        return f"{q} {interrupt(f'Please provide feedback: {q}')}"

    @entrypoint()
    def graph(q: str) -> str:
        return human_feedback(step_1(q).result()).result()

    chunks = [c async for c in graph.astream("foo")]
    assert chunks[0] == {"step_1": "foo bar"}
    (paused,) = chunks[1]["__interrupt__"]
    assert paused.value == "Please provide feedback: foo bar"
    out = await graph.ainvoke("foo")
    assert [i.value for i in out["__interrupt__"]] == ["Please provide feedback: foo bar"]


async def test_interrupt_of_a_task_nobody_waited_for_pauses_the_run() -> None:
    @task
    async def ask() -> str:
        return str(interrupt("question"))

    @entrypoint()
    async def flow(_: int) -> str:
        ask()
        return "done"

    out = await flow.ainvoke(1)
    assert [i.value for i in out["__interrupt__"]] == ["question"]


async def test_interrupt_in_the_entrypoint_and_in_a_task() -> None:
    @task
    async def ask() -> str:
        return str(interrupt("from task"))

    @entrypoint()
    async def flow(_: int) -> str:
        ask()
        await anyio.lowlevel.checkpoint()
        return str(interrupt("from entrypoint"))

    out = await flow.ainvoke(1)
    assert sorted(i.value for i in out["__interrupt__"]) == ["from entrypoint", "from task"]


async def test_resume_without_checkpointer_is_a_clear_error() -> None:
    with pytest.raises(Exception, match="needs a checkpointer"):
        await fan_out.ainvoke(Command(resume=1))
    with pytest.raises(Exception, match="Command"):
        await fan_out.ainvoke(Command(update={"x": 1}))
    assert await fan_out.ainvoke(None) is None


async def test_debug_and_tasks_modes_show_calls() -> None:
    chunks = [c async for c in fan_out.astream([1], stream_mode="tasks")]
    names = [(c["name"], "result" in c) for c in chunks]
    assert names == [("fan_out", False), ("add_one", False), ("add_one", True), ("fan_out", True)]
    assert chunks[2]["result"] == {"__return__": 2}
    assert chunks[3]["result"] == {"__end__": [2]}
    debug = [c async for c in fan_out.astream([1], stream_mode="debug")]
    assert [c["type"] for c in debug] == ["task", "task", "task_result", "task_result"]


async def test_tasks_inside_a_state_graph_node() -> None:
    from typing_extensions import TypedDict

    class State(TypedDict):
        urls: list[str]
        results: list[str]

    @task
    def fetch(url: str) -> str:
        return f"page of {url}"

    @task
    async def afetch(url: str) -> str:
        return f"async page of {url}"

    def call_api(state: State) -> dict[str, Any]:
        futures = [fetch(url) for url in state["urls"]]
        return {"results": [f.result() for f in futures]}

    async def acall_api(state: State) -> dict[str, Any]:
        futures = [afetch(url) for url in state["urls"]]
        afetch("unawaited")  # still runs before the node's step ends
        return {"results": [await f for f in futures]}

    for node in (call_api, acall_api):
        app = StateGraph(State).add_node("call", node).add_edge(START, "call").compile()
        out = await app.ainvoke({"urls": ["a", "b"]})
        assert out["results"][1].endswith("page of b")
        chunks = [c async for c in app.astream({"urls": ["a"]})]
        assert chunks[-1] == {"call": {"results": [out["results"][0]]}}
        assert len(chunks) == (2 if node is call_api else 3)


def test_tasks_inside_a_lone_sync_node_under_invoke() -> None:
    from typing_extensions import TypedDict

    class State(TypedDict):
        n: int

    @task
    async def ainc(n: int) -> int:
        return n + 1

    def node(state: State) -> dict[str, Any]:
        first = add_one(state["n"])  # run at once: this node runs on invoke()'s own thread
        return {"n": first.result() + ainc(state["n"]).result()}

    app = StateGraph(State).add_node(node).add_edge(START, "node").compile()
    assert app.invoke({"n": 1}) == {"n": 4}
    assert app.invoke({"n": 1}, stream_mode="updates") == [
        {"add_one": 2},
        {"ainc": 2},
        {"node": {"n": 4}},
    ]


async def test_get_graph_draws_the_entrypoint() -> None:
    text = fan_out.get_graph().draw_mermaid()
    assert "fan_out" in text
    assert "__start__" in text
    assert "__end__" in text
    assert "fan_out" in repr(fan_out)
    assert "add_one" in repr(add_one)


async def test_entrypoint_cache_policy_and_context() -> None:
    import dataclasses

    calls: list[int] = []

    @dataclasses.dataclass
    class Context:
        user: str

    @entrypoint(cache=InMemoryCache(), cache_policy=CachePolicy(), context_schema=Context)
    def flow(x: int, runtime: Runtime[Context]) -> str:
        calls.append(x)
        return f"{runtime.context.user}:{x}"

    assert await flow.ainvoke(1, context={"user": "ada"}) == "ada:1"
    chunks = [c async for c in flow.astream(1, context=Context("ada"))]
    assert chunks == [{"flow": "ada:1", "__metadata__": {"cached": True}}]
    assert calls == [1]


async def test_cancelling_the_run_cancels_its_tasks() -> None:
    started = anyio.Event()
    after: list[str] = []

    @task
    async def slow() -> None:
        started.set()
        await anyio.sleep(10)
        after.append("slow")

    @entrypoint()
    async def flow(_: int) -> None:
        await slow()
        after.append("flow")

    with anyio.fail_after(5):
        async with anyio.create_task_group() as group:
            group.start_soon(flow.ainvoke, 1)
            await started.wait()
            group.cancel_scope.cancel()
    await anyio.sleep(0.05)
    assert after == []


async def test_a_sync_task_waiting_on_a_cancelled_task_wakes_up() -> None:
    woke: list[str] = []
    # The waiting thread is woken by the cancellation (or by the cancelled
    # task's error); either way the failing entrypoint does not hang.

    @task
    async def forever() -> None:
        await anyio.sleep(30)

    @task
    def waiter() -> None:
        try:
            forever().result()
        except BaseException as exc:
            woke.append(type(exc).__name__)
            raise

    @entrypoint()
    async def flow(_: int) -> None:
        waiter()
        await anyio.sleep(0.1)
        raise LookupError("stop")

    with anyio.fail_after(10), pytest.raises(LookupError):
        await flow.ainvoke(1)
    assert len(woke) == 1


async def test_result_with_a_timeout() -> None:
    release = threading.Event()

    @task
    def slow() -> str:
        release.wait(10)
        return "late"

    @entrypoint()
    def flow(_: int) -> list[str]:
        future = slow()
        try:
            future.result(timeout=0.05)
        except TimeoutError:
            outcome = "timed out"
        release.set()
        return [outcome, future.result(timeout=10)]

    assert await flow.ainvoke(1) == ["timed out", "late"]


async def test_a_call_cancelled_by_its_failing_entrypoint_resolves_with_an_error() -> None:
    made: list[Any] = []

    @task
    async def forever() -> int:
        await anyio.sleep_forever()
        return 1

    @entrypoint()
    async def flow(_: int) -> int:
        made.append(forever())
        await anyio.lowlevel.checkpoint()  # the call starts and waits
        raise ValueError("entrypoint failed")

    with pytest.raises(ValueError, match="entrypoint failed"):
        await flow.ainvoke(1)
    (future,) = made
    assert future.done()
    with pytest.raises(RuntimeError, match="'forever' was cancelled"):
        future.result()
