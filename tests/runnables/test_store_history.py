"""A chat history on the long-term store's interface (here a small in-test store)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from actorgraph.errors import SyncCalledFromAsyncError
from actorgraph.messages import AIMessage, HumanMessage, ToolMessage
from actorgraph.runnables import RunnableLambda, RunnableWithMessageHistory, StoreChatMessageHistory


@dataclass
class _Item:
    key: str
    value: dict[str, Any]


class TinyStore:
    """Items in creation order per namespace, with the store's paging."""

    def __init__(self) -> None:
        self.data: dict[tuple[str, ...], dict[str, dict[str, Any]]] = {}

    async def aput(self, namespace: tuple[str, ...], key: str, value: dict[str, Any]) -> None:
        self.data.setdefault(namespace, {})[key] = value

    async def asearch(
        self, namespace_prefix: tuple[str, ...], /, *, limit: int = 10, offset: int = 0
    ) -> Sequence[_Item]:
        found = [
            _Item(key, value)
            for namespace, items in self.data.items()
            if namespace[: len(namespace_prefix)] == namespace_prefix
            for key, value in items.items()
        ]
        return found[offset : offset + limit]

    async def adelete(self, namespace: tuple[str, ...], key: str) -> None:
        self.data.get(namespace, {}).pop(key, None)


@pytest.mark.anyio
async def test_round_trip_and_clear() -> None:
    store = TinyStore()
    history = StoreChatMessageHistory(store, "s1")
    messages = [
        HumanMessage("hi", id="1"),
        AIMessage("calling", tool_calls=[{"name": "f", "args": {"x": 1}, "id": "c"}]),
        ToolMessage("42", tool_call_id="c"),
    ]
    await history.aadd_messages(messages)
    assert await history.aget_messages() == messages
    assert list(store.data) == [("chat_history", "s1")]
    await history.aclear()
    assert await history.aget_messages() == []
    assert (
        repr(history)
        == "StoreChatMessageHistory(session_id='s1', namespace=('chat_history', 's1'))"
    )


@pytest.mark.anyio
async def test_many_messages_page_through_the_store() -> None:
    history = StoreChatMessageHistory(TinyStore(), "long", namespace=("app", "chats"))
    await history.aadd_messages([HumanMessage(str(i)) for i in range(1203)])
    loaded = await history.aget_messages()
    assert [m.content for m in loaded] == [str(i) for i in range(1203)]


@pytest.mark.anyio
async def test_sync_faces_refuse_inside_a_loop() -> None:
    history = StoreChatMessageHistory(TinyStore(), "s")
    with pytest.raises(SyncCalledFromAsyncError, match="aget_messages"):
        _ = history.messages


def test_sync_faces_and_message_history() -> None:
    store = TinyStore()
    history = StoreChatMessageHistory(store, "s")
    history.add_message(HumanMessage("a"))
    assert [m.content for m in history.messages] == ["a"]
    history.clear()
    assert history.messages == []

    chat = RunnableWithMessageHistory(
        RunnableLambda(lambda msgs: f"seen {len(msgs)}"),
        lambda session_id: StoreChatMessageHistory(store, session_id),
    )
    config: Any = {"configurable": {"session_id": "chat"}}
    assert chat.invoke("one", config) == "seen 1"
    assert chat.invoke("two", config) == "seen 3"
    assert [(m.type, m.content) for m in StoreChatMessageHistory(store, "chat").messages] == [
        ("human", "one"),
        ("ai", "seen 1"),
        ("human", "two"),
        ("ai", "seen 3"),
    ]
