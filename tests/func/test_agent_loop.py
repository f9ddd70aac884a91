"""A functional agent loop with a scripted chat model: updates and messages streams."""

from __future__ import annotations

from typing import Any

import pytest

from actorgraph.func import entrypoint, task
from actorgraph.graph import add_messages
from actorgraph.messages import AIMessage, BaseMessage, HumanMessage, ToolCall, ToolMessage
from actorgraph.testing import FakeChatModel

pytestmark = pytest.mark.anyio


def _agent(model: FakeChatModel) -> Any:
    @task
    def call_llm(messages: list[BaseMessage]) -> BaseMessage:
        return model.invoke(messages)

    @task
    def call_tool(tool_call: dict[str, Any]) -> ToolMessage:
        args = tool_call["args"]
        return ToolMessage(content=str(args["a"] + args["b"]), tool_call_id=tool_call["id"])

    @entrypoint()
    def agent(messages: list[BaseMessage]) -> list[BaseMessage]:
        response: Any = call_llm(messages).result()
        while response.tool_calls:
            results = [f.result() for f in [call_tool(tc) for tc in response.tool_calls]]
            messages = add_messages(messages, [response, *results])
            response = call_llm(messages).result()
        return add_messages(messages, response)

    return agent


def _model(final: str) -> FakeChatModel:
    call: ToolCall = {"name": "add", "args": {"a": 3, "b": 4}, "id": "c1"}
    return FakeChatModel([AIMessage("", tool_calls=[call]), final])


async def test_agent_loop_updates() -> None:
    agent = _agent(_model("7"))
    chunks = [c async for c in agent.astream([HumanMessage("Add 3 and 4.")], stream_mode="updates")]
    assert [next(iter(c)) for c in chunks] == ["call_llm", "call_tool", "call_llm", "agent"]
    assert chunks[0]["call_llm"].tool_calls[0]["name"] == "add"
    assert chunks[1]["call_tool"].content == "7"
    assert chunks[2]["call_llm"].content == "7"
    assert [m.type for m in chunks[3]["agent"]] == ["human", "ai", "tool", "ai"]


async def test_agent_loop_messages_mode() -> None:
    agent = _agent(_model("seven it is"))
    chunks = [
        (c[0].type, c[0].content, c[1]["langgraph_node"])
        async for c in agent.astream([HumanMessage("Add 3 and 4.")], stream_mode="messages")
    ]
    assert ("tool", "7", "call_tool") in chunks
    tokens = [
        text for kind, text, node in chunks if node == "call_llm" and kind == "AIMessageChunk"
    ]
    assert "".join(tokens).endswith("seven it is")
