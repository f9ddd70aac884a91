"""How a ``RunnableConfig`` is completed, merged and handed down to children.

The rules follow the Runnables reference: tags are inherited and extended,
metadata and ``configurable`` are merged key by key (the child wins), callbacks
are inherited, ``run_name`` and ``run_id`` belong to one run only and never
reach its children, ``recursion_limit`` defaults to 25.

A config also flows implicitly: while a Runnable runs user code it sets a
context variable, so a Runnable invoked inside that code without a config
inherits the caller's (``ensure_config`` reads it). Tasks and worker threads
copy the context when they start, so the inheritance follows the call tree on
both backends.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from contextvars import ContextVar
from typing import Any, cast

from actorgraph.actors.pregel._task import CURRENT_TASK
from actorgraph.store._config import RunnableConfig

__all__ = [
    "DEFAULT_RECURSION_LIMIT",
    "child_config",
    "ensure_config",
    "get_config",
    "get_config_list",
    "inherited_config",
    "inherited_config_var",
    "merge_configs",
    "patch_config",
]

DEFAULT_RECURSION_LIMIT = 25

_CONFIG_KEYS = frozenset(RunnableConfig.__annotations__)

inherited_config_var: ContextVar[RunnableConfig | None] = ContextVar(
    "actorgraph_runnable_config", default=None
)


def inherited_config() -> RunnableConfig | None:
    """The config a Runnable called now without one inherits, if any.

    That of the enclosing Runnable, else, inside a graph node, the node's config
    (its tags, metadata with ``langgraph_node``/``langgraph_step``, configurable
    values), as LangGraph users expect of Runnables called from a node.
    """
    config = inherited_config_var.get()
    if config is None:
        task = CURRENT_TASK.get()
        if task is not None:
            return child_config(task.config)
    return config


def get_config() -> RunnableConfig:
    """Return the config of the Runnable whose code is running now.

    Inside a ``RunnableLambda`` (or any user function a Runnable calls) this is
    the config that function received, so nested calls can pass it on.

    Raises:
        RuntimeError: outside any Runnable.
    """
    config = inherited_config_var.get()
    if config is None:
        raise RuntimeError(
            "get_config() called outside a Runnable: call it from a function that "
            "a Runnable runs (RunnableLambda, a graph node), or pass the config explicitly"
        )
    return config


def ensure_config(config: RunnableConfig | None = None) -> RunnableConfig:
    """Return a complete config: every standard key present, defaults filled in.

    The config of the enclosing Runnable (see :func:`get_config`) is the base and
    ``config`` is merged over it, so a nested call inherits tags, metadata,
    callbacks and ``configurable`` values. The result is a new dict; neither
    input is changed. Extra keys are kept: LangChain users put their own keys in
    a config, and LangGraph reads several of them.

    A standard key placed inside ``configurable`` (``{"configurable":
    {"max_concurrency": 4}}``) would be silently ignored, so it draws a
    ``UserWarning`` naming the key.
    """
    if config is not None:
        configurable = config.get("configurable")
        if configurable and not _CONFIG_KEYS.isdisjoint(configurable):
            misplaced = sorted(_CONFIG_KEYS.intersection(configurable))
            warnings.warn(
                f"config['configurable'] holds {misplaced}, which are top-level config keys "
                f"and are ignored there: write {{'{misplaced[0]}': ...}} beside 'configurable'",
                UserWarning,
                stacklevel=3,
            )
    empty: RunnableConfig = {
        "tags": [],
        "metadata": {},
        "callbacks": None,
        "recursion_limit": DEFAULT_RECURSION_LIMIT,
        "configurable": {},
    }
    parent = inherited_config()
    base = merge_configs(empty, parent) if parent is not None else empty
    if config is None:
        return base
    return merge_configs(base, config)


def merge_configs(*configs: RunnableConfig | None) -> RunnableConfig:
    """Merge configs left to right: the later one wins key by key.

    ``tags`` are concatenated without repeats, ``metadata`` and
    ``configurable`` are merged dict by dict, ``callbacks`` from a later config
    replace earlier ones unless both are plain lists (then they are joined).
    """
    out: dict[str, Any] = {}
    for config in configs:
        if not config:
            continue
        for key, value in cast("dict[str, Any]", config).items():
            if key == "tags":
                tags: list[str] = out.get("tags") or []
                added: list[str] = list(value or ())
                out["tags"] = tags + [t for t in added if t not in tags] if tags else added
            elif key in ("metadata", "configurable"):
                mapping: dict[str, Any] = dict(value or {})
                out[key] = {**(out.get(key) or {}), **mapping}
            elif key == "callbacks":
                previous = out.get("callbacks")
                if isinstance(previous, list) and isinstance(value, list):
                    out["callbacks"] = previous + value
                elif value is not None or previous is None:
                    out["callbacks"] = value
            else:
                out[key] = value
    return cast("RunnableConfig", out)


def patch_config(
    config: RunnableConfig | None,
    *,
    callbacks: Any = None,
    recursion_limit: int | None = None,
    max_concurrency: int | None = None,
    run_name: str | None = None,
    configurable: dict[str, Any] | None = None,
) -> RunnableConfig:
    """Return a copy of ``config`` with the given keys replaced.

    Replacing ``callbacks`` starts a new run: ``run_name`` and ``run_id``,
    which named the old one, are dropped unless given again.
    """
    out = cast("dict[str, Any]", dict(ensure_config(config) if config is None else config))
    if callbacks is not None:
        out["callbacks"] = callbacks
        out.pop("run_name", None)
        out.pop("run_id", None)
    if recursion_limit is not None:
        out["recursion_limit"] = recursion_limit
    if max_concurrency is not None:
        out["max_concurrency"] = max_concurrency
    if run_name is not None:
        out["run_name"] = run_name
    if configurable is not None:
        out["configurable"] = {**out.get("configurable", {}), **configurable}
    return cast("RunnableConfig", out)


def child_config(
    config: RunnableConfig, *, tag: str | None = None, callbacks: Any = None
) -> RunnableConfig:
    """The config a Runnable hands to a child: no ``run_name``/``run_id``
    (they named the parent's run), optionally one more tag and the child's
    callback manager."""
    if tag is None and callbacks is None and "run_name" not in config and "run_id" not in config:
        # Nothing to change: configs are never mutated in place, so share it.
        return config
    out = cast("dict[str, Any]", dict(config))
    out.pop("run_name", None)
    out.pop("run_id", None)
    if tag is not None:
        out["tags"] = [*out.get("tags", ()), tag]
    if callbacks is not None:
        out["callbacks"] = callbacks
    return cast("RunnableConfig", out)


def get_config_list(
    config: RunnableConfig | Sequence[RunnableConfig] | None, length: int
) -> list[RunnableConfig]:
    """One config per input of a batch.

    A single config is shared (its ``run_id`` only by the first input, since a
    run id names one run); a list must have one config per input.

    Raises:
        ValueError: a list of the wrong length.
    """
    if length < 0:
        raise ValueError(f"a batch cannot have {length} inputs")
    if isinstance(config, Sequence):
        if len(config) != length:
            raise ValueError(
                f"batch got {len(config)} configs for {length} inputs: pass one config, "
                "or a list with one config per input"
            )
        return [ensure_config(c) for c in config]
    base = ensure_config(config)
    if base.get("run_id") is None or length <= 1:
        return [base] * length if length else []
    rest = cast("RunnableConfig", {k: v for k, v in base.items() if k != "run_id"})
    return [base] + [rest] * (length - 1)
