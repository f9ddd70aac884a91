"""A job that leaves a cursor open must not pin its connection to an old snapshot.

An unfinished statement keeps its connection reading the snapshot it started
in, even after the worker ends the job's transaction; the layer closes every
cursor a job opened when the job returns, so the next job on that connection
sees every commit made before it started."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from actorgraph.store._sqlite import MEMORY, Database, Schema, open_database

pytestmark = pytest.mark.anyio

NUMBERS = Schema("numbers", ("CREATE TABLE numbers (n INTEGER PRIMARY KEY)",))


def insert(conn: sqlite3.Connection, *numbers: int) -> None:
    conn.executemany("INSERT INTO numbers VALUES (?)", [(n,) for n in numbers])


def count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM numbers").fetchone()[0])


@pytest.fixture(params=["file", "memory"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return str(tmp_path / "numbers.db") if request.param == "file" else MEMORY


async def seeded(db: Database) -> None:
    await db.write(insert, *range(10))


async def test_a_kept_cursor_does_not_hide_later_commits(location: str) -> None:
    kept: list[Any] = []

    def first_only(conn: sqlite3.Connection) -> int:
        cursor = conn.execute("SELECT n FROM numbers ORDER BY n")
        kept.append(cursor)  # read lazily and kept past the job, as a closure might
        return int(cursor.fetchone()[0])

    # One reader, so every read below runs on the connection the cursor was opened on.
    async with open_database(location, schema=NUMBERS, readers=1) as db:
        await seeded(db)
        assert await db.read(first_only) == 0
        await db.write(insert, 100)
        assert await db.read(count) == 11
        with pytest.raises(sqlite3.ProgrammingError, match="closed cursor"):
            kept[0].fetchone()


async def test_a_traceback_holding_a_cursor_does_not_hide_later_commits(location: str) -> None:
    def fails_mid_read(conn: sqlite3.Connection) -> None:
        cursor = conn.execute("SELECT n FROM numbers ORDER BY n")
        cursor.fetchone()
        raise LookupError("stopped after the first row")

    async with open_database(location, schema=NUMBERS, readers=1) as db:
        await seeded(db)
        with pytest.raises(LookupError) as caught:  # its traceback keeps the job's frame
            await db.read(fails_mid_read)
        await db.write(insert, 100)
        assert await db.read(count) == 11
        assert caught.value.__traceback__ is not None


async def test_a_returned_cursor_is_closed(location: str) -> None:
    def lazy_rows(conn: sqlite3.Connection) -> sqlite3.Cursor:
        return conn.execute("SELECT n FROM numbers")

    async with open_database(location, schema=NUMBERS, readers=1) as db:
        await seeded(db)
        returned = await db.read(lazy_rows)
        with pytest.raises(sqlite3.ProgrammingError, match="closed cursor"):
            returned.fetchall()
        await db.write(insert, 100)
        assert await db.read(count) == 11


async def test_cursors_of_batched_writes_are_closed_with_their_job(tmp_path: Path) -> None:
    kept: list[sqlite3.Cursor] = []

    def insert_and_peek(conn: sqlite3.Connection, n: int) -> None:
        insert(conn, n)
        kept.append(conn.cursor())
        kept[-1].execute("SELECT n FROM numbers")

    db_path = str(tmp_path / "numbers.db")
    async with open_database(db_path, schema=NUMBERS, readers=1) as db:
        for n in range(3):
            db.submit_write(insert_and_peek, n)  # queued together: one batch, savepoints
        await db.write(insert_and_peek, 3)
        assert await db.read(count) == 4
    with pytest.raises(sqlite3.ProgrammingError, match="closed cursor"):
        kept[0].fetchone()
    assert len(kept) == 4


async def test_executescript_cursors_are_closed_too(tmp_path: Path) -> None:
    def script(conn: sqlite3.Connection) -> None:
        conn.executescript("INSERT INTO numbers VALUES (1); INSERT INTO numbers VALUES (2);")

    async with open_database(tmp_path / "numbers.db", schema=NUMBERS) as db:
        await db.maintain(script)  # a script commits by itself: run outside a transaction
        assert await db.read(count) == 2
