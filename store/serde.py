"""The serializer every checkpoint, pending write and stored item goes through.

MessagePack (msgspec) behind a two-byte versioned header. Values come back
exactly as they went in: JSON types, bytes, bytearray, big ints, tuple, set,
frozenset, deque, complex, datetime/date/time/timedelta with their tzinfo, UUID,
Decimal, pathlib paths, ipaddress values, builtin exceptions, and every class in the :class:`TypeRegistry`
(dataclasses, msgspec Structs, NamedTuples, Enums, pydantic v2 models, exception
classes, classes with an explicit encode/decode pair).

Decoding builds only registered classes, by the name written in the data; it
never imports a module and never unpickles. An unregistered name raises
:class:`~actorgraph.errors.DeserializationError` naming it, or with
``unknown="placeholder"`` comes back as an :class:`UnknownValue` that keeps the
payload and re-encodes to the same bytes. Encoding a value the serializer cannot
represent raises :class:`~actorgraph.errors.SerializationError` with the path of
the value, e.g. ``state['messages'][3].payload: type Foo is not serializable``.

Plain data (str, int, float, bool, None, bytes in dicts and lists, exact types)
skips the Python walk that makes everything else exact: a C-level type test
(:mod:`actorgraph.store._serde_plain`) hands it to msgspec as it is, with the
same bytes. :meth:`Serializer.check` raises what ``dumps`` would without
encoding such data.

Nothing here does I/O or awaits, so there is nothing to cancel.
"""

from __future__ import annotations

from typing import Any, Final, Literal, Protocol

import msgspec

from actorgraph.channels._errors import DeserializationError, SerializationError
from actorgraph.store._serde_decode import _Decoding
from actorgraph.store._serde_encode import _PLAIN_FROM, _Unencodable, _Walker
from actorgraph.store._serde_plain import _is_plain, _is_plain_sorted
from actorgraph.store._serde_registry import TypeRegistry
from actorgraph.store._serde_wire import (
    _HEADER,
    _MAGIC,
    FORMAT_VERSION,
    TYPE_TAG,
    UnknownValue,
)

__all__ = [
    "FORMAT_VERSION",
    "TYPE_TAG",
    "Serializer",
    "SerializerProtocol",
    "TypeRegistry",
    "UnknownValue",
    "check",
    "default_registry",
    "default_serializer",
    "dumps",
    "loads",
    "register",
    "register_annotation",
]


class SerializerProtocol(Protocol):
    """What a checkpoint saver needs from a serializer (LangGraph's shape).

    :class:`Serializer` implements it; a saver accepts any implementation, for
    example one that encrypts the bytes.
    """

    def dumps_typed(self, obj: Any) -> tuple[str, bytes]:
        """Encode ``obj``; return a type tag and the bytes."""
        ...

    def loads_typed(self, data: tuple[str, bytes]) -> Any:
        """Decode what :meth:`dumps_typed` returned."""
        ...


class Serializer:
    """Encodes values to versioned MessagePack bytes and back.

    Create one per registry and reuse it: it holds its msgspec encoder and
    decoders. Thread-safe as long as the registry is not changed concurrently.
    """

    def __init__(self, registry: TypeRegistry | None = None) -> None:
        self.registry = default_registry if registry is None else registry
        encode = msgspec.msgpack.Encoder().encode
        self._encode = encode
        self._fast = _Walker(self.registry, encode, exact=False)
        self._exact = _Walker(self.registry, encode, exact=True)
        stable_encode = msgspec.msgpack.Encoder(order="deterministic").encode
        self._stable_encode = stable_encode
        self._stable = _Walker(self.registry, stable_encode, exact=True, deterministic=True)
        self._decoding = _Decoding(self.registry)

    # --- public API ------------------------------------------------------------

    def dumps(self, obj: Any, *, path: str = "value", deterministic: bool = False) -> bytes:
        """Encode ``obj`` to bytes.

        ``path`` labels the root in error messages (a channel name, ``state``).
        ``deterministic=True`` writes the same bytes for the same value in any
        process (dict entries and set members sorted; such dicts decode in
        sorted order), for cache keys and content hashes; it is slower.

        Raises :class:`~actorgraph.errors.SerializationError` naming the path and
        type of the first value that cannot be encoded (an unregistered class,
        a function, a cycle), with the fix.
        """
        # The fast path: plain data (str, int, float, bool, None, bytes in
        # dicts and lists) goes to msgspec as it is, the very bytes the walk
        # would give. Anything else, or a big int or lone surrogate inside,
        # takes the walk; so does a small dict or list, which the walk checks
        # faster (and the walk tests its big dicts and lists the fast way).
        cls = type(obj)
        if (cls is not dict and cls is not list) or len(obj) >= _PLAIN_FROM:
            try:
                if deterministic:
                    if _is_plain_sorted(obj):
                        return _HEADER + self._stable_encode(obj)
                elif _is_plain(obj):
                    return _HEADER + self._encode(obj)
            except (OverflowError, UnicodeEncodeError):
                pass
        return self._dumps_walked(obj, path, deterministic)

    def check(self, obj: Any, *, path: str = "value") -> None:
        """Raise what :meth:`dumps` would raise for ``obj``, without keeping bytes.

        For a checkpointer's "can this be stored?" test. Plain data (str, int,
        float, bool, None, bytes in dicts and lists) costs only the type test:
        it always encodes (big ints and lone surrogates as extensions), so it is
        not encoded. Anything else is encoded as :meth:`dumps` does; if the
        bytes are needed afterwards, calling :meth:`dumps` once is cheaper.

        Raises :class:`~actorgraph.errors.SerializationError` naming the path,
        as :meth:`dumps` does.
        """
        cls = type(obj)
        if ((cls is not dict and cls is not list) or len(obj) >= _PLAIN_FROM) and _is_plain(obj):
            return
        self._dumps_walked(obj, path, False)

    def _dumps_walked(self, obj: Any, path: str, deterministic: bool) -> bytes:
        """:meth:`dumps` by the general path: walk the value, then encode it."""
        try:
            if deterministic:
                return _HEADER + self._stable_encode(self._stable.prep(obj))
            try:
                return _HEADER + self._encode(self._fast.prep(obj))
            except (OverflowError, UnicodeEncodeError):
                # An int beyond 64 bits or a lone surrogate: walk again, writing
                # such values as extensions.
                return _HEADER + self._encode(self._exact.prep(obj))
        except _Unencodable as error:
            where = path + "".join(reversed(error.steps))
            raise SerializationError(f"{where}: {error.reason}") from error.cause
        except RecursionError:
            raise SerializationError(
                f"{path}: value is nested too deeply or contains a reference cycle"
            ) from None

    def loads(
        self,
        data: bytes | bytearray | memoryview,
        *,
        unknown: Literal["error", "placeholder"] = "error",
    ) -> Any:
        """Decode bytes written by :meth:`dumps` (this version or an older one).

        Raises :class:`~actorgraph.errors.DeserializationError` and nothing else
        for any input: missing or foreign header, a newer format version,
        truncated or corrupt bytes, a registered class that no longer accepts
        its stored fields, or (with ``unknown="error"``) a type name that is not
        registered. With ``unknown="placeholder"`` such values come back as
        :class:`UnknownValue` instead. Raises ``ValueError`` for another
        ``unknown``.
        """
        view = memoryview(data)
        if len(view) < 2 or view[0] != _MAGIC:
            raise DeserializationError(
                "not actorgraph serializer data: the header is missing (was it written "
                "by another serializer, or truncated?)"
            )
        if view[1] != FORMAT_VERSION:
            raise DeserializationError(
                f"data is in serializer format version {view[1]}, this actorgraph reads "
                f"version {FORMAT_VERSION}; upgrade actorgraph to read it"
            )
        if unknown == "error":
            decoder = self._decoding.strict
        elif unknown == "placeholder":
            decoder = self._decoding.lenient
        else:
            raise ValueError(f"unknown= takes 'error' or 'placeholder', not {unknown!r}")
        try:
            return decoder.decode(view[2:])
        except DeserializationError:
            raise
        except RecursionError:
            raise DeserializationError("data is nested too deeply to decode") from None
        except Exception as error:  # the contract: corrupt input raises DeserializationError only
            raise DeserializationError(f"corrupt serializer data: {error}") from error

    def dumps_typed(self, obj: Any) -> tuple[str, bytes]:
        """:meth:`dumps` paired with :data:`TYPE_TAG`, for savers that store a tag."""
        return TYPE_TAG, self.dumps(obj)

    def loads_typed(self, data: tuple[str, bytes]) -> Any:
        """Decode a ``(tag, bytes)`` pair from :meth:`dumps_typed`.

        Raises :class:`~actorgraph.errors.DeserializationError` for a tag other
        than :data:`TYPE_TAG`, naming it.
        """
        tag, payload = data
        if tag != TYPE_TAG:
            raise DeserializationError(
                f"cannot decode data tagged {tag!r}: this serializer reads {TYPE_TAG!r}"
            )
        return self.loads(payload)


# --- the default registry and serializer ----------------------------------------------

default_registry: Final = TypeRegistry()
"""The registry library types register with, and the default of every Serializer."""

default_serializer: Final = Serializer(default_registry)
"""A :class:`Serializer` over :data:`default_registry`."""


register: Final = default_registry.register
"""Register a class with :data:`default_registry`; see :meth:`TypeRegistry.register`.

Usable as ``register(Point)``, ``@register`` or ``@register(name="app.Point")``.
"""


def register_annotation(annotation: Any) -> list[type]:
    """Register every class ``annotation`` reaches with :data:`default_registry`.

    See :meth:`TypeRegistry.register_annotation`.
    """
    return default_registry.register_annotation(annotation)


def dumps(obj: Any, *, path: str = "value", deterministic: bool = False) -> bytes:
    """:meth:`Serializer.dumps` of :data:`default_serializer`."""
    return default_serializer.dumps(obj, path=path, deterministic=deterministic)


def check(obj: Any, *, path: str = "value") -> None:
    """:meth:`Serializer.check` of :data:`default_serializer`."""
    default_serializer.check(obj, path=path)


def loads(
    data: bytes | bytearray | memoryview, *, unknown: Literal["error", "placeholder"] = "error"
) -> Any:
    """:meth:`Serializer.loads` of :data:`default_serializer`."""
    return default_serializer.loads(data, unknown=unknown)
