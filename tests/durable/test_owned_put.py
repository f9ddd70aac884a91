"""The engine's fast save into InMemorySaver stores what ``aput`` would have stored."""

from __future__ import annotations

import operator
from typing import Annotated, Any

import pytest
from typing_extensions import TypedDict

from actorgraph.graph import END, START, StateGraph
from actorgraph.store._config import RunnableConfig
from actorgraph.store.checkpoint import CheckpointTuple, InMemorySaver
from actorgraph.types import Command, Send
from tests.durable.graphs import asking, cfg, chain

pytestmark = pytest.mark.anyio


class _ViaAput(InMemorySaver):
    """Changes ``aput`` and ``aget_tuple`` (here: only counts), so the engine must call them."""

    def __init__(self) -> None:
        super().__init__()
        self.puts = 0
        self.gets = 0

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        self.gets += 1
        return await super().aget_tuple(config)

    async def aput(self, config: RunnableConfig, *args: Any, **kw: Any) -> RunnableConfig:
        self.puts += 1
        return await super().aput(config, *args, **kw)


class Item(TypedDict):
    x: int
    results: Annotated[list[int], operator.add]


class Fan(TypedDict):
    width: int
    results: Annotated[list[int], operator.add]


def fanout(saver: Any) -> Any:
    sub = StateGraph(Item)
    sub.add_node("bump", lambda s: {"x": s["x"] + 1})
    sub.add_node("report", lambda s: {"results": [s["x"]]})
    sub.add_edge(START, "bump").add_edge("bump", "report").add_edge("report", END)
    parent = StateGraph(Fan)
    parent.add_node("item", sub.compile())
    parent.add_conditional_edges(
        START,
        lambda s: [Send("item", {"x": i, "results": []}) for i in range(s["width"])],
        ["item"],
    )
    parent.add_edge("item", END)
    return parent.compile(checkpointer=saver)


async def _everything(saver: InMemorySaver) -> list[Any]:
    """Every checkpoint of every thread and namespace, ids and times replaced by ranks."""
    tuples = [t async for t in saver.alist(None)]
    # Ranked within their thread and namespace: subgraphs run side by side, so
    # ids of different namespaces interleave differently from run to run.
    rank: dict[tuple[str, str, str], int] = {}
    for t in sorted(tuples, key=lambda t: t.checkpoint.id):
        c = t.config["configurable"]
        key = (c["thread_id"], c["checkpoint_ns"])
        rank[key[0], key[1], c["checkpoint_id"]] = sum(1 for k in rank if k[:2] == key)

    def config_rank(config: RunnableConfig | None) -> Any:
        if config is None:
            return None
        c = config["configurable"]
        return (
            c["thread_id"],
            c["checkpoint_ns"],
            rank[c["thread_id"], c["checkpoint_ns"], c["checkpoint_id"]],
        )

    out = []
    for t in tuples:
        cp = t.checkpoint
        meta = t.metadata.as_dict()
        thread = t.config["configurable"]["thread_id"]
        meta["parents"] = {ns: rank[thread, ns, cid] for ns, cid in meta["parents"].items()}
        out.append(
            (
                config_rank(t.config),
                config_rank(t.parent_config),
                cp.channel_values,
                cp.channel_versions,
                cp.versions_seen,
                cp.updated_channels,
                meta,
                t.pending_writes,
            )
        )
    return sorted(out, key=repr)


async def _runs(saver: InMemorySaver) -> None:
    await chain(saver).ainvoke({"foo": "", "bar": []}, cfg("chain"))
    await chain(saver).ainvoke({"foo": "x", "bar": []}, cfg("chain"))
    app = asking(saver)
    await app.ainvoke({"foo": "", "bar": []}, cfg("ask"))
    await app.ainvoke(Command(resume="yes"), cfg("ask"))
    await fanout(saver).ainvoke({"width": 3, "results": []}, cfg("fan"))
    await chain(saver).ainvoke({"foo": "", "bar": []}, cfg("sync"), durability="sync")
    # Time travel: a fork from the first checkpoint of the chain thread.
    history = [t async for t in saver.alist(cfg("chain"))]
    await chain(saver).ainvoke(
        None, cfg("chain", history[-3].config["configurable"]["checkpoint_id"])
    )


async def test_fast_save_stores_what_aput_stores() -> None:
    fast, general = InMemorySaver(), _ViaAput()
    await _runs(fast)
    await _runs(general)
    assert general.puts > 0
    assert general.gets > 0
    assert await _everything(fast) == await _everything(general)


async def test_a_wrapper_that_forwards_attributes_gets_aput_calls() -> None:
    class Wrapper:
        def __init__(self, inner: InMemorySaver) -> None:
            self.inner = inner
            self.puts = 0

        def __getattr__(self, name: str) -> Any:
            return getattr(self.inner, name)

        async def aput(self, *args: Any, **kw: Any) -> RunnableConfig:
            self.puts += 1
            return await self.inner.aput(*args, **kw)

    wrapper = Wrapper(InMemorySaver())
    await chain(wrapper).ainvoke({"foo": "", "bar": []}, cfg())
    assert wrapper.puts == 4
