"""The decoder side: extension hooks that rebuild values, registered classes by name.

msgspec decodes the MessagePack structure in C and calls back here for each
extension. Only builtin extension codes and registered names are understood;
anything else raises :class:`~actorgraph.errors.DeserializationError` (or, for
an unregistered name in lenient mode, becomes an :class:`UnknownValue`).
"""

from __future__ import annotations

import datetime
import re
import uuid
from collections import deque
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Final
from zoneinfo import ZoneInfo

import msgspec

from actorgraph.channels._errors import DeserializationError
from actorgraph.store._serde_registry import TypeRegistry, _Entry
from actorgraph.store._serde_wire import (
    _EXT_BIGINT,
    _EXT_BYTEARRAY,
    _EXT_COMPLEX,
    _EXT_DATE,
    _EXT_DATETIME,
    _EXT_DECIMAL,
    _EXT_DEQUE,
    _EXT_DICT_PAIRS,
    _EXT_FROZENSET,
    _EXT_NATIVE,
    _EXT_REGISTERED,
    _EXT_SET,
    _EXT_TIME,
    _EXT_TIMEDELTA,
    _EXT_TIMEZONE,
    _EXT_TUPLE,
    _EXT_UUID,
    _EXT_ZONEINFO,
    UnknownValue,
)

__all__: list[str] = []

_Decoder = msgspec.msgpack.Decoder[Any]

# IANA zone keys; checked before ZoneInfo sees a key that came from the data.
_ZONE_KEY: Final = re.compile(r"[A-Za-z0-9_+\-]+(?:/[A-Za-z0-9_+\-]+)*")


class _Decoding:
    """The two msgspec decoders of a serializer: strict, and with placeholders."""

    def __init__(self, registry: TypeRegistry) -> None:
        self.registry = registry
        self.strict = msgspec.msgpack.Decoder(ext_hook=self._ext_hook_strict)
        self.lenient = msgspec.msgpack.Decoder(ext_hook=self._ext_hook_lenient)
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

    def _ext_hook_strict(self, code: int, data: memoryview) -> Any:
        if code == _EXT_REGISTERED:
            name, payload = _split_registered(self.strict.decode(data))
            return _build(self._entry_or_raise(name), payload)
        if code == _EXT_NATIVE:
            name, raw = _split_native(data)
            return _build_native(self._entry_or_raise(name), raw)
        return self._decode_builtin(code, data, self.strict)

    def _ext_hook_lenient(self, code: int, data: memoryview) -> Any:
        if code == _EXT_REGISTERED:
            name, payload = _split_registered(self.lenient.decode(data))
            entry = self.registry._entry_for_name(name)
            if entry is None:
                return UnknownValue(name, payload, bytes(data))
            return _build(entry, payload)
        if code == _EXT_NATIVE:
            name, raw = _split_native(data)
            entry = self.registry._entry_for_name(name)
            if entry is None:
                return UnknownValue(name, self.lenient.decode(raw), bytes(data), native=True)
            return _build_native(entry, raw)
        return self._decode_builtin(code, data, self.lenient)

    def _entry_or_raise(self, name: str) -> _Entry:
        entry = self.registry._entry_for_name(name)
        if entry is None:
            raise DeserializationError(
                f"cannot decode a value of type {name!r}: it is not registered. Register "
                "the class (actorgraph.store.serde.register(cls)) or add it to the graph's "
                "state schema; or pass unknown='placeholder' to get an UnknownValue."
            )
        return entry

    def _decode_builtin(self, code: int, data: memoryview, decoder: _Decoder) -> Any:
        decode = self._ext_decoders.get(code)
        if decode is None:
            raise DeserializationError(f"corrupt serializer data: unknown extension code {code}")
        return decode(data, decoder)


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


def _split_native(data: memoryview) -> tuple[str, memoryview]:
    end = data[0] + 1 if data else 0
    if end < 2 or end > len(data):
        raise DeserializationError("corrupt serializer data: malformed native value")
    return str(data[1:end], "utf-8"), data[end:]


def _build_native(entry: _Entry, raw: memoryview) -> Any:
    if entry.native is None:
        return _build(entry, msgspec.msgpack.decode(raw))
    try:
        return entry.native.decode(raw)
    except msgspec.ValidationError as error:
        raise DeserializationError(
            f"cannot rebuild {entry.name} from its stored payload ({error}); did the class "
            "change since the data was written?"
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
