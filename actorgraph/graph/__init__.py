"""Build graphs over a shared state: StateGraph, its compiled form, START, END, messages."""

from __future__ import annotations

from actorgraph.graph._branch import END, START
from actorgraph.graph.message import REMOVE_ALL_MESSAGES, MessagesState, add_messages
from actorgraph.graph.state import CompiledStateGraph, StateGraph

__all__ = [
    "END",
    "REMOVE_ALL_MESSAGES",
    "START",
    "CompiledStateGraph",
    "MessagesState",
    "StateGraph",
    "add_messages",
]
