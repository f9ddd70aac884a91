"""The two implementations behind one face, so every workload is written once.

Each benchmark process loads exactly one implementation; nothing here imports
either at module import time.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

IMPLEMENTATIONS = ("actorgraph", "langgraph")


@dataclass(frozen=True)
class Api:
    """What a workload needs from an implementation, under one set of names."""

    name: str
    StateGraph: Any
    START: str
    END: str
    Send: Any
    Command: Any
    interrupt: Callable[[Any], Any]
    add_messages: Any
    AIMessage: Any
    HumanMessage: Any
    ToolMessage: Any
    get_stream_writer: Callable[[], Any]
    memory_saver: Callable[[], Any]
    sqlite_saver: Callable[[str], contextlib.AbstractAsyncContextManager[Any]]
    serializer: Callable[[], tuple[Callable[[Any], Any], Callable[[Any], Any]]]
    # The functional API (decorators), for the functional workloads.
    entrypoint: Any = None
    task: Any = None

    def tool_call(self, name: str, args: dict[str, Any], call_id: str) -> Any:
        return {"name": name, "args": args, "id": call_id, "type": "tool_call"}

    def version(self) -> str:
        from importlib.metadata import version

        return version(self.name)


def _actorgraph() -> Api:
    from actorgraph.config import get_stream_writer
    from actorgraph.func import entrypoint, task
    from actorgraph.graph import END, START, StateGraph, add_messages
    from actorgraph.messages import AIMessage, HumanMessage, ToolMessage
    from actorgraph.types import Command, Send, interrupt

    def memory_saver() -> Any:
        from actorgraph.store import InMemorySaver

        return InMemorySaver()

    @contextlib.asynccontextmanager
    async def sqlite_saver(path: str) -> AsyncIterator[Any]:
        from actorgraph.store import SqliteSaver

        saver = SqliteSaver(path)
        async with saver:
            yield saver

    def serializer() -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
        from actorgraph.store.serde import Serializer

        serde = Serializer()
        return serde.dumps, serde.loads

    return Api(
        name="actorgraph",
        StateGraph=StateGraph,
        START=START,
        END=END,
        Send=Send,
        Command=Command,
        interrupt=interrupt,
        add_messages=add_messages,
        AIMessage=AIMessage,
        HumanMessage=HumanMessage,
        ToolMessage=ToolMessage,
        get_stream_writer=get_stream_writer,
        memory_saver=memory_saver,
        sqlite_saver=sqlite_saver,
        serializer=serializer,
        entrypoint=entrypoint,
        task=task,
    )


def _langgraph() -> Api:
    from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
    from langgraph.checkpoint.memory import InMemorySaver
    from langgraph.config import get_stream_writer
    from langgraph.func import entrypoint, task
    from langgraph.graph import END, START, StateGraph, add_messages
    from langgraph.types import Command, Send, interrupt

    @contextlib.asynccontextmanager
    async def sqlite_saver(path: str) -> AsyncIterator[Any]:
        from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

        async with AsyncSqliteSaver.from_conn_string(path) as saver:
            yield saver

    def serializer() -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
        from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

        serde = JsonPlusSerializer()
        return serde.dumps_typed, serde.loads_typed

    return Api(
        name="langgraph",
        StateGraph=StateGraph,
        START=START,
        END=END,
        Send=Send,
        Command=Command,
        interrupt=interrupt,
        add_messages=add_messages,
        AIMessage=AIMessage,
        HumanMessage=HumanMessage,
        ToolMessage=ToolMessage,
        get_stream_writer=get_stream_writer,
        memory_saver=InMemorySaver,
        sqlite_saver=sqlite_saver,
        serializer=serializer,
        entrypoint=entrypoint,
        task=task,
    )


def load(name: str) -> Api:
    """The face of implementation ``name`` (``actorgraph`` or ``langgraph``)."""
    if name == "actorgraph":
        return _actorgraph()
    if name == "langgraph":
        return _langgraph()
    raise ValueError(f"unknown implementation {name!r}; choose from {IMPLEMENTATIONS}")
