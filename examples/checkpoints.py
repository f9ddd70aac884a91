"""Checkpoints on their own: what the engine does with a saver at each step.

Run: ``python -m examples.checkpoints``. Saves a short chat thread in an SQLite
file from async code (on asyncio, then on trio, same file), reads the history
back from plain code, forks the thread, queues writes behind with backpressure,
then prunes and compacts the file.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import anyio

from actorgraph.errors import EventLoopThreadError
from actorgraph.store import CheckpointMetadata, RunnableConfig, SqliteSaver
from actorgraph.store.checkpoint import Checkpoint, TaskWrites, new_checkpoint_id


def checkpoint(messages: list[str], versions: dict[str, Any]) -> Checkpoint:
    return Checkpoint(
        id=new_checkpoint_id(),
        ts="2026-01-01T00:00:00+00:00",
        channel_values={"messages": messages},
        channel_versions=versions,
    )


async def chat(path: Path, thread_id: str, lines: list[str]) -> RunnableConfig:
    """One superstep per line: the step's task write and the new checkpoint
    are committed together."""
    async with SqliteSaver(path) as saver:
        config: RunnableConfig = {"configurable": {"thread_id": thread_id}}
        latest = await saver.aget_tuple(config)
        messages: list[str] = []
        version: Any = None
        if latest is not None:
            config = latest.config
            messages = latest.checkpoint.channel_values["messages"]
            version = latest.checkpoint.channel_versions["messages"]
        for line in lines:
            version = saver.get_next_version(version, "messages")
            messages = [*messages, line]
            # The task's write belongs to the checkpoint the step started from.
            has_parent = "checkpoint_id" in config["configurable"]
            config = await saver.aput(
                config,
                checkpoint(messages, {"messages": version}),
                CheckpointMetadata(source="loop", step=len(messages), extra={"user": "ann"}),
                {"messages": version},
                writes=[TaskWrites("task-1", [("messages", line)], "chatbot")]
                if has_parent
                else (),
            )
        try:
            saver.get_tuple(config)  # the blocking face refuses the event loop's thread
        except EventLoopThreadError as error:
            print("EventLoopThreadError:", str(error).split(":")[0])
        return config


def history(path: Path, thread_id: str) -> list[list[str]]:
    """Plain code: the blocking face, no event loop needed."""
    with SqliteSaver(path) as saver:
        return [
            t.checkpoint.channel_values["messages"]
            for t in saver.list({"configurable": {"thread_id": thread_id}})
        ]


async def behind_and_tidy(path: Path) -> None:
    async with SqliteSaver(path) as saver:
        await saver.acopy_thread("chat", "fork")
        async with saver.write_behind(max_pending=2) as queue:
            config: RunnableConfig = {"configurable": {"thread_id": "scratch"}}
            version = None
            for n in range(10):
                version = saver.get_next_version(version, "messages")
                config = await queue.put(
                    config,
                    checkpoint([f"note {n}"], {"messages": version}),
                    {},
                    {"messages": version},
                )
        await saver.aprune(["chat", "fork", "scratch"], keep="latest")
        await saver.acompact()
        kept = [t.config["configurable"]["thread_id"] async for t in saver.alist(None)]
        print("after prune:", sorted(kept))


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "chat.db"
        anyio.run(chat, path, "chat", ["hi", "hello, how can I help?"], backend="asyncio")
        anyio.run(chat, path, "chat", ["what is a checkpoint?"], backend="trio")
        for messages in history(path, "chat"):
            print("checkpoint:", messages)
        anyio.run(behind_and_tidy, path)


if __name__ == "__main__":
    main()
