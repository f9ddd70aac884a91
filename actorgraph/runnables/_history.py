"""``RunnableWithMessageHistory``: load a session's messages before a call,
append the new input and output messages after it."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from actorgraph.channels._errors import RunnableConfigurationError, RunnableInputError
from actorgraph.messages import AIMessage, BaseMessage, HumanMessage, message_chunk_to_message
from actorgraph.runnables._base import Runnable
from actorgraph.runnables._binding import RunnableBinding
from actorgraph.runnables._chat_history import BaseChatMessageHistory
from actorgraph.runnables._chunks import MISSING, add_chunks, closing, or_none
from actorgraph.runnables._configurable import ConfigurableFieldSpec, union_specs
from actorgraph.store._config import RunnableConfig

__all__ = ["RunnableWithMessageHistory"]

_SESSION_ID = ConfigurableFieldSpec(
    id="session_id",
    annotation=str,
    name="Session ID",
    description="Unique identifier for a session.",
    default="",
    is_shared=True,
)


def _as_messages(value: Any, what: str) -> list[BaseMessage]:
    if isinstance(value, str):
        return [HumanMessage(value) if what == "input" else AIMessage(value)]
    if isinstance(value, BaseMessage):
        return [value]
    if isinstance(value, (list, tuple)) and all(isinstance(item, BaseMessage) for item in value):
        return list(value)
    raise RunnableInputError(
        f"RunnableWithMessageHistory could not read the {what} messages: "
        f"Expected str, BaseMessage, list[BaseMessage], or tuple[BaseMessage]. Got {value!r}."
    )


class RunnableWithMessageHistory(RunnableBinding[Any, Any]):
    """Wraps ``runnable`` so each call sees, and extends, a stored chat history.

    Before the call the history is loaded with ``get_session_history`` (called
    with ``config["configurable"]["session_id"]``, or, with a custom
    ``history_factory_config``, with one keyword argument per spec id; it may
    be async). After the call the new input messages and the output messages
    are appended, for ``ainvoke``, ``invoke``, ``astream`` and ``stream`` alike.

    Input shapes: a str (recorded as a ``HumanMessage``), a message, a list of
    messages, or a dict whose ``input_messages_key`` holds one of those (the
    only key, else ``"input"``, when not given). Without
    ``history_messages_key`` the history is prepended to the input messages;
    with it, the history is passed under that key of the dict input. Output
    shapes: a str (an ``AIMessage``), a message, a list of messages, or a dict
    whose ``output_messages_key`` (the only key, else ``"output"``) holds one.

    Decision: the reference only logs an output it cannot read as messages and
    saves nothing; we raise, since silently losing a turn of the conversation
    is worse (nothing is saved either way).

    Raises:
        RunnableConfigurationError: ``config["configurable"]`` lacks a key of the
            factory config (the message lists the missing and expected keys).
        RunnableInputError: input or output that is not message-like.
    """

    def __init__(
        self,
        runnable: Runnable[Any, Any],
        get_session_history: Callable[..., Any],
        *,
        input_messages_key: str | None = None,
        output_messages_key: str | None = None,
        history_messages_key: str | None = None,
        history_factory_config: Sequence[ConfigurableFieldSpec] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(bound=runnable, **kwargs)
        self.get_session_history = get_session_history
        self.input_messages_key = input_messages_key
        self.output_messages_key = output_messages_key
        self.history_messages_key = history_messages_key
        self.history_factory_config = list(history_factory_config or [_SESSION_ID])

    def _default_name(self) -> str:
        return "RunnableWithMessageHistory"

    @property
    def config_specs(self) -> list[ConfigurableFieldSpec]:
        return union_specs([*self.bound.config_specs, *self.history_factory_config])

    async def _history(self, config: RunnableConfig) -> BaseChatMessageHistory:
        configurable = config.get("configurable") or {}
        expected = [spec.id for spec in self.history_factory_config]
        missing = sorted(key for key in expected if key not in configurable)
        if missing:
            example = dict.fromkeys(expected, "[your-value-here]")
            raise RunnableConfigurationError(
                f"Missing keys {missing} in config['configurable'] Expected keys are "
                f"{sorted(expected)}. When using via .invoke() or .stream(), pass in a config; "
                f"e.g., chain.invoke({{'input': 'foo'}}, {{'configurable': {example}}})"
            )
        if len(expected) == 1:
            history = self.get_session_history(configurable[expected[0]])
        else:
            history = self.get_session_history(**{key: configurable[key] for key in expected})
        if inspect.isawaitable(history):
            history = await history
        return history  # type: ignore[no-any-return]

    def _input_key(self, value: dict[str, Any]) -> str:
        if self.input_messages_key is not None:
            return self.input_messages_key
        return next(iter(value)) if len(value) == 1 else "input"

    def _output_key(self, value: dict[str, Any]) -> str:
        if self.output_messages_key is not None:
            return self.output_messages_key
        return next(iter(value)) if len(value) == 1 else "output"

    def _prepare(self, input: Any, past: list[BaseMessage]) -> tuple[Any, list[BaseMessage]]:
        """The input for the wrapped Runnable, and the new messages to save."""
        if isinstance(input, dict):
            key = self._input_key(input)
            if key not in input:
                raise RunnableInputError(
                    f"RunnableWithMessageHistory: the input dict has no key {key!r} "
                    f"(keys: {sorted(input)}); set input_messages_key"
                )
            new = _as_messages(input[key], "input")
            if self.history_messages_key is not None:
                return {**input, self.history_messages_key: past}, new
            return {**input, key: past + new}, new
        new = _as_messages(input, "input")
        if self.history_messages_key is not None:
            raise RunnableInputError(
                f"RunnableWithMessageHistory has history_messages_key="
                f"{self.history_messages_key!r}, so its input must be a dict, got {input!r}"
            )
        return past + new, new

    def _output_messages(self, output: Any) -> list[BaseMessage]:
        if isinstance(output, dict) and not isinstance(output, BaseMessage):
            key = self._output_key(output)
            if key not in output:
                raise RunnableInputError(
                    f"RunnableWithMessageHistory: the output dict has no key {key!r} "
                    f"(keys: {sorted(output)}); set output_messages_key"
                )
            output = output[key]
        return [message_chunk_to_message(message) for message in _as_messages(output, "output")]

    async def ainvoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        full = self._merge(config)
        history = await self._history(full)
        prepared, new = self._prepare(input, await history.aget_messages())
        output = await self.bound.ainvoke(prepared, full, **{**self.kwargs, **kwargs})
        await history.aadd_messages([*new, *self._output_messages(output)])
        return output

    async def astream(
        self, input: Any, config: RunnableConfig | None = None, **kwargs: Any
    ) -> AsyncIterator[Any]:
        full = self._merge(config)
        history = await self._history(full)
        prepared, new = self._prepare(input, await history.aget_messages())
        total: Any = MISSING
        async with closing(self.bound.astream(prepared, full, **{**self.kwargs, **kwargs})) as it:
            async for chunk in it:
                total = add_chunks(total, chunk)
                yield chunk
        await history.aadd_messages([*new, *self._output_messages(or_none(total))])

    async def atransform(
        self, input: AsyncIterator[Any], config: RunnableConfig | None = None, **kwargs: Any
    ) -> AsyncIterator[Any]:
        total: Any = MISSING
        async for chunk in input:
            total = add_chunks(total, chunk)
        async with closing(self.astream(or_none(total), config, **kwargs)) as it:
            async for chunk in it:
                yield chunk
