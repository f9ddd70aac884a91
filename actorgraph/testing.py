"""Helpers for tests and examples: a scripted chat model that needs no network.

::

    from actorgraph.messages import AIMessage
    from actorgraph.testing import FakeChatModel

    model = FakeChatModel([
        AIMessage("", tool_calls=[{"name": "get_weather", "args": {"city": "SF"}, "id": "c1"}]),
        "It's always sunny in SF!",
    ])
    model.invoke("weather in SF?").tool_calls[0]["name"]   # 'get_weather'
    [c.content for c in model.stream("and now?")]          # ["It's", ' always', ' sunny', ...]
"""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import anyio
import msgspec

from actorgraph._messages.types import AIMessage, AIMessageChunk, BaseMessage, ToolCallChunk
from actorgraph.channels._errors import ScriptExhaustedError
from actorgraph.chat_models import BaseChatModel

__all__ = ["FakeChatCall", "FakeChatModel", "GenericFakeChatModel"]

# Split before each run of whitespace that follows a word, so the pieces are
# "The", " sky", " is", " blue" and join back to the exact text.
_TOKENS = re.compile(r"(?<=\S)(?=\s)")


@dataclass(frozen=True)
class FakeChatCall:
    """One call the fake model received: the messages, bound tools and keywords."""

    messages: list[BaseMessage]
    tools: list[Any] = field(default_factory=list)
    kwargs: dict[str, Any] = field(default_factory=dict)


class _Script:
    __slots__ = ("calls", "replies", "used")

    def __init__(self, replies: Iterable[AIMessage | str]) -> None:
        self.replies: Iterator[AIMessage | str] = iter(replies)
        self.used = 0
        self.calls: list[FakeChatCall] = []

    def next_reply(self, name: str) -> AIMessage:
        try:
            reply = next(self.replies)
        except StopIteration:
            raise ScriptExhaustedError(
                f"{name} ran out of scripted replies: it had {self.used} and was called "
                f"{self.used + 1} times; add replies to its script"
            ) from None
        self.used += 1
        if isinstance(reply, str):
            return AIMessage(reply)
        if not isinstance(reply, AIMessage):
            raise TypeError(
                f"{name} reply {self.used} is a {type(reply).__name__}; script AIMessages "
                f"or strings"
            )
        return reply


class FakeChatModel(BaseChatModel):
    """A chat model that replies from a script, one reply per call.

    ``responses`` (or ``messages=``, as ``GenericFakeChatModel`` users write it)
    holds :class:`AIMessage`s or strings (read as ``AIMessage(text)``); any
    iterable works, including a generator. ``astream`` yields one chunk per
    whitespace-separated token (text content) and puts the tool calls, usage and
    response metadata on the last chunk, so the chunks add up to the reply. Every
    call is recorded in :attr:`calls`; copies made by :meth:`bind_tools` share the
    script and the record. ``delay`` seconds pass before each chunk.

    Raises :class:`~actorgraph.errors.ScriptExhaustedError` once the script is used
    up, naming how many replies it had. A call cancelled during its ``delay``
    has used its reply. ``examples/fake_chat_model.py`` shows it in use.
    """

    def __init__(
        self,
        responses: Iterable[AIMessage | str] | None = None,
        *,
        messages: Iterable[AIMessage | str] | None = None,
        name: str | None = None,
        tags: Sequence[str] | None = None,
        disable_streaming: bool = False,
        delay: float = 0.0,
    ) -> None:
        super().__init__(name=name, tags=tags, disable_streaming=disable_streaming)
        if responses is not None and messages is not None:
            raise TypeError("give the script as `responses` or as `messages=`, not both")
        self._script = _Script(responses if responses is not None else messages or ())
        self.delay = delay

    @property
    def calls(self) -> list[FakeChatCall]:
        """The calls received so far, oldest first."""
        return self._script.calls

    @property
    def replies_used(self) -> int:
        """How many scripted replies were given out."""
        return self._script.used

    def _take(self, messages: list[BaseMessage], kwargs: dict[str, Any]) -> AIMessage:
        tools = list(kwargs.pop("tools", ()))
        self._script.calls.append(FakeChatCall(list(messages), tools, kwargs))
        return self._script.next_reply(self.model_name)

    async def _agenerate(self, messages: list[BaseMessage], **kwargs: Any) -> AIMessage:
        reply = self._take(messages, kwargs)
        if self.delay:
            await anyio.sleep(self.delay)
        return reply

    async def _astream(
        self, messages: list[BaseMessage], **kwargs: Any
    ) -> AsyncGenerator[AIMessageChunk, None]:
        reply = self._take(messages, kwargs)
        for chunk in _chunks_of(reply):
            if self.delay:
                await anyio.sleep(self.delay)
            yield chunk


GenericFakeChatModel = FakeChatModel
"""The name LangChain users know; ``GenericFakeChatModel(messages=iter([...]))``."""


def _chunks_of(reply: AIMessage) -> list[AIMessageChunk]:
    content = reply.content
    pieces: list[Any] = _TOKENS.split(content) if isinstance(content, str) else [content]
    pieces = [p for p in pieces if p] or [""]
    chunks = [AIMessageChunk(piece, id=reply.id, name=reply.name) for piece in pieces[:-1]]
    call_chunks: list[ToolCallChunk] = [
        {
            "name": call["name"],
            "args": msgspec.json.encode(call["args"]).decode(),
            "id": call["id"],
            "index": index,
            "type": "tool_call_chunk",
        }
        for index, call in enumerate(reply.tool_calls)
    ]
    chunks.append(
        AIMessageChunk(
            pieces[-1],
            id=reply.id,
            name=reply.name,
            additional_kwargs=reply.additional_kwargs,
            response_metadata=reply.response_metadata,
            tool_calls=reply.tool_calls,
            invalid_tool_calls=reply.invalid_tool_calls,
            usage_metadata=reply.usage_metadata,
            tool_call_chunks=call_chunks,
            chunk_position="last",
        )
    )
    return chunks
