"""The workloads, each written once against :class:`benchmarks._impls.Api`.

Every workload checks its own result: a run that computes the wrong answer
fails the benchmark instead of reporting a fast time. LangGraph's own benchmark
set is rebuilt here through the public API (chains, Send fan-out to a subgraph,
an agent loop, wide state), plus workloads of ours (many runs in flight,
custom stream events, the serializer).
"""

from __future__ import annotations

import dataclasses
import operator
import os
import shutil
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

import anyio
import msgspec
from typing_extensions import TypedDict

from benchmarks._impls import Api


@dataclass(frozen=True)
class Prepared:
    """A built workload: ``run`` is timed, ``check`` verifies what it returned."""

    run: Callable[[], Awaitable[Any]] | Callable[[], Any]
    check: Callable[[Any], None]
    ops: int
    is_async: bool = True
    extras: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Workload:
    name: str
    unit: str
    prepare: Callable[[Api], Prepared]
    quick: bool = True
    # Repetitions for workloads too slow for the runner's default (None: the default).
    reps: int | None = None
    # Implementations the workload applies to (the serializer formats differ, etc.).
    impls: tuple[str, ...] = ("actorgraph", "langgraph")


def _expect(actual: Any, expected: Any, what: str) -> None:
    if actual != expected:
        raise AssertionError(f"{what}: expected {expected!r}, got {actual!r}")


# Schemas built at run time (their fields depend on the workload's size or on the
# implementation's reducer) use the functional form, which type checkers reject
# with non-literal arguments.
_typeddict: Any = TypedDict


def _get(state: Any, key: str) -> Any:
    return state[key] if isinstance(state, dict) else getattr(state, key)


# --- sequential chain ---------------------------------------------------------------


class Counter(TypedDict):
    n: int


def _chain(api: Api, length: int, *, asynchronous: bool, checkpointer: bool) -> Any:
    builder = api.StateGraph(Counter)
    previous = api.START
    for i in range(length):
        if asynchronous:

            async def step(state: Counter) -> dict[str, int]:
                return {"n": state["n"] + 1}

        else:

            def step(state: Counter) -> dict[str, int]:  # type: ignore[misc]
                return {"n": state["n"] + 1}

        builder.add_node(f"node_{i}", step)
        builder.add_edge(previous, f"node_{i}")
        previous = f"node_{i}"
    builder.add_edge(previous, api.END)
    return builder.compile(checkpointer=api.memory_saver() if checkpointer else None)


def chain(length: int, *, sync: bool = False, checkpointer: bool = False) -> Workload:
    def prepare(api: Api) -> Prepared:
        graph = _chain(api, length, asynchronous=not sync, checkpointer=checkpointer)
        runs = iter(range(1_000_000))

        def config() -> dict[str, Any]:
            cfg: dict[str, Any] = {"recursion_limit": length + 10}
            if checkpointer:
                cfg["configurable"] = {"thread_id": f"t{next(runs)}"}
            return cfg

        def check(result: Any) -> None:
            _expect(result["n"], length, "chain result")

        if sync:
            return Prepared(lambda: graph.invoke({"n": 0}, config()), check, length, False)

        async def run() -> Any:
            return await graph.ainvoke({"n": 0}, config())

        return Prepared(run, check, length)

    suffix = ("_sync" if sync else "") + ("_checkpoint" if checkpointer else "")
    return Workload(f"chain_{length}{suffix}", "step", prepare, quick=length <= 10)


# --- Send fan-out to a 12-step subgraph -----------------------------------------------

SUBGRAPH_STEPS = 12


class Item(TypedDict):
    x: int
    results: Annotated[list[int], operator.add]


class Fan(TypedDict):
    width: int
    results: Annotated[list[int], operator.add]


def fanout(width: int, *, checkpointer: bool = False) -> Workload:
    def prepare(api: Api) -> Prepared:
        sub = api.StateGraph(Item)
        previous = api.START
        for i in range(SUBGRAPH_STEPS - 1):

            async def bump(state: Item) -> dict[str, int]:
                return {"x": state["x"] + 1}

            sub.add_node(f"s{i}", bump)
            sub.add_edge(previous, f"s{i}")
            previous = f"s{i}"

        async def report(state: Item) -> dict[str, list[int]]:
            return {"results": [state["x"]]}

        sub.add_node("report", report)
        sub.add_edge(previous, "report")
        sub.add_edge("report", api.END)

        def spread(state: Fan) -> list[Any]:
            return [api.Send("item", {"x": i, "results": []}) for i in range(state["width"])]

        parent = api.StateGraph(Fan)
        parent.add_node("item", sub.compile())
        parent.add_conditional_edges(api.START, spread, ["item"])
        parent.add_edge("item", api.END)
        graph = parent.compile(checkpointer=api.memory_saver() if checkpointer else None)
        runs = iter(range(1_000_000))
        expected = sorted(i + SUBGRAPH_STEPS - 1 for i in range(width))

        async def run() -> Any:
            config: dict[str, Any] = {"recursion_limit": 100}
            if checkpointer:
                config["configurable"] = {"thread_id": f"t{next(runs)}"}
            return await graph.ainvoke({"width": width, "results": []}, config)

        def check(result: Any) -> None:
            _expect(sorted(result["results"]), expected, "fan-out results")

        return Prepared(run, check, width)

    suffix = "_checkpoint" if checkpointer else ""
    return Workload(f"send_fanout_{width}{suffix}", "task", prepare, quick=width <= 10)


# --- a react-style agent loop with a scripted model ------------------------------------


def agent_loop(rounds: int, *, checkpointer: bool = False) -> Workload:
    def prepare(api: Api) -> Prepared:
        # Built at run time: the reducer belongs to the implementation under test.
        chat_schema = _typeddict("Chat", {"messages": Annotated[list[Any], api.add_messages]})

        async def model(state: Any) -> dict[str, list[Any]]:
            done = sum(1 for m in state["messages"] if isinstance(m, api.ToolMessage))
            if done >= rounds:
                return {"messages": [api.AIMessage(content="done")]}
            call = api.tool_call("lookup", {"query": f"q{done}"}, f"call_{done}")
            return {"messages": [api.AIMessage(content="", tool_calls=[call])]}

        async def tools(state: Any) -> dict[str, list[Any]]:
            last = state["messages"][-1]
            replies = [
                api.ToolMessage(
                    content=f"result for {_call_field(call, 'args')['query']}",
                    tool_call_id=_call_field(call, "id"),
                )
                for call in last.tool_calls
            ]
            return {"messages": replies}

        def route(state: Any) -> str:
            return "tools" if state["messages"][-1].tool_calls else api.END

        builder = api.StateGraph(chat_schema)
        builder.add_node("model", model)
        builder.add_node("tools", tools)
        builder.add_edge(api.START, "model")
        builder.add_conditional_edges("model", route, ["tools", api.END])
        builder.add_edge("tools", "model")
        graph = builder.compile(checkpointer=api.memory_saver() if checkpointer else None)
        runs = iter(range(1_000_000))

        async def run() -> Any:
            config: dict[str, Any] = {"recursion_limit": 2 * rounds + 10}
            if checkpointer:
                config["configurable"] = {"thread_id": f"t{next(runs)}"}
            return await graph.ainvoke({"messages": [api.HumanMessage(content="go")]}, config)

        def check(result: Any) -> None:
            messages = result["messages"]
            _expect(len(messages), 2 * rounds + 2, "agent message count")
            _expect(messages[-1].content, "done", "agent final answer")

        return Prepared(run, check, 2 * rounds + 1)

    suffix = "_checkpoint" if checkpointer else ""
    return Workload(f"agent_loop_{rounds}{suffix}", "step", prepare, quick=rounds <= 10)


def _call_field(call: Any, name: str) -> Any:
    return call[name] if isinstance(call, dict) else getattr(call, name)


# --- wide state -----------------------------------------------------------------------

WIDE_STEPS = 10


def _wide_schema(kind: str, keys: int) -> Any:
    names = [f"k{i}" for i in range(keys)]
    if kind == "typeddict":
        return _typeddict("WideDict", dict.fromkeys(names, dict[str, int]))
    if kind == "dataclass":
        return dataclasses.make_dataclass(
            "WideData",
            [(name, dict[str, int], dataclasses.field(default_factory=dict)) for name in names],
        )
    if kind == "pydantic":
        import pydantic

        fields: dict[str, Any] = {name: (dict[str, int], {}) for name in names}
        return pydantic.create_model("WideModel", **fields)
    raise ValueError(kind)


def wide_state(keys: int, items: int, kind: str, *, checkpointer: bool = False) -> Workload:
    def prepare(api: Api) -> Prepared:
        schema = _wide_schema(kind, keys)
        builder = api.StateGraph(schema)
        previous = api.START
        for step in range(WIDE_STEPS):
            key = f"k{step % keys}"

            async def touch(state: Any, key: str = key) -> dict[str, Any]:
                total = sum(len(_get(state, f"k{i}")) for i in range(keys))
                return {key: {**_get(state, key), f"total_{total}": total}}

            builder.add_node(f"w{step}", touch)
            builder.add_edge(previous, f"w{step}")
            previous = f"w{step}"
        builder.add_edge(previous, api.END)
        graph = builder.compile(checkpointer=api.memory_saver() if checkpointer else None)
        start = {f"k{i}": {f"item_{j}": j for j in range(items)} for i in range(keys)}
        runs = iter(range(1_000_000))

        async def run() -> Any:
            config: dict[str, Any] = {"recursion_limit": WIDE_STEPS + 10}
            if checkpointer:
                config["configurable"] = {"thread_id": f"t{next(runs)}"}
            return await graph.ainvoke(start, config)

        def check(result: Any) -> None:
            sizes = sorted(len(_get(result, f"k{i}")) for i in range(keys))
            grown = sum(size - items for size in sizes)
            _expect(grown, WIDE_STEPS, "wide-state growth")

        return Prepared(run, check, WIDE_STEPS)

    suffix = "_checkpoint" if checkpointer else ""
    return Workload(
        f"wide_{keys}x{items}_{kind}{suffix}",
        "step",
        prepare,
        quick=(keys, kind) == (25, "typeddict"),
    )


# --- many runs in flight -----------------------------------------------------------------


def _rss_bytes() -> int:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def concurrent_runs(count: int) -> Workload:
    def prepare(api: Api) -> Prepared:
        state: dict[str, Any] = {}

        async def first(s: Counter) -> dict[str, int]:
            state["arrived"] += 1
            if state["arrived"] == count:
                state["rss_in_flight"] = _rss_bytes()
                state["gate"].set()
            await state["gate"].wait()
            return {"n": s["n"] + 1}

        async def second(s: Counter) -> dict[str, int]:
            return {"n": s["n"] + 1}

        async def third(s: Counter) -> dict[str, int]:
            return {"n": s["n"] + 1}

        builder = api.StateGraph(Counter)
        builder.add_node("first", first)
        builder.add_node("second", second)
        builder.add_node("third", third)
        builder.add_edge(api.START, "first")
        builder.add_edge("first", "second")
        builder.add_edge("second", "third")
        builder.add_edge("third", api.END)
        graph = builder.compile()
        extras: dict[str, float] = {}

        async def run() -> Any:
            state.update(arrived=0, gate=anyio.Event())
            results: list[int] = []
            before = _rss_bytes()

            async def one(i: int) -> None:
                out = await graph.ainvoke({"n": i})
                results.append(out["n"] - i)

            async with anyio.create_task_group() as group:
                for i in range(count):
                    group.start_soon(one, i)
            # Memory is measured on the first run of a fresh process: later runs
            # reuse the arenas the first one grew, and would show no growth.
            if "rss_per_run_kib" not in extras:
                extras["rss_per_run_kib"] = (state["rss_in_flight"] - before) / count / 1024
            return results

        def check(results: Any) -> None:
            _expect(len(results), count, "runs finished")
            _expect(set(results), {3}, "steps per run")

        return Prepared(run, check, count, extras=extras)

    return Workload(
        f"concurrent_runs_{count}",
        "run",
        prepare,
        quick=count <= 1000,
        reps=2 if count >= 10_000 else None,
    )


# --- custom stream events ------------------------------------------------------------


def custom_events(count: int) -> Workload:
    def prepare(api: Api) -> Prepared:
        async def emit(state: Counter) -> dict[str, int]:
            writer = api.get_stream_writer()
            for i in range(count):
                writer({"progress": i})
            return {"n": count}

        builder = api.StateGraph(Counter)
        builder.add_node("emit", emit)
        builder.add_edge(api.START, "emit")
        builder.add_edge("emit", api.END)
        graph = builder.compile()

        async def run() -> Any:
            seen = 0
            last = -1
            async for chunk in graph.astream({"n": 0}, stream_mode="custom"):
                seen += 1
                last = chunk["progress"]
            return seen, last

        def check(result: Any) -> None:
            _expect(result, (count, count - 1), "custom events received")

        return Prepared(run, check, count)

    return Workload(f"custom_events_{count}", "event", prepare)


# --- the serializer ---------------------------------------------------------------------


def serializer_roundtrip(kind: str) -> Workload:
    def prepare(api: Api) -> Prepared:
        dumps, loads = api.serializer()
        if kind == "messages":
            value: Any = [
                api.HumanMessage(content=f"message {i} " * 8, id=f"m{i}")
                if i % 2 == 0
                else api.AIMessage(content=f"reply {i} " * 8, id=f"m{i}")
                for i in range(100)
            ]
        else:
            value = {f"key_{i}": {"n": i, "name": f"v{i}", "tags": ["a", "b"]} for i in range(300)}
        repeat = 200

        def run() -> Any:
            out = None
            for _ in range(repeat):
                out = loads(dumps(value))
            return out

        def check(result: Any) -> None:
            if kind == "messages":
                _expect([m.content for m in result], [m.content for m in value], "messages")
            else:
                _expect(result, value, "state round trip")

        return Prepared(run, check, repeat, is_async=False)

    return Workload(f"serde_{kind}", "roundtrip", prepare)


def functional_fanout(width: int, *, checkpointer: bool = False) -> Workload:
    """An entrypoint that calls ``width`` async tasks at once and awaits them all."""

    def prepare(api: Api) -> Prepared:
        async def double(n: int) -> int:
            return n * 2

        work = api.task(double)

        async def fan_out(numbers: list[int]) -> list[int]:
            futures = [work(n) for n in numbers]
            return [await future for future in futures]

        saver = api.memory_saver() if checkpointer else None
        flow = api.entrypoint(checkpointer=saver)(fan_out)

        numbers = list(range(width))
        runs = iter(range(1_000_000))

        async def run() -> Any:
            config = {"configurable": {"thread_id": f"t{next(runs)}"}} if checkpointer else None
            return await flow.ainvoke(numbers, config)

        def check(result: Any) -> None:
            _expect(result, [2 * n for n in numbers], "functional fan-out results")

        return Prepared(run, check, width)

    suffix = "_checkpoint" if checkpointer else ""
    return Workload(f"functional_fanout_{width}{suffix}", "task", prepare, quick=width <= 10)


def functional_sequence(length: int) -> Workload:
    """An entrypoint that calls ``length`` sync tasks one after the other."""

    def prepare(api: Api) -> Prepared:
        def add_one(n: int) -> int:
            return n + 1

        step = api.task(add_one)

        def sequence(n: int) -> int:
            for _ in range(length):
                n = step(n).result()
            return n

        flow = api.entrypoint()(sequence)

        async def run() -> Any:
            return await flow.ainvoke(0)

        def check(result: Any) -> None:
            _expect(result, length, "functional sequence result")

        return Prepared(run, check, length)

    return Workload(f"functional_sequence_{length}", "task", prepare)


# --- SQLite checkpointing, database size, interrupt and resume -----------------------


def _temp_db(tag: str) -> str:
    folder = tempfile.mkdtemp(prefix=f"bench-{tag}-")
    return os.path.join(folder, "checkpoints.db")


def _db_kib(path: str) -> float:
    files = [path, path + "-wal", path + "-shm"]
    return sum(os.path.getsize(f) for f in files if os.path.exists(f)) / 1024


def sqlite_threads(threads: int, length: int) -> Workload:
    """``threads`` runs of a ``length``-node chain at once, each on its own
    thread of one SQLite file: supersteps per second with a durable saver."""

    def prepare(api: Api) -> Prepared:
        async def run() -> Any:
            path = _temp_db("threads")
            results: list[int] = []
            try:
                async with api.sqlite_saver(path) as saver:
                    graph = _chain_with(api, length, saver)

                    async def one(i: int) -> None:
                        config = {"configurable": {"thread_id": f"thread-{i}"}}
                        out = await graph.ainvoke({"n": 0}, config)
                        results.append(out["n"])

                    async with anyio.create_task_group() as group:
                        for i in range(threads):
                            group.start_soon(one, i)
            finally:
                shutil.rmtree(os.path.dirname(path), ignore_errors=True)
            return results

        def check(results: Any) -> None:
            _expect(sorted(results), [length] * threads, "chain results per thread")

        return Prepared(run, check, threads * length)

    return Workload(f"sqlite_{threads}_threads_x_{length}_steps", "step", prepare, quick=False)


def _chain_with(api: Api, length: int, saver: Any) -> Any:
    builder = api.StateGraph(Counter)
    previous = api.START
    for i in range(length):

        async def step(state: Counter) -> dict[str, int]:
            return {"n": state["n"] + 1}

        builder.add_node(f"node_{i}", step)
        builder.add_edge(previous, f"node_{i}")
        previous = f"node_{i}"
    builder.add_edge(previous, api.END)
    return builder.compile(checkpointer=saver)


def growing_messages(steps: int) -> Workload:
    """A thread whose message list grows by one message a step, on SQLite: time
    per step, and the database size afterwards (``db_kib``)."""

    def prepare(api: Api) -> Prepared:
        chat_schema = _typeddict("Chat", {"messages": Annotated[list[Any], api.add_messages]})

        async def talk(state: Any) -> dict[str, list[Any]]:
            n = len(state["messages"])
            return {"messages": [api.AIMessage(content=f"message {n} " * 10, id=f"m{n}")]}

        def more(state: Any) -> str:
            return "talk" if len(state["messages"]) < steps else api.END

        builder = api.StateGraph(chat_schema)
        builder.add_node("talk", talk)
        builder.add_edge(api.START, "talk")
        builder.add_conditional_edges("talk", more, ["talk", api.END])
        extras: dict[str, float] = {}

        async def run() -> Any:
            path = _temp_db("growth")
            try:
                async with api.sqlite_saver(path) as saver:
                    graph = builder.compile(checkpointer=saver)
                    config = {"configurable": {"thread_id": "chat"}, "recursion_limit": steps + 10}
                    out = await graph.ainvoke({"messages": []}, config)
                extras["db_kib"] = _db_kib(path)
            finally:
                shutil.rmtree(os.path.dirname(path), ignore_errors=True)
            return len(out["messages"])

        def check(count: Any) -> None:
            _expect(count, steps, "messages after the run")

        return Prepared(run, check, steps, extras=extras)

    return Workload(f"sqlite_growing_messages_{steps}", "step", prepare, quick=False, reps=2)


def interrupt_resume(*, sqlite: bool, rounds: int = 50) -> Workload:
    """Pause on ``interrupt()`` and resume with ``Command(resume=...)``: time per
    round trip (two invocations), with the in-memory or the SQLite saver."""

    def prepare(api: Api) -> Prepared:
        class Ask(TypedDict):
            question: str
            answer: str

        def ask(state: Ask) -> dict[str, str]:
            return {"answer": api.interrupt(state["question"])}

        builder = api.StateGraph(Ask)
        builder.add_node("ask", ask)
        builder.add_edge(api.START, "ask")
        builder.add_edge("ask", api.END)

        async def run_on(graph: Any) -> list[str]:
            answers = []
            for i in range(rounds):
                config = {"configurable": {"thread_id": f"t{i}"}}
                paused = await graph.ainvoke({"question": f"q{i}", "answer": ""}, config)
                if "__interrupt__" not in paused:
                    raise AssertionError(f"round {i}: the run did not pause: {paused!r}")
                done = await graph.ainvoke(api.Command(resume=f"a{i}"), config)
                answers.append(done["answer"])
            return answers

        async def run() -> Any:
            if not sqlite:
                return await run_on(builder.compile(checkpointer=api.memory_saver()))
            path = _temp_db("interrupt")
            try:
                async with api.sqlite_saver(path) as saver:
                    return await run_on(builder.compile(checkpointer=saver))
            finally:
                shutil.rmtree(os.path.dirname(path), ignore_errors=True)

        def check(answers: Any) -> None:
            _expect(answers, [f"a{i}" for i in range(rounds)], "resumed answers")

        return Prepared(run, check, rounds)

    name = "interrupt_resume_" + ("sqlite" if sqlite else "memory")
    return Workload(name, "roundtrip", prepare)


def mailbox_round_trip(asks: int = 5000) -> Workload:
    """One actor ``ask`` round trip (actorgraph only): the yardstick for the
    engine's overhead per superstep, which should stay within 5x of it."""

    def prepare(api: Api) -> Prepared:
        from actorgraph.actors import Actor, ActorSystem

        class Ping(msgspec.Struct, frozen=True):
            n: int

        class Echo(Actor[Ping, int]):
            async def receive(self, msg: Ping) -> int:
                return msg.n

        async def run() -> Any:
            total = 0
            async with ActorSystem("bench") as system:
                ref = await system.spawn(Echo)
                for i in range(asks):
                    total += await ref.ask(Ping(i))
            return total

        def check(total: Any) -> None:
            _expect(total, asks * (asks - 1) // 2, "sum of the echoed numbers")

        return Prepared(run, check, asks)

    return Workload("mailbox_round_trip", "roundtrip", prepare, impls=("actorgraph",))


def all_workloads() -> list[Workload]:
    """Every workload of the default suite, in report order."""
    out: list[Workload] = []
    for length in (10, 1000):
        out += [chain(length), chain(length, sync=True), chain(length, checkpointer=True)]
    for width in (10, 100):
        out += [fanout(width), fanout(width, checkpointer=True)]
    for rounds in (10, 100):
        out += [agent_loop(rounds), agent_loop(rounds, checkpointer=True)]
    for keys, items in ((25, 300), (9, 1200)):
        for kind in ("typeddict", "dataclass", "pydantic"):
            out.append(wide_state(keys, items, kind))
        out.append(wide_state(keys, items, "typeddict", checkpointer=True))
    out += [concurrent_runs(100), concurrent_runs(1000), concurrent_runs(10_000)]
    out += [custom_events(10_000), serializer_roundtrip("messages"), serializer_roundtrip("state")]
    out += [
        functional_fanout(10),
        functional_fanout(100),
        functional_fanout(100, checkpointer=True),
    ]
    out.append(functional_sequence(10))
    out += [
        sqlite_threads(50, 10),
        growing_messages(1000),
        interrupt_resume(sqlite=False),
        interrupt_resume(sqlite=True),
        mailbox_round_trip(),
    ]
    return out


def by_name() -> dict[str, Workload]:
    return {workload.name: workload for workload in all_workloads()}
