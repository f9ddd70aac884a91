"""Schemas of Runnables: JSON schema through pydantic or msgspec, input checks."""

from __future__ import annotations

import keyword
from collections.abc import Iterable, Mapping
from typing import Any

import msgspec
from typing_extensions import TypedDict

from actorgraph.channels._errors import RunnableInputError
from actorgraph.runnables._configurable import ConfigurableFieldSpec
from actorgraph.store._config import RunnableConfig

__all__ = ["check_input", "config_struct", "dict_schema", "json_schema"]


def _is_pydantic_model(tp: Any) -> bool:
    return (
        isinstance(tp, type) and hasattr(tp, "model_json_schema") and hasattr(tp, "model_validate")
    )


def _supported(tp: Any) -> bool:
    try:
        msgspec.json.schema(tp)
    except (TypeError, ValueError):
        return False
    return True


def json_schema(tp: Any, title: str | None) -> dict[str, Any]:
    """JSON schema of ``tp``: pydantic models describe themselves, everything
    else goes through msgspec; a type neither knows gives ``{}`` (any value).
    A lone top-level ``$ref`` is inlined, and ``title`` is set if missing."""
    if tp is Any:
        schema: dict[str, Any] = {}
    elif _is_pydantic_model(tp):
        schema = dict(tp.model_json_schema())
    else:
        try:
            schema = msgspec.json.schema(tp)
        except (TypeError, ValueError):
            schema = {}
    ref = schema.get("$ref")
    defs = schema.get("$defs", {})
    if isinstance(ref, str) and set(schema) == {"$ref", "$defs"}:
        name = ref.rsplit("/", 1)[-1]
        inner = dict(defs.pop(name))
        if defs:
            inner["$defs"] = defs
        schema = inner
    if title is not None:
        schema = {"title": title, **{k: v for k, v in schema.items() if k != "title"}}
    return schema


def dict_schema(name: str, fields: Mapping[str, Any], *, total: bool = False) -> Any:
    """A TypedDict type named ``name`` with one key per field (all required
    with ``total``, else all optional)."""
    return TypedDict(name, dict(fields), total=total)  # type: ignore[operator]


def check_input(value: Any, tp: Any, who: str) -> None:
    """Check ``value`` against ``tp`` without changing it.

    Raises:
        RunnableInputError: the value does not match; names ``who`` and the type.
    """
    if tp is Any:
        return
    try:
        if _is_pydantic_model(tp):
            if not isinstance(value, tp):
                tp.model_validate(value)
            return
        msgspec.convert(value, tp)
    except (TypeError, ValueError) as exc:
        unsupported = isinstance(exc, TypeError) and isinstance(tp, type) and not _supported(tp)
        if unsupported and isinstance(value, tp):
            return
        shown = getattr(tp, "__name__", repr(tp))
        raise RunnableInputError(
            f"{who} expects input of type {shown}, got {type(value).__name__} {value!r}: {exc}"
        ) from exc


def _identifier(key: str) -> str:
    cleaned = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in key) or "_"
    if cleaned[0].isdigit() or keyword.iskeyword(cleaned):
        cleaned = "_" + cleaned
    return cleaned


def config_struct(
    name: str, specs: Iterable[ConfigurableFieldSpec], include: Iterable[str]
) -> type[Any]:
    """A msgspec Struct type describing a config: ``configurable`` with one
    field per spec, plus the standard keys named in ``include``.

    Raises:
        ValueError: ``include`` names a key that is not a ``RunnableConfig`` key.
    """
    fields: list[tuple[str, Any, Any]] = []
    rename: dict[str, str] = {}
    for spec in specs:
        field = _identifier(spec.id)
        rename[field] = spec.id
        annotation = spec.annotation if _supported(spec.annotation) else Any
        fields.append((field, annotation, msgspec.field(default=spec.default)))
    configurable = msgspec.defstruct(f"{name}Configurable", fields, kw_only=True, rename=rename)
    standard = RunnableConfig.__annotations__
    outer: list[tuple[str, Any, Any]] = [
        ("configurable", configurable, msgspec.field(default_factory=configurable))
    ]
    for key in include:
        if key not in standard or key == "configurable":
            raise ValueError(
                f"config_schema(include=...) got {key!r}; choose from {sorted(standard)}"
            )
        outer.append((key, Any, None))
    return msgspec.defstruct(name, outer, kw_only=True)
