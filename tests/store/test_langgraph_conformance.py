"""LangGraph's own checkpointer conformance suite, run against our savers
through :mod:`actorgraph.store.langgraph_compat`, on asyncio and trio."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("langgraph.checkpoint.conformance")

from langgraph.checkpoint.conformance import checkpointer_test, validate

from actorgraph.store import InMemorySaver, SqliteSaver
from actorgraph.store.langgraph_compat import LangGraphSaver

pytestmark = pytest.mark.anyio

ALL = [
    "put",
    "put_writes",
    "get_tuple",
    "list",
    "delete_thread",
    "delete_for_runs",
    "copy_thread",
    "prune",
]


@pytest.mark.parametrize("backend", ["sqlite-file", "sqlite-memory", "memory"])
async def test_conformance_suite_passes(backend: str, tmp_path: Path) -> None:
    async def make() -> AsyncIterator[LangGraphSaver]:
        if backend == "memory":
            yield LangGraphSaver(InMemorySaver())
            return
        saver = SqliteSaver(tmp_path / "conformance.db" if backend == "sqlite-file" else ":memory:")
        try:
            yield LangGraphSaver(saver)
        finally:
            await saver.aclose()

    registered = checkpointer_test(name=f"actorgraph {backend}")(make)
    report = await validate(registered)
    failures = {name: r.failures for name, r in report.results.items() if r.failures}
    assert failures == {}
    assert report.conformance_level() == "FULL"
    assert sorted(n for n, r in report.results.items() if r.passed) == sorted(ALL)


async def test_prune_strategies() -> None:
    saver = LangGraphSaver(InMemorySaver())
    with pytest.raises(ValueError, match="keep_latest"):
        await saver.aprune(["t"], strategy="sometimes")
    with pytest.raises(ValueError, match="keep_latest"):
        saver.prune(["t"], strategy="sometimes")


def test_plain_methods_round_trip(tmp_path: Path) -> None:
    from langgraph.checkpoint.conformance.test_utils import (
        generate_checkpoint,
        generate_config,
        generate_metadata,
    )

    with SqliteSaver(tmp_path / "plain.db") as inner:
        saver = LangGraphSaver(inner)
        config = generate_config("t")
        cp = generate_checkpoint(channel_values={"a": 1}, channel_versions={"a": 1})
        stored = saver.put(config, cp, generate_metadata(step=3, user="x"), {"a": 1})
        saver.put_writes(stored, [("a", 2)], "task", "p")
        found = saver.get_tuple(stored)
        assert found is not None
        assert found.checkpoint["channel_values"] == {"a": 1}
        metadata: dict[str, Any] = dict(found.metadata)
        assert metadata["user"] == "x"
        assert found.pending_writes == [("task", "a", 2)]
        assert [t.checkpoint["id"] for t in saver.list(generate_config("t"))] == [cp["id"]]
        saver.copy_thread("t", "u")
        saver.prune(["u"], strategy="keep_latest")
        saver.delete_for_runs(["none"])
        saver.delete_thread("t")
        assert saver.get_tuple(generate_config("t")) is None
        version = saver.get_next_version(None, None)
        assert saver.get_next_version(version, None) > version


def test_langchain_messages_round_trip(tmp_path: Path) -> None:
    from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
    from langgraph.checkpoint.conformance.test_utils import (
        generate_checkpoint,
        generate_config,
        generate_metadata,
    )

    messages = [
        HumanMessage("what's the weather?", id="1"),
        AIMessage("", tool_calls=[{"name": "weather", "args": {"city": "Oslo"}, "id": "c1"}]),
        ToolMessage("sunny", tool_call_id="c1"),
    ]
    with SqliteSaver(tmp_path / "messages.db") as inner:
        saver = LangGraphSaver(inner)
        cp = generate_checkpoint(channel_values={"messages": messages})
        cp["channel_versions"] = {"messages": 1}
        stored = saver.put(generate_config("t"), cp, generate_metadata(), {"messages": 1})
        found = saver.get_tuple(stored)
        assert found is not None
        assert found.checkpoint["channel_values"]["messages"] == messages
