"""Lifecycle events as structlog events, silent until the application configures structlog.

Event names are stable (``actor.started``, ``actor.stopped``, ``actor.crashed``,
``supervisor.restart``, ``supervisor.escalate``, ...) and carry ``path`` and,
where there is one, ``reason``. Until ``structlog.configure`` has
been called, an event costs one function call and is dropped, so a library
embedded in an application never prints on its own.
"""

from __future__ import annotations

from typing import Any

import structlog

__all__ = ["debug", "error", "info", "warning"]

_logger = structlog.get_logger("actorgraph.actors")
_is_configured = structlog.is_configured


def debug(event: str, **fields: Any) -> None:
    if _is_configured():
        _logger.debug(event, **fields)


def info(event: str, **fields: Any) -> None:
    if _is_configured():
        _logger.info(event, **fields)


def warning(event: str, **fields: Any) -> None:
    if _is_configured():
        _logger.warning(event, **fields)


def error(event: str, **fields: Any) -> None:
    if _is_configured():
        _logger.error(event, **fields)
