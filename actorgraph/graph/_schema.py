"""State schemas (TypedDict, dataclass, pydantic v2, msgspec.Struct) as channels."""

from __future__ import annotations

import dataclasses
import inspect
import typing
from collections.abc import Callable, Mapping
from typing import Annotated, Any, get_args, get_origin

import msgspec

from actorgraph.actors.pregel._managed import ManagedValue, is_managed_value
from actorgraph.channels import BaseChannel, BinaryOperatorAggregate, LastValue
from actorgraph.channels._errors import GraphValidationError, InvalidUpdateError

__all__ = [
    "SchemaInfo",
    "coerce_context",
    "coerce_input",
    "instance_fields",
    "is_schema",
    "schema_info",
]


def _is_typeddict(schema: Any) -> bool:
    return (
        isinstance(schema, type) and issubclass(schema, dict) and hasattr(schema, "__annotations__")
    )


def _is_pydantic(schema: Any) -> bool:
    return (
        isinstance(schema, type)
        and hasattr(schema, "model_fields")
        and hasattr(schema, "model_validate")
    )


def _is_struct(schema: Any) -> bool:
    return isinstance(schema, type) and issubclass(schema, msgspec.Struct)


def is_schema(obj: Any) -> bool:
    """Whether ``obj`` is a class actorgraph reads as a state schema."""
    return (
        _is_typeddict(obj)
        or (isinstance(obj, type) and dataclasses.is_dataclass(obj))
        or _is_pydantic(obj)
        or _is_struct(obj)
    )


class SchemaInfo:
    """What one schema contributes: channels, managed keys and how to build its type.

    ``mapper`` turns a dict of state values into what a node declared as its
    input (``None`` for TypedDict: nodes get the dict itself).
    """

    def __init__(
        self,
        schema: type[Any],
        channels: dict[str, BaseChannel[Any, Any, Any]],
        managed: dict[str, type[ManagedValue]],
        mapper: Callable[[dict[str, Any]], Any] | None,
    ) -> None:
        self.schema = schema
        self.channels = channels
        self.managed = managed
        self.mapper = mapper
        self.keys = tuple(channels)


def _hints(schema: type[Any]) -> dict[str, Any]:
    try:
        hints = typing.get_type_hints(schema, include_extras=True)
    except Exception as exc:
        raise GraphValidationError(
            f"Cannot read the annotations of state schema {schema.__name__}: {exc}. "
            "Define the types it names at module level."
        ) from exc
    if _is_pydantic(schema):
        return {k: v for k, v in hints.items() if k in schema.model_fields}
    if _is_struct(schema):
        return {k: hints[k] for k in schema.__struct_fields__}
    if dataclasses.is_dataclass(schema):
        return {f.name: hints[f.name] for f in dataclasses.fields(schema)}
    return {k: v for k, v in hints.items() if get_origin(v) is not typing.ClassVar}


def _reducer_arity(fn: Any) -> bool:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return False
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) == 2 or any(p.kind == p.VAR_POSITIONAL for p in params)


def _channel_for(key: str, annotation: Any) -> BaseChannel[Any, Any, Any] | type[ManagedValue]:
    if get_origin(annotation) is Annotated:
        base, *meta = get_args(annotation)
        for item in reversed(meta):
            if is_managed_value(item):
                return typing.cast("type[ManagedValue]", item)
            if isinstance(item, BaseChannel):
                channel = item.copy()
                channel.key = key
                return channel
            if isinstance(item, type) and issubclass(item, BaseChannel):
                channel_cls: Any = item
                return typing.cast("BaseChannel[Any, Any, Any]", channel_cls(base, key=key))
        for item in reversed(meta):
            if callable(item) and _reducer_arity(item):
                return BinaryOperatorAggregate(base, item, key=key)
        return LastValue(base, key=key)
    return LastValue(annotation, key=key)


def _mapper(schema: type[Any]) -> Callable[[dict[str, Any]], Any] | None:
    if _is_pydantic(schema):
        construct = schema.model_construct
        return lambda values: construct(**values)
    if _is_struct(schema) or dataclasses.is_dataclass(schema):
        return lambda values: schema(**values)
    return None


def schema_info(schema: type[Any]) -> SchemaInfo:
    """Read ``schema``'s keys into channels (reducers from ``Annotated``) and managed values.

    Raises GraphValidationError if ``schema`` is not a TypedDict, dataclass,
    pydantic model or msgspec Struct.
    """
    if not is_schema(schema):
        raise GraphValidationError(
            f"State schema {schema!r} is not a TypedDict, dataclass, pydantic model or "
            "msgspec.Struct; declare the state as one of those."
        )
    channels: dict[str, BaseChannel[Any, Any, Any]] = {}
    managed: dict[str, type[ManagedValue]] = {}
    for key, annotation in _hints(schema).items():
        made = _channel_for(key, annotation)
        if isinstance(made, BaseChannel):
            channels[key] = made
        else:
            managed[key] = made
    return SchemaInfo(schema, channels, managed, _mapper(schema))


def instance_fields(value: Any) -> dict[str, Any] | None:
    """The fields of a schema instance (dataclass, pydantic, Struct), else ``None``."""
    cls = type(value)
    if _is_pydantic(cls):
        return {name: getattr(value, name) for name in value.model_fields_set}
    if _is_struct(cls):
        return {name: getattr(value, name) for name in cls.__struct_fields__}
    if dataclasses.is_dataclass(cls):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    return None


def coerce_input(info: SchemaInfo, value: Any) -> dict[str, Any]:
    """Validate graph input against the input schema; return the keys to write.

    Pydantic models validate (raising ``pydantic.ValidationError``), msgspec
    Structs convert (raising InvalidUpdateError naming the field), dataclasses
    are constructed (applying defaults); a TypedDict input must be a mapping of
    its keys. Unknown keys raise InvalidUpdateError naming them.
    """
    schema = info.schema
    if _is_pydantic(schema):
        model = value if isinstance(value, schema) else schema.model_validate(value)
        return {name: getattr(model, name) for name in type(model).model_fields}
    if _is_struct(schema):
        try:
            struct = value if isinstance(value, schema) else msgspec.convert(value, schema)
        except msgspec.ValidationError as exc:
            raise InvalidUpdateError(
                f"Input does not match state schema {schema.__name__}: {exc}"
            ) from exc
        return {name: getattr(struct, name) for name in schema.__struct_fields__}
    if dataclasses.is_dataclass(schema):
        if isinstance(value, schema):
            return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        if not isinstance(value, Mapping):
            raise InvalidUpdateError(
                f"Expected a dict or {schema.__name__} as input, got {type(value).__name__}: "
                f"{value!r:.80}"
            )
        _reject_unknown(info, value)
        try:
            built = schema(**value)
        except TypeError as exc:
            raise InvalidUpdateError(
                f"Input does not match state schema {schema.__name__}: {exc}"
            ) from exc
        return {f.name: getattr(built, f.name) for f in dataclasses.fields(built)}
    if not isinstance(value, Mapping):
        fields = instance_fields(value)
        if fields is None:
            raise InvalidUpdateError(
                f"Expected a dict as input for state schema {schema.__name__}, got "
                f"{type(value).__name__}: {value!r:.80}"
            )
        value = fields
    _reject_unknown(info, value)
    return dict(value)


def _reject_unknown(info: SchemaInfo, value: Mapping[str, Any]) -> None:
    for key in value:
        if key not in info.channels:
            raise InvalidUpdateError(
                f"Input key {key!r} is not in the input schema {info.schema.__name__} "
                f"(keys: {', '.join(info.keys)})."
            )


def coerce_context(schema: type[Any] | None, context: Any) -> Any:
    """``invoke(..., context=dict)`` as the ``context_schema`` (a dataclass or model)."""
    if isinstance(context, Mapping) and schema is not None:
        if dataclasses.is_dataclass(schema):
            return schema(**context)
        validate = getattr(schema, "model_validate", None)
        if validate is not None:
            return validate(context)
    return context
