"""The registry of types the serializer may build when it decodes.

Decoding never imports a module named in the data: it builds only the classes
registered here, by name. The graph registers what its state schema reaches at
compile time (:meth:`TypeRegistry.register_annotation`); library types (messages,
``Send``, ``Command``, ``Interrupt``) register themselves when their module is
imported; users call :func:`actorgraph.store.serde.register` for anything else.
"""

from __future__ import annotations

import builtins
import enum
import ipaddress
import pathlib
import sys
import typing
from collections.abc import Callable, Iterator
from typing import Any, TypeVar, overload

import typing_extensions

from actorgraph.store._serde_codecs import (
    _codec_for,
    _default_name,
    _Entry,
    _kind_of,
    _native_decoder,
)

__all__ = ["TypeRegistry"]

T = TypeVar("T")


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
        attributes, not its traceback; builtin exceptions are always known).
        Any other class needs ``encode`` (instance to a serializable payload)
        and ``decode`` (payload back to an instance); the payload may hold
        anything the serializer encodes, registered types too.
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
        (a tuple as a list, a dataclass as a dict), and an aware datetime comes
        back in UTC. Use it for hot, plainly typed classes such as chat
        messages.

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
        if encode is not None and decode is not None:
            attrs = False
        else:
            codec = _codec_for(cls)
            if codec is None:
                raise TypeError(
                    f"cannot register {cls.__qualname__}: it is not a dataclass, msgspec "
                    "Struct, NamedTuple, Enum, pydantic model or exception; pass encode= and "
                    "decode= functions"
                )
            encode, decode, attrs = codec
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
        kind = _kind_of(tp)
        if kind is not None:
            if self._entry_for_type(tp) is None:
                self.register(tp)
            found.append(tp)
            if kind != "an Enum":
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


def _standard_types() -> TypeRegistry:
    """The root of every registry: builtin exceptions (``ValueError``, ...),
    paths and IP addresses, which any process can rebuild."""
    root = TypeRegistry.__new__(TypeRegistry)
    root._parent = None
    root._by_type = {}
    root._by_name = {}
    for value in vars(builtins).values():
        if isinstance(value, type) and issubclass(value, BaseException):
            root.register(value)
    for cls in (
        pathlib.PurePosixPath,
        pathlib.PureWindowsPath,
        pathlib.PosixPath,
        pathlib.WindowsPath,
        ipaddress.IPv4Address,
        ipaddress.IPv6Address,
        ipaddress.IPv4Network,
        ipaddress.IPv6Network,
        ipaddress.IPv4Interface,
        ipaddress.IPv6Interface,
    ):
        root.register(cls, encode=str, decode=cls)
    return root


_BUILTINS = _standard_types()


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
