"""How each kind of registrable class becomes a payload and comes back.

One codec per kind: dataclasses, msgspec Structs, NamedTuples, Enums, pydantic
v2 models (without importing pydantic) and exceptions. The registry
(:mod:`actorgraph.store._serde_registry`) picks the codec when a class is
registered; the encoder and decoder call it through an :class:`_Entry`.
"""

from __future__ import annotations

import dataclasses
import enum
import sys
from collections.abc import Callable
from typing import Any

import msgspec
import msgspec.inspect

__all__: list[str] = []

_Encode = Callable[[Any], Any]
_Decode = Callable[[Any], Any]


class _Entry:
    """How one registered class turns into a payload and back."""

    __slots__ = ("attrs", "cls", "decode", "encode", "name", "native", "prefix")

    def __init__(
        self,
        cls: type,
        name: str,
        encode: _Encode,
        decode: _Decode,
        *,
        attrs: bool,
        native: msgspec.msgpack.Decoder[Any] | None = None,
    ) -> None:
        self.cls = cls
        self.name = name
        self.encode = encode
        self.decode = decode
        # Payload keys are attribute names, so error paths read ``.field``.
        self.attrs = attrs
        # For native=True: the typed decoder; msgspec encodes instances itself.
        self.native = native
        encoded = name.encode("utf-8")
        self.prefix = bytes((len(encoded),)) + encoded if len(encoded) < 256 else b""


def _pydantic_base() -> type | None:
    """pydantic's ``BaseModel`` if pydantic is already imported, else None.

    A class can only be a pydantic model if pydantic is imported, so this never
    imports it: pydantic stays optional.
    """
    module = sys.modules.get("pydantic")
    base = getattr(module, "BaseModel", None)
    return base if isinstance(base, type) else None


def _is_pydantic_model(cls: Any) -> bool:
    base = _pydantic_base()
    return base is not None and isinstance(cls, type) and issubclass(cls, base)


def _is_namedtuple(cls: type) -> bool:
    return issubclass(cls, tuple) and isinstance(getattr(cls, "_fields", None), tuple)


def _payload_dict(cls: type, payload: Any) -> dict[str, Any]:
    if type(payload) is not dict:
        raise TypeError(
            f"expected a field mapping for {cls.__qualname__}, got {type(payload).__name__}"
        )
    return payload


def _dataclass_codec(cls: type) -> tuple[_Encode, _Decode]:
    fields = dataclasses.fields(cls)
    names = tuple(f.name for f in fields)
    late = tuple(f.name for f in fields if not f.init)
    field_set = frozenset(names)

    def encode(obj: Any) -> Any:
        # The instance's own __dict__ is the field mapping when it holds exactly
        # the fields (no slots, no extra attributes): no copy, and the walk never
        # mutates what it is given.
        values = getattr(obj, "__dict__", None)
        if values is not None and values.keys() == field_set:
            return values
        return {name: getattr(obj, name) for name in names}

    def decode(payload: Any) -> Any:
        kwargs = dict(_payload_dict(cls, payload))
        # Fields with init=False cannot go through the constructor; set them after
        # (object.__setattr__ also works on frozen dataclasses).
        after = {name: kwargs.pop(name) for name in late if name in kwargs}
        obj = cls(**kwargs)
        for name, value in after.items():
            object.__setattr__(obj, name, value)
        return obj

    return encode, decode


_SIMPLE_DEFAULTS: tuple[type, ...] = (type(None), bool, int, float, str, bytes)
_EMPTY_FACTORIES: tuple[Any, ...] = (list, dict, set, frozenset, tuple, bytearray)
_KEEP = object()


def _omittable_default(default: Any) -> Any:
    """What a field value must be to be left out, or ``_KEEP`` to always write it.

    Only defaults that compare safely and exactly are candidates: simple
    scalars (compared by type and value) and empty-collection factories.
    """
    # msgspec keeps ``default_factory`` (and mutable literal defaults such as
    # ``{}``) as a private Factory object with a ``factory`` attribute.
    factory = getattr(default, "factory", None)
    if factory is not None:
        return factory() if factory in _EMPTY_FACTORIES else _KEEP
    if type(default) in _SIMPLE_DEFAULTS or isinstance(default, enum.Enum):
        return default
    return _KEEP


def _struct_codec(cls: type[msgspec.Struct]) -> tuple[_Encode, _Decode]:
    names: tuple[str, ...] = cls.__struct_fields__
    unset = msgspec.UNSET
    defaults: tuple[Any, ...] = cls.__struct_defaults__
    omit: dict[str, Any] = {}
    if cls.__struct_config__.omit_defaults:
        # As msgspec does for this class: leave out fields that hold their
        # default, which keeps message-like structs small and fast.
        first = len(names) - len(defaults)
        for name, default in zip(names[first:], defaults, strict=True):
            value = _omittable_default(default)
            if value is not _KEEP:
                omit[name] = value

    omit_items = tuple(omit.items())
    asdict = msgspec.structs.asdict

    def encode(obj: Any) -> Any:
        values = asdict(obj)
        for name, default in omit_items:
            value = values[name]
            if type(value) is type(default) and value == default:
                del values[name]
        # An UNSET field is left out, so it comes back UNSET (its default).
        if unset in values.values():
            values = {name: value for name, value in values.items() if value is not unset}
        return values

    def decode(payload: Any) -> Any:
        return cls(**_payload_dict(cls, payload))

    return encode, decode


def _namedtuple_codec(cls: type) -> tuple[_Encode, _Decode]:
    def encode(obj: Any) -> Any:
        return obj._asdict()

    def decode(payload: Any) -> Any:
        return cls(**_payload_dict(cls, payload))

    return encode, decode


def _enum_codec(cls: type[enum.Enum]) -> tuple[_Encode, _Decode]:
    def encode(obj: Any) -> Any:
        return obj.value

    def decode(payload: Any) -> Any:
        return cls(payload)

    return encode, decode


def _pydantic_codec(cls: Any) -> tuple[_Encode, _Decode]:
    names = tuple(cls.model_fields)
    field_set = frozenset(names)

    def encode(obj: Any) -> Any:
        values = obj.__dict__
        extra = obj.__pydantic_extra__
        if extra or values.keys() != field_set:
            # Never update the instance's own dict: build a new one.
            values = {name: getattr(obj, name) for name in names}
            values.update(extra or {})
        fields_set = obj.model_fields_set
        private = obj.__pydantic_private__
        # The common case, a model built from full data, is just its values;
        # otherwise which fields were set, and the private attributes, follow.
        if not private and len(fields_set) == len(values) and fields_set.issuperset(values):
            return values
        return [values, sorted(fields_set), private or {}]

    def decode(payload: Any) -> Any:
        # model_construct keeps the stored values exactly (no re-validation,
        # which could coerce them) and restores which fields were set.
        if type(payload) is not list:
            return cls.model_construct(**_payload_dict(cls, payload))
        values, fields_set, private = payload
        obj = cls.model_construct(set(fields_set), **_payload_dict(cls, values))
        if private:
            obj.__pydantic_private__ = {**(obj.__pydantic_private__ or {}), **private}
        return obj

    return encode, decode


def _native_decoder(cls: type) -> msgspec.msgpack.Decoder[Any]:
    if issubclass(cls, enum.Enum) or _is_pydantic_model(cls):
        raise TypeError(
            f"register({cls.__qualname__}, native=True): only Structs, dataclasses "
            "and NamedTuples can be native"
        )
    try:
        custom = _custom_types(msgspec.inspect.type_info(cls), set())
        decoder = msgspec.msgpack.Decoder(cls)
    except Exception as error:  # msgspec resolves annotations: NameError, TypeError, ...
        raise TypeError(
            f"register({cls.__qualname__}, native=True): msgspec cannot type it: "
            f"{type(error).__name__}: {error}"
        ) from error
    if custom:
        # msgspec would accept the class and then fail on every decode.
        names = ", ".join(sorted(c.__qualname__ for c in custom))
        raise TypeError(
            f"register({cls.__qualname__}, native=True): fields of type {names} are not "
            "supported by msgspec; register without native=True"
        )
    return decoder


def _custom_types(node: Any, seen: set[int]) -> set[type]:
    """The classes msgspec's type info for a class marks as custom (no native codec)."""
    if id(node) in seen:
        return set()
    seen.add(id(node))
    if isinstance(node, msgspec.inspect.CustomType):
        return {node.cls}
    found: set[type] = set()
    if isinstance(node, (msgspec.inspect.Type, msgspec.inspect.Field)):
        for value in msgspec.structs.astuple(node):
            found |= _custom_types(value, seen)
    elif isinstance(node, tuple):
        for value in node:
            found |= _custom_types(value, seen)
    return found


def _exception_codec(cls: type[BaseException], *, builtin: bool) -> tuple[_Encode, _Decode]:
    def encode(obj: Any) -> Any:
        # Attributes set in __init__ live in __dict__; the traceback and the
        # cause chain do not travel (they hold frames, not data).
        return [list(obj.args), vars(obj)]

    def decode(payload: Any) -> Any:
        if type(payload) is not list or len(payload) != 2:
            raise TypeError(f"expected [args, attributes] for {cls.__qualname__}")
        args, state = payload
        if builtin:
            # Builtin constructors set their C-level fields (errno, ...) from args.
            obj = cls(*args)
        else:
            # As copy and pickling do, do not call a user __init__ whose signature need not
            # match args (``NodeError(message, node=...)``): restore the state.
            obj = cls.__new__(cls, *args)
            obj.args = tuple(args)
        obj.__dict__.update(state)
        return obj

    return encode, decode


def _default_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _kind_of(cls: type) -> str | None:
    """The kind of ``cls`` the registry has a codec for (as prose), or None."""
    if issubclass(cls, enum.Enum):
        return "an Enum"
    if issubclass(cls, msgspec.Struct):
        return "a msgspec Struct"
    if _is_pydantic_model(cls):
        return "a pydantic model"
    if dataclasses.is_dataclass(cls):
        return "a dataclass"
    if _is_namedtuple(cls):
        return "a NamedTuple"
    if issubclass(cls, BaseException):
        return "an exception"
    return None


def _codec_for(cls: type) -> tuple[_Encode, _Decode, bool] | None:
    """The codec of a class of a known kind, and whether its payload is a field
    mapping (for ``.field`` error paths); None for any other class."""
    kind = _kind_of(cls)
    if kind == "an Enum":
        return (*_enum_codec(cls), False)
    if kind == "a msgspec Struct":
        return (*_struct_codec(cls), True)
    if kind == "a pydantic model":
        return (*_pydantic_codec(cls), True)
    if kind == "a dataclass":
        return (*_dataclass_codec(cls), True)
    if kind == "a NamedTuple":
        return (*_namedtuple_codec(cls), True)
    if kind == "an exception":
        return (*_exception_codec(cls, builtin=cls.__module__ == "builtins"), False)
    return None
