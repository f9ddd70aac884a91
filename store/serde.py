"""The serializer every checkpoint, pending write and stored item goes through.

MessagePack (msgspec) behind a two-byte versioned header. Values come back
exactly as they went in: JSON types, bytes, bytearray, big ints, tuple, set,
frozenset, deque, complex, datetime/date/time/timedelta with their tzinfo, UUID,
Decimal, and every class in the :class:`TypeRegistry` (dataclasses, msgspec
Structs, NamedTuples, Enums, pydantic v2 models, classes with an explicit
encode/decode pair).

Decoding builds only registered classes, by the name written in the data; it
never imports a module and never unpickles. An unregistered name raises
:class:`~actorgraph.errors.DeserializationError` naming it, or with
``unknown="placeholder"`` comes back as an :class:`UnknownValue` that keeps the
payload and re-encodes to the same bytes. Encoding a value the serializer cannot
represent raises :class:`~actorgraph.errors.SerializationError` with the path of
the value, e.g. ``state['messages'][3].payload: type Foo is not serializable``.

Nothing here does I/O or awaits, so there is nothing to cancel.
"""

from __future__ import annotations

import datetime
import re
import types
import uuid
from collections import deque
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Final, Literal, Protocol, TypeVar
from zoneinfo import ZoneInfo

import msgspec
from msgspec.msgpack import Ext

from actorgraph.channels._errors import DeserializationError, SerializationError
from actorgraph.store._serde_registry import TypeRegistry, _Entry

__all__ = [
    "FORMAT_VERSION",
    "TYPE_TAG",
    "Serializer",
    "SerializerProtocol",
    "TypeRegistry",
    "UnknownValue",
    "default_registry",
    "default_serializer",
    "dumps",
    "loads",
    "register",
    "register_annotation",
]

T = TypeVar("T")
_Decoder = msgspec.msgpack.Decoder[Any]

FORMAT_VERSION: Final = 1
"""The version byte written after the magic byte; readers accept it and older ones."""

TYPE_TAG: Final = "actorgraph-msgpack"
"""The type tag :meth:`Serializer.dumps_typed` pairs with its bytes."""

# 0xC1 is the one byte MessagePack never uses, so no plain MessagePack document
# (nor JSON text, nor a pickle) starts with it.
_MAGIC: Final = 0xC1
_HEADER: Final = bytes((_MAGIC, FORMAT_VERSION))

# Extension codes. Containers and scalars MessagePack has no exact type for are
# wrapped so they come back as themselves; registered classes carry their name.
_EXT_TUPLE: Final = 1
_EXT_SET: Final = 2
_EXT_FROZENSET: Final = 3
_EXT_DEQUE: Final = 4
_EXT_DICT_PAIRS: Final = 5  # a dict whose keys MessagePack maps cannot hold as-is
_EXT_BYTEARRAY: Final = 6
_EXT_BIGINT: Final = 7
_EXT_COMPLEX: Final = 8
_EXT_DECIMAL: Final = 9
_EXT_UUID: Final = 10
_EXT_DATETIME: Final = 11
_EXT_DATE: Final = 12
_EXT_TIME: Final = 13
_EXT_TIMEDELTA: Final = 14
_EXT_TIMEZONE: Final = 15
_EXT_ZONEINFO: Final = 16
_EXT_REGISTERED: Final = 32

_INT_MIN: Final = -(2**63)
_INT_MAX: Final = 2**64 - 1
# Values msgspec writes and reads back as exactly the same type.
_NATIVE: Final = frozenset({str, float, bool, type(None), bytes})
# IANA zone keys; checked before ZoneInfo sees a key that came from the data.
_CODE_TYPES: Final = frozenset(
    {
        types.FunctionType,
        types.BuiltinFunctionType,
        types.MethodType,
        types.ModuleType,
        types.LambdaType,
        type,
    }
)
_ZONE_KEY: Final = re.compile(r"[A-Za-z0-9_+\-]+(?:/[A-Za-z0-9_+\-]+)*")


class UnknownValue:
    """A value of a type this process has not registered, kept rather than lost.

    ``loads(..., unknown="placeholder")`` returns one in place of each value
    whose type name is not in the registry. ``type_name`` is the name written
    in the data, ``payload`` the decoded payload (unknown values inside it are
    placeholders too), and ``data`` the original bytes: encoding an
    ``UnknownValue`` writes those bytes back unchanged, so a process that lacks
    the class can still rewrite a checkpoint without damaging the value.
    """

    __slots__ = ("data", "payload", "type_name")

    def __init__(self, type_name: str, payload: Any, data: bytes) -> None:
        self.type_name = type_name
        self.payload = payload
        self.data = data

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, UnknownValue):
            return NotImplemented
        return self.type_name == other.type_name and self.data == other.data

    def __hash__(self) -> int:
        return hash((self.type_name, self.data))

    def __repr__(self) -> str:
        return f"UnknownValue(type_name={self.type_name!r}, payload={self.payload!r})"


class _Unencodable(Exception):  # noqa: N818 - internal signal, never escapes dumps()
    """Raised inside the encoder walk; each container on the way out adds its step."""

    def __init__(self, obj: Any, reason: str, cause: BaseException | None = None) -> None:
        super().__init__(reason)
        self.obj = obj
        self.reason = reason
        self.cause = cause
        self.steps: list[str] = []


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
        self._encoder = msgspec.msgpack.Encoder()
        self._encode = self._encoder.encode
        self._strict = msgspec.msgpack.Decoder(ext_hook=self._ext_hook_strict)
        self._lenient = msgspec.msgpack.Decoder(ext_hook=self._ext_hook_lenient)
        self._by_type: dict[type, Callable[[Any], Any]] = {
            dict: self._prep_dict,
            list: self._prep_list,
            int: _prep_int,
            tuple: self._prep_tuple,
            set: self._prep_set,
            frozenset: self._prep_frozenset,
            deque: self._prep_deque,
            bytearray: _prep_bytearray,
            complex: self._prep_complex,
            Decimal: _prep_decimal,
            uuid.UUID: _prep_uuid,
            datetime.datetime: self._prep_datetime,
            datetime.date: self._prep_date,
            datetime.time: self._prep_time,
            datetime.timedelta: self._prep_timedelta,
            datetime.timezone: self._prep_timezone,
            ZoneInfo: _prep_zoneinfo,
            UnknownValue: _prep_unknown,
        }
        self._ext_decoders: dict[int, Callable[[memoryview, _Decoder], Any]] = {
            _EXT_TUPLE: lambda data, dec: tuple(dec.decode(data)),
            _EXT_SET: lambda data, dec: set(dec.decode(data)),
            _EXT_FROZENSET: lambda data, dec: frozenset(dec.decode(data)),
            _EXT_DEQUE: _decode_deque,
            _EXT_DICT_PAIRS: _decode_pairs,
            _EXT_BYTEARRAY: lambda data, dec: bytearray(data),
            _EXT_BIGINT: lambda data, dec: int.from_bytes(data, "little", signed=True),
            _EXT_COMPLEX: lambda data, dec: complex(*dec.decode(data)),
            _EXT_DECIMAL: lambda data, dec: Decimal(str(data, "ascii")),
            _EXT_UUID: lambda data, dec: uuid.UUID(bytes=bytes(data)),
            _EXT_DATETIME: _decode_datetime,
            _EXT_DATE: lambda data, dec: datetime.date.fromordinal(dec.decode(data)),
            _EXT_TIME: _decode_time,
            _EXT_TIMEDELTA: lambda data, dec: datetime.timedelta(*dec.decode(data)),
            _EXT_TIMEZONE: _decode_timezone,
            _EXT_ZONEINFO: _decode_zoneinfo,
        }

    # --- public API ------------------------------------------------------------

    def dumps(self, obj: Any, *, path: str = "value") -> bytes:
        """Encode ``obj`` to bytes.

        ``path`` labels the root in error messages (a channel name, ``state``).
        Raises :class:`~actorgraph.errors.SerializationError` naming the path and
        type of the first value that cannot be encoded (an unregistered class,
        a function, a cycle), with the fix.
        """
        try:
            return self._header_encode(self._prep(obj))
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
        :class:`UnknownValue` instead.
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
        decoder = self._strict if unknown == "error" else self._lenient
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

    # --- encoding ----------------------------------------------------------------

    def _header_encode(self, value: Any) -> bytes:
        return _HEADER + self._encode(value)

    def _prep(self, obj: Any) -> Any:
        """``obj`` in a form msgspec writes exactly; ``obj`` itself when it already is."""
        cls = type(obj)
        if cls in _NATIVE:
            return obj
        prep = self._by_type.get(cls)
        if prep is not None:
            return prep(obj)
        entry = self.registry._entry_for_type(cls)
        if entry is None:
            raise _Unencodable(obj, _not_serializable(cls))
        return self._prep_registered(obj, entry)

    def _prep_registered(self, obj: Any, entry: _Entry) -> Ext:
        try:
            payload = entry.encode(obj)
        except Exception as error:  # a user encode hook may raise anything
            raise _Unencodable(
                obj, f"encoding {entry.name} failed: {type(error).__name__}: {error}", error
            ) from error
        try:
            payload = self._prep(payload)
        except _Unencodable as error:
            if entry.attrs and error.steps:
                # The payload is a field mapping: show ``.field``, not ``['field']``.
                last = error.steps[-1]
                if last.startswith("['") and last.endswith("']"):
                    error.steps[-1] = "." + last[2:-2]
            raise
        return Ext(_EXT_REGISTERED, self._encode((entry.name, payload)))

    # _prep_dict and _prep_items are the hot loops of every checkpoint. They are
    # written out twice on purpose: one shared (key, value) loop measured about
    # 20-40% slower on the message-history benchmark. Scalars are skipped inline,
    # dicts and lists recurse without the generic dispatch, and nothing is copied
    # unless a value inside changes.

    def _prep_dict(self, obj: dict[Any, Any]) -> Any:
        out: dict[Any, Any] | None = None
        plain_keys = True
        for key, value in obj.items():
            if type(key) is not str and not _plain_key(key):
                plain_keys = False
            cls = type(value)
            if cls is str or cls in _NATIVE:
                continue
            try:
                if cls is dict:
                    new = self._prep_dict(value)
                elif cls is list:
                    new = self._prep_items(value)
                elif cls is int and _INT_MIN <= value <= _INT_MAX:
                    continue
                else:
                    new = self._prep(value)
            except _Unencodable as error:
                error.steps.append(f"[{key!r}]")
                raise
            if new is not value:
                if out is None:
                    out = dict(obj)
                out[key] = new
        if plain_keys:
            return obj if out is None else out
        return self._prep_pairs(obj if out is None else out)

    def _prep_items(self, obj: Any) -> Any:
        """The items of a sequence or set, as a new list when one of them changed."""
        out: list[Any] | None = None
        for index, value in enumerate(obj):
            cls = type(value)
            if cls is str or cls in _NATIVE:
                continue
            try:
                if cls is dict:
                    new = self._prep_dict(value)
                elif cls is list:
                    new = self._prep_items(value)
                elif cls is int and _INT_MIN <= value <= _INT_MAX:
                    continue
                else:
                    new = self._prep(value)
            except _Unencodable as error:
                error.steps.append(f"[{index}]")
                raise
            if new is not value:
                if out is None:
                    out = list(obj)
                out[index] = new
        return obj if out is None else out

    def _prep_pairs(self, obj: dict[Any, Any]) -> Ext:
        flat: list[Any] = []
        for key, value in obj.items():
            try:
                flat.append(self._prep(key))
            except _Unencodable as error:
                error.steps.append(f"[key {key!r}]")
                raise
            flat.append(value)
        return Ext(_EXT_DICT_PAIRS, self._encode(flat))

    def _prep_list(self, obj: list[Any]) -> Any:
        return self._prep_items(obj)

    def _prep_tuple(self, obj: tuple[Any, ...]) -> Ext:
        return Ext(_EXT_TUPLE, self._encode(self._prep_items(obj)))

    def _prep_set(self, obj: set[Any]) -> Ext:
        return Ext(_EXT_SET, self._encode(self._prep_items(obj)))

    def _prep_frozenset(self, obj: frozenset[Any]) -> Ext:
        return Ext(_EXT_FROZENSET, self._encode(self._prep_items(obj)))

    def _prep_deque(self, obj: deque[Any]) -> Ext:
        return Ext(_EXT_DEQUE, self._encode((obj.maxlen, self._prep_items(list(obj)))))

    def _prep_complex(self, obj: complex) -> Ext:
        return Ext(_EXT_COMPLEX, self._encode((obj.real, obj.imag)))

    def _prep_datetime(self, obj: datetime.datetime) -> Ext:
        fields = (
            obj.year,
            obj.month,
            obj.day,
            obj.hour,
            obj.minute,
            obj.second,
            obj.microsecond,
            obj.fold,
            self._prep_tzinfo(obj.tzinfo),
        )
        return Ext(_EXT_DATETIME, self._encode(fields))

    def _prep_date(self, obj: datetime.date) -> Ext:
        return Ext(_EXT_DATE, self._encode(obj.toordinal()))

    def _prep_time(self, obj: datetime.time) -> Ext:
        fields = (
            obj.hour,
            obj.minute,
            obj.second,
            obj.microsecond,
            obj.fold,
            self._prep_tzinfo(obj.tzinfo),
        )
        return Ext(_EXT_TIME, self._encode(fields))

    def _prep_timedelta(self, obj: datetime.timedelta) -> Ext:
        return Ext(_EXT_TIMEDELTA, self._encode((obj.days, obj.seconds, obj.microseconds)))

    def _prep_tzinfo(self, tz: datetime.tzinfo | None) -> Any:
        if tz is None:
            return None
        try:
            return self._prep(tz)
        except _Unencodable as error:
            error.steps.append(".tzinfo")
            error.reason += "; use datetime.timezone or zoneinfo.ZoneInfo"
            raise

    def _prep_timezone(self, obj: datetime.timezone) -> Ext:
        offset = obj.utcoffset(None)
        name: str | None = obj.tzname(None)
        if name == datetime.timezone(offset).tzname(None):
            name = None
        return Ext(
            _EXT_TIMEZONE, self._encode((offset.days, offset.seconds, offset.microseconds, name))
        )

    # --- decoding ----------------------------------------------------------------

    def _ext_hook_strict(self, code: int, data: memoryview) -> Any:
        if code == _EXT_REGISTERED:
            name, payload = _split_registered(self._strict.decode(data))
            entry = self.registry._entry_for_name(name)
            if entry is None:
                raise DeserializationError(
                    f"cannot decode a value of type {name!r}: it is not registered. Register "
                    "the class (actorgraph.store.serde.register(cls)) or add it to the graph's "
                    "state schema; or pass unknown='placeholder' to get an UnknownValue."
                )
            return _build(entry, payload)
        return self._decode_builtin(code, data, self._strict)

    def _ext_hook_lenient(self, code: int, data: memoryview) -> Any:
        if code == _EXT_REGISTERED:
            name, payload = _split_registered(self._lenient.decode(data))
            entry = self.registry._entry_for_name(name)
            if entry is None:
                return UnknownValue(name, payload, bytes(data))
            return _build(entry, payload)
        return self._decode_builtin(code, data, self._lenient)

    def _decode_builtin(self, code: int, data: memoryview, decoder: _Decoder) -> Any:
        decode = self._ext_decoders.get(code)
        if decode is None:
            raise DeserializationError(f"corrupt serializer data: unknown extension code {code}")
        return decode(data, decoder)


# --- encoding helpers that need no serializer state -----------------------------------


def _not_serializable(cls: type) -> str:
    if cls in _CODE_TYPES:
        hint = "store data in the state, not code (functions, classes, modules)"
    else:
        hint = (
            "register the class (actorgraph.store.serde.register(cls)) or add it to the "
            "graph's state schema"
        )
    return f"type {cls.__module__}.{cls.__qualname__} is not serializable; {hint}"


def _plain_key(key: Any) -> bool:
    """Whether a map key comes back from MessagePack as itself."""
    cls = type(key)
    if cls is int:
        return bool(_INT_MIN <= key <= _INT_MAX)
    return cls is bytes or cls is float or cls is bool or key is None


def _prep_int(obj: int) -> Any:
    if _INT_MIN <= obj <= _INT_MAX:
        return obj
    return Ext(_EXT_BIGINT, obj.to_bytes((obj.bit_length() + 8) // 8, "little", signed=True))


def _prep_bytearray(obj: bytearray) -> Ext:
    return Ext(_EXT_BYTEARRAY, bytes(obj))


def _prep_decimal(obj: Decimal) -> Ext:
    return Ext(_EXT_DECIMAL, str(obj).encode("ascii"))


def _prep_uuid(obj: uuid.UUID) -> Ext:
    return Ext(_EXT_UUID, obj.bytes)


def _prep_zoneinfo(obj: ZoneInfo) -> Ext:
    if obj.key is None:
        raise _Unencodable(obj, "a ZoneInfo loaded from a file (no key) is not serializable")
    return Ext(_EXT_ZONEINFO, obj.key.encode("utf-8"))


def _prep_unknown(obj: UnknownValue) -> Ext:
    return Ext(_EXT_REGISTERED, obj.data)


# --- decoding helpers ---------------------------------------------------------------


def _split_registered(value: Any) -> tuple[str, Any]:
    if type(value) is not list or len(value) != 2 or type(value[0]) is not str:
        raise DeserializationError("corrupt serializer data: malformed registered value")
    return value[0], value[1]


def _build(entry: _Entry, payload: Any) -> Any:
    try:
        return entry.decode(payload)
    except DeserializationError:
        raise
    except Exception as error:  # a class or decode hook may raise anything
        raise DeserializationError(
            f"cannot rebuild {entry.name} from its stored payload ({type(error).__name__}: "
            f"{error}); did the class change since the data was written?"
        ) from error


def _decode_deque(data: memoryview, decoder: _Decoder) -> deque[Any]:
    maxlen, items = decoder.decode(data)
    return deque(items, maxlen)


def _decode_pairs(data: memoryview, decoder: _Decoder) -> dict[Any, Any]:
    flat = decoder.decode(data)
    if type(flat) is not list or len(flat) % 2:
        raise DeserializationError("corrupt serializer data: malformed dict")
    pairs = iter(flat)
    return dict(zip(pairs, pairs, strict=True))


def _decode_datetime(data: memoryview, decoder: _Decoder) -> datetime.datetime:
    year, month, day, hour, minute, second, microsecond, fold, tz = decoder.decode(data)
    return datetime.datetime(
        year, month, day, hour, minute, second, microsecond, _tzinfo(tz), fold=fold
    )


def _decode_time(data: memoryview, decoder: _Decoder) -> datetime.time:
    hour, minute, second, microsecond, fold, tz = decoder.decode(data)
    return datetime.time(hour, minute, second, microsecond, _tzinfo(tz), fold=fold)


def _tzinfo(tz: Any) -> datetime.tzinfo | None:
    if tz is None or isinstance(tz, datetime.tzinfo):
        return tz
    raise DeserializationError(f"corrupt serializer data: {type(tz).__name__} is not a tzinfo")


def _decode_timezone(data: memoryview, decoder: _Decoder) -> datetime.timezone:
    days, seconds, microseconds, name = decoder.decode(data)
    offset = datetime.timedelta(days, seconds, microseconds)
    return datetime.timezone(offset) if name is None else datetime.timezone(offset, name)


def _decode_zoneinfo(data: memoryview, decoder: _Decoder) -> ZoneInfo:
    key = str(data, "utf-8")
    if not _ZONE_KEY.fullmatch(key):
        raise DeserializationError(f"corrupt serializer data: bad time zone key {key!r}")
    return ZoneInfo(key)


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


def dumps(obj: Any, *, path: str = "value") -> bytes:
    """:meth:`Serializer.dumps` of :data:`default_serializer`."""
    return default_serializer.dumps(obj, path=path)


def loads(
    data: bytes | bytearray | memoryview, *, unknown: Literal["error", "placeholder"] = "error"
) -> Any:
    """:meth:`Serializer.loads` of :data:`default_serializer`."""
    return default_serializer.loads(data, unknown=unknown)
