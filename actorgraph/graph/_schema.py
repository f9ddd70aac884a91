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
        self.key_set = frozenset(channels)
        # A TypedDict (any schema that is no model, Struct or dataclass) takes a
        # plain dict of its keys as it is: coerce_input's common case, decided once.
        self.takes_dict = not (
            _is_pydantic(schema) or _is_struct(schema) or dataclasses.is_dataclass(schema)
        )
        # A dataclass's fields in order (channels and managed keys), read once.
        self.field_names: tuple[str, ...] = ()
        # The same when its __init__ only stores its arguments (see
        # _plain_init_fields), else None.
        self.plain_fields: tuple[str, ...] | None = None
        if dataclasses.is_dataclass(schema):
            self.field_names = tuple(f.name for f in dataclasses.fields(schema))
            self.plain_fields = _plain_init_fields(schema)


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


_object_new = object.__new__
_object_setattr = object.__setattr__


def _pydantic_mapper(schema: type[Any]) -> Callable[[dict[str, Any]], Any]:
    """``model_construct`` (the values were validated when they entered the state).

    When the values are exactly the model's fields in declaration order, the
    instance is assembled directly with what ``model_construct`` would set
    (the values as its ``__dict__``, every field marked set); any other case
    (a field missing, so a default applies; aliases; ``model_post_init`` or
    private attributes; root models) goes through ``model_construct`` itself.
    """
    construct = schema.model_construct

    def general(values: dict[str, Any]) -> Any:
        return construct(**values)

    fields: dict[str, Any] = getattr(schema, "__pydantic_fields__", None) or schema.model_fields
    if (
        schema.__pydantic_root_model__
        or schema.__pydantic_post_init__
        or any(f.alias is not None or f.validation_alias is not None for f in fields.values())
    ):
        return general
    names = tuple(fields)
    extra_allowed = schema.model_config.get("extra") == "allow"

    def fast(values: dict[str, Any]) -> Any:
        if tuple(values) != names:
            return construct(**values)
        model = _object_new(schema)
        _object_setattr(model, "__dict__", values)
        _object_setattr(model, "__pydantic_fields_set__", set(names))
        _object_setattr(model, "__pydantic_extra__", {} if extra_allowed else None)
        _object_setattr(model, "__pydantic_private__", None)
        return model

    return fast


def _plain_init_fields(schema: type[Any]) -> tuple[str, ...] | None:
    """A dataclass's field names if its ``__init__`` only stores its arguments.

    That holds for the generated ``__init__`` (taking exactly the fields: no
    ``InitVar``, no ``init=False`` field) with no ``__post_init__``, no slots,
    no ``__setattr__`` of its own and no descriptor as a field: given every
    field, it ends up with exactly those values, in field order, as its
    ``__dict__``. ``None`` for any other dataclass.
    """
    fields = dataclasses.fields(schema)
    # The generated __init__ is compiled from a string; one written in the
    # class body (which dataclass keeps) or inherited from a plain class is not.
    code = getattr(schema.__dict__.get("__init__"), "__code__", None)
    if code is None or code.co_filename != "<string>":
        return None
    names = tuple(f.name for f in fields)
    params = code.co_varnames[1 : code.co_argcount + code.co_kwonlyargcount]
    frozen = schema.__dataclass_params__.frozen
    own_setattr: Any = schema.__setattr__
    if (
        set(params) != set(names)  # an InitVar, or a field left out of __init__
        or hasattr(schema, "__post_init__")
        or any("__slots__" in cls.__dict__ for cls in schema.__mro__[:-1])
        or (not frozen and own_setattr is not object.__setattr__)
        or any(
            hasattr(type(inspect.getattr_static(schema, name, None)), "__set__") for name in names
        )
    ):
        return None
    return names


def _dataclass_mapper(schema: type[Any]) -> Callable[[dict[str, Any]], Any]:
    """``schema(**values)``, without running ``__init__`` when that changes nothing.

    For a dataclass whose ``__init__`` only stores its arguments (see
    :func:`_plain_init_fields`) given every field in field order, the mapper
    sets the values as the instance's ``__dict__`` directly. Anything else
    calls the class.
    """

    def general(values: dict[str, Any]) -> Any:
        return schema(**values)

    names = _plain_init_fields(schema)
    if names is None:
        return general

    def fast(values: dict[str, Any]) -> Any:
        if tuple(values) != names:
            return schema(**values)
        instance = _object_new(schema)
        _object_setattr(instance, "__dict__", values)
        return instance

    return fast


def _mapper(schema: type[Any]) -> Callable[[dict[str, Any]], Any] | None:
    """How a node gets ``schema`` from a dict of state values (taking the dict over)."""
    if _is_pydantic(schema):
        return _pydantic_mapper(schema)
    if dataclasses.is_dataclass(schema):
        return _dataclass_mapper(schema)
    if _is_struct(schema):
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
    if info.takes_dict and type(value) is dict and info.key_set.issuperset(value):
        return dict(value)
    schema = info.schema
    if _is_pydantic(schema):
        model = value if isinstance(value, schema) else schema.model_validate(value)
        fields = type(model).__pydantic_fields__
        stored = model.__dict__
        if tuple(stored) == tuple(fields):
            # A model keeps its fields in __dict__, in field order: read at once.
            return dict(stored)
        return {name: getattr(model, name) for name in fields}
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
        plain = info.plain_fields
        if plain is not None and len(value) == len(plain) and type(value) is dict:
            # Every field given (none unknown, so none missing): the instance
            # would hold exactly these values, so it need not be built.
            return {name: value[name] for name in plain}
        try:
            built = schema(**value)
        except TypeError as exc:
            raise InvalidUpdateError(
                f"Input does not match state schema {schema.__name__}: {exc}"
            ) from exc
        return {name: getattr(built, name) for name in info.field_names}
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
    if info.key_set.issuperset(value):
        return
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
