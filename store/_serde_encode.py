"""The encoder walk: turns a value into what msgspec writes exactly.

msgspec writes tuples, sets, datetimes, dataclasses and the like natively but
reads them back as lists, strings and dicts, so before encoding the value is
walked once: every value that would not come back as itself becomes an
extension (``Ext``) that says what it was. Plain JSON-like data is returned as
is, without a copy. A value that cannot be encoded raises :class:`_Unencodable`,
to which every container on the way out adds its step of the path.
"""

from __future__ import annotations

import datetime
import types
import uuid
from collections import deque
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Final
from zoneinfo import ZoneInfo

from msgspec.msgpack import Ext

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
    _INT_MAX,
    _INT_MIN,
    _NATIVE,
    _NATIVE_AND_INT,
    UnknownValue,
)

__all__: list[str] = []

# Types of code rather than data, named as such in encoding errors.
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


class _Unencodable(Exception):  # noqa: N818 - internal signal, never escapes dumps()
    """Raised inside the walk; each container on the way out adds its step."""

    def __init__(self, obj: Any, reason: str, cause: BaseException | None = None) -> None:
        super().__init__(reason)
        self.obj = obj
        self.reason = reason
        self.cause = cause
        self.steps: list[str] = []


class _Walker:
    """One walk strategy over a registry.

    With ``exact_ints=False`` ints are taken as native without a range check:
    the fast walk every ``dumps`` tries first. msgspec raises ``OverflowError``
    for an int beyond 64 bits, and the serializer then walks again with
    ``exact_ints=True``, which writes such ints as extensions.
    """

    def __init__(
        self, registry: TypeRegistry, encode: Callable[[Any], bytes], *, exact_ints: bool
    ) -> None:
        self._registry = registry
        self._encode = encode
        self._scalars = _NATIVE if exact_ints else _NATIVE_AND_INT
        self._by_type: dict[type, Callable[[Any], Any]] = {
            dict: self._prep_dict,
            list: self._prep_items,
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

    def prep(self, obj: Any) -> Any:
        """``obj`` in a form msgspec writes exactly; ``obj`` itself when it already is."""
        cls = type(obj)
        if cls in self._scalars:
            return obj
        prep = self._by_type.get(cls)
        if prep is not None:
            return prep(obj)
        entry = self._registry._entry_for_type(cls)
        if entry is None:
            raise _Unencodable(obj, _not_serializable(cls))
        return self._prep_registered(obj, entry)

    def _prep_registered(self, obj: Any, entry: _Entry) -> Ext:
        if entry.native is not None:
            try:
                return Ext(_EXT_NATIVE, entry.prefix + self._encode(obj))
            except (TypeError, OverflowError) as error:
                raise _Unencodable(
                    obj,
                    f"{entry.name} is registered native=True, but msgspec cannot encode it: {error}",
                    error,
                ) from error
        try:
            payload = entry.encode(obj)
        except Exception as error:  # a user encode hook may raise anything
            raise _Unencodable(
                obj, f"encoding {entry.name} failed: {type(error).__name__}: {error}", error
            ) from error
        try:
            payload = self.prep(payload)
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
        scalars = self._scalars
        out: dict[Any, Any] | None = None
        plain_keys = True
        for key, value in obj.items():
            if type(key) is not str and not _plain_key(key):
                plain_keys = False
            cls = type(value)
            if cls is str or cls in scalars:
                continue
            try:
                if cls is dict:
                    new = self._prep_dict(value)
                elif cls is list:
                    new = self._prep_items(value)
                else:
                    new = self.prep(value)
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
        scalars = self._scalars
        out: list[Any] | None = None
        for index, value in enumerate(obj):
            cls = type(value)
            if cls is str or cls in scalars:
                continue
            try:
                if cls is dict:
                    new = self._prep_dict(value)
                elif cls is list:
                    new = self._prep_items(value)
                else:
                    new = self.prep(value)
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
                flat.append(self.prep(key))
            except _Unencodable as error:
                error.steps.append(f"[key {key!r}]")
                raise
            flat.append(value)
        return Ext(_EXT_DICT_PAIRS, self._encode(flat))

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
            return self.prep(tz)
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
    return Ext(obj._code, obj.data)
