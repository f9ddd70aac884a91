"""A shielded cancel scope without anyio's per-call backend lookup."""

from __future__ import annotations

import anyio

from actorgraph.actors._adapter_asyncio import in_task

__all__ = ["shielded"]

_asyncio_scope: list[type[anyio.CancelScope]] = []


def shielded() -> anyio.CancelScope:
    """``anyio.CancelScope(shield=True)``, made directly from the asyncio
    backend's class inside an asyncio task.

    ``anyio.CancelScope()`` looks the backend up (sniffio) and initialises the
    scope twice on every call; a run shields a few writes per invocation.
    Elsewhere (trio, other backends) it is anyio's own call.
    """
    if in_task():
        if not _asyncio_scope:
            _asyncio_scope.append(type(anyio.CancelScope()))
        return _asyncio_scope[0](shield=True)
    return anyio.CancelScope(shield=True)
