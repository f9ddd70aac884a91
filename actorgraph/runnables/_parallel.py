"""Dict-shaped composition: ``RunnableParallel``, ``RunnablePassthrough``,
``RunnableAssign`` and ``RunnablePick``."""

from __future__ import annotations

import functools
import math
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import anyio
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from actorgraph.channels._errors import RunnableInputError
from actorgraph.runnables._base import Input, Runnable
from actorgraph.runnables._chunks import MISSING, add_chunks, closing, collect
from actorgraph.runnables._config import child_config
from actorgraph.runnables._configurable import ConfigurableFieldSpec, union_specs
from actorgraph.runnables._lambda import RunnableLambda
from actorgraph.runnables._sequence import coerce_to_runnable
from actorgraph.runnables._serializable import RunnableSerializable
from actorgraph.runnables._tasks import FirstError, gather, yield_while_running
from actorgraph.store._config import RunnableConfig

__all__ = [
    "RunnableAssign",
    "RunnableMap",
    "RunnableParallel",
    "RunnablePassthrough",
    "RunnablePick",
]


class RunnableParallel(RunnableSerializable[Input, dict[str, Any]]):
    """Runs every branch on the same input, concurrently, and returns a dict of
    their outputs: ``RunnableParallel(a=r1, b=r2)``, ``RunnableParallel({"a": r1})``
    or a dict literal inside a pipe.

    Branches are tasks of the calling task, each tagged ``map:key:<key>``. The
    first failure cancels the other branches and is raised. ``astream`` yields
    ``{key: chunk}`` dicts as each branch produces chunks (the order across keys
    follows completion).
    """

    def __init__(
        self: RunnableParallel[Any], steps__: Mapping[str, Any] | None = None, /, **kwargs: Any
    ) -> None:
        merged = {**(steps__ or {}), **kwargs}
        self.steps__: dict[str, Runnable[Input, Any]] = {
            key: coerce_to_runnable(value, where=f"key {key!r} of RunnableParallel")
            for key, value in merged.items()
        }
        self.name = None

    @property
    def steps(self) -> dict[str, Runnable[Input, Any]]:
        """The branches, by output key."""
        return self.steps__

    def _default_name(self) -> str:
        return f"RunnableParallel<{','.join(self.steps__)}>"

    def __repr__(self) -> str:
        inner = ", ".join(f"{key}: {step!r}" for key, step in self.steps__.items())
        return "{" + inner + "}"

    def get_input_schema(self, config: RunnableConfig | None = None) -> Any:
        for step in self.steps__.values():
            schema = step.get_input_schema(config)
            if schema is not Any:
                return schema
        return Any

    def get_output_schema(self, config: RunnableConfig | None = None) -> Any:
        from actorgraph.runnables._schema import dict_schema

        return dict_schema(
            self.get_name("Output"),
            {key: step.get_output_schema(config) for key, step in self.steps__.items()},
        )

    @property
    def config_specs(self) -> list[ConfigurableFieldSpec]:
        return union_specs(spec for step in self.steps__.values() for spec in step.config_specs)

    async def _ainvoke_native(
        self, input: Input, config: RunnableConfig, **kwargs: Any
    ) -> dict[str, Any]:
        keys = list(self.steps__)
        calls = [
            functools.partial(
                self.steps__[key].ainvoke, input, child_config(config, tag=f"map:key:{key}")
            )
            for key in keys
        ]
        return dict(zip(keys, await gather(calls, config.get("max_concurrency")), strict=True))

    async def _atransform_native(
        self, input: AsyncIterator[Input], config: RunnableConfig, **kwargs: Any
    ) -> AsyncIterator[dict[str, Any]]:
        # Each branch reads its own copy of the input; copies are unbounded so a
        # branch that buffers its whole input never stalls the others.
        copies = [anyio.create_memory_object_stream[Any](math.inf) for _ in self.steps__]
        out_send, out_receive = anyio.create_memory_object_stream[dict[str, Any]](0)
        limit = config.get("max_concurrency")
        limiter = anyio.Semaphore(limit) if limit else None

        async def pump(first: FirstError) -> None:
            try:
                async for chunk in input:
                    for send, _ in copies:
                        send.send_nowait(chunk)
            except Exception as exc:  # noqa: BLE001 - re-raised once the tasks are done
                first.record(exc)
            finally:
                for send, _ in copies:
                    send.close()

        async def branch(
            key: str,
            step: Runnable[Input, Any],
            receive: MemoryObjectReceiveStream[Any],
            send: MemoryObjectSendStream[dict[str, Any]],
            first: FirstError,
        ) -> None:
            with receive, send:
                try:
                    if limiter is None:
                        await forward(key, step, receive, send)
                    else:
                        async with limiter:
                            await forward(key, step, receive, send)
                except Exception as exc:  # noqa: BLE001 - re-raised once the tasks are done
                    first.record(exc)

        async def forward(
            key: str,
            step: Runnable[Input, Any],
            receive: MemoryObjectReceiveStream[Any],
            send: MemoryObjectSendStream[dict[str, Any]],
        ) -> None:
            source = _drain(receive)
            stream = step.atransform(source, child_config(config, tag=f"map:key:{key}"))
            async with closing(source), closing(stream) as it:
                async for chunk in it:
                    await send.send({key: chunk})

        failures: list[FirstError] = []

        def start(group: TaskGroup) -> None:
            first = FirstError(group.cancel_scope)
            failures.append(first)
            group.start_soon(pump, first)
            with out_send:
                for (key, step), (_, receive) in zip(self.steps__.items(), copies, strict=True):
                    group.start_soon(branch, key, step, receive, out_send.clone(), first)

        async with closing(yield_while_running(out_receive, start)) as chunks:
            async for item in chunks:
                yield item
        for first in failures:
            first.reraise()


async def _drain(receive: MemoryObjectReceiveStream[Any]) -> AsyncIterator[Any]:
    async for item in receive:
        yield item


#: The reference's other name for :class:`RunnableParallel`.
RunnableMap = RunnableParallel


def _require_dict(value: Any, who: str, wanted: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise RunnableInputError(
            f"{who} expects a dict input ({wanted}), got {type(value).__name__} {value!r}"
        )
    return value


class RunnablePassthrough(RunnableSerializable[Input, Input]):
    """Passes its input through unchanged, streaming chunk by chunk.

    ``func``/``afunc`` (optional, may take ``config``) is called with the whole
    input for its side effect. ``RunnablePassthrough.assign(k=...)`` builds a
    :class:`RunnableAssign` that adds keys to a dict input.
    """

    def __init__(
        self: RunnablePassthrough[Any],
        func: Callable[..., Any] | None = None,
        afunc: Callable[..., Any] | None = None,
        *,
        input_type: Any = None,
        name: str | None = None,
    ) -> None:
        self.func, self.afunc, self.input_type, self.name = func, afunc, input_type, name
        self._effect: RunnableLambda[Any, Any] | None = None
        if func is not None:
            self._effect = RunnableLambda(func, afunc)
        elif afunc is not None:
            self._effect = RunnableLambda(afunc)

    def __repr__(self) -> str:
        return "RunnablePassthrough()"

    def get_input_schema(self, config: RunnableConfig | None = None) -> Any:
        return self.input_type or Any

    get_output_schema = get_input_schema

    @classmethod
    def assign(cls, **kwargs: Any) -> RunnableAssign:  # type: ignore[override]
        """A Runnable that adds ``kwargs``' results (each run on the input dict)
        to the input dict."""
        return RunnableAssign(RunnableParallel(kwargs))

    async def _side_effect(self, value: Any, config: RunnableConfig) -> None:
        if self._effect is not None:
            await self._effect._call(value, config)

    async def _ainvoke_native(self, input: Input, config: RunnableConfig, **kwargs: Any) -> Input:
        await self._side_effect(input, config)
        return input

    async def _atransform_native(
        self, input: AsyncIterator[Input], config: RunnableConfig, **kwargs: Any
    ) -> AsyncIterator[Input]:
        total: Any = MISSING
        async for chunk in input:
            total = add_chunks(total, chunk)
            yield chunk
        if total is not MISSING:
            await self._side_effect(total, config)


class RunnableAssign(RunnableSerializable[dict[str, Any], dict[str, Any]]):
    """Runs ``mapper`` (a :class:`RunnableParallel`) on a dict input and returns
    the input merged with the mapper's output.

    Raises:
        RunnableInputError: the input is not a dict.
    """

    def __init__(self, mapper: RunnableParallel[dict[str, Any]]) -> None:
        self.mapper = mapper
        self.name = None

    def _default_name(self) -> str:
        return f"RunnableAssign<{','.join(self.mapper.steps__)}>"

    def __repr__(self) -> str:
        return f"RunnableAssign(mapper={self.mapper!r})"

    @property
    def config_specs(self) -> list[ConfigurableFieldSpec]:
        return self.mapper.config_specs

    def get_output_schema(self, config: RunnableConfig | None = None) -> Any:
        from actorgraph.runnables._schema import dict_schema

        return dict_schema(
            self.get_name("Output"),
            {key: step.get_output_schema(config) for key, step in self.mapper.steps__.items()},
        )

    async def _ainvoke_native(
        self, input: dict[str, Any], config: RunnableConfig, **kwargs: Any
    ) -> dict[str, Any]:
        value = _require_dict(
            input, self.get_name(), f"keys are added by {list(self.mapper.steps__)}"
        )
        added = await self.mapper.ainvoke(value, child_config(config))
        return {**value, **added}

    async def _atransform_native(
        self, input: AsyncIterator[dict[str, Any]], config: RunnableConfig, **kwargs: Any
    ) -> AsyncIterator[dict[str, Any]]:
        total = await collect(input)
        value = _require_dict(
            {} if total is MISSING else total,
            self.get_name(),
            f"keys are added by {list(self.mapper.steps__)}",
        )
        passed = {key: item for key, item in value.items() if key not in self.mapper.steps__}
        if passed:
            yield passed
        async with closing(self.mapper.astream(value, child_config(config))) as it:
            async for chunk in it:
                yield chunk


class RunnablePick(RunnableSerializable[dict[str, Any], Any]):
    """Picks from a dict input: one key gives its value (``None`` if absent), a
    list of keys a dict of the present ones.

    Raises:
        RunnableInputError: the input is not a dict.
    """

    def __init__(self, keys: str | list[str]) -> None:
        self.keys = keys
        self.name = None

    def _default_name(self) -> str:
        shown = self.keys if isinstance(self.keys, str) else ",".join(self.keys)
        return f"RunnablePick<{shown}>"

    def __repr__(self) -> str:
        return f"RunnablePick(keys={self.keys!r})"

    def _pick(self, value: Any) -> Any:
        picked = _require_dict(value, self.get_name(), f"picks {self.keys!r}")
        if isinstance(self.keys, str):
            return picked.get(self.keys)
        found = {key: picked[key] for key in self.keys if key in picked}
        return found or None

    async def _ainvoke_native(
        self, input: dict[str, Any], config: RunnableConfig, **kwargs: Any
    ) -> Any:
        return self._pick(input)

    async def _atransform_native(
        self, input: AsyncIterator[dict[str, Any]], config: RunnableConfig, **kwargs: Any
    ) -> AsyncIterator[Any]:
        async for chunk in input:
            picked = self._pick(chunk)
            if picked is not None:
                yield picked
