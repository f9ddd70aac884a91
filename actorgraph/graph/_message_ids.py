"""Deterministic ids for messages stored without one.

``add_messages`` never draws random ids: replaying or resuming the same write
must give the same ids, so a message is replaced rather than stored twice.

- Inside :func:`message_id_scope` (the engine opens one around applying each
  task's writes, seeded with the task id, which is stable across retries and
  resumes) the n-th id-less message gets a hash of ``(seed, n)``.
- Outside any scope (``add_messages`` called directly) the seed is derived from
  the state being extended: the id of its last message and its length. The same
  call on the same state gives the same ids; a list that has grown or shrunk gives
  new ones.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

__all__ = ["IdScope", "call_in_scope", "derive_message_id", "message_id_scope", "next_scoped_id"]

_PREFIX = b"actorgraph-message-id\0"


class IdScope:
    """A seed and how many ids were drawn from it so far."""

    __slots__ = ("count", "seed")

    def __init__(self, seed: str) -> None:
        self.seed = seed
        self.count = 0


_SCOPE: ContextVar[IdScope | None] = ContextVar("actorgraph_message_id_scope", default=None)


@contextmanager
def message_id_scope(seed: str) -> Iterator[IdScope]:
    """Give id-less messages stored inside the block ids derived from ``seed``.

    Scopes nest (the innermost wins) and are restored on exit, on errors and on
    cancellation alike.
    """
    scope = IdScope(seed)
    token = _SCOPE.set(scope)
    try:
        yield scope
    finally:
        _SCOPE.reset(token)


def call_in_scope(seed: str, fn: Callable[[Any, Any], Any], left: Any, right: Any) -> Any:
    """``fn(left, right)`` inside ``message_id_scope(seed)``, without the context
    manager's cost (this runs on every seeded write)."""
    token = _SCOPE.set(IdScope(seed))
    try:
        return fn(left, right)
    finally:
        _SCOPE.reset(token)


def derive_message_id(seed: str, position: int) -> str:
    """The id for the message at ``position`` under ``seed``: a 128-bit hash of
    both, written like a UUID (it is not a UUID of any version)."""
    h = hashlib.blake2b(_PREFIX + f"{seed}#{position}".encode(), digest_size=16).hexdigest()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def next_scoped_id() -> str | None:
    """The next id of the current scope, or ``None`` outside any scope."""
    scope = _SCOPE.get()
    if scope is None:
        return None
    position = scope.count
    scope.count += 1
    return derive_message_id(scope.seed, position)
