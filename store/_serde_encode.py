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
import sys
import types
import uuid
from collections import deque
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Final
from zoneinfo import ZoneInfo

from msgspec.msgpack import Ext

from actorgraph.store._serde_codecs import _Entry, _kind_of
from actorgraph.store._serde_plain import _is_plain
from actorgraph.store._serde_registry import TypeRegistry
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
    _EXT_SURROGATES,
    _EXT_TIME,
    _EXT_TIMEDELTA,
    _EXT_TIMEZONE,
    _EXT_TUPLE,
    _EXT_UUID,
    _EXT_ZONEINFO,
    _INT_MAX,
    _INT_MIN,
    _NATIVE_AND_INT,
    _NATIVE_BUT_STR,
    UnknownValue,
)

__all__: list[str] = []

# Below this many entries the walk of a dict or list costs less than the
# plain-data test (about 0.7 µs); see benchmarks/bench_serde_fast.py.
_PLAIN_FROM: Final = 16

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

    With ``exact=False`` ints and strings are taken as native unchecked: the
    fast walk every ``dumps`` tries first. msgspec raises ``OverflowError`` for
    an int beyond 64 bits and ``UnicodeEncodeError`` for a string with a lone
    surrogate (models do emit those), and the serializer then walks again with
    ``exact=True``, which writes such values as extensions.
    """

    def __init__(
        self,
        registry: TypeRegistry,
        encode: Callable[[Any], bytes],
        *,
        exact: bool,
        deterministic: bool = False,
    ) -> None:
        self._registry = registry
        self._encode = encode
        # Deterministic walks check every value (exact) and put unordered
        # things in order: set members and non-string-keyed dict entries are
        # sorted by their encoding, string-keyed dicts by msgspec's
        # order="deterministic" (which ``encode`` must use).
        self._exact = exact or deterministic
        self._sort = deterministic
        self._key_ok = _str_key if deterministic else _plain_key
        self._scalars = _NATIVE_BUT_STR if self._exact else _NATIVE_AND_INT
        # The fast walk leaves a dict or list of at least this many entries
        # as it is when it is plain data (see _serde_plain): one C-level test
        # instead of a Python step per item. Exact walks check every value.
        self._plain_from = _PLAIN_FROM if not self._exact else sys.maxsize
        self._by_type: dict[type, Callable[[Any], Any]] = {
            dict: self._prep_dict,
            list: self._prep_items,
            int: _prep_int,
            str: _prep_str,
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
            except (TypeError, OverflowError, UnicodeEncodeError) as error:
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
            payload = self._prep_dict(payload) if type(payload) is dict else self.prep(payload)
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
        exact = self._exact
        plain_from = self._plain_from
        out: dict[Any, Any] | None = None
        plain_keys = True
        for key, value in obj.items():
            if (exact or type(key) is not str) and not self._key_ok(key):
                plain_keys = False
            cls = type(value)
            if cls in scalars:
                continue
            try:
                if cls is dict:
                    if len(value) >= plain_from and _is_plain(value):
                        continue
                    new = self._prep_dict(value)
                elif cls is list:
                    if len(value) >= plain_from and _is_plain(value):
                        continue
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
        plain_from = self._plain_from
        out: list[Any] | None = None
        for index, value in enumerate(obj):
            cls = type(value)
            if cls in scalars:
                continue
            try:
                if cls is dict:
                    if len(value) >= plain_from and _is_plain(value):
                        continue
                    new = self._prep_dict(value)
                elif cls is list:
                    if len(value) >= plain_from and _is_plain(value):
                        continue
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
        pairs: list[tuple[Any, Any]] = []
        key = None
        try:
            for key, value in obj.items():
                pairs.append((self.prep(key), value))
        except _Unencodable as error:
            error.steps.append(f"[key {key!r}]")
            raise
        if self._sort:
            pairs.sort(key=lambda pair: self._encode(pair[0]))
        return Ext(_EXT_DICT_PAIRS, self._encode([item for pair in pairs for item in pair]))

    def _prep_tuple(self, obj: tuple[Any, ...]) -> Ext:
        return Ext(_EXT_TUPLE, self._encode(self._prep_items(obj)))

    def _prep_set(self, obj: set[Any]) -> Ext:
        return Ext(_EXT_SET, self._encode(self._prep_members(obj)))

    def _prep_frozenset(self, obj: frozenset[Any]) -> Ext:
        return Ext(_EXT_FROZENSET, self._encode(self._prep_members(obj)))

    def _prep_members(self, obj: set[Any] | frozenset[Any]) -> Any:
        items = self._prep_items(obj)
        return sorted(items, key=self._encode) if self._sort else items

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
    """Why a value of ``cls`` cannot be encoded, and the fix that applies to it."""
    name = (
        cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"
    )
    kind = _kind_of(cls)
    if cls in _CODE_TYPES:
        hint = "store data in the state, not code (functions, classes, modules)"
    elif kind is not None:
        hint = (
            f"it is {kind} that is not registered: call "
            f"actorgraph.store.serde.register({cls.__name__}) or add it to the graph's "
            "state schema"
        )
    elif issubclass(cls, (dict, list, tuple, set, str, int, float, bytes)):
        hint = (
            f"it subclasses {_builtin_base(cls)}: convert it to a plain {_builtin_base(cls)} "
            "first, or register it with encode= and decode= functions"
        )
    else:
        hint = (
            f"register it with actorgraph.store.serde.register({cls.__name__}, "
            "encode=..., decode=...), turning it into data and back"
        )
    return f"type {name} is not serializable; {hint}"


def _builtin_base(cls: type) -> str:
    return next(base.__name__ for base in cls.__mro__ if base.__module__ == "builtins")


def _plain_key(key: Any) -> bool:
    """Whether a map key comes back from MessagePack as itself."""
    cls = type(key)
    if cls is int:
        return bool(_INT_MIN <= key <= _INT_MAX)
    if cls is str:
        return _prep_str(key) is key
    return cls is bytes or cls is float or cls is bool or key is None


def _str_key(key: Any) -> bool:
    """Whether a map key can stay in a map msgspec sorts: a plain string."""
    return type(key) is str and _prep_str(key) is key


def _prep_str(obj: str) -> Any:
    if obj.isascii():
        return obj
    try:
        obj.encode("utf-8")
    except UnicodeEncodeError:
        return Ext(_EXT_SURROGATES, obj.encode("utf-8", "surrogatepass"))
    return obj


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
