"""A chat history kept in the long-term key-value store (memory or SQLite)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, Protocol
from uuid import uuid4

import msgspec

from actorgraph.messages import AnyMessage, BaseMessage
from actorgraph.runnables._chat_history import BaseChatMessageHistory

__all__ = ["KeyValueStore", "StoreChatMessageHistory"]

_PAGE = 500


class _StoredItem(Protocol):
    key: str
    value: dict[str, Any]


class KeyValueStore(Protocol):
    """The part of the long-term store (``BaseStore``) a history needs."""

    async def aput(self, namespace: tuple[str, ...], key: str, value: dict[str, Any]) -> None:
        """Write ``value`` at ``namespace``/``key``."""
        ...

    async def asearch(
        self, namespace_prefix: tuple[str, ...], /, *, limit: int = 10, offset: int = 0
    ) -> Sequence[_StoredItem]:
        """Items under ``namespace_prefix``, paged."""
        ...

    async def adelete(self, namespace: tuple[str, ...], key: str) -> None:
        """Delete the item at ``namespace``/``key``."""
        ...


class StoreChatMessageHistory(BaseChatMessageHistory):
    """The messages of one session, one store item per message.

    Items live under ``(*namespace, session_id)`` with keys that sort in the
    order the messages were added (a nanosecond clock plus a random suffix), so
    concurrent writers never overwrite each other and a history on SQLite
    survives restarts. Values are the messages as plain data (their ``type``
    tag included), decoded back to message structs on read.

    The async methods are the native ones; ``messages``/``add_messages``/
    ``clear`` are sync portals and refuse to run inside an event loop (use
    ``aget_messages``/``aadd_messages``/``aclear`` there).

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

    async def _items(self) -> list[_StoredItem]:
        items: list[_StoredItem] = []
        while True:
            page = await self.store.asearch(self.namespace, limit=_PAGE, offset=len(items))
            items.extend(page)
            if len(page) < _PAGE:
                return sorted(items, key=lambda item: item.key)

    async def aget_messages(self) -> list[BaseMessage]:
        return [msgspec.convert(item.value, AnyMessage) for item in await self._items()]

    async def aadd_messages(self, messages: Sequence[BaseMessage]) -> None:
        stamp = time.time_ns()
        for offset, message in enumerate(messages):
            key = f"{stamp + offset:020d}-{uuid4().hex[:8]}"
            await self.store.aput(self.namespace, key, msgspec.to_builtins(message))

    async def aclear(self) -> None:
        for item in await self._items():
            await self.store.adelete(self.namespace, item.key)

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
