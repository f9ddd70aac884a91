"""Pick the hot-path primitives for the running backend.

``OneWaiterEvent`` and ``checkpoint`` come from a backend module when the
backend is asyncio or trio, and from anyio otherwise (same behaviour, slower).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

import anyio
import anyio.lowlevel

__all__ = ["Primitives", "WaitEvent", "primitives"]


class WaitEvent(Protocol):
    def is_set(self) -> bool: ...
    def set(self) -> None: ...
    async def wait(self) -> None: ...


class Primitives:
    __slots__ = ("checkpoint", "clock", "event")

    def __init__(
        self,
        event: Callable[[], WaitEvent],
        checkpoint: Callable[[], Awaitable[None]],
        clock: Callable[[], float],
    ) -> None:
        self.event = event
        self.checkpoint = checkpoint
        self.clock = clock


def _current_library() -> str | None:
    try:
        import sniffio  # trio depends on it; asyncio-only installs may lack it
    except ImportError:  # pragma: no cover - without sniffio there is no trio either
        from actorgraph.actors._adapter_asyncio import running

        return "asyncio" if running() else None
    try:
        return sniffio.current_async_library()
    except sniffio.AsyncLibraryNotFoundError:  # pragma: no cover - called from async code
        return None


def primitives() -> Primitives:
    """The primitives for the backend running the current task."""
    library = _current_library()
    if library == "asyncio":
        from actorgraph.actors import _adapter_asyncio as backend

        return Primitives(backend.OneWaiterEvent, backend.checkpoint, backend.clock())
    if library == "trio":
        from actorgraph.actors import _adapter_trio as trio_backend

        return Primitives(
            trio_backend.OneWaiterEvent, trio_backend.checkpoint, trio_backend.clock()
        )
    return Primitives(  # pragma: no cover - other backends
        anyio.Event, anyio.lowlevel.checkpoint, anyio.current_time
    )
