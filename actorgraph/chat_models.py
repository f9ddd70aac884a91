"""The chat-model protocol: what an agent or a node calls to talk to a model.

Implement a model by subclassing :class:`BaseChatModel` and writing
``_agenerate`` (and ``_astream`` to stream tokens). Everything else comes with it:
input coercion (strings, dicts, tuples, messages), sync faces, ``bind_tools``,
message ids, and streaming to a running graph's ``messages`` stream mode, which
sees every token even when a node calls ``ainvoke``/``invoke`` rather than
``astream`` (see :mod:`actorgraph._streaming`). :class:`ChatModel` is the
structural protocol code should accept.
"""

from __future__ import annotations

import copy
import uuid
from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, AsyncIterator, Generator, Mapping, Sequence
from contextlib import aclosing
from types import MappingProxyType
from typing import Any, Protocol, TypeVar, runtime_checkable

import msgspec
from typing_extensions import Self

from actorgraph._messages.chunks import message_chunk_to_message
from actorgraph._messages.convert import Messages, convert_to_messages
from actorgraph._messages.types import AIMessage, AIMessageChunk, BaseMessage
from actorgraph._streaming import NOSTREAM_TAGS, current_message_sink, emit_message_chunk
from actorgraph.actors._portal import iterate_sync, run_sync
from actorgraph.runnables import Runnable
from actorgraph.runnables._config import ensure_config
from actorgraph.runnables._tracing import observed, trace_run
from actorgraph.store._config import RunnableConfig

__all__ = ["BaseChatModel", "ChatModel", "LanguageModelInput"]

M = TypeVar("M", bound=BaseMessage)

LanguageModelInput = Messages
"""What a chat model accepts: a string, a message-like value, or a list of them."""


@runtime_checkable
class ChatModel(Protocol):
    """What agents and nodes need from a chat model."""

    async def ainvoke(
        self, input: LanguageModelInput, config: RunnableConfig | None = None, **kwargs: Any
    ) -> AIMessage:
        """Reply to ``input`` with one message."""
        ...

    def astream(
        self, input: LanguageModelInput, config: RunnableConfig | None = None, **kwargs: Any
    ) -> AsyncIterator[AIMessageChunk]:
        """Reply to ``input`` chunk by chunk; the chunks add up to the reply."""
        ...

    def invoke(
        self, input: LanguageModelInput, config: RunnableConfig | None = None, **kwargs: Any
    ) -> AIMessage:
        """The sync face of :meth:`ainvoke`."""
        ...

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> ChatModel:
        """A model that offers ``tools`` to the model on every call."""
        ...


class BaseChatModel(Runnable[LanguageModelInput, AIMessage], ABC):
    """Base class of chat models: write ``_agenerate``, optionally ``_astream``.

    A chat model is a :class:`~actorgraph.runnables.Runnable`: it composes with
    ``|`` (``prompt | model | parser``), and ``with_retry``, ``with_fallbacks``,
    ``with_config``, ``batch`` work on it. When the call is observed
    (``astream_events``, callbacks in the config, or inherited from the
    enclosing Runnable or graph node) it reports ``on_chat_model_start``, one
    ``on_chat_model_stream`` per token (``ainvoke`` streams internally then, as
    LangChain's auto-streaming does) and ``on_chat_model_end``, named after the
    model, with ``ls_model_name``/``ls_model_type`` in the metadata.

    ``tags`` label the model's tokens in the ``messages`` stream mode
    (``metadata["tags"]``); ``disable_streaming=True`` makes the model reply in
    one piece, also to ``astream`` and to the ``messages`` mode. ``name`` is
    reported as ``ls_model_name`` (the class name when not given).

    Cancellation: cancelling a call cancels the model's ``_agenerate``/``_astream``
    at its next checkpoint; nothing is retried.
    """

    # Class-level defaults keep a subclass working even when its own __init__
    # does not call this one; instances only ever rebind them, never mutate them.
    name: str | None = None
    tags: Sequence[str] = ()
    disable_streaming: bool = False
    bound_tools: tuple[Any, ...] = ()
    bound_kwargs: Mapping[str, Any] = MappingProxyType({})

    def __init__(
        self,
        *,
        name: str | None = None,
        tags: Sequence[str] | None = None,
        disable_streaming: bool = False,
    ) -> None:
        self.name = name
        self.tags = tuple(tags or ())
        self.disable_streaming = disable_streaming

    # --- what subclasses write -----------------------------------------------

    @abstractmethod
    async def _agenerate(self, messages: list[BaseMessage], **kwargs: Any) -> AIMessage:
        """Reply to ``messages``. ``kwargs`` holds ``tools`` when tools are bound,
        the other ``bind_tools`` keywords and the call's own keywords."""

    async def _astream(
        self, messages: list[BaseMessage], **kwargs: Any
    ) -> AsyncGenerator[AIMessageChunk, None]:
        """Reply chunk by chunk; by default the whole reply as one chunk."""
        message = await self._agenerate(messages, **kwargs)
        yield _to_chunk(message)

    # --- what callers use ---------------------------------------------------------

    @property
    def model_name(self) -> str:
        """The name reported with streamed tokens."""
        return self.name or type(self).__name__

    async def ainvoke(
        self, input: LanguageModelInput, config: RunnableConfig | None = None, **kwargs: Any
    ) -> AIMessage:
        """Reply to ``input`` (coerced as :func:`convert_to_messages` does).

        Inside a run that streams ``messages`` the reply is streamed to it token by
        token. A reply without an id gets ``"run-<uuid>"``, shared by its chunks.
        Raises :class:`~actorgraph.errors.InvalidMessageError` for input that is
        not message-like, and whatever the model raises.
        """
        if observed(config):
            reply: list[AIMessage] = []
            async with aclosing(self._traced_stream(input, config, kwargs, reply)) as chunks:
                async for _ in chunks:
                    pass
            return reply[0]
        messages = convert_to_messages(input)
        options = {**self.bound_kwargs, **kwargs}
        run_id = _new_run_id()
        metadata = self._stream_metadata(config)
        if metadata is None:
            message = _with_id(await self._agenerate(messages, **options), run_id)
        elif self.disable_streaming:
            message = _with_id(await self._agenerate(messages, **options), run_id)
            await emit_message_chunk(message, metadata)
        else:
            full: AIMessageChunk | None = None
            async with aclosing(self._astream(messages, **options)) as chunks:
                async for chunk in chunks:
                    chunk = _with_id(chunk, run_id)
                    await emit_message_chunk(chunk, metadata)
                    full = chunk if full is None else full + chunk
            if full is None:
                full = AIMessageChunk("", id=run_id)
            message = message_chunk_to_message(full)
        return message

    async def astream(
        self, input: LanguageModelInput, config: RunnableConfig | None = None, **kwargs: Any
    ) -> AsyncGenerator[AIMessageChunk, None]:
        """Reply to ``input`` chunk by chunk (one chunk when streaming is disabled).

        Each chunk also goes to a running graph's ``messages`` stream. Raises as
        :meth:`ainvoke` does. Close the iterator (``aclosing``) if you stop early.
        """
        if not observed(config):
            async with aclosing(self._astream_chunks(input, config, kwargs)) as chunks:
                async for chunk in chunks:
                    yield chunk
            return
        async with aclosing(self._traced_stream(input, config, kwargs, [])) as chunks:
            async for chunk in chunks:
                yield chunk

    async def _traced_stream(
        self,
        input: LanguageModelInput,
        config: RunnableConfig | None,
        kwargs: dict[str, Any],
        reply: list[AIMessage],
    ) -> AsyncGenerator[AIMessageChunk, None]:
        """Stream the reply as an observed ``chat_model`` run; the whole reply is
        appended to ``reply`` at the end."""
        async with trace_run(
            self._traced_config(config), self.model_name, {"input": input}, run_type="chat_model"
        ) as scope:
            full: AIMessageChunk | None = None
            async with aclosing(self._astream_chunks(input, config, kwargs)) as chunks:
                async for chunk in chunks:
                    await scope.stream(chunk)
                    full = chunk if full is None else full + chunk
                    yield chunk
            message = message_chunk_to_message(full or AIMessageChunk("", id=_new_run_id()))
            assert isinstance(message, AIMessage)  # noqa: S101 - AI chunks add up to an AI message
            scope.output = message
            reply.append(message)

    def _traced_config(self, config: RunnableConfig | None) -> RunnableConfig:
        full = ensure_config(config)
        return {
            **full,
            "metadata": {
                **full.get("metadata", {}),
                "ls_model_name": self.model_name,
                "ls_model_type": "chat",
            },
        }

    async def _astream_chunks(
        self, input: LanguageModelInput, config: RunnableConfig | None, kwargs: dict[str, Any]
    ) -> AsyncGenerator[AIMessageChunk, None]:
        messages = convert_to_messages(input)
        options = {**self.bound_kwargs, **kwargs}
        run_id = _new_run_id()
        metadata = self._stream_metadata(config)
        if self.disable_streaming:
            chunks: AsyncGenerator[AIMessageChunk, None] = _single(
                self._agenerate(messages, **options)
            )
        else:
            chunks = self._astream(messages, **options)
        # Closing this generator early must close the model's generator too.
        async with aclosing(chunks):
            async for chunk in chunks:
                chunk = _with_id(chunk, run_id)
                if metadata is not None:
                    await emit_message_chunk(chunk, metadata)
                yield chunk

    def invoke(
        self, input: LanguageModelInput, config: RunnableConfig | None = None, **kwargs: Any
    ) -> AIMessage:
        """The sync face of :meth:`ainvoke`; raises ``RuntimeError`` inside an event loop."""
        return run_sync("ainvoke", self.ainvoke, input, config, **kwargs)

    def stream(
        self, input: LanguageModelInput, config: RunnableConfig | None = None, **kwargs: Any
    ) -> Generator[AIMessageChunk, None, None]:
        """The sync face of :meth:`astream`; raises ``RuntimeError`` inside an event loop."""
        return iterate_sync("astream", lambda: self.astream(input, config, **kwargs))

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> Self:
        """A copy of this model that passes ``tools`` (and ``kwargs``, for example
        ``tool_choice``) to every call. The copy shares everything else."""
        bound = copy.copy(self)
        bound.bound_tools = tuple(tools)
        bound.bound_kwargs = {**self.bound_kwargs, **kwargs, "tools": list(tools)}
        return bound

    def _stream_metadata(self, config: RunnableConfig | None) -> dict[str, Any] | None:
        if current_message_sink() is None:
            return None
        config = config or {}
        tags = [*config.get("tags", ()), *(t for t in self.tags if t not in config.get("tags", ()))]
        if NOSTREAM_TAGS.intersection(tags):
            return None
        return {
            **config.get("metadata", {}),
            "tags": tags,
            "ls_model_name": self.model_name,
            "ls_model_type": "chat",
        }


def _new_run_id() -> str:
    # A model's reply is not a replayed write: a fresh id per call is what lets the
    # messages stream tell replies apart (add_messages ids stay deterministic).
    return f"run-{uuid.uuid4()}"


def _with_id(message: M, run_id: str) -> M:
    if message.id is None:
        return msgspec.structs.replace(message, id=run_id)
    return message


def _to_chunk(message: BaseMessage) -> AIMessageChunk:
    if isinstance(message, AIMessageChunk):
        return message
    fields: Mapping[str, Any] = msgspec.structs.asdict(message)
    return AIMessageChunk(**fields, chunk_position="last")


async def _single(reply: Any) -> AsyncGenerator[AIMessageChunk, None]:
    yield _to_chunk(await reply)
