"""A database handle that opens on first use: the lifecycle shared by
``SqliteSaver``, ``SqliteStore`` and ``SqliteCache``.

Creating one of them costs nothing: the file (and the threads of the SQLite
layer) are taken on the first operation, on ``setup()``/``asetup()``, or on
entering ``with``/``async with``. After ``close()`` any use is a clear error
rather than a silent reopen.
"""

from __future__ import annotations

import os
import threading

from actorgraph.channels._errors import DatabaseError
from actorgraph.store._portal import refuse_on_event_loop
from actorgraph.store._sqlite import Database, Schema, attach_database

__all__ = ["LazyDatabase"]


class LazyDatabase:
    """The ``Database`` of ``path`` with ``schema``, attached when first needed.

    ``owner`` names the object in errors (``"SqliteSaver"``); ``busy_timeout``
    (seconds) and ``synchronous`` go to the SQLite layer, which takes them from
    the first opener of a file in the process.
    """

    __slots__ = (
        "_closed",
        "_db",
        "_lock",
        "busy_timeout",
        "owner",
        "path",
        "schema",
        "synchronous",
    )

    def __init__(
        self,
        path: str | os.PathLike[str],
        schema: Schema,
        owner: str,
        *,
        busy_timeout: float = 30.0,
        synchronous: str = "NORMAL",
    ) -> None:
        self.path = os.fspath(path)
        self.schema = schema
        self.owner = owner
        self.busy_timeout = busy_timeout
        self.synchronous = synchronous
        self._db: Database | None = None
        self._closed = False
        self._lock = threading.Lock()

    def get(self) -> Database:
        """The open handle, attaching the file now if needed.

        Raises:
            DatabaseError: after ``close``, naming the owner and the file.
        """
        db = self._db
        if db is not None:
            return db
        with self._lock:
            if self._closed:
                raise DatabaseError(
                    f"this {self.owner} on {self.path} is closed; create a new one",
                    path=self.path,
                )
            if self._db is None:
                self._db = attach_database(
                    self.path,
                    schema=self.schema,
                    busy_timeout=self.busy_timeout,
                    synchronous=self.synchronous,
                )
            return self._db

    async def asetup(self) -> None:
        """Open the file and apply the schema now.

        Raises:
            DatabaseError: when the file is not an SQLite database, is damaged,
                or holds a newer schema; names the file.
        """
        await self.get().ready()

    def setup(self) -> None:
        """``asetup`` for plain code; raises EventLoopThreadError on an event
        loop's thread."""
        refuse_on_event_loop("setup")
        self.get().ready_blocking()

    async def aenter(self) -> None:
        """``asetup`` for ``async with``: a file that fails to open is released
        at once, since the block that would close it never starts."""
        try:
            await self.asetup()
        except BaseException:
            await self.aclose()
            raise

    def enter(self) -> None:
        """``setup`` for ``with``, releasing the file when it fails to open;
        raises EventLoopThreadError on an event loop's thread."""
        refuse_on_event_loop("setup")
        try:
            self.get().ready_blocking()
        except BaseException:
            self.close()
            raise

    def _detach(self) -> Database | None:
        with self._lock:
            self._closed = True
            db, self._db = self._db, None
        return db

    async def aclose(self) -> None:
        """Release the file (flushing queued writes, shielded); later use raises."""
        db = self._detach()
        if db is not None:
            await db.aclose()

    def close(self) -> None:
        """``aclose`` for plain code; raises EventLoopThreadError on an event
        loop's thread (before anything is released)."""
        refuse_on_event_loop("close")
        db = self._detach()
        if db is not None:
            db.close()
