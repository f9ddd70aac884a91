"""The registry of types the serializer may build when it decodes.

Decoding never imports a module named in the data: it builds only the classes
registered here, by name. The graph registers what its state schema reaches at
compile time (:meth:`TypeRegistry.register_annotation`); library types (messages,
``Send``, ``Command``, ``Interrupt``) register themselves when their module is
imported; users call :func:`actorgraph.store.serde.register` for anything else.
"""

from __future__ import annotations

import builtins
import dataclasses
import enum
import sys
import typing
from collections.abc import Callable, Iterator
from typing import Any, TypeVar, overload

import msgspec
import msgspec.inspect
import typing_extensions

__all__ = ["TypeRegistry"]

T = TypeVar("T")
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

    def encode(obj: Any) -> Any:
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

    def encode(obj: Any) -> Any:
        values = {name: getattr(obj, name) for name in names}
        extra = obj.__pydantic_extra__
        if extra:
            values.update(extra)
        fields_set = obj.model_fields_set
        # Only spell out which fields were set when that differs from "all of
        # them", the common case for models built from full data.
        if len(fields_set) == len(names):
            return values
        return [values, sorted(fields_set)]

    def decode(payload: Any) -> Any:
        # model_construct keeps the stored values exactly (no re-validation,
        # which could coerce them) and restores which fields were set.
        if type(payload) is list and len(payload) == 2:
            values, fields_set = payload
            return cls.model_construct(set(fields_set), **_payload_dict(cls, values))
        return cls.model_construct(**_payload_dict(cls, payload))

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
    except TypeError as error:
        raise TypeError(f"register({cls.__qualname__}, native=True): {error}") from error
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
            # Like pickle, do not call a user __init__ whose signature need not
            # match args (``NodeError(message, node=...)``): restore the state.
            obj = cls.__new__(cls, *args)
            obj.args = tuple(args)
        obj.__dict__.update(state)
        return obj

    return encode, decode


def _default_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


class TypeRegistry:
    """The classes a :class:`~actorgraph.store.serde.Serializer` may encode and build.

    Each class has a name (by default ``module.QualName``) that is written into
    the data instead of an import path. Decoding looks the name up here and
    nowhere else.

    A registry may have a ``parent``: lookups that miss here continue there, so
    a graph can keep its own registry on top of the default one.
    """

    def __init__(self, *, parent: TypeRegistry | None = None) -> None:
        # Every chain ends at the registry of builtin exceptions.
        self._parent: TypeRegistry | None = _BUILTINS if parent is None else parent
        self._by_type: dict[type, _Entry] = {}
        self._by_name: dict[str, _Entry] = {}

    @overload
    def register(
        self,
        cls: type[T],
        /,
        *,
        name: str | None = None,
        encode: Callable[[T], Any] | None = None,
        decode: Callable[[Any], T] | None = None,
        native: bool = False,
    ) -> type[T]: ...

    @overload
    def register(
        self,
        cls: None = None,
        /,
        *,
        name: str | None = None,
        encode: Callable[[Any], Any] | None = None,
        decode: Callable[[Any], Any] | None = None,
        native: bool = False,
    ) -> Callable[[type[T]], type[T]]: ...

    def register(
        self,
        cls: type[T] | None = None,
        /,
        *,
        name: str | None = None,
        encode: Callable[[Any], Any] | None = None,
        decode: Callable[[Any], Any] | None = None,
        native: bool = False,
    ) -> type[T] | Callable[[type[T]], type[T]]:
        """Allow ``cls`` to be encoded and decoded; returns ``cls``.

        Dataclasses, msgspec Structs, NamedTuples, Enums, pydantic v2 models
        and exceptions need nothing more (an exception keeps its ``args`` and
        attributes, not its traceback; builtin exceptions are always known). Any other class needs ``encode`` (instance to a
        serializable payload) and ``decode`` (payload back to an instance); the
        payload may hold anything the serializer encodes, registered types too.
        Works as a decorator, with or without arguments.

        ``name`` is what the data stores (default ``module.QualName``); give one
        to keep old data readable across a module rename. Registering a class
        again under a new name keeps the old name readable too. A name taken by
        another class moves to the new one, so redefining a class (in a
        notebook, say) works.

        ``native=True`` (msgspec Structs, dataclasses, NamedTuples) hands the
        whole instance to msgspec, which encodes it in C and decodes it against
        the class's field annotations: several times faster, exact wherever the
        annotations name the type, but a value under an ``Any`` (or
        ``dict[str, Any]``) field comes back in its plain MessagePack form
        (a tuple as a list, a dataclass as a dict). Use it for hot, plainly
        typed classes such as chat messages.

        Raises ``TypeError`` when ``cls`` is not a class, is none of the kinds
        above and lacks an ``encode``/``decode`` pair, or cannot be native.
        """
        if cls is None:

            def decorator(target: type[T]) -> type[T]:
                return self.register(target, name=name, encode=encode, decode=decode, native=native)

            return decorator
        if not isinstance(cls, type):
            raise TypeError(f"register() takes a class, got {cls!r}")
        if native and encode is not None:
            raise TypeError(f"register({cls.__qualname__}): native=True takes no encode/decode")
        if (encode is None) != (decode is None):
            raise TypeError(
                f"register({cls.__qualname__}): pass both encode= and decode=, or neither"
            )
        attrs = True
        if encode is not None and decode is not None:
            attrs = False
        elif issubclass(cls, enum.Enum):
            encode, decode = _enum_codec(cls)
            attrs = False
        elif issubclass(cls, msgspec.Struct):
            encode, decode = _struct_codec(cls)
        elif _is_pydantic_model(cls):
            encode, decode = _pydantic_codec(cls)
        elif dataclasses.is_dataclass(cls):
            encode, decode = _dataclass_codec(cls)
        elif _is_namedtuple(cls):
            encode, decode = _namedtuple_codec(cls)
        elif issubclass(cls, BaseException):
            encode, decode = _exception_codec(cls, builtin=cls.__module__ == "builtins")
            attrs = False
        else:
            raise TypeError(
                f"cannot register {cls.__qualname__}: it is not a dataclass, msgspec Struct, "
                "NamedTuple, Enum, pydantic model or exception; pass encode= and decode= "
                "functions"
            )
        typed = _native_decoder(cls) if native else None
        if native and len((name or _default_name(cls)).encode("utf-8")) > 255:
            raise TypeError(
                f"register({cls.__qualname__}, native=True): name= must be under 256 bytes"
            )
        entry = _Entry(cls, name or _default_name(cls), encode, decode, attrs=attrs, native=typed)
        previous = self._by_name.get(entry.name)
        if previous is not None and previous.cls is not cls:
            self._by_type.pop(previous.cls, None)
        self._by_type[cls] = entry
        self._by_name[entry.name] = entry
        return cls

    def is_registered(self, cls: type) -> bool:
        """Whether instances of exactly ``cls`` can be encoded and decoded."""
        return self._entry_for_type(cls) is not None

    def name_of(self, cls: type) -> str | None:
        """The name written for ``cls``, or None if it is not registered."""
        entry = self._entry_for_type(cls)
        return None if entry is None else entry.name

    def register_annotation(self, annotation: Any) -> list[type]:
        """Register every class a type annotation reaches; return them.

        Walks TypedDict, dataclass, msgspec Struct, NamedTuple and pydantic
        fields, ``Annotated``, ``Optional``/unions, generic arguments
        (``list[Msg]``, ``dict[str, Item]``), ``Literal`` enum members and
        ``NewType``. Classes it cannot register (plain classes, builtins) are
        skipped: a value of such a class still fails loudly when encoded.
        The engine calls this with the state, input and output schemas when a
        graph compiles.
        """
        found: list[type] = []
        self._walk(annotation, set(), found)
        return found

    def _walk(self, tp: Any, seen: set[int], found: list[type]) -> None:
        if id(tp) in seen:
            return
        seen.add(id(tp))
        supertype = getattr(tp, "__supertype__", None)  # NewType
        if supertype is not None:
            self._walk(supertype, seen, found)
            return
        origin = typing_extensions.get_origin(tp)
        if origin is not None:
            if origin is typing_extensions.Literal:
                for value in typing_extensions.get_args(tp):
                    if isinstance(value, enum.Enum):
                        self._walk(type(value), seen, found)
                return
            if origin is typing_extensions.Annotated:
                self._walk(typing_extensions.get_args(tp)[0], seen, found)
                return
            for arg in typing_extensions.get_args(tp):
                self._walk(arg, seen, found)
            if isinstance(origin, type):
                self._walk(origin, seen, found)
            return
        if isinstance(tp, TypeVar):
            for arg in (tp.__bound__, *tp.__constraints__):
                if arg is not None:
                    self._walk(arg, seen, found)
            return
        if not isinstance(tp, type) or tp.__module__ == "builtins":
            return
        if typing_extensions.is_typeddict(tp):
            self._walk_hints(tp, seen, found)
            return
        if (
            issubclass(tp, (enum.Enum, msgspec.Struct))
            or _is_pydantic_model(tp)
            or dataclasses.is_dataclass(tp)
            or _is_namedtuple(tp)
        ):
            if self._entry_for_type(tp) is None:
                self.register(tp)
            found.append(tp)
            if not issubclass(tp, enum.Enum):
                self._walk_hints(tp, seen, found)

    def _walk_hints(self, tp: type, seen: set[int], found: list[type]) -> None:
        for hint in _field_hints(tp):
            self._walk(hint, seen, found)

    def _entry_for_type(self, cls: type) -> _Entry | None:
        entry = self._by_type.get(cls)
        if entry is None and self._parent is not None:
            return self._parent._entry_for_type(cls)
        return entry

    def _entry_for_name(self, name: str) -> _Entry | None:
        entry = self._by_name.get(name)
        if entry is None and self._parent is not None:
            return self._parent._entry_for_name(name)
        return entry

    def __iter__(self) -> Iterator[type]:
        """The registered classes, this registry's first, then its parent's.

        The builtin exceptions every registry knows are not listed.
        """
        yield from self._by_type
        if self._parent is not None and self._parent is not _BUILTINS:
            yield from self._parent


def _builtin_exceptions() -> TypeRegistry:
    """The root of every registry: builtin exceptions (``ValueError``, ...)."""
    root = TypeRegistry.__new__(TypeRegistry)
    root._parent = None
    root._by_type = {}
    root._by_name = {}
    for value in vars(builtins).values():
        if isinstance(value, type) and issubclass(value, BaseException):
            root.register(value)
    return root


_BUILTINS = _builtin_exceptions()


def _field_hints(tp: type) -> list[Any]:
    """The field annotations of a class, resolved where possible.

    When the class's hints do not resolve as a whole (a forward reference to a
    name that does not exist at run time), each field is resolved on its own and
    the ones that fail are skipped rather than failing the compile: values of
    the types they would have reached fail loudly, by name, when encoded.
    """
    try:
        hints = typing_extensions.get_type_hints(tp, include_extras=True)
    except Exception:  # noqa: BLE001 - any failure to resolve means "resolve field by field"
        hints = {}
        for klass in reversed(tp.__mro__):
            module = sys.modules.get(klass.__module__)
            for key, value in getattr(klass, "__annotations__", {}).items():
                resolved = _resolve_one(value, vars(module) if module else {}, dict(vars(klass)))
                if resolved is not _UNRESOLVED:
                    hints[key] = resolved
    return [hint for hint in hints.values() if not _is_classvar(hint)]


_UNRESOLVED = object()


def _resolve_one(annotation: Any, globalns: dict[str, Any], localns: dict[str, Any]) -> Any:
    """One annotation resolved the way ``get_type_hints`` does, or ``_UNRESOLVED``."""
    holder = type("_Field", (), {"__annotations__": {"field": annotation}})
    try:
        hints = typing_extensions.get_type_hints(
            holder, globalns=globalns, localns=localns, include_extras=True
        )
    except Exception:  # noqa: BLE001 - an unresolvable annotation is skipped, see above
        return _UNRESOLVED
    return hints["field"]


def _is_classvar(hint: Any) -> bool:
    return hint is typing.ClassVar or typing_extensions.get_origin(hint) is typing.ClassVar
