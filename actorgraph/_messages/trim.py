"""Keeping a history under a token budget: ``trim_messages`` and a token estimate."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Literal

import msgspec

from actorgraph._messages.convert import Messages, convert_to_messages
from actorgraph._messages.types import AIMessage, BaseMessage, SystemMessage

__all__ = ["MessageKinds", "count_tokens_approximately", "get_buffer_string", "trim_messages"]

MessageKinds = str | type[BaseMessage] | Sequence[str | type[BaseMessage]]
"""Message kinds by ``type`` name (``"human"``) or class, one or several."""

TokenCounter = Callable[[list[BaseMessage]], int]


def count_tokens_approximately(
    messages: Messages,
    *,
    chars_per_token: float = 4.0,
    extra_tokens_per_message: float = 3.0,
    count_name: bool = True,
) -> int:
    """Estimate the tokens of ``messages`` without a tokenizer.

    Each message counts its characters (text content, or the JSON of block
    content, plus the JSON of tool calls and the name) divided by
    ``chars_per_token``, plus ``extra_tokens_per_message``; the sum is rounded up.
    Good for budgets, not for billing.
    """
    total = 0.0
    for message in convert_to_messages(messages):
        content = message.content
        chars = len(content) if isinstance(content, str) else len(msgspec.json.encode(content))
        if isinstance(message, AIMessage) and message.tool_calls:
            chars += len(msgspec.json.encode(message.tool_calls))
        if count_name and message.name:
            chars += len(message.name)
        total += math.ceil(chars / chars_per_token) + extra_tokens_per_message
    return math.ceil(total)


def trim_messages(
    messages: Messages,
    *,
    max_tokens: int,
    token_counter: TokenCounter | None = None,
    strategy: Literal["first", "last"] = "last",
    allow_partial: bool = False,
    start_on: MessageKinds | None = None,
    end_on: MessageKinds | None = None,
    include_system: bool = False,
) -> list[BaseMessage]:
    """The longest run of ``messages`` whose tokens fit in ``max_tokens``.

    ``strategy="last"`` keeps the newest messages, ``"first"`` the oldest.
    ``end_on`` first drops messages from the end until the last one is of those
    kinds; ``start_on`` (``"last"`` only) drops messages from the start of the
    kept run until the first is of those kinds. ``include_system`` (``"last"``
    only) keeps a leading system message and counts it against the budget.
    ``allow_partial`` keeps the part of a text message that fits, whole lines
    from its end (``"last"``) or start (``"first"``). ``token_counter`` takes a
    list of messages and returns its count (``None``:
    :func:`count_tokens_approximately`).

    The input is not mutated. Raises ``ValueError`` for a negative budget or a
    ``start_on``/``include_system`` given with ``strategy="first"``.
    """
    if max_tokens < 0:
        raise ValueError(f"trim_messages: max_tokens must be >= 0, got {max_tokens}")
    if strategy == "first" and (start_on is not None or include_system):
        raise ValueError("trim_messages: start_on and include_system apply to strategy='last'")
    count: TokenCounter = token_counter or count_tokens_approximately
    history = convert_to_messages(messages)
    if end_on is not None:
        while history and not _is_kind(history[-1], end_on):
            history.pop()
    if strategy == "first":
        return _keep_prefix(history, max_tokens, count, allow_partial)
    system: list[BaseMessage] = []
    if include_system and history and isinstance(history[0], SystemMessage):
        system, history = history[:1], history[1:]
    budget_left = max_tokens - count(system) if system else max_tokens
    if budget_left < 0:
        return []
    kept = _keep_prefix(history[::-1], budget_left, count, allow_partial, from_end=True)[::-1]
    if start_on is not None:
        while kept and not _is_kind(kept[0], start_on):
            kept.pop(0)
    return system + kept


def _keep_prefix(
    history: list[BaseMessage],
    budget: int,
    count: TokenCounter,
    allow_partial: bool,
    *,
    from_end: bool = False,
) -> list[BaseMessage]:
    # ``history`` is in the order messages are taken; with from_end it is reversed
    # and so a partial message keeps its last lines.
    kept: list[BaseMessage] = []
    for message in history:
        if count(_in_order([*kept, message], from_end)) <= budget:
            kept.append(message)
            continue
        if allow_partial and isinstance(message.content, str):
            lines = message.content.splitlines(keepends=True)
            for size in range(len(lines) - 1, 0, -1):
                part = lines[-size:] if from_end else lines[:size]
                candidate = msgspec.structs.replace(message, content="".join(part))
                if count(_in_order([*kept, candidate], from_end)) <= budget:
                    kept.append(candidate)
                    break
        break
    return kept


def _in_order(messages: list[BaseMessage], reversed_: bool) -> list[BaseMessage]:
    return messages[::-1] if reversed_ else messages


def _is_kind(message: BaseMessage, kinds: MessageKinds) -> bool:
    options = [kinds] if isinstance(kinds, (str, type)) else kinds
    return any(
        message.type == kind if isinstance(kind, str) else isinstance(message, kind)
        for kind in options
    )


def get_buffer_string(
    messages: Messages, *, human_prefix: str = "Human", ai_prefix: str = "AI"
) -> str:
    """The history as text, one ``Role: text`` line per message (for prompts)."""
    prefixes = {"human": human_prefix, "ai": ai_prefix, "AIMessageChunk": ai_prefix}
    prefixes |= {"system": "System", "tool": "Tool", "remove": "Remove"}
    return "\n".join(f"{prefixes[m.type]}: {m.text}" for m in convert_to_messages(messages))
