"""The message structs: what a conversation is made of.

Every message is a ``msgspec.Struct`` tagged by ``type`` (``"human"``, ``"ai"``,
``"system"``, ``"tool"``, ``"remove"``, ``"AIMessageChunk"``), so a list of mixed
messages encodes and decodes as a tagged union with no extra schema. ``content``
is the only positional field; every other field is keyword-only.

Equality is structural: two messages are equal when they are of the same class and
every field is equal, ``id`` included. An :class:`AIMessage` never equals an
:class:`AIMessageChunk` with the same fields.
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import msgspec
from typing_extensions import NotRequired, Self, TypedDict

__all__ = [
    "REMOVE_ALL_MESSAGES",
    "AIMessage",
    "AIMessageChunk",
    "AnyMessage",
    "BaseMessage",
    "HumanMessage",
    "InputTokenDetails",
    "InvalidToolCall",
    "MessageContent",
    "OutputTokenDetails",
    "RemoveMessage",
    "SystemMessage",
    "ToolCall",
    "ToolCallChunk",
    "ToolMessage",
    "UsageMetadata",
]

REMOVE_ALL_MESSAGES = "__remove_all__"
"""``RemoveMessage(id=REMOVE_ALL_MESSAGES)`` clears every message before it."""

MessageContent = str | list[str | dict[str, Any]]
"""A message's content: plain text, or a list of content blocks (dicts or strings)."""


class ToolCall(TypedDict):
    """A request from the model to call a tool: ``{"name", "args", "id", "type"}``.

    A plain dict, as users index it (``call["args"]``) and write it by hand;
    :class:`AIMessage` fills in ``type="tool_call"`` when it is missing.
    """

    name: str
    args: dict[str, Any]
    id: str | None
    type: NotRequired[Literal["tool_call"]]


class InvalidToolCall(TypedDict):
    """A tool call the model produced but that could not be parsed; ``error`` says why."""

    name: str | None
    args: str | None
    id: str | None
    error: str | None
    type: NotRequired[Literal["invalid_tool_call"]]


class ToolCallChunk(TypedDict):
    """A piece of a streamed tool call; pieces with the same ``index`` are joined."""

    name: str | None
    args: str | None
    id: str | None
    index: int | None
    type: NotRequired[Literal["tool_call_chunk"]]


class InputTokenDetails(TypedDict, total=False):
    """A breakdown of the input tokens."""

    audio: int
    cache_creation: int
    cache_read: int


class OutputTokenDetails(TypedDict, total=False):
    """A breakdown of the output tokens."""

    audio: int
    reasoning: int


class UsageMetadata(TypedDict):
    """Token counts of one model call."""

    input_tokens: int
    output_tokens: int
    total_tokens: int
    input_token_details: NotRequired[InputTokenDetails]
    output_token_details: NotRequired[OutputTokenDetails]


class _Content(
    msgspec.Struct,
    tag_field="type",
    omit_defaults=True,
    repr_omit_defaults=True,
):
    # The one positional field lives alone so that ``HumanMessage("hi")`` works while
    # every field declared below stays keyword-only.
    content: MessageContent = ""


class BaseMessage(_Content, kw_only=True):
    """The fields every message has.

    ``content`` is text or a list of content blocks; ``id`` identifies the message in
    a conversation (``add_messages`` replaces a message with the same id); ``name``
    names the speaker; ``additional_kwargs`` and ``response_metadata`` carry
    provider data. Raises ``TypeError`` when ``content`` is neither a str nor a list.
    """

    id: str | None = None
    name: str | None = None
    additional_kwargs: dict[str, Any] = {}
    response_metadata: dict[str, Any] = {}

    type: ClassVar[str] = "base"

    def __post_init__(self) -> None:
        if type(self.content) is not str and not isinstance(self.content, list):
            raise TypeError(
                f"{type(self).__name__}.content must be a str or a list of content "
                f"blocks, got {type(self.content).__name__}: {self.content!r}"
            )

    @property
    def text(self) -> str:
        """The text of the message: ``content`` itself, or its text blocks joined."""
        return _text_of(self.content)

    @property
    def content_blocks(self) -> list[dict[str, Any]]:
        """``content`` as standard blocks (``{"type": "text", "text": ...}`` and so on).

        Plain strings become text blocks and empty text is left out; for an
        :class:`AIMessage` its tool calls follow as ``tool_call`` blocks.
        """
        return _blocks_of(self.content)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        """Lets pydantic models hold messages (state schemas, tool arguments):
        instances pass as they are, message-like values are read as messages."""
        from pydantic_core import core_schema

        from actorgraph._messages.convert import to_message

        def validate(value: object) -> BaseMessage:
            message = to_message(value)
            if not isinstance(message, cls):
                raise ValueError(f"expected a {cls.__name__}, got a {type(message).__name__}")
            return message

        return core_schema.no_info_plain_validator_function(
            validate,
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda message: message.model_dump()
            ),
        )

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy with the fields in ``update`` replaced (``deep``: nested values
        copied too). Raises ``TypeError`` naming an unknown field."""
        copied = copy.deepcopy(self) if deep else self
        return msgspec.structs.replace(copied, **(update or {}))

    def model_dump(self) -> dict[str, Any]:
        """The message as plain data with its ``type``, as it is encoded."""
        data: dict[str, Any] = msgspec.to_builtins(self)
        return data

    def pretty_repr(self) -> str:
        """A human-readable rendering: a title rule, then the content."""
        title = f" {_title_of(self)} Message "
        lines = [title.center(80, "=")]
        if self.name is not None:
            lines.append(f"Name: {self.name}")
        lines += ["", self.text if isinstance(self.content, list) else self.content]
        return "\n".join(lines)

    def pretty_print(self) -> None:
        """Write :meth:`pretty_repr` to standard output."""
        sys.stdout.write(self.pretty_repr() + "\n")


class HumanMessage(BaseMessage, tag="human"):
    """A message from the user (dict role ``"user"`` or ``"human"``)."""

    type: ClassVar[str] = "human"


class SystemMessage(BaseMessage, tag="system"):
    """Instructions to the model (dict role ``"system"`` or ``"developer"``)."""

    type: ClassVar[str] = "system"


class AIMessage(BaseMessage, kw_only=True, tag="ai"):
    """A reply from the model (dict role ``"assistant"`` or ``"ai"``).

    ``tool_calls`` is ``[]`` when the model asked for no tool; each call missing
    ``type`` gets ``"tool_call"``. ``usage_metadata`` holds token counts when known.
    """

    tool_calls: list[ToolCall] = []
    invalid_tool_calls: list[InvalidToolCall] = []
    usage_metadata: UsageMetadata | None = None

    type: ClassVar[str] = "ai"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.tool_calls:
            self.tool_calls = [
                call if "type" in call else {**call, "type": "tool_call"}
                for call in self.tool_calls
            ]

    @property
    def content_blocks(self) -> list[dict[str, Any]]:
        blocks = _blocks_of(self.content)
        known = {block.get("id") for block in blocks if block.get("type") == "tool_call"}
        blocks += [
            {"type": "tool_call", "name": c["name"], "args": c["args"], "id": c["id"]}
            for c in self.tool_calls
            if c["id"] is None or c["id"] not in known
        ]
        return blocks

    def pretty_repr(self) -> str:
        text = super().pretty_repr()
        if not self.tool_calls and not self.invalid_tool_calls:
            return text
        lines = [text, "Tool Calls:"]
        for call in self.tool_calls:
            lines += [f"  {call['name']} ({call['id']})", f" Call ID: {call['id']}", "  Args:"]
            lines += [f"    {key}: {value}" for key, value in call["args"].items()]
        for bad in self.invalid_tool_calls:
            lines += [f"  {bad['name']} ({bad['id']})", f"  Error: {bad['error']}"]
            lines.append(f"  Args: {bad['args']}")
        return "\n".join(lines)


class AIMessageChunk(AIMessage, kw_only=True, tag="AIMessageChunk"):
    """A streamed piece of an :class:`AIMessage`; ``chunk + chunk`` joins pieces.

    Text content is concatenated, content-block lists are merged by their
    ``index``, ``tool_call_chunks`` with the same ``index`` are joined (their
    ``args`` strings concatenated) and re-parsed into ``tool_calls``, token counts
    are summed, metadata dicts are merged (the right side wins on a conflict), and
    the first non-empty ``id`` is kept. ``chunk_position="last"`` marks the final
    piece. See :mod:`actorgraph._messages.chunks` for the details.
    """

    tool_call_chunks: list[ToolCallChunk] = []
    chunk_position: Literal["last"] | None = None

    type: ClassVar[str] = "AIMessageChunk"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.tool_call_chunks:
            # Imported here: chunks.py builds on these classes.
            from actorgraph._messages.chunks import normalize_chunk_calls

            normalize_chunk_calls(self)

    def __add__(self, other: AIMessageChunk | list[AIMessageChunk]) -> AIMessageChunk:
        from actorgraph._messages.chunks import add_chunks

        if isinstance(other, AIMessageChunk):
            return add_chunks(self, [other])
        if isinstance(other, list) and all(isinstance(o, AIMessageChunk) for o in other):
            return add_chunks(self, other)
        return NotImplemented


class ToolMessage(BaseMessage, kw_only=True, tag="tool"):
    """The result of a tool call (dict role ``"tool"``).

    ``tool_call_id`` must match the id of the call in the :class:`AIMessage`
    (non-str ids are converted with ``str``); ``content`` that is neither text nor
    a block list is written as JSON text (``str()`` when JSON cannot hold it);
    ``status`` is ``"error"`` when the tool failed; ``artifact`` is kept for
    programs and never sent to the model.
    """

    tool_call_id: str
    status: Literal["success", "error"] = "success"
    artifact: Any = None

    type: ClassVar[str] = "tool"

    def __post_init__(self) -> None:
        # Tools return all sorts of values: keep text as it is, write anything else
        # as JSON (or its str() when JSON cannot hold it), as a model would read it.
        if type(self.content) is not str and not isinstance(self.content, list):
            try:
                self.content = msgspec.json.encode(self.content).decode()
            except (TypeError, msgspec.EncodeError):
                self.content = str(self.content)
        if type(self.tool_call_id) is not str:
            self.tool_call_id = str(self.tool_call_id)
        super().__post_init__()


class RemoveMessage(BaseMessage, kw_only=True, tag="remove"):
    """Written to an ``add_messages`` key, deletes the message with this ``id``.

    ``RemoveMessage(id=REMOVE_ALL_MESSAGES)`` deletes every message before it.
    """

    id: str

    type: ClassVar[str] = "remove"


AnyMessage = HumanMessage | AIMessage | AIMessageChunk | SystemMessage | ToolMessage | RemoveMessage
"""Any concrete message; decodes as a tagged union on ``type``."""


def _text_of(content: MessageContent) -> str:
    if isinstance(content, str):
        return content
    parts: list[str] = []
    for block in content:
        if isinstance(block, str):
            parts.append(block)
        elif block.get("type") == "text" and isinstance(block.get("text"), str):
            parts.append(block["text"])
    return "".join(parts)


def _blocks_of(content: MessageContent) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    return [{"type": "text", "text": b} if isinstance(b, str) else dict(b) for b in content]


def _title_of(message: BaseMessage) -> str:
    if isinstance(message, AIMessageChunk):
        return "Ai Message Chunk"
    return message.type.title()
