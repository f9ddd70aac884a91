"""Running graphs: fan-out/in, defer, routing, loops, limits, Send, Command, retries."""

from __future__ import annotations

import operator
from typing import Annotated, Any, Literal

import anyio
import pytest
from typing_extensions import TypedDict

from actorgraph.config import RunnableConfig, get_config
from actorgraph.errors import GraphRecursionError, InvalidUpdateError
from actorgraph.graph import END, START, StateGraph
from actorgraph.managed import IsLastStep, RemainingSteps
from actorgraph.runtime import Runtime, get_runtime
from actorgraph.types import Command, RetryPolicy, Send

pytestmark = pytest.mark.anyio


class Agg(TypedDict):
    aggregate: Annotated[list[str], operator.add]
    which: str


def adder(label: str, log: list[str]) -> Any:
    async def node(state: Agg) -> dict[str, Any]:
        log.append(f"{label} sees {state['aggregate']}")
        return {"aggregate": [label]}

    return node


async def test_fan_out_fan_in() -> None:
    log: list[str] = []
    graph = StateGraph(Agg)
    for name in "abcd":
        graph.add_node(name, adder(name.upper(), log))
    graph.add_edge(START, "a").add_edge("a", "b").add_edge("a", "c")
    graph.add_edge("b", "d").add_edge("c", "d").add_edge("d", END)
    out = await graph.compile().ainvoke({"aggregate": []})
    assert out == {"aggregate": ["A", "B", "C", "D"]}
    assert log[0] == "A sees []"
    assert sorted(log[1:3]) == ["B sees ['A']", "C sees ['A']"]
    assert log[3] == "D sees ['A', 'B', 'C']"


def _uneven(defer: bool, barrier: bool = False) -> StateGraph[Agg]:
    log: list[str] = []
    graph = StateGraph(Agg)
    for name in ("a", "b", "b_2", "c"):
        graph.add_node(name, adder(name.upper(), log))
    graph.add_node("d", adder("D", log), defer=defer)
    graph.add_edge(START, "a").add_edge("a", "b").add_edge("a", "c").add_edge("b", "b_2")
    if barrier:
        graph.add_edge(["b_2", "c"], "d")
    else:
        graph.add_edge("b_2", "d").add_edge("c", "d")
    graph.add_edge("d", END)
    return graph


async def test_defer_waits_for_uneven_branches() -> None:
    out = await _uneven(defer=True).compile().ainvoke({"aggregate": []})
    assert out["aggregate"] == ["A", "B", "C", "B_2", "D"]


async def test_without_defer_the_join_runs_twice() -> None:
    out = await _uneven(defer=False).compile().ainvoke({"aggregate": []})
    assert out["aggregate"] == ["A", "B", "C", "B_2", "D", "D"]


async def test_waiting_edge_runs_once() -> None:
    out = await _uneven(defer=False, barrier=True).compile().ainvoke({"aggregate": []})
    assert out["aggregate"] == ["A", "B", "C", "B_2", "D"]


async def test_deferred_barrier() -> None:
    out = await _uneven(defer=True, barrier=True).compile().ainvoke({"aggregate": []})
    assert out["aggregate"] == ["A", "B", "C", "B_2", "D"]


def _branching(route: Any, path_map: Any = None) -> StateGraph[Agg]:
    log: list[str] = []
    graph = StateGraph(Agg)
    for name in "bcd":
        graph.add_node(name, adder(name.upper(), log))
        graph.add_edge(name, END)

    async def a(state: Agg) -> dict[str, Any]:
        return {"aggregate": ["A"]}

    graph.add_node("a", a).add_edge(START, "a")
    graph.add_conditional_edges("a", route, path_map)
    return graph


async def test_conditional_edge_by_state() -> None:
    def route(state: Agg) -> Literal["b", "c"]:
        return "c" if state["which"] == "c" else "b"

    out = await _branching(route).compile().ainvoke({"aggregate": [], "which": "c"})
    assert out == {"aggregate": ["A", "C"], "which": "c"}


async def test_router_returning_a_list_runs_in_parallel() -> None:
    def route(state: Agg) -> list[str]:
        return ["b", "c"] if state["which"] == "bc" else ["c", "d"]

    app = _branching(route).compile()
    assert (await app.ainvoke({"aggregate": [], "which": "bc"}))["aggregate"] == ["A", "B", "C"]
    assert (await app.ainvoke({"aggregate": [], "which": "cd"}))["aggregate"] == ["A", "C", "D"]


async def test_path_map_dict_and_async_router() -> None:
    async def route(state: Agg) -> bool:
        return state["which"] == "x"

    app = _branching(route, {True: "b", False: "c"}).compile()
    assert (await app.ainvoke({"aggregate": [], "which": "x"}))["aggregate"] == ["A", "B"]
    assert (await app.ainvoke({"aggregate": [], "which": "y"}))["aggregate"] == ["A", "C"]


async def test_router_sees_the_source_nodes_own_writes() -> None:
    graph = StateGraph(Agg)

    async def a(state: Agg) -> dict[str, Any]:
        return {"aggregate": ["A"], "which": "c"}

    graph.add_node("a", a).add_node("c", adder("C", [])).add_edge(START, "a")
    graph.add_conditional_edges("a", lambda s: s["which"])
    out = await graph.compile().ainvoke({"aggregate": [], "which": "b"})
    assert out == {"aggregate": ["A", "C"], "which": "c"}


async def test_conditional_entry_point() -> None:
    graph = StateGraph(Agg)
    graph.add_node("b", adder("B", [])).add_node("c", adder("C", []))
    graph.set_conditional_entry_point(lambda s: s["which"] == "b", {True: "b", False: "c"})
    app = graph.compile()
    assert (await app.ainvoke({"aggregate": [], "which": "b"}))["aggregate"] == ["B"]
    assert (await app.ainvoke({"aggregate": [], "which": "z"}))["aggregate"] == ["C"]


def _loop(log: list[str], *, branches: bool = False, route: Any = None) -> StateGraph[Agg]:
    graph = StateGraph(Agg)
    for name in "abcd":
        graph.add_node(name, adder(name.upper(), log))
    graph.add_edge(START, "a")
    graph.add_conditional_edges(
        "a", route or (lambda s: "b" if len(s["aggregate"]) < 7 else END), ["b", END]
    )
    if branches:
        graph.add_edge("b", "c").add_edge("b", "d").add_edge(["c", "d"], "a")
    else:
        graph.add_edge("b", "a")
    return graph


async def test_loop_terminates() -> None:
    out = await _loop([]).compile().ainvoke({"aggregate": []})
    assert out["aggregate"] == ["A", "B", "A", "B", "A", "B", "A"]


async def test_loop_with_branches_merges_in_node_order() -> None:
    out = await _loop([], branches=True).compile().ainvoke({"aggregate": []})
    assert out["aggregate"] == ["A", "B", "C", "D", "A", "B", "C", "D", "A"]


async def test_recursion_limit_names_the_last_nodes() -> None:
    log: list[str] = []
    app = _loop(log, branches=True).compile()
    with pytest.raises(GraphRecursionError, match="Recursion limit of 4") as info:
        await app.ainvoke({"aggregate": []}, {"recursion_limit": 4})
    assert "'a'" in str(info.value)
    assert log[0] == "A sees []"
    assert log[-1] == "A sees ['A', 'B', 'C', 'D']"
    assert len(log) == 5


@pytest.mark.parametrize(("limit", "runs"), [(1, 1), (3, 3), (4, 4)])
async def test_recursion_limit_counts_supersteps(limit: int, runs: int) -> None:
    log: list[str] = []
    with pytest.raises(GraphRecursionError):
        await _loop(log).compile().ainvoke({"aggregate": []}, {"recursion_limit": limit})
    assert len(log) == runs


async def test_recursion_limit_inside_configurable_is_ignored() -> None:
    out = (
        await _loop([])
        .compile()
        .ainvoke({"aggregate": []}, {"configurable": {"recursion_limit": 2}})
    )
    assert len(out["aggregate"]) == 7


async def test_recursion_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        await _loop([]).compile().ainvoke({"aggregate": []}, {"recursion_limit": 0})


class Counted(TypedDict):
    aggregate: Annotated[list[str], operator.add]
    remaining_steps: RemainingSteps


async def test_remaining_steps_ends_gracefully() -> None:
    seen: list[int] = []
    graph = StateGraph(Counted)

    async def a(state: Counted) -> dict[str, Any]:
        seen.append(state["remaining_steps"])
        return {"aggregate": ["A"]}

    async def b(state: Counted) -> dict[str, Any]:
        seen.append(state["remaining_steps"])
        return {"aggregate": ["B"]}

    graph.add_node("a", a).add_node("b", b).add_edge(START, "a").add_edge("b", "a")
    graph.add_conditional_edges("a", lambda s: END if s["remaining_steps"] <= 2 else "b")
    out = await graph.compile().ainvoke({"aggregate": []}, {"recursion_limit": 4})
    assert out == {"aggregate": ["A", "B", "A"]}
    assert seen == [3, 2, 1]


class LastStep(TypedDict):
    steps: Annotated[list[bool], operator.add]
    is_last_step: IsLastStep


async def test_is_last_step() -> None:
    graph = StateGraph(LastStep)

    async def loop(state: LastStep) -> dict[str, Any]:
        return {"steps": [state["is_last_step"]]}

    graph.add_node("loop", loop).add_edge(START, "loop")
    graph.add_conditional_edges("loop", lambda s: END if s["is_last_step"] else "loop")
    out = await graph.compile().ainvoke({"steps": []}, {"recursion_limit": 3})
    assert out == {"steps": [False, True]}


class Jokes(TypedDict):
    subjects: list[str]
    jokes: Annotated[list[str], operator.add]
    best: str


def _jokes_graph(delays: dict[str, float] | None = None) -> StateGraph[Jokes]:
    graph = StateGraph(Jokes)

    async def topics(state: Jokes) -> dict[str, Any]:
        return {"subjects": ["lions", "elephants", "penguins"]}

    async def joke(state: dict[str, Any]) -> dict[str, Any]:
        await anyio.sleep((delays or {}).get(state["subject"], 0))
        return {"jokes": [f"Joke about {state['subject']}"]}

    async def best(state: Jokes) -> dict[str, Any]:
        return {"best": state["jokes"][-1]}

    graph.add_node("topics", topics).add_node("joke", joke).add_node("best", best)
    graph.add_edge(START, "topics").add_edge("joke", "best").add_edge("best", END)
    graph.add_conditional_edges(
        "topics", lambda s: [Send("joke", {"subject": x}) for x in s["subjects"]], ["joke"]
    )
    return graph


async def test_send_map_reduce_keeps_send_order() -> None:
    app = _jokes_graph({"lions": 0.03, "elephants": 0.01}).compile()
    chunks = [chunk async for chunk in app.astream({"subjects": []})]
    assert chunks == [
        {"topics": {"subjects": ["lions", "elephants", "penguins"]}},
        {"joke": {"jokes": ["Joke about lions"]}},
        {"joke": {"jokes": ["Joke about elephants"]}},
        {"joke": {"jokes": ["Joke about penguins"]}},
        {"best": {"best": "Joke about penguins"}},
    ]


async def test_send_from_start() -> None:
    class S(TypedDict):
        subjects: list[str]
        jokes: Annotated[list[str], operator.add]

    graph = StateGraph(S)
    graph.add_node("gen", lambda s: {"jokes": [f"Joke about {s['subject']}"]})
    graph.add_conditional_edges(
        START, lambda s: [Send("gen", {"subject": x}) for x in s["subjects"]]
    )
    graph.add_edge("gen", END)
    out = await graph.compile().ainvoke({"subjects": ["cats", "dogs"]})
    assert out == {"subjects": ["cats", "dogs"], "jokes": ["Joke about cats", "Joke about dogs"]}


class Foo(TypedDict):
    foo: str


async def test_command_update_and_goto_without_edges() -> None:
    called: list[str] = []

    async def node_a(state: Foo) -> Command[Literal["node_b", "node_c"]]:
        called.append("a")
        return Command(update={"foo": "b"}, goto="node_b")

    async def node_b(state: Foo) -> dict[str, Any]:
        called.append("b")
        return {"foo": state["foo"] + "b"}

    async def node_c(state: Foo) -> dict[str, Any]:
        called.append("c")
        return {"foo": state["foo"] + "c"}

    graph = StateGraph(Foo).add_node(node_a).add_node(node_b).add_node(node_c)
    graph.add_edge(START, "node_a")
    assert await graph.compile().ainvoke({"foo": ""}) == {"foo": "bb"}
    assert called == ["a", "b"]


async def test_command_goto_adds_to_static_edges() -> None:
    class S(TypedDict):
        log: Annotated[list[str], operator.add]

    graph = StateGraph(S)
    graph.add_node("a", lambda s: Command(goto="c", update={"log": ["a"]}))
    graph.add_node("b", lambda s: {"log": ["b"]}).add_node("c", lambda s: {"log": ["c"]})
    graph.add_edge(START, "a").add_edge("a", "b")
    assert (await graph.compile().ainvoke({"log": []}))["log"] == ["a", "b", "c"]


async def test_command_goto_sends_and_lists_of_commands() -> None:
    class S(TypedDict):
        out: Annotated[list[int], operator.add]
        tag: Annotated[list[str], operator.add]

    graph = StateGraph(S)
    graph.add_node(
        "a",
        lambda s: [
            Command(goto=[Send("w", {"i": 1}), Send("w", {"i": 2})]),
            Command(update=[("tag", ["x"])], goto=END),
        ],
    )
    graph.add_node("w", lambda s: {"out": [s["i"] * 10]})
    graph.add_edge(START, "a")
    assert await graph.compile().ainvoke({"out": []}) == {"out": [10, 20], "tag": ["x"]}


async def test_command_as_input() -> None:
    graph = StateGraph(Foo)
    graph.add_node("a", lambda s: {"foo": s["foo"] + "a"}).add_node("b", lambda s: {"foo": "b"})
    graph.add_edge(START, "a")
    out = await graph.compile().ainvoke(Command(update={"foo": "x"}, goto="b"))
    assert out == {"foo": "b"}


async def test_command_parent_from_subgraph() -> None:
    class S(TypedDict):
        foo: Annotated[str, operator.add]

    def node_a(state: S) -> Command[Any]:
        return Command(update={"foo": "a"}, goto="node_b", graph=Command.PARENT)

    sub = StateGraph(S).add_node(node_a).add_edge(START, "node_a").compile()
    parent = StateGraph(S).add_node("subgraph", sub)
    parent.add_node("node_b", lambda s: {"foo": "b"}).add_node("node_c", lambda s: {"foo": "c"})
    parent.add_edge(START, "subgraph")
    assert await parent.compile().ainvoke({"foo": ""}) == {"foo": "ab"}


async def test_subgraph_as_node_shares_keys_and_hides_private_ones() -> None:
    class Parent(TypedDict):
        foo: str

    class Child(TypedDict):
        foo: str
        bar: str

    child = StateGraph(Child)
    child.add_node("c1", lambda s: {"bar": "bar"}).add_node(
        "c2", lambda s: {"foo": s["foo"] + s["bar"]}
    )
    child.add_edge(START, "c1").add_edge("c1", "c2")
    parent = StateGraph(Parent).add_node("child", child.compile()).add_edge(START, "child")
    assert await parent.compile().ainvoke({"foo": "foo"}) == {"foo": "foobar"}


async def test_retry_policy_retries_until_success() -> None:
    calls = 0

    async def flaky(state: Foo) -> dict[str, Any]:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise ConnectionError("down")
        return {"foo": str(calls)}

    graph = StateGraph(Foo).add_node(
        "f", flaky, retry_policy=RetryPolicy(max_attempts=3, initial_interval=0.0)
    )
    assert await graph.add_edge(START, "f").compile().ainvoke({"foo": ""}) == {"foo": "3"}
    assert calls == 3


@pytest.mark.parametrize(
    ("policy", "error", "calls"),
    [
        (RetryPolicy(initial_interval=0.0), ValueError, 1),
        (RetryPolicy(retry_on=ValueError, max_attempts=2, initial_interval=0.0), ValueError, 2),
        (RetryPolicy(retry_on=[KeyError, ValueError], initial_interval=0.0), ValueError, 3),
        (RetryPolicy(retry_on=lambda e: False, initial_interval=0.0), ValueError, 1),
        (RetryPolicy(retry_on=OSError, initial_interval=0.0), ValueError, 1),
    ],
)
async def test_retry_policy_retry_on(
    policy: RetryPolicy, error: type[Exception], calls: int
) -> None:
    count = 0

    async def fails(state: Foo) -> None:
        nonlocal count
        count += 1
        raise error("boom")

    graph = StateGraph(Foo).add_node("f", fails, retry_policy=policy).add_edge(START, "f")
    with pytest.raises(error, match="boom"):
        await graph.compile().ainvoke({"foo": ""})
    assert count == calls


async def test_retry_only_reruns_the_failing_branch() -> None:
    class S(TypedDict):
        agg: Annotated[list[str], operator.add]

    counts = {"b": 0, "c": 0}

    async def b(state: S) -> dict[str, Any]:
        counts["b"] += 1
        return {"agg": ["b"]}

    async def c(state: S) -> dict[str, Any]:
        counts["c"] += 1
        if counts["c"] == 1:
            raise ConnectionError("flaky")
        return {"agg": ["c"]}

    graph = StateGraph(S).add_node("b", b)
    graph.add_node("c", c, retry_policy=RetryPolicy(initial_interval=0.001, jitter=True))
    graph.add_edge(START, "b").add_edge(START, "c")
    assert await graph.compile().ainvoke({"agg": []}) == {"agg": ["b", "c"]}
    assert counts == {"b": 1, "c": 2}


async def test_failing_branch_cancels_siblings_and_drops_the_step() -> None:
    class S(TypedDict):
        agg: Annotated[list[str], operator.add]

    finished: list[str] = []

    async def slow(state: S) -> dict[str, Any]:
        await anyio.sleep(5)
        finished.append("slow")
        return {"agg": ["slow"]}

    async def bad(state: S) -> None:
        raise RuntimeError("bad")

    graph = StateGraph(S).add_node("slow", slow).add_node("bad", bad)
    graph.add_edge(START, "slow").add_edge(START, "bad")
    with anyio.fail_after(2), pytest.raises(RuntimeError, match="bad"):
        await graph.compile().ainvoke({"agg": []})
    assert finished == []


async def test_max_concurrency_bounds_fan_out() -> None:
    class S(TypedDict):
        items: list[int]
        done: Annotated[list[int], operator.add]

    in_flight = 0
    peak = 0

    async def work(state: dict[str, Any]) -> dict[str, Any]:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await anyio.sleep(0.01)
        in_flight -= 1
        return {"done": [state["i"]]}

    graph = StateGraph(S).add_node("work", work)
    graph.add_conditional_edges(START, lambda s: [Send("work", {"i": i}) for i in s["items"]])
    out = await graph.compile().ainvoke({"items": list(range(10))}, {"max_concurrency": 2})
    assert out["done"] == list(range(10))
    assert peak == 2


async def test_sync_nodes_run_on_worker_threads() -> None:
    import threading

    main = threading.get_ident()
    threads: list[int] = []

    def node(state: Foo) -> dict[str, Any]:
        threads.append(threading.get_ident())
        assert get_config()["metadata"]["langgraph_node"] == "node"
        return {"foo": "x"}

    app = StateGraph(Foo).add_node(node).add_edge(START, "node").compile()
    assert await app.ainvoke({"foo": ""}) == {"foo": "x"}
    assert threads
    assert threads[0] != main
    inline = StateGraph(Foo).add_node(node).add_edge(START, "node").compile(inline_sync_nodes=True)
    await inline.ainvoke({"foo": ""})
    assert threads[-1] == main


class Ctx(TypedDict):
    my_runtime_value: str


async def test_context_schema_and_runtime_injection() -> None:
    class S(TypedDict):
        my_state_value: int

    def node(state: S, runtime: Runtime[Ctx]) -> dict[str, Any]:
        value = runtime.context["my_runtime_value"]
        assert get_runtime(Ctx) is runtime
        if value == "a":
            return {"my_state_value": 1}
        if value == "b":
            return {"my_state_value": 2}
        raise ValueError("Unknown values.")

    app = StateGraph(S, context_schema=Ctx).add_node(node).add_edge(START, "node").compile()
    assert await app.ainvoke({}, context={"my_runtime_value": "a"}) == {"my_state_value": 1}
    assert await app.ainvoke({}, context={"my_runtime_value": "b"}) == {"my_state_value": 2}
    with pytest.raises(ValueError, match="Unknown values"):
        await app.ainvoke({}, context={"my_runtime_value": "z"})


async def test_dataclass_context_from_dict_and_store_injection() -> None:
    import dataclasses

    @dataclasses.dataclass
    class Context:
        provider: str = "anthropic"

    class S(TypedDict):
        out: str

    async def node(state: S, config: RunnableConfig, *, store: Any, writer: Any) -> dict[str, Any]:
        assert config["configurable"]["user"] == "u1"
        return {"out": f"{get_runtime().context.provider}:{store}"}

    app = StateGraph(S, context_schema=Context).add_node(node).add_edge(START, "node")
    compiled = app.compile(store="the-store")
    got = await compiled.ainvoke(
        {}, {"configurable": {"user": "u1"}}, context={"provider": "openai"}
    )
    assert got == {"out": "openai:the-store"}
    got = await compiled.ainvoke({}, {"configurable": {"user": "u1"}}, context=Context())
    assert got == {"out": "anthropic:the-store"}


async def test_step_metadata_in_config() -> None:
    class S(TypedDict):
        seen: Annotated[list[Any], operator.add]

    def record(state: S, config: RunnableConfig) -> dict[str, Any]:
        meta = config["metadata"]
        assert {"langgraph_triggers", "langgraph_path", "langgraph_checkpoint_ns"} <= set(meta)
        return {"seen": [(meta["langgraph_step"], meta["langgraph_node"])]}

    graph = StateGraph(S).add_node("a", record).add_node("b", record)
    graph.add_edge(START, "a").add_edge("a", "b")
    out = await graph.compile().ainvoke({"seen": []})
    assert out["seen"] == [(1, "a"), (2, "b")]


async def test_abatch_and_return_exceptions() -> None:
    async def node(state: Foo) -> dict[str, Any]:
        if state["foo"] == "bad":
            raise ValueError("bad input")
        return {"foo": state["foo"] * 2}

    app = StateGraph(Foo).add_node(node).add_edge(START, "node").compile()
    assert await app.abatch([{"foo": "a"}, {"foo": "b"}]) == [{"foo": "aa"}, {"foo": "bb"}]
    results = await app.abatch(
        [{"foo": "a"}, {"foo": "bad"}], {"max_concurrency": 1}, return_exceptions=True
    )
    assert results[0] == {"foo": "aa"}
    assert isinstance(results[1], ValueError)
    with pytest.raises(ValueError, match="bad input"):
        await app.abatch([{"foo": "bad"}, {"foo": "a"}], [{}, {}])
    with pytest.raises(ValueError, match="configs"):
        await app.abatch([{"foo": "a"}], [{}, {}])


async def test_two_writes_to_a_plain_key_name_both_nodes() -> None:
    graph = StateGraph(Foo).add_node("left", lambda s: {"foo": "l"})
    graph.add_node("right", lambda s: {"foo": "r"})
    graph.add_edge(START, "left").add_edge(START, "right")
    with pytest.raises(InvalidUpdateError) as info:
        await graph.compile().ainvoke({"foo": ""})
    message = str(info.value)
    assert "'left' and 'right'" in message
    assert "Annotated" in message
