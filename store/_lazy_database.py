"""A database handle that opens on first use, for the store and the node cache.

Creating a ``SqliteStore`` or ``SqliteCache`` costs nothing: the file (and the
threads of the SQLite layer) are taken on the first operation or ``setup()``.
After ``close()`` any use is a clear error rather than a silent reopen.
"""

from __future__ import annotations

import os
import threading

from actorgraph.channels._errors import DatabaseError
from actorgraph.store._sqlite import Database, Schema, attach_database

__all__ = ["LazyDatabase"]


class LazyDatabase:
    """The ``Database`` of ``path`` with ``schema``, attached when first needed."""

    __slots__ = ("_closed", "_db", "_lock", "owner", "path", "schema")

    def __init__(self, path: str | os.PathLike[str], schema: Schema, owner: str) -> None:
        self.path = os.fspath(path)
        self.schema = schema
        self.owner = owner
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
                self._db = attach_database(self.path, schema=self.schema)
            return self._db

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
        """``aclose`` for plain code."""
        db = self._detach()
        if db is not None:
            db.close()
