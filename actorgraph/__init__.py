"""actorgraph: LangGraph's API on an actor engine that runs on asyncio and trio."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("actorgraph")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = ["__version__"]
