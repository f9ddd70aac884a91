"""The chat history on the long-term store, against the real ``InMemoryStore``
and ``SqliteStore`` (on a file), on asyncio and trio."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any

import pytest

from actorgraph.errors import InvalidNamespaceError, SyncCalledFromAsyncError
from actorgraph.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from actorgraph.runnables import RunnableLambda, RunnableWithMessageHistory, StoreChatMessageHistory
from actorgraph.store import BaseStore, InMemoryStore, SqliteStore
from actorgraph.store.base_store import Op, Result
from examples import chat_history_sqlite


class Counting:
    """A store that counts the batches it is given."""

    def __init__(self, inner: BaseStore) -> None:
        self.inner = inner
        self.batches: list[list[Op]] = []

    async def abatch(self, ops: Iterable[Op], /) -> list[Result]:
        batch = list(ops)
        self.batches.append(batch)
        return await self.inner.abatch(batch)


@pytest.fixture(params=["memory", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BaseStore]:
    made: BaseStore = (
        InMemoryStore() if request.param == "memory" else SqliteStore(tmp_path / "chat.db")
    )
    async with made:
        yield made


def seen(messages: list[BaseMessage]) -> str:
    return f"seen {len(messages)}"


@pytest.mark.anyio
async def test_round_trip_and_clear(store: BaseStore) -> None:
    history = StoreChatMessageHistory(store, "s1")
    messages = [
        HumanMessage("hi", id="1"),
        AIMessage("calling", tool_calls=[{"name": "f", "args": {"x": 1}, "id": "c"}]),
        ToolMessage("42", tool_call_id="c"),
    ]
    await history.aadd_messages(messages)
    assert await history.aget_messages() == messages
    assert await store.alist_namespaces() == [("chat_history", "s1")]
    await history.aclear()
    assert await history.aget_messages() == []
    assert (
        repr(history)
        == "StoreChatMessageHistory(session_id='s1', namespace=('chat_history', 's1'))"
    )


@pytest.mark.anyio
async def test_one_batch_per_add_and_per_clear(store: BaseStore) -> None:
    counting = Counting(store)
    history = StoreChatMessageHistory(counting, "s")
    await history.aadd_messages([HumanMessage(str(i)) for i in range(5)])
    await history.aadd_messages([])  # nothing to write: no batch
    assert [len(batch) for batch in counting.batches] == [5]
    counting.batches.clear()
    await history.aclear()
    assert [len(batch) for batch in counting.batches] == [1, 5]  # one search page, one delete


@pytest.mark.anyio
async def test_sessions_are_apart(store: BaseStore) -> None:
    one = StoreChatMessageHistory(store, "s1")
    ten = StoreChatMessageHistory(store, "s10")
    await one.aadd_messages([HumanMessage("to one")])
    await ten.aadd_messages([HumanMessage("to ten")])
    # An item in a namespace below the session is not one of its messages.
    await store.aput(("chat_history", "s1", "notes"), "n", {"note": "kept apart"})
    assert [m.content for m in await one.aget_messages()] == ["to one"]
    await one.aclear()
    assert [m.content for m in await ten.aget_messages()] == ["to ten"]
    assert await store.aget(("chat_history", "s1", "notes"), "n") is not None


@pytest.mark.anyio
async def test_many_messages_page_through_the_store(store: BaseStore) -> None:
    history = StoreChatMessageHistory(store, "long", namespace=("app", "chats"))
    await history.aadd_messages([HumanMessage(str(i)) for i in range(1203)])
    await history.aadd_messages([AIMessage("last")])
    loaded = await history.aget_messages()
    assert [m.content for m in loaded] == [*(str(i) for i in range(1203)), "last"]


@pytest.mark.anyio
async def test_a_session_id_the_store_refuses_is_named(store: BaseStore) -> None:
    with pytest.raises(InvalidNamespaceError, match=r"'a\.b'"):
        await StoreChatMessageHistory(store, "a.b").aadd_messages([HumanMessage("x")])


@pytest.mark.anyio
async def test_sync_faces_refuse_inside_a_loop(store: BaseStore) -> None:
    history = StoreChatMessageHistory(store, "s")
    with pytest.raises(SyncCalledFromAsyncError, match="aget_messages"):
        _ = history.messages


@pytest.mark.anyio
async def test_message_history_runnable_on_a_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "chat.db"
    for turn in ("one", "two"):  # a new store each turn: the history is on the file
        async with SqliteStore(path) as store:
            chat = RunnableWithMessageHistory(
                RunnableLambda(seen),
                lambda session_id: StoreChatMessageHistory(store, session_id),
            )
            await chat.ainvoke(turn, {"configurable": {"session_id": "chat"}})
    async with SqliteStore(path) as store:
        stored = await StoreChatMessageHistory(store, "chat").aget_messages()
    assert [(m.type, m.content) for m in stored] == [
        ("human", "one"),
        ("ai", "seen 1"),
        ("human", "two"),
        ("ai", "seen 3"),
    ]


def test_sync_faces_and_message_history_on_a_sqlite_file(tmp_path: Path) -> None:
    with SqliteStore(tmp_path / "chat.db") as store:
        history = StoreChatMessageHistory(store, "s")
        history.add_message(HumanMessage("a"))
        assert [m.content for m in history.messages] == ["a"]
        history.clear()
        assert history.messages == []

        chat = RunnableWithMessageHistory(
            RunnableLambda(seen),
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


@pytest.mark.anyio
async def test_the_example_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    await chat_history_sqlite.main(str(tmp_path / "example.db"))
    out = capsys.readouterr().out
    assert "'what is SQLite?' -> you said 2 thing(s), last 'what is SQLite?'" in out
    assert "stored: [('human', 'hello'), ('ai'" in out
    assert "after clear: []" in out


def test_the_example_runs_as_a_script(tmp_path: Path) -> None:
    import runpy
    import sys

    argv = sys.argv
    sys.argv = ["chat_history_sqlite.py", str(tmp_path / "script.db")]
    try:
        runpy.run_path(chat_history_sqlite.__file__, run_name="__main__")
    finally:
        sys.argv = argv
    assert (tmp_path / "script.db").exists()
