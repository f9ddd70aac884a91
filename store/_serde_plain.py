"""The fast path's test: is a value plain data that msgspec writes exactly as is?

Plain means made only of ``str``, ``int``, ``float``, ``bool``, ``None`` and
``bytes`` inside ``dict`` and ``list`` (exact types: no subclasses, so no
``StrEnum``/``IntEnum``, no ``NamedTuple``), with dict keys of those scalar
types (only ``str`` keys when ``deterministic``). Such a value comes back from
MessagePack as itself, and the encoder walk (:mod:`actorgraph.store._serde_encode`)
would return it unchanged, so its bytes are msgspec's encoding of the value
itself: the fast path writes the very same bytes as the general one.

Two values the walk would change are left to msgspec to reject: ints beyond
64 bits (``OverflowError``) and strings with lone surrogates
(``UnicodeEncodeError``); the serializer then takes the general path.

The test runs level by level rather than item by item: everything at one
depth is gathered and its types collected by C-level calls, so the Python
work grows with the depth of the value, not with its size. Both tests give up
(say "not plain") past :data:`_MAX_DEPTH` levels, which also stops them on
reference cycles: the general path reports those.

- :func:`_is_plain_traversed` gathers a level with one ``gc.get_referents``
  call, which lists the values of dicts and the items of lists without a
  Python iterator per container (the cost that dominates states made of many
  small dicts). CPython 3.10-3.12 visit every value of a dict, and its keys
  too unless the dict's table holds only exact ``str`` keys (a table any other
  key converts): so every key that is not an exact ``str`` is type-checked
  with the values. Used only on those versions, and only when a probe at
  import confirms it (from 3.13 an instance's ``__dict__`` may leave its values
  for the instance to report).
- :func:`_is_plain_explicit` gathers keys and values with ``chain`` over the
  containers; any Python, and the deterministic test (keys must be ``str``).
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable
from itertools import chain, compress, repeat
from operator import is_
from typing import Any, Final

__all__ = ["all_plain"]

# Scalars msgspec writes and reads back as the same type and value.
_SCALARS: Final = frozenset({str, int, float, bool, type(None), bytes})
_PLAIN: Final = _SCALARS | {dict, list}

# Deeper values (and cycles) go the general way, which walks them recursively.
_MAX_DEPTH: Final = 64

_flatten = chain.from_iterable
_values = dict.values
_referents = gc.get_referents


def _is_plain_traversed(obj: Any) -> bool:
    """Whether msgspec encodes ``obj`` exactly as the (non-deterministic) walk would.

    Only valid where :func:`_traversal_lists_everything` holds.
    """
    cls = type(obj)
    if cls is not dict and cls is not list:
        return cls in _SCALARS
    level = _referents(obj)
    if len(level) > 1:
        # Records are alike: when the first one is not plain, say so before
        # testing them all (the walk that follows is the cost that remains).
        head = type(level[0])
        if (head is dict or head is list) and not _levels_plain(_referents(level[0])):
            return False
    return _levels_plain(level)


def _levels_plain(level: list[Any]) -> bool:
    """Whether the values of one level, and all the levels below, are plain."""
    for _ in range(_MAX_DEPTH):
        if not level:
            return True
        kinds = list(map(type, level))
        first = kinds[0]
        # list.count compares by identity first: a level of one type (the
        # common case) costs one fast pass; a level whose ends differ is
        # mixed for sure and goes straight to a set.
        if kinds[-1] is first and kinds.count(first) == len(kinds):
            if first in _SCALARS:
                return True
            if first is not dict and first is not list:
                return False
        else:
            types = set(kinds)
            if types <= _SCALARS:
                return True
            if not types <= _PLAIN:
                return False
        # The scalars have no referents: this is the next level down.
        level = _referents(*level)
    return False


def _is_plain_explicit(obj: Any, *, deterministic: bool = False) -> bool:
    """Whether msgspec encodes ``obj`` exactly as the walk would.

    ``deterministic`` also requires every dict key to be a ``str`` (the
    deterministic walk writes other keys as sorted pairs).
    """
    cls = type(obj)
    dicts: list[Any]
    lists: list[Any]
    if cls is dict:
        dicts, lists = [obj], []
    elif cls is list:
        dicts, lists = [], [obj]
    else:
        return cls in _SCALARS
    for _ in range(_MAX_DEPTH):
        if dicts:
            keys = list(map(type, dicts[0] if len(dicts) == 1 else _flatten(dicts)))
            # A dict's keys are hashable, so never dicts or lists themselves.
            if keys.count(str) != len(keys) and (deterministic or not set(keys) <= _SCALARS):
                return False
        # Everything one level down: dict values, then list items.
        if not lists and len(dicts) == 1:
            inside = list(dicts[0].values())
        elif not dicts and len(lists) == 1:
            inside = lists[0]
        else:
            inside = [*_flatten(map(_values, dicts)), *_flatten(lists)]
        if not inside:
            return True
        kinds = list(map(type, inside))
        first = kinds[0]
        if kinds[-1] is first and kinds.count(first) == len(kinds):
            if first in _SCALARS:
                return True
            if first is dict:
                dicts, lists = inside, []
            elif first is list:
                dicts, lists = [], inside
            else:
                return False
            continue
        types = set(kinds)
        if types <= _SCALARS:
            return True
        if not types <= _PLAIN:
            return False
        dicts = list(compress(inside, map(is_, kinds, repeat(dict)))) if dict in types else []
        lists = list(compress(inside, map(is_, kinds, repeat(list)))) if list in types else []
    return False


def _traversal_lists_everything() -> bool:
    """Whether ``gc.get_referents`` gives what :func:`_is_plain_traversed` needs:
    every item of a list, every value of a dict (instance dicts included), and
    the keys of a dict holding a key that is not an exact ``str``."""
    if sys.implementation.name != "cpython" or sys.version_info >= (3, 13):
        return False

    class _Probe:
        value: bytearray

    class _Key(str):
        pass

    value = bytearray()
    probe = _Probe()
    probe.value = value
    key = (1,)
    sub_key = _Key("k")
    cases: list[tuple[Any, list[Any]]] = [
        ([value, 1], [value]),
        ({"a": value, "b": 1}, [value]),
        ({"a": 1}, [1]),
        (probe.__dict__, [value]),
        ({key: value}, [key, value]),
        ({"a": 1, sub_key: value}, [sub_key, value]),
        ({"a": value, 5: 1}, [5, value]),
    ]
    for container, expected in cases:
        found = _referents(container)
        if not all(any(item is x for x in found) for item in expected):
            return False
    return True


_TRAVERSAL_OK: Final = _traversal_lists_everything()

_is_plain: Final[Callable[[Any], bool]] = (
    _is_plain_traversed if _TRAVERSAL_OK else _is_plain_explicit
)
"""The fastest sound test of this interpreter (non-deterministic encoding)."""


def _is_plain_sorted(obj: Any) -> bool:
    """The test for deterministic encoding: plain, and every dict key a ``str``."""
    return _is_plain_explicit(obj, deterministic=True)


def all_plain(values: list[Any]) -> bool:
    """Whether every value of ``values`` is plain data, by one test of them all.

    Each value then passes ``Serializer.check`` (plain data always encodes);
    a batch of many values shares the test's fixed cost, and its levels are
    tested together. ``False`` says only that one value (or more) is not
    plain: check them one by one to learn which and why.
    """
    # A list holding the values is plain exactly when each value is (one level
    # deeper: a value at the depth limit is sent to the one-by-one check).
    return _is_plain(values)
