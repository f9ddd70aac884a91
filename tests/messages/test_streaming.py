"""The token sink a running graph installs for the ``messages`` stream mode."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import anyio
import anyio.lowlevel
import pytest

from actorgraph._streaming import current_message_sink, emit_message_chunk, message_sink
from actorgraph.messages import AIMessageChunk, BaseMessage

pytestmark = pytest.mark.anyio


async def test_emitting_without_a_sink_does_nothing() -> None:
    assert current_message_sink() is None
    await emit_message_chunk(AIMessageChunk("x"))


async def test_sinks_nest_and_are_restored_even_on_errors() -> None:
    seen: list[tuple[str, str, dict[str, Any]]] = []

    def make(label: str) -> Any:
        async def sink(chunk: BaseMessage, metadata: Mapping[str, Any]) -> None:
            seen.append((label, chunk.text, dict(metadata)))

        return sink

    outer, inner = make("outer"), make("inner")
    with message_sink(outer):

        async def fail_inside() -> None:
            with message_sink(inner):
                await emit_message_chunk(AIMessageChunk("a"), {"k": 1})
                raise KeyError

        with pytest.raises(KeyError):
            await fail_inside()
        await emit_message_chunk(AIMessageChunk("b"))
        with message_sink(None):
            await emit_message_chunk(AIMessageChunk("dropped"))
    assert current_message_sink() is None
    assert seen == [("inner", "a", {"k": 1}), ("outer", "b", {})]


async def test_each_task_sees_the_sink_of_its_own_context() -> None:
    seen: list[str] = []

    async def sink(chunk: BaseMessage, metadata: Mapping[str, Any]) -> None:
        seen.append(chunk.text)

    async def with_sink() -> None:
        with message_sink(sink):
            await anyio.lowlevel.checkpoint()
            await emit_message_chunk(AIMessageChunk("mine"))

    async def without() -> None:
        await anyio.lowlevel.checkpoint()
        await emit_message_chunk(AIMessageChunk("not mine"))

    async with anyio.create_task_group() as tg:
        tg.start_soon(with_sink)
        tg.start_soon(without)
    assert seen == ["mine"]
