"""Building graphs: the messages reducer and state (the engine adds StateGraph here)."""

from __future__ import annotations

from actorgraph.graph.message import REMOVE_ALL_MESSAGES, MessagesState, add_messages

__all__ = ["REMOVE_ALL_MESSAGES", "MessagesState", "add_messages"]
