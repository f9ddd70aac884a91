"""The serializer's wire format: header, extension codes, and the placeholder type.

Shared by the encoder (:mod:`actorgraph.store._serde_encode`), the decoder
(:mod:`actorgraph.store._serde_decode`) and the public face
(:mod:`actorgraph.store.serde`). Changing a code or a payload layout means a new
``FORMAT_VERSION`` and a reader kept for the old one.
"""

from __future__ import annotations

from typing import Any, Final

__all__ = ["FORMAT_VERSION", "TYPE_TAG", "UnknownValue"]

FORMAT_VERSION: Final = 1
"""The version byte written after the magic byte; readers accept it and older ones."""

TYPE_TAG: Final = "actorgraph-msgpack"
"""The type tag :meth:`Serializer.dumps_typed` pairs with its bytes."""

# 0xC1 is the one byte MessagePack never uses, so no plain MessagePack document
# (nor JSON text, nor a pickled object) starts with it.
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
_EXT_SURROGATES: Final = 17  # a str with lone surrogates, UTF-8 with surrogatepass
_EXT_REGISTERED: Final = 32
# A class registered native=True: one byte giving the length of the UTF-8 name,
# the name, then msgspec's own encoding of the instance. Cheaper to split than
# a (name, payload) array on this hottest path.
_EXT_NATIVE: Final = 33

# Values msgspec writes and reads back as exactly the same type. Ints within 64
# bits and strings without lone surrogates are too; the encoder assumes they
# are and retries when one is not.
_NATIVE_BUT_STR: Final = frozenset({float, bool, type(None), bytes})
_NATIVE_AND_INT: Final = _NATIVE_BUT_STR | {str, int}
_INT_MIN: Final = -(2**63)
_INT_MAX: Final = 2**64 - 1


class UnknownValue:
    """A value of a type this process has not registered, kept rather than lost.

    ``loads(..., unknown="placeholder")`` returns one in place of each value
    whose type name is not in the registry. ``type_name`` is the name written
    in the data, ``payload`` the decoded payload (unknown values inside it are
    placeholders too), and ``data`` the original bytes: encoding an
    ``UnknownValue`` writes those bytes back unchanged, so a process that lacks
    the class can still rewrite a checkpoint without damaging the value.
    """

    __slots__ = ("_code", "data", "payload", "type_name")

    def __init__(self, type_name: str, payload: Any, data: bytes, *, native: bool = False) -> None:
        self.type_name = type_name
        self.payload = payload
        self.data = data
        self._code = _EXT_NATIVE if native else _EXT_REGISTERED

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, UnknownValue):
            return NotImplemented
        return self.type_name == other.type_name and self.data == other.data

    def __hash__(self) -> int:
        return hash((self.type_name, self.data))

    def __repr__(self) -> str:
        return f"UnknownValue(type_name={self.type_name!r}, payload={self.payload!r})"
