"""A chat history kept in the long-term store (``InMemoryStore``, ``SqliteStore``)."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Protocol, cast
from uuid import uuid4

import msgspec

from actorgraph.messages import AnyMessage, BaseMessage
from actorgraph.runnables._chat_history import BaseChatMessageHistory
from actorgraph.store.base_store import Item, Op, PutOp, Result, SearchOp

__all__ = ["KeyValueStore", "StoreChatMessageHistory"]

_PAGE = 500


class KeyValueStore(Protocol):
    """The part of the long-term store (``BaseStore``) a history needs: its
    batch of operations, which every store implements."""

    async def abatch(self, ops: Iterable[Op], /) -> list[Result]:
        """Run ``ops`` in order (in one transaction where the store has them)."""
        ...


class StoreChatMessageHistory(BaseChatMessageHistory):
    """The messages of one session, one store item per message.

    Items live under ``(*namespace, session_id)`` with keys that sort in the
    order the messages were added (a nanosecond clock plus a random suffix), so
    concurrent writers never overwrite each other and a history on a
    ``SqliteStore`` survives restarts and is shared by every process on the
    file. Values are the messages as plain data (their ``type`` tag
    included), decoded back to message structs on read. Adding several
    messages is one ``abatch`` (one transaction on SQLite: all or none);
    ``aclear`` deletes in one batch too.

    The async methods are the native ones; ``messages``/``add_messages``/
    ``clear`` are sync portals and refuse to run inside an event loop (use
    ``aget_messages``/``aadd_messages``/``aclear`` there). On cancellation the
    store's rule holds: a batch not yet started is dropped, one committing
    finishes.

    Raises:
        actorgraph.errors.InvalidNamespaceError: from the store, for a session
            id it cannot use as a namespace label (for example one with a dot).
    """

    def __init__(
        self,
        store: KeyValueStore,
        session_id: str,
        *,
        namespace: tuple[str, ...] = ("chat_history",),
    ) -> None:
        self.store = store
        self.session_id = session_id
        self.namespace = (*namespace, session_id)

    async def _items(self) -> list[Item]:
        items: list[Item] = []
        offset = 0
        while True:
            (page,) = await self.store.abatch(
                [SearchOp(self.namespace, limit=_PAGE, offset=offset)]
            )
            found = cast("list[Item]", page)
            offset += len(found)
            # Exactly this session: a deeper namespace under it is not a message.
            items.extend(item for item in found if item.namespace == self.namespace)
            if len(found) < _PAGE:
                return sorted(items, key=lambda item: item.key)

    async def aget_messages(self) -> list[BaseMessage]:
        """The stored messages, oldest first."""
        return [msgspec.convert(item.value, AnyMessage) for item in await self._items()]

    async def aadd_messages(self, messages: Sequence[BaseMessage]) -> None:
        """Append ``messages`` in order, in one store batch."""
        if not messages:
            return
        stamp = time.time_ns()
        suffix = uuid4().hex[:8]
        await self.store.abatch(
            [
                PutOp(
                    self.namespace,
                    f"{stamp + offset:020d}-{suffix}",
                    msgspec.to_builtins(message),
                )
                for offset, message in enumerate(messages)
            ]
        )

    async def aclear(self) -> None:
        """Remove every message of the session, in one store batch."""
        items = await self._items()
        if items:
            await self.store.abatch([PutOp(self.namespace, item.key, None) for item in items])

    @property
    def messages(self) -> list[BaseMessage]:  # type: ignore[override]  # read-only here: writes go through add_messages
        """The stored messages, oldest first (sync portal)."""
        from actorgraph.actors._portal import run_sync

        return run_sync("aget_messages", self.aget_messages)

    def add_messages(self, messages: Sequence[BaseMessage]) -> None:
        """Append messages in order (sync portal)."""
        from actorgraph.actors._portal import run_sync

        run_sync("aadd_messages", self.aadd_messages, messages)

    def clear(self) -> None:
        """Remove every message of the session (sync portal)."""
        from actorgraph.actors._portal import run_sync

        run_sync("aclear", self.aclear)

    def __repr__(self) -> str:
        return (
            f"StoreChatMessageHistory(session_id={self.session_id!r}, namespace={self.namespace!r})"
        )
