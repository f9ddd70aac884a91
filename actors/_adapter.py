"""Pick the hot-path primitives for the running backend.

``OneWaiterEvent`` and ``checkpoint`` come from a backend module when the
backend is asyncio or trio, and from anyio otherwise (same behaviour, slower).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

import anyio
import anyio.lowlevel

__all__ = ["Primitives", "WaitEvent", "generic_primitives", "primitives"]


class WaitEvent(Protocol):
    def is_set(self) -> bool: ...
    def set(self) -> None: ...
    async def wait(self) -> None: ...


class Primitives:
    __slots__ = ("checkpoint", "clock", "event", "pause", "spins")

    def __init__(
        self,
        event: Callable[[], WaitEvent],
        checkpoint: Callable[[], Awaitable[None]],
        clock: Callable[[], float],
        pause: Callable[[], Awaitable[None]] | None = None,
        spins: int = 1,
    ) -> None:
        self.event = event
        self.checkpoint = checkpoint
        self.clock = clock
        # A schedule point that need not be a cancel point: for a task about to
        # park anyway (parking is the cancel point).
        self.pause = checkpoint if pause is None else pause
        # How many passes an idle worker makes before it parks.
        self.spins = spins


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
            trio_backend.OneWaiterEvent,
            trio_backend.checkpoint,
            trio_backend.clock(),
            trio_backend.pause,
            trio_backend.SPINS,
        )
    return generic_primitives()  # pragma: no cover - other backends


def generic_primitives() -> Primitives:
    """anyio's own primitives: any backend, slower (the tests compare both)."""
    return Primitives(anyio.Event, anyio.lowlevel.checkpoint, anyio.current_time)
