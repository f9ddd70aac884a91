"""A chat that remembers: ``RunnableWithMessageHistory`` over a history kept in
an SQLite file, so a conversation survives a restart of the program.

    python examples/chat_history_sqlite.py [path.db]

The "model" is a plain function; swap in a chat model. Runs on asyncio
(``anyio.run``); pass ``backend="trio"`` there to run on trio.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import anyio

from actorgraph.messages import AIMessage, BaseMessage
from actorgraph.runnables import (
    RunnableLambda,
    RunnableWithMessageHistory,
    StoreChatMessageHistory,
)
from actorgraph.store import RunnableConfig, SqliteStore


def reply(messages: list[BaseMessage]) -> AIMessage:
    """A stand-in for a chat model: it counts what it has been told."""
    said = [m.content for m in messages if m.type == "human"]
    return AIMessage(f"you said {len(said)} thing(s), last {said[-1]!r}")


async def one_session_of_the_program(path: str, text: str) -> None:
    # Each run opens the file anew, as a restarted program would.
    async with SqliteStore(path) as store:
        chat = RunnableWithMessageHistory(
            RunnableLambda(reply),
            lambda session_id: StoreChatMessageHistory(store, session_id),
        )
        config: RunnableConfig = {"configurable": {"session_id": "alice"}}
        answer = await chat.ainvoke(text, config)
        print(f"{text!r} -> {answer.content}")


async def main(path: str) -> None:
    await one_session_of_the_program(path, "hello")
    await one_session_of_the_program(path, "what is SQLite?")
    async with SqliteStore(path) as store:
        history = StoreChatMessageHistory(store, "alice")
        print("stored:", [(m.type, m.content) for m in await history.aget_messages()])
        await history.aclear()
        print("after clear:", await history.aget_messages())


if __name__ == "__main__":
    if len(sys.argv) > 1:
        anyio.run(main, sys.argv[1])
    else:
        with tempfile.TemporaryDirectory() as folder:
            anyio.run(main, str(Path(folder) / "chat.db"))
