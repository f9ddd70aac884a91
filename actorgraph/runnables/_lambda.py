"""``RunnableLambda`` (a function) and ``RunnableGenerator`` (a generator function)."""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from typing import Any

import anyio
import anyio.from_thread
import anyio.to_thread
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectReceiveStream

from actorgraph.actors._portal import called_sync
from actorgraph.runnables._base import Input, Output, Runnable
from actorgraph.runnables._chunks import aiter_one, aiter_sync, closing, collect, or_none
from actorgraph.runnables._config import inherited_config_var, patch_config
from actorgraph.runnables._configurable import ConfigurableFieldSpec, union_specs
from actorgraph.runnables._tasks import yield_while_running
from actorgraph.store._config import RunnableConfig

__all__ = ["RunnableGenerator", "RunnableLambda"]


def _accepts(func: Callable[..., Any], parameter: str) -> bool:
    try:
        return parameter in inspect.signature(func).parameters
    except (TypeError, ValueError):  # builtins without a signature
        return False


def _hints(func: Callable[..., Any]) -> tuple[Any, Any]:
    """The annotated type of the first parameter and of the return value."""
    try:
        hints = typing.get_type_hints(func)
        first = next(iter(inspect.signature(func).parameters), None)
    except Exception:  # noqa: BLE001 - unresolvable hints only lose schema precision
        return Any, Any
    return hints.get(first, Any) if first else Any, hints.get("return", Any)


def _cell_is_set(cell: Any) -> bool:
    try:
        cell.cell_contents  # noqa: B018 - reading it is the test
    except ValueError:  # an empty cell: the variable is not bound yet
        return False
    return True


def _function_name(func: Callable[..., Any], fallback: str) -> str:
    name = getattr(func, "__name__", None)
    return fallback if name in (None, "<lambda>") else str(name)


def _recurse_config(config: RunnableConfig, who: str) -> RunnableConfig:
    limit = config.get("recursion_limit", 25)
    if limit <= 0:
        raise RecursionError(
            f"Recursion limit reached when {who} returned a Runnable: raise "
            "config['recursion_limit'] if the nesting is intended"
        )
    return patch_config(config, recursion_limit=limit - 1)


class RunnableLambda(Runnable[Input, Output]):
    """Runs a function: sync or async, taking the input and optionally
    ``config`` (by that parameter name).

    If the function returns a Runnable, that Runnable is run on the same input
    (``recursion_limit`` bounds the nesting). If it returns an iterator (a
    generator), ``astream`` yields its items and ``ainvoke`` returns them added
    together. A sync function runs in a worker thread, so it never blocks the
    event loop; inside it, nested ``invoke`` calls work and inherit the config.

    ``func`` and ``afunc`` may both be given (sync calls use ``func``, async
    ones ``afunc``). Decision: the reference text says giving both is a
    ``TypeError``, but its own example does it; we follow the example and raise
    only when ``func`` is itself async.

    Raises:
        TypeError: ``func`` not callable; ``func`` async and ``afunc`` given;
            ``invoke`` on an async-only lambda ("use ainvoke").
    """

    def __init__(
        self: RunnableLambda[Any, Any],
        func: Callable[..., Any],
        afunc: Callable[..., Any] | None = None,
        name: str | None = None,
    ) -> None:
        if not callable(func):
            raise TypeError(
                f"RunnableLambda expects a callable, got {type(func).__name__} {func!r}"
            )
        if inspect.iscoroutinefunction(func):
            if afunc is not None:
                raise TypeError(
                    "RunnableLambda got an async func and an afunc: pass the async "
                    "function once, as func or as afunc"
                )
            self.func: Callable[..., Any] | None = None
            self.afunc: Callable[..., Any] | None = func
        else:
            if afunc is not None and not inspect.iscoroutinefunction(afunc):
                raise TypeError(f"afunc must be an async function, got {afunc!r}")
            self.func, self.afunc = func, afunc
        self.name = name
        self._func_config = self.func is not None and _accepts(self.func, "config")
        self._afunc_config = self.afunc is not None and _accepts(self.afunc, "config")

    def __repr__(self) -> str:
        shown = self.func or self.afunc
        return f"RunnableLambda({_function_name(shown, '...') if shown else '...'})"

    def _default_name(self) -> str:
        return _function_name(self.func or self.afunc or (lambda: None), "RunnableLambda")

    @functools.cached_property
    def deps(self) -> list[Runnable[Any, Any]]:
        """The Runnables the function closes over (its nonlocal variables) or
        names as globals: their configurable fields are this lambda's too."""
        found: list[Runnable[Any, Any]] = []
        for func in (self.func, self.afunc):
            code = getattr(func, "__code__", None)
            if code is None:
                continue
            cells = getattr(func, "__closure__", None) or ()
            values = [cell.cell_contents for cell in cells if _cell_is_set(cell)]
            module_globals = getattr(func, "__globals__", {})
            values += [module_globals[name] for name in code.co_names if name in module_globals]
            found += [
                value for value in values if isinstance(value, Runnable) and value not in found
            ]
        return found

    @property
    def config_specs(self) -> list[ConfigurableFieldSpec]:
        return union_specs(spec for dep in self.deps for spec in dep.config_specs)

    @property
    def InputType(self) -> Any:  # noqa: N802 - the name users know
        return _hints(self.func or self.afunc)[0]  # type: ignore[arg-type]

    @property
    def OutputType(self) -> Any:  # noqa: N802 - the name users know
        return _hints(self.func or self.afunc)[1]  # type: ignore[arg-type]

    def invoke(self, input: Input, config: RunnableConfig | None = None, **kwargs: Any) -> Output:
        if self.func is None:
            raise TypeError(
                f"Cannot invoke a coroutine function synchronously ({self.get_name()}): "
                "use `await ainvoke(...)` instead"
            )
        return super().invoke(input, config, **kwargs)

    async def _call(self, input: Any, config: RunnableConfig) -> Any:
        # Set by hand rather than with a context manager: this is every call's path.
        token = inherited_config_var.set(config)
        try:
            if self.afunc is not None and (self.func is None or not called_sync.get()):
                if self._afunc_config:
                    return await self.afunc(input, config=config)
                return await self.afunc(input)
            assert self.func is not None  # noqa: S101 - __init__ sets one of the two
            if self._func_config:
                call = functools.partial(self.func, input, config=config)
            else:
                call = functools.partial(self.func, input)
            return await anyio.to_thread.run_sync(call)
        finally:
            inherited_config_var.reset(token)

    async def _ainvoke_native(self, input: Input, config: RunnableConfig, **kwargs: Any) -> Output:
        result = await self._call(input, config)
        if isinstance(result, Runnable):
            nested = _recurse_config(config, self.get_name())
            return await result.ainvoke(input, nested)  # type: ignore[no-any-return]
        if isinstance(result, AsyncIterator):
            async with closing(result) as stream:
                result = await collect(stream)
        elif isinstance(result, Iterator):
            async with closing(aiter_sync(result)) as stream:
                result = await collect(stream)
        return or_none(result)  # type: ignore[no-any-return]

    async def _atransform_native(
        self, input: AsyncIterator[Input], config: RunnableConfig, **kwargs: Any
    ) -> AsyncIterator[Output]:
        total = await collect(input)
        value = or_none(total)
        result = await self._call(value, config)
        if isinstance(result, Runnable):
            stream = result.astream(value, _recurse_config(config, self.get_name()))
        elif isinstance(result, AsyncIterator):
            stream = result
        elif isinstance(result, Iterator):
            stream = aiter_sync(result)
        else:
            yield result
            return
        async with closing(stream) as it:
            async for chunk in it:
                yield chunk


class RunnableGenerator(Runnable[Input, Output]):
    """Runs a generator function over the input stream: ``Iterator[In] ->
    Iterator[Out]`` or ``AsyncIterator[In] -> AsyncIterator[Out]``.

    Chunks are emitted as soon as upstream chunks arrive; ``ainvoke`` returns
    the chunks added together. A sync generator runs in a worker thread and
    pulls its input from the event loop, one chunk per hop. Given both a sync
    ``transform`` and an async ``atransform``, the sync faces use the first and
    the async faces the second. Generator functions in a pipe become
    ``RunnableGenerator`` automatically.

    Raises:
        TypeError: ``transform`` is not a generator function.
        NotImplementedError: sync ``invoke``/``stream`` of an async-only generator.
    """

    def __init__(
        self: RunnableGenerator[Any, Any],
        transform: Callable[..., Any],
        atransform: Callable[..., Any] | None = None,
        *,
        name: str | None = None,
    ) -> None:
        if inspect.isasyncgenfunction(transform):
            self._sync_fn: Callable[..., Generator[Any, None, None]] | None = None
            self._async_fn: Callable[..., AsyncIterator[Any]] | None = transform
        elif inspect.isgeneratorfunction(transform):
            self._sync_fn, self._async_fn = transform, atransform
        else:
            raise TypeError(
                "RunnableGenerator expects a generator function (def f(input): ... yield), "
                f"got {transform!r}"
            )
        self.name = name or _function_name(transform, "RunnableGenerator")
        self._fn_config = _accepts(transform, "config")
        self._afn_config = atransform is not None and _accepts(atransform, "config")

    def __repr__(self) -> str:
        return f"RunnableGenerator({self.name})"

    def invoke(self, input: Input, config: RunnableConfig | None = None, **kwargs: Any) -> Output:
        self._require_sync()
        return super().invoke(input, config, **kwargs)

    def stream(
        self, input: Input, config: RunnableConfig | None = None, **kwargs: Any
    ) -> Iterator[Output]:
        self._require_sync()
        return super().stream(input, config, **kwargs)

    def _require_sync(self) -> None:
        if self._sync_fn is None:
            raise NotImplementedError(
                f"{self.get_name()} wraps an async generator only: use ainvoke/astream, "
                "or pass a sync generator function as well"
            )

    async def _ainvoke_native(self, input: Input, config: RunnableConfig, **kwargs: Any) -> Output:
        source = aiter_one(input)
        async with closing(source), closing(self._atransform_native(source, config)) as it:
            total = await collect(it)
        return or_none(total)  # type: ignore[no-any-return]

    async def _atransform_native(
        self, input: AsyncIterator[Input], config: RunnableConfig, **kwargs: Any
    ) -> AsyncIterator[Output]:
        # No implicit config here: a generator resumes in whatever context pulls
        # it, so a context variable set across its yields cannot be reset
        # reliably. Generator functions take ``config`` as a parameter instead.
        if self._async_fn is not None and (self._sync_fn is None or not called_sync.get()):
            extra = {"config": config} if (self._afn_config or self._fn_config) else {}
            async with closing(self._async_fn(input, **extra)) as agen:
                async for chunk in agen:
                    yield chunk
            return
        assert self._sync_fn is not None  # noqa: S101 - __init__ sets one of the two
        extra = {"config": config} if self._fn_config else {}
        # The sync generator runs in worker threads; its input is pumped by one
        # task of ours into a stream the threads read from, so the upstream
        # async iterator is always resumed by the same task.
        send, receive = anyio.create_memory_object_stream[Any](0)

        async def pump() -> None:
            with send:
                try:
                    async for chunk in input:
                        await send.send(chunk)
                except anyio.BrokenResourceError:
                    return  # the generator finished without reading all of its input

        out_send, out_receive = anyio.create_memory_object_stream[Any](0)
        sync_fn = self._sync_fn

        async def run_generator() -> None:
            with receive, out_send:
                generator = sync_fn(_pull_from_loop(receive), **extra)
                try:
                    async with closing(aiter_sync(generator)) as chunks:
                        async for chunk in chunks:
                            await out_send.send(chunk)
                finally:
                    generator.close()

        def start(group: TaskGroup) -> None:
            group.start_soon(pump)
            group.start_soon(run_generator)

        async with closing(yield_while_running(out_receive, start)) as chunks:
            async for chunk in chunks:
                yield chunk


def _pull_from_loop(receive: MemoryObjectReceiveStream[Any]) -> Iterator[Any]:
    """A sync iterator over ``receive`` for code running in a worker thread."""
    while True:
        try:
            item = anyio.from_thread.run(receive.receive)
        except anyio.EndOfStream:
            return
        yield item
