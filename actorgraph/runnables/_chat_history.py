"""Chat message histories: what ``RunnableWithMessageHistory`` reads and appends to."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from actorgraph.messages import BaseMessage

__all__ = ["BaseChatMessageHistory", "InMemoryChatMessageHistory"]


class BaseChatMessageHistory(ABC):
    """The history of one conversation.

    Subclass it and provide ``messages`` (the stored messages, oldest first),
    ``add_messages`` (or ``add_message``) and ``clear``. Histories that do I/O
    override the async methods (``aget_messages``, ``aadd_messages``,
    ``aclear``), which by default call the sync ones directly, as in-memory
    histories need. The seed's ``class InMemoryHistory(BaseChatMessageHistory,
    BaseModel)`` works: a pydantic model may be a history.
    """

    messages: list[BaseMessage]

    def add_message(self, message: BaseMessage) -> None:
        """Append one message."""
        self.add_messages([message])

    def add_messages(self, messages: Sequence[BaseMessage]) -> None:
        """Append messages in order.

        Raises:
            NotImplementedError: neither this nor ``add_message`` is overridden.
        """
        if type(self).add_message is BaseChatMessageHistory.add_message:
            raise NotImplementedError(
                f"{type(self).__name__} must implement add_messages() or add_message()"
            )
        for message in messages:
            self.add_message(message)

    @abstractmethod
    def clear(self) -> None:
        """Remove every message."""

    async def aget_messages(self) -> list[BaseMessage]:
        """The stored messages, oldest first."""
        return list(self.messages)

    async def aadd_messages(self, messages: Sequence[BaseMessage]) -> None:
        """Append messages in order."""
        self.add_messages(messages)

    async def aclear(self) -> None:
        """Remove every message."""
        self.clear()

    def __str__(self) -> str:
        return "\n".join(f"{message.type}: {message.content}" for message in self.messages)


class InMemoryChatMessageHistory(BaseChatMessageHistory):
    """A history kept in a list: for tests, quick starts and short-lived sessions."""

    def __init__(self, messages: Sequence[BaseMessage] = ()) -> None:
        self.messages = list(messages)

    def add_messages(self, messages: Sequence[BaseMessage]) -> None:
        self.messages.extend(messages)

    def clear(self) -> None:
        self.messages = []

    def __repr__(self) -> str:
        return f"InMemoryChatMessageHistory(messages={self.messages!r})"
