"""Whether this thread is running an event loop (asyncio or trio)."""

from __future__ import annotations

import asyncio

__all__ = ["running_loop"]


def running_loop() -> str | None:
    """The name of the event loop running in this thread, or ``None``."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        return "asyncio"
    try:
        import trio
    except ImportError:  # pragma: no cover - trio is an optional extra
        return None
    try:
        trio.lowlevel.current_task()
    except RuntimeError:
        return None
    return "trio"
