"""Growing lists are stored as deltas by the SQLite saver: smaller files, same
values at every checkpoint of the history."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings

from actorgraph.errors import CheckpointError
from actorgraph.store import RunnableConfig, SqliteSaver
from actorgraph.store.checkpoint import Checkpoint, new_checkpoint_id
from actorgraph.store.checkpoint._deltas import MAX_CHAIN
from tests.strategies import channel_changes

pytestmark = pytest.mark.anyio


class Chat:
    """A thread whose ``messages`` list grows by one item a step, as a reducer
    builds it: a new list holding the same item objects."""

    def __init__(self, saver: SqliteSaver, thread_id: str = "chat") -> None:
        self.saver = saver
        self.config: RunnableConfig = {"configurable": {"thread_id": thread_id}}
        self.messages: list[Any] = []
        self.version: Any = None
        self.saved: list[tuple[RunnableConfig, list[Any]]] = []

    async def step(self, messages: list[Any] | None = None) -> None:
        self.messages = (
            [*self.messages, {"n": len(self.messages)}] if messages is None else messages
        )
        self.version = self.saver.get_next_version(self.version, "messages")
        checkpoint = Checkpoint(
            id=new_checkpoint_id(),
            ts="2026-01-01T00:00:00+00:00",
            channel_values={"messages": self.messages},
            channel_versions={"messages": self.version},
        )
        self.config = await self.saver.aput(
            self.config, checkpoint, {"step": len(self.saved)}, {"messages": self.version}
        )
        self.saved.append((self.config, self.messages))

    async def check_history(self, start: int = 0) -> None:
        for config, messages in self.saved[start:]:
            found = await self.saver.aget_tuple(config)
            assert found is not None
            assert found.checkpoint.channel_values["messages"] == messages


def blob_kinds(path: Path) -> tuple[int, int]:
    """(whole copies, deltas) stored for the messages channel."""
    conn = sqlite3.connect(path)
    try:
        whole, deltas = conn.execute(
            "SELECT sum(base_version IS NULL), sum(base_version IS NOT NULL) "
            "FROM checkpoint_blobs WHERE channel = 'messages'"
        ).fetchone()
    finally:
        conn.close()
    return int(whole or 0), int(deltas or 0)


async def test_appends_are_stored_as_deltas(tmp_path: Path) -> None:
    path = tmp_path / "chat.db"
    async with SqliteSaver(path) as saver:
        chat = Chat(saver)
        for _ in range(300):
            await chat.step()
        await chat.check_history()
    whole, deltas = blob_kinds(path)
    assert whole + deltas == 300
    # Whole copies when the list doubles (1, 2, 4 ... 256) and every MAX_CHAIN links.
    assert whole <= 12
    assert deltas >= 288


async def test_chains_are_capped(tmp_path: Path) -> None:
    path = tmp_path / "cap.db"
    async with SqliteSaver(path) as saver:
        chat = Chat(saver)
        await chat.step([{"n": i} for i in range(1000)])
        for _ in range(MAX_CHAIN + 5):
            await chat.step()
        await chat.check_history()
    whole, _ = blob_kinds(path)
    assert whole == 2


async def test_lists_that_do_not_extend_are_stored_whole(tmp_path: Path) -> None:
    path = tmp_path / "whole.db"
    async with SqliteSaver(path) as saver:
        chat = Chat(saver)
        for _ in range(5):
            await chat.step()
        await chat.step(chat.messages[:-2])  # shrinks
        await chat.step([dict(m) for m in chat.messages] + [{"n": 99}])  # equal, not identical
        await chat.step("not a list")  # type: ignore[arg-type]
        await chat.step([])
        await chat.check_history()
    whole, deltas = blob_kinds(path)
    assert (whole, deltas) == (7, 2)


async def test_a_pruned_base_is_replaced_by_a_whole_copy(tmp_path: Path) -> None:
    path = tmp_path / "pruned.db"
    async with SqliteSaver(path) as saver:
        chat = Chat(saver)
        for _ in range(4):
            await chat.step()
        # Another process deletes the rows this saver would extend.
        conn = sqlite3.connect(path)
        conn.execute("DELETE FROM checkpoint_blobs")
        conn.commit()
        conn.close()
        await chat.step()
        found = await saver.aget_tuple(chat.config)
        assert found is not None
        assert found.checkpoint.channel_values["messages"] == chat.messages


async def test_prune_and_copy_keep_the_chains_readable(tmp_path: Path) -> None:
    async with SqliteSaver(tmp_path / "keep.db") as saver:
        chat = Chat(saver)
        for _ in range(40):
            await chat.step()
        await saver.acopy_thread("chat", "copy")
        await saver.aprune(["chat"], keep="latest")
        found = await saver.aget_tuple(chat.config)
        assert found is not None
        assert found.checkpoint.channel_values["messages"] == chat.messages
        copy = await saver.aget_tuple({"configurable": {"thread_id": "copy"}})
        assert copy is not None
        assert copy.checkpoint.channel_values["messages"] == chat.messages
        # Keeping going after the prune still writes readable values.
        await chat.step()
        await chat.check_history(start=-2)


async def test_a_broken_chain_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "broken.db"
    async with SqliteSaver(path) as saver:
        chat = Chat(saver)
        for _ in range(6):
            await chat.step()
    conn = sqlite3.connect(path)
    conn.execute("DELETE FROM checkpoint_blobs WHERE base_version IS NULL")
    conn.commit()
    conn.close()
    async with SqliteSaver(path) as saver:
        with pytest.raises(CheckpointError, match=r"channel 'messages'.*missing") as caught:
            await saver.aget_tuple(chat.config)
    assert str(path) in str(caught.value)


async def test_threads_are_forgotten_when_deleted() -> None:
    async with SqliteSaver() as saver:
        chat = Chat(saver)
        for _ in range(3):
            await chat.step()
        await saver.adelete_thread("chat")
        assert saver._bases.plan(("chat", "", "messages"), "x", [*chat.messages, 1]) is None
        saver._bases.forget()


async def test_the_memory_of_lists_is_bounded(tmp_path: Path) -> None:
    path = tmp_path / "bounded.db"
    async with SqliteSaver(path, delta_cache_size=1) as saver:
        first, second = Chat(saver, "first"), Chat(saver, "second")
        for _ in range(4):
            await first.step()
            await second.step()  # pushes "first" out: its next list is stored whole
        await first.check_history()
        await second.check_history()
        assert len(saver._bases._known) == 1
    assert blob_kinds(path) == (8, 0)
    async with SqliteSaver(tmp_path / "off.db", delta_cache_size=0) as saver:
        chat = Chat(saver)
        for _ in range(3):
            await chat.step()
    assert blob_kinds(tmp_path / "off.db") == (3, 0)


async def test_large_values_are_compressed(tmp_path: Path) -> None:
    path = tmp_path / "zlib.db"
    text = "the same words again and again " * 500
    noise = os.urandom(20_000)
    async with SqliteSaver(path) as saver:
        chat = Chat(saver)
        await chat.step([text, noise])
        await chat.step()  # a delta on it: small, stored as it is
        found = await saver.aget_tuple(chat.config)
        assert found is not None
        assert found.checkpoint.channel_values["messages"][:2] == [text, noise]
    conn = sqlite3.connect(path)
    rows = conn.execute(
        "SELECT compression, length(value) FROM checkpoint_blobs ORDER BY version"
    ).fetchall()
    conn.execute("UPDATE checkpoint_blobs SET compression = 'zstd-9'")
    conn.commit()
    conn.close()
    assert rows[0][0] == "zlib"
    assert rows[0][1] < 20_000 + len(text) // 2
    assert rows[1][0] is None
    async with SqliteSaver(path) as saver:
        with pytest.raises(CheckpointError, match="unknown compression 'zstd-9'"):
            await saver.aget_tuple(chat.config)


async def test_incompressible_values_are_stored_as_they_are(tmp_path: Path) -> None:
    path = tmp_path / "noise.db"
    async with SqliteSaver(path) as saver:
        chat = Chat(saver)
        await chat.step([os.urandom(50_000)])
        await chat.check_history()
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT compression FROM checkpoint_blobs").fetchall() == [(None,)]
    conn.close()


@settings(max_examples=20, deadline=None)
@given(steps=channel_changes())
def test_every_checkpoint_reads_back_its_channels(steps: list[dict[str, str]]) -> None:
    """One query reads all channels of a checkpoint: mixed chains, whole copies
    and emptied channels come back as they were put, at every checkpoint."""
    with SqliteSaver(delta_cache_size=8) as saver:
        config: RunnableConfig = {"configurable": {"thread_id": "t"}}
        values: dict[str, list[Any]] = {}
        versions: dict[str, Any] = {}
        saved: list[tuple[RunnableConfig, dict[str, list[Any]]]] = []
        for number, step in enumerate(steps):
            for channel, change in step.items():
                if change == "drop":
                    values.pop(channel, None)
                elif change == "new" or channel not in values:
                    values[channel] = [{"at": number}]
                else:
                    values[channel] = [*values[channel], {"at": number}]
                versions[channel] = saver.get_next_version(versions.get(channel), channel)
            checkpoint = Checkpoint(
                id=new_checkpoint_id(),
                ts="2026-01-01T00:00:00+00:00",
                channel_values=dict(values),
                channel_versions=dict(versions),
            )
            config = saver.put(
                config, checkpoint, {"step": number}, {ch: versions[ch] for ch in step}
            )
            saved.append((config, dict(values)))
        for config, expected in saved:
            found = saver.get_tuple(config)
            assert found is not None
            assert found.checkpoint.channel_values == expected
