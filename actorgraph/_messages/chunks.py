"""Joining streamed chunks: ``AIMessageChunk + AIMessageChunk`` and its helpers.

Rules, in one place:

- text content is concatenated; content-block lists are merged block by block
  when both sides carry the same ``index`` and appended otherwise;
- ``tool_call_chunks`` with the same ``index`` are joined (``args`` strings
  concatenated, the first ``name``/``id`` kept) and re-parsed into ``tool_calls``
  (unfinished JSON is completed as far as it goes; what cannot be parsed becomes an
  ``invalid_tool_call`` with the reason);
- ``usage_metadata`` token counts are summed;
- ``additional_kwargs``/``response_metadata`` are merged key by key: nested dicts
  recursively, lists concatenated, equal values kept, otherwise the right side wins;
- the first non-empty ``id`` and ``name`` are kept; ``chunk_position="last"`` wins.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, overload

import msgspec

from actorgraph._messages.types import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    InvalidToolCall,
    MessageContent,
    ToolCall,
    ToolCallChunk,
    UsageMetadata,
)

__all__ = [
    "add_chunks",
    "message_chunk_to_message",
    "normalize_chunk_calls",
    "parse_partial_json",
]

_decode_json = msgspec.json.decode


def add_chunks(first: AIMessageChunk, rest: Iterable[AIMessageChunk]) -> AIMessageChunk:
    """Join ``first`` with each chunk of ``rest`` in order, into a new chunk."""
    content: MessageContent = first.content
    additional = first.additional_kwargs
    metadata = first.response_metadata
    call_chunks = list(first.tool_call_chunks)
    calls = list(first.tool_calls)
    invalid = list(first.invalid_tool_calls)
    usage = first.usage_metadata
    id_, name, position = first.id, first.name, first.chunk_position
    for chunk in rest:
        content = _merge_content(content, chunk.content)
        additional = _merge_dicts(additional, chunk.additional_kwargs)
        metadata = _merge_dicts(metadata, chunk.response_metadata)
        call_chunks = _merge_call_chunks(call_chunks, chunk.tool_call_chunks)
        calls += chunk.tool_calls
        invalid += chunk.invalid_tool_calls
        usage = _add_usage(usage, chunk.usage_metadata)
        id_ = id_ or chunk.id
        name = name or chunk.name
        position = position or chunk.chunk_position
    if call_chunks:
        # The parsed calls are rebuilt from the joined pieces, not concatenated.
        calls, invalid = [], []
    return AIMessageChunk(
        content,
        id=id_,
        name=name,
        additional_kwargs=additional,
        response_metadata=metadata,
        tool_calls=calls,
        invalid_tool_calls=invalid,
        usage_metadata=usage,
        tool_call_chunks=call_chunks,
        chunk_position=position,
    )


def normalize_chunk_calls(chunk: AIMessageChunk) -> None:
    """Tag ``chunk.tool_call_chunks`` and, when it has no parsed calls yet, parse them."""
    chunk.tool_call_chunks = [
        part if "type" in part else {**part, "type": "tool_call_chunk"}
        for part in chunk.tool_call_chunks
    ]
    if chunk.tool_calls or chunk.invalid_tool_calls:
        return
    calls: list[ToolCall] = []
    invalid: list[InvalidToolCall] = []
    for part in chunk.tool_call_chunks:
        error: str | None = None
        try:
            args = parse_partial_json(part["args"] or "{}")
        except ValueError as exc:
            error = str(exc)
        else:
            if not isinstance(args, dict):
                error = "arguments are not a JSON object"
        if error is None:
            calls.append(
                {"name": part["name"] or "", "args": args, "id": part["id"], "type": "tool_call"}
            )
        else:
            invalid.append(
                {
                    "name": part["name"],
                    "args": part["args"],
                    "id": part["id"],
                    "error": error,
                    "type": "invalid_tool_call",
                }
            )
    chunk.tool_calls = calls
    chunk.invalid_tool_calls = invalid


@overload
def message_chunk_to_message(message: AIMessageChunk) -> AIMessage: ...
@overload
def message_chunk_to_message(message: BaseMessage) -> BaseMessage: ...
def message_chunk_to_message(message: BaseMessage) -> BaseMessage:
    """An :class:`AIMessageChunk` as the :class:`AIMessage` it adds up to; others unchanged."""
    if not isinstance(message, AIMessageChunk):
        return message
    return AIMessage(
        message.content,
        id=message.id,
        name=message.name,
        additional_kwargs=message.additional_kwargs,
        response_metadata=message.response_metadata,
        tool_calls=message.tool_calls,
        invalid_tool_calls=message.invalid_tool_calls,
        usage_metadata=message.usage_metadata,
    )


def parse_partial_json(text: str) -> Any:
    """Parse JSON that may be cut off, closing open strings, arrays and objects.

    Trailing pieces that cannot be completed (a key without its value) are dropped.
    Raises ``ValueError`` naming the text when no prefix of it parses.
    """
    try:
        return _decode_json(text)
    except msgspec.DecodeError:
        pass
    for end in range(len(text), 0, -1):
        completed = _complete(text[:end])
        if completed is None:
            continue
        try:
            return _decode_json(completed)
        except msgspec.DecodeError:
            continue
    raise ValueError(f"tool call arguments are not valid JSON: {text!r}")


def _complete(prefix: str) -> str | None:
    closers: list[str] = []
    in_string = escaped = False
    for ch in prefix:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "{[":
            closers.append("}" if ch == "{" else "]")
        elif ch in "}]" and (not closers or closers.pop() != ch):
            return None
    if escaped:
        prefix = prefix[:-1]
    return prefix + ('"' if in_string else "") + "".join(reversed(closers))


def _merge_content(left: MessageContent, right: MessageContent) -> MessageContent:
    if isinstance(left, str) and isinstance(right, str):
        return left + right
    if isinstance(left, str):
        return [left, *right] if left else list(right)
    merged = list(left)
    if isinstance(right, str):
        if merged and isinstance(merged[-1], str):
            merged[-1] += right
        elif right:
            merged.append(right)
        return merged
    for block in right:
        index = block.get("index") if isinstance(block, dict) else None
        at = _find_index(merged, index) if index is not None else None
        if at is None or not isinstance(block, dict):
            merged.append(block)
        else:
            merged[at] = _merge_block(_at_block(merged, at), block)
    return merged


def _find_index(blocks: list[str | dict[str, Any]], index: object) -> int | None:
    for at, block in enumerate(blocks):
        if isinstance(block, dict) and block.get("index") == index:
            return at
    return None


def _at_block(blocks: list[str | dict[str, Any]], at: int) -> dict[str, Any]:
    block = blocks[at]
    return block if isinstance(block, dict) else {"type": "text", "text": block}


def _merge_block(left: Mapping[str, Any], right: Mapping[str, Any]) -> dict[str, Any]:
    # Streamed blocks of one index carry their text in pieces: concatenate strings
    # except the keys that identify the block.
    merged = dict(left)
    for key, value in right.items():
        old = merged.get(key)
        if key in ("type", "index", "id") or old is None:
            merged[key] = value if old is None else old
        elif isinstance(old, str) and isinstance(value, str):
            merged[key] = old + value
        elif isinstance(old, dict) and isinstance(value, dict):
            merged[key] = _merge_block(old, value)
        else:
            merged[key] = value
    return merged


def _merge_dicts(left: dict[str, Any], right: dict[str, Any]) -> dict[str, Any]:
    if not right:
        return left
    if not left:
        return right
    merged = dict(left)
    for key, value in right.items():
        old = merged.get(key)
        if isinstance(old, dict) and isinstance(value, dict):
            merged[key] = _merge_dicts(old, value)
        elif isinstance(old, list) and isinstance(value, list):
            merged[key] = old + value
        else:
            merged[key] = value
    return merged


def _merge_call_chunks(
    left: list[ToolCallChunk], right: list[ToolCallChunk]
) -> list[ToolCallChunk]:
    if not right:
        return left
    merged = list(left)
    for part in right:
        at = next(
            (
                i
                for i, old in enumerate(merged)
                if part["index"] is not None and old["index"] == part["index"]
            ),
            None,
        )
        if at is None:
            merged.append(part)
            continue
        old = merged[at]
        merged[at] = {
            "name": old["name"] or part["name"],
            "args": (old["args"] or "") + (part["args"] or "") or None,
            "id": old["id"] or part["id"],
            "index": old["index"],
            "type": "tool_call_chunk",
        }
    return merged


def _add_usage(left: UsageMetadata | None, right: UsageMetadata | None) -> UsageMetadata | None:
    if left is None:
        return right
    if right is None:
        return left
    summed: dict[str, Any] = _sum_counts(left, right)
    return summed  # type: ignore[return-value]


def _sum_counts(left: Mapping[str, Any], right: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(left)
    for key, value in right.items():
        old = out.get(key)
        if isinstance(value, Mapping):
            out[key] = _sum_counts(old if isinstance(old, Mapping) else {}, value)
        else:
            out[key] = (old or 0) + value
    return out
