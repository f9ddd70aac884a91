"""The scripted fake chat model and the chat-model base class it exercises."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping
from contextlib import aclosing
from typing import Any

import anyio
import pytest

from actorgraph._streaming import message_sink
from actorgraph.chat_models import BaseChatModel, ChatModel
from actorgraph.errors import InvalidMessageError, ScriptExhaustedError
from actorgraph.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolCall,
)
from actorgraph.testing import FakeChatCall, FakeChatModel, GenericFakeChatModel

pytestmark = pytest.mark.anyio

CALL: ToolCall = {"name": "foo", "args": {"bar": "baz"}, "id": "call_1"}


class Collector:
    """A message sink that records what it receives."""

    def __init__(self) -> None:
        self.items: list[tuple[BaseMessage, dict[str, Any]]] = []

    async def __call__(self, chunk: BaseMessage, metadata: Mapping[str, Any]) -> None:
        self.items.append((chunk, dict(metadata)))

    @property
    def text(self) -> str:
        return "".join(chunk.text for chunk, _ in self.items)


async def test_replies_in_script_order_and_reads_strings_as_ai_messages() -> None:
    script: list[AIMessage | str] = [AIMessage("", tool_calls=[CALL]), "bar"]
    model = GenericFakeChatModel(messages=iter(script))
    first = await model.ainvoke("hello")
    assert first.tool_calls == [{**CALL, "type": "tool_call"}]
    assert first.content == ""
    second = await model.ainvoke("hello")
    assert (second.content, second.tool_calls) == ("bar", [])
    with pytest.raises(ScriptExhaustedError, match="it had 2 and was called 3 times"):
        await model.ainvoke("hello")


async def test_generated_ids_and_scripted_ids() -> None:
    model = FakeChatModel(["a", AIMessage("b", id="mine")])
    first = await model.ainvoke("x")
    assert first.id is not None
    assert first.id.startswith("run-")
    assert (await model.ainvoke("x")).id == "mine"


async def test_records_calls_and_coerces_input() -> None:
    model = FakeChatModel(["ok"])
    await model.ainvoke([("system", "be brief"), {"role": "user", "content": "hi"}], temperature=0)
    assert model.calls == [
        FakeChatCall([SystemMessage("be brief"), HumanMessage("hi")], [], {"temperature": 0})
    ]
    assert model.replies_used == 1
    with pytest.raises(InvalidMessageError, match="position 0"):
        await model.ainvoke([42])  # type: ignore[list-item]


async def test_bind_tools_shares_the_script_and_records_the_tools() -> None:
    model = FakeChatModel(["one", "two"])
    bound = model.bind_tools(["search"], tool_choice="any")
    assert isinstance(bound, FakeChatModel)
    assert (await bound.ainvoke("q")).content == "one"
    assert (await model.ainvoke("q")).content == "two"
    assert model.calls[0].tools == ["search"]
    assert model.calls[0].kwargs == {"tool_choice": "any"}
    assert model.calls[1].tools == []
    assert bound.bound_tools == ("search",)


async def test_astream_yields_one_chunk_per_token_that_add_up() -> None:
    reply = AIMessage(
        "The sky is  blue ",
        id="r1",
        tool_calls=[CALL],
        usage_metadata={"input_tokens": 1, "output_tokens": 4, "total_tokens": 5},
        response_metadata={"model_name": "fake"},
    )
    model = FakeChatModel([reply])
    chunks = [chunk async for chunk in model.astream("q")]
    assert [c.content for c in chunks] == ["The", " sky", " is", "  blue", " "]
    assert all(c.id == "r1" for c in chunks)
    assert chunks[-1].chunk_position == "last"
    assert chunks[-1].tool_call_chunks[0]["args"] == '{"bar":"baz"}'
    full = chunks[0] + chunks[1:]
    assert full.text == reply.content
    assert full.tool_calls == reply.tool_calls
    assert full.usage_metadata == reply.usage_metadata


async def test_block_content_streams_as_one_chunk() -> None:
    blocks: list[str | dict[str, Any]] = [{"type": "text", "text": "hi there"}]
    model = FakeChatModel([AIMessage(blocks), ""])
    assert [c.content async for c in model.astream("q")] == [blocks]
    assert [c.content async for c in model.astream("q")] == [""]


async def test_a_bad_script_entry_is_named() -> None:
    model = FakeChatModel([42])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="reply 1 is a int"):
        await model.ainvoke("q")


def test_responses_and_messages_are_exclusive() -> None:
    with pytest.raises(TypeError, match="not both"):
        FakeChatModel(["a"], messages=["b"])


async def test_ainvoke_streams_tokens_to_a_running_graphs_sink() -> None:
    sink = Collector()
    model = FakeChatModel(["Why did the ice cream"], tags=["joke"], name="fake-joker")
    with message_sink(sink):
        reply = await model.ainvoke("q", {"tags": ["outer", "joke"], "metadata": {"k": 1}})
    assert len(sink.items) == 5
    assert sink.text == reply.content == "Why did the ice cream"
    assert {chunk.id for chunk, _ in sink.items} == {reply.id}
    assert all(isinstance(chunk, AIMessageChunk) for chunk, _ in sink.items)
    assert sink.items[0][1] == {
        "k": 1,
        "tags": ["outer", "joke"],
        "ls_model_name": "fake-joker",
        "ls_model_type": "chat",
    }
    assert type(reply) is AIMessage


async def test_astream_also_feeds_the_sink() -> None:
    sink = Collector()
    model = FakeChatModel(["a b"])
    with message_sink(sink):
        chunks = [c async for c in model.astream("q")]
    assert [c for c, _ in sink.items] == chunks


async def test_disabled_streaming_sends_the_whole_message_once() -> None:
    sink = Collector()
    model = FakeChatModel(["a b c", "d e"], disable_streaming=True)
    with message_sink(sink):
        reply = await model.ainvoke("q")
        streamed = [c async for c in model.astream("q")]
    assert [chunk for chunk, _ in sink.items] == [reply, streamed[0]]
    assert type(sink.items[0][0]) is AIMessage
    assert [c.content for c in streamed] == ["d e"]


async def test_nostream_tag_keeps_tokens_out_of_the_sink() -> None:
    sink = Collector()
    model = FakeChatModel(["a b"], tags=["nostream"])
    with message_sink(sink):
        assert (await model.ainvoke("q")).content == "a b"
    assert sink.items == []


async def test_no_sink_no_streaming() -> None:
    model = FakeChatModel(["a b"])
    assert (await model.ainvoke("q")).content == "a b"


async def test_a_slow_sink_holds_the_model_back() -> None:
    release = anyio.Event()
    seen: list[str] = []

    async def slow(chunk: BaseMessage, metadata: Mapping[str, Any]) -> None:
        seen.append(chunk.text)
        await release.wait()

    model = FakeChatModel(["a b c"])
    async with anyio.create_task_group() as tg:

        async def call() -> None:
            with message_sink(slow):
                await model.ainvoke("q")

        tg.start_soon(call)
        await anyio.wait_all_tasks_blocked()
        assert seen == ["a"]
        release.set()
    assert seen == ["a", " b", " c"]


async def test_cancelling_a_delayed_call() -> None:
    model = FakeChatModel(["a b c", "d e"], delay=10)
    with anyio.move_on_after(0.01) as scope:
        await model.ainvoke("q")
    assert scope.cancelled_caught
    with anyio.move_on_after(0.01) as scope:
        async with aclosing(model.astream("q")) as chunks:
            async for _ in chunks:
                pass  # pragma: no cover - cancelled before the first chunk
    assert scope.cancelled_caught


def test_sync_faces_from_plain_code() -> None:
    model = FakeChatModel(["a b", "c d"])
    assert model.invoke("q").content == "a b"
    assert [c.content for c in model.stream("q")] == ["c", " d"]


async def test_sync_faces_refuse_to_block_a_running_loop() -> None:
    model = FakeChatModel(["a"])
    with pytest.raises(RuntimeError, match="await the async method `ainvoke`"):
        model.invoke("q")
    with pytest.raises(RuntimeError, match="await the async method `astream`"):
        list(model.stream("q"))


async def test_sync_faces_from_a_worker_thread_reach_the_sink() -> None:
    sink = Collector()
    model = FakeChatModel(["a b", "c d e"])

    def sync_node() -> tuple[str, list[str]]:
        reply = model.invoke("q")
        stream = model.stream("q")
        first = next(stream)
        stream.close()  # stopping early closes the async side
        return reply.text, [first.text]

    with message_sink(sink):
        text, first = await anyio.to_thread.run_sync(sync_node)
    assert (text, first) == ("a b", ["c"])
    assert sink.text.startswith("a bc")


async def test_worker_thread_stream_runs_to_the_end() -> None:
    model = FakeChatModel(["a b"])
    chunks = await anyio.to_thread.run_sync(lambda: [c.text for c in model.stream("q")])
    assert chunks == ["a", " b"]


class Echo(BaseChatModel):
    """A minimal model: only _agenerate."""

    async def _agenerate(self, messages: list[BaseMessage], **kwargs: Any) -> AIMessage:
        return AIMessage(messages[-1].text.upper())


class Silent(BaseChatModel):
    async def _agenerate(self, messages: list[BaseMessage], **kwargs: Any) -> AIMessage:
        raise AssertionError  # pragma: no cover - never called

    async def _astream(
        self, messages: list[BaseMessage], **kwargs: Any
    ) -> AsyncGenerator[AIMessageChunk, None]:
        for _ in ():
            yield AIMessageChunk("")  # pragma: no cover


async def test_a_model_with_only_agenerate_streams_one_chunk() -> None:
    model = Echo()
    assert isinstance(model, ChatModel)
    assert model.model_name == "Echo"
    assert [c.content async for c in model.astream("hi")] == ["HI"]
    sink = Collector()
    with message_sink(sink):
        assert (await model.ainvoke("hi")).content == "HI"
    assert sink.text == "HI"


async def test_a_stream_with_no_chunks_gives_an_empty_reply() -> None:
    with message_sink(Collector()):
        reply = await Silent().ainvoke("hi")
    assert reply.content == ""
    assert reply.id is not None


def test_the_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    import runpy
    from pathlib import Path

    example = Path(__file__).resolve().parents[2] / "examples" / "fake_chat_model.py"
    runpy.run_path(str(example), run_name="__main__")
    out = capsys.readouterr().out
    assert "'city': 'SF'" in out
    assert "new topic" in out


class OwnInit(BaseChatModel):
    """A model whose __init__ does not call the base one."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    async def _agenerate(self, messages: list[BaseMessage], **kwargs: Any) -> AIMessage:
        return AIMessage(f"{self.prefix}{sorted(kwargs)}")


async def test_a_subclass_need_not_call_the_base_init() -> None:
    model = OwnInit("> ")
    assert (await model.ainvoke("q")).content == "> []"
    assert (await model.bind_tools(["t"]).ainvoke("q")).content == "> ['tools']"
    with message_sink(Collector()):
        assert (await model.ainvoke("q")).content == "> []"
    assert model.bound_kwargs == {}
