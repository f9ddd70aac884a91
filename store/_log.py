"""The store layer's structlog events, silent until the application configures structlog.

Event names are stable (``checkpoint.version_reused``, ...) and carry the
fields that locate what happened (thread, namespace, channel, file). structlog's
default configuration prints to stdout, so a library that logged through it
unconditionally would print inside applications that never asked for logs:
until ``structlog.configure`` has been called, an event costs one function call
and is dropped. Built so ``actors/_log.py`` can become
``EventLog("actorgraph.actors")`` (it cannot import the actors layer from here).
"""

from __future__ import annotations

from typing import Any

import structlog

__all__ = ["EventLog"]

_is_configured = structlog.is_configured


class EventLog:
    """The events of one subsystem, logged under the logger name ``name``."""

    __slots__ = ("_logger",)

    def __init__(self, name: str) -> None:
        self._logger = structlog.get_logger(name)

    def debug(self, event: str, **fields: Any) -> None:
        if _is_configured():
            self._logger.debug(event, **fields)

    def info(self, event: str, **fields: Any) -> None:
        if _is_configured():
            self._logger.info(event, **fields)

    def warning(self, event: str, **fields: Any) -> None:
        if _is_configured():
            self._logger.warning(event, **fields)

    def error(self, event: str, **fields: Any) -> None:
        if _is_configured():
            self._logger.error(event, **fields)
