"""Conflict-free replicated data types, usable as state values and as reducers.

Each CRDT is an immutable :class:`msgspec.Struct` (so the serializer encodes
it) whose ``merge`` is the join of a semilattice: associative, commutative and
idempotent. Replicas that have seen the same updates hold equal values,
whatever the order, grouping or repetition of the merges. Operations
(``increment``, ``add``, ``remove``, ``set``) return a new value and never
mutate.

Use one as a state key with its merge as the reducer::

    class State(TypedDict):
        hits: Annotated[GCounter, merge]

A node then returns the *whole* new state of the key, not a delta:
``{"hits": state["hits"].increment("node-a")}``. Parallel nodes that do so
with distinct replica ids never lose an increment. ``merge`` (and every
class's ``merge`` method) is declared commutative and idempotent, so the
engine may fold such writes in arrival order.

Replica ids must be unique per concurrent writer (a node name, or a task id
for ``Send`` fan-outs): two writers sharing one id can overwrite each other.

Everything here is pure and synchronous; nothing blocks or awaits, so there
is nothing to cancel. ``examples/channels_crdt.py`` shows them at work.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Generic, Protocol, TypeVar

import msgspec
from typing_extensions import Self

from actorgraph.channels.binop import reducer

__all__ = [
    "CRDT",
    "GCounter",
    "GSet",
    "LWWMap",
    "LWWRegister",
    "MVEntry",
    "MVRegister",
    "ORMap",
    "ORSet",
    "PNCounter",
    "TwoPhaseSet",
    "merge",
]

T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")


class CRDT(Protocol):
    """What every CRDT offers: a join with another state of its own type."""

    def merge(self, other: Self, /) -> Self:
        """The least upper bound of ``self`` and ``other``."""
        ...


C = TypeVar("C", bound=CRDT)


@reducer(commutative=True, idempotent=True)
def merge(acc: C, value: C) -> C:
    """Reducer for CRDT state keys: ``Annotated[GCounter, merge]``.

    Raises :class:`TypeError` when the two values are not the same CRDT type.
    """
    return acc.merge(value)


def _same_type(left: object, right: object) -> None:
    if type(right) is not type(left):
        raise TypeError(
            f"cannot merge {type(right).__name__} into {type(left).__name__}: "
            "a CRDT merges only with a state of its own type"
        )


def _join_clocks(left: dict[str, int], right: dict[str, int]) -> dict[str, int]:
    """Pointwise maximum; returns an input unchanged when it already dominates."""
    if right is left or not right:
        return left
    if not left:
        return right
    joined: dict[str, int] | None = None
    for replica, count in right.items():
        if count > left.get(replica, 0):
            if joined is None:
                joined = dict(left)
            joined[replica] = count
    return left if joined is None else joined


def _order_key(value: object) -> bytes:
    """A total order on arbitrary values, to break ties deterministically."""
    try:
        return msgspec.msgpack.encode(value)
    except (TypeError, ValueError):
        return repr(value).encode()


def _check_amount(kind: str, amount: int) -> None:
    if amount < 0:
        raise ValueError(
            f"{kind}: amount must be >= 0, got {amount}; use a PNCounter to count down"
        )


# --- counters ---------------------------------------------------------------------


class GCounter(msgspec.Struct, frozen=True, omit_defaults=True, gc=False):
    """A grow-only counter: one count per replica; the value is their sum.

    ``merge`` takes the larger count of each replica.
    """

    counts: dict[str, int] = msgspec.field(default_factory=dict)

    @property
    def value(self) -> int:
        """The total count."""
        return sum(self.counts.values())

    def increment(self, replica: str, amount: int = 1) -> GCounter:
        """A counter with ``replica``'s count raised by ``amount``.

        Raises :class:`ValueError` for a negative amount.
        """
        _check_amount("GCounter.increment", amount)
        if amount == 0:
            return self
        counts = dict(self.counts)
        counts[replica] = counts.get(replica, 0) + amount
        return GCounter(counts)

    def merge(self, other: GCounter) -> GCounter:
        """The counter that has seen both; raises :class:`TypeError` for another type."""
        _same_type(self, other)
        counts = _join_clocks(self.counts, other.counts)
        if counts is self.counts:
            return self
        return other if counts is other.counts else GCounter(counts)


class PNCounter(msgspec.Struct, frozen=True, omit_defaults=True, gc=False):
    """A counter that goes up and down: two :class:`GCounter`\\ s, increments minus decrements."""

    increments: GCounter = msgspec.field(default_factory=GCounter)
    decrements: GCounter = msgspec.field(default_factory=GCounter)

    @property
    def value(self) -> int:
        """Increments minus decrements."""
        return self.increments.value - self.decrements.value

    def increment(self, replica: str, amount: int = 1) -> PNCounter:
        """A counter raised by ``amount`` (lowered when it is negative)."""
        if amount < 0:
            return self.decrement(replica, -amount)
        return PNCounter(self.increments.increment(replica, amount), self.decrements)

    def decrement(self, replica: str, amount: int = 1) -> PNCounter:
        """A counter lowered by ``amount`` (raised when it is negative)."""
        if amount < 0:
            return self.increment(replica, -amount)
        return PNCounter(self.increments, self.decrements.increment(replica, amount))

    def merge(self, other: PNCounter) -> PNCounter:
        """The counter that has seen both; raises :class:`TypeError` for another type."""
        _same_type(self, other)
        return PNCounter(
            self.increments.merge(other.increments), self.decrements.merge(other.decrements)
        )


# --- registers --------------------------------------------------------------------


class LWWRegister(msgspec.Struct, Generic[T], frozen=True, omit_defaults=True):
    """A last-writer-wins register: the write with the largest ``(timestamp, replica)``.

    ``timestamp`` is any number that grows (a Lamport clock by default, or
    wall-clock seconds if every replica uses them); ``None`` means never set.
    Two writes with the same timestamp and replica (a replica reusing a
    timestamp) are ordered by their encoded value, so merge stays a join.
    ``deleted`` marks a register cleared by :meth:`clear`.
    """

    value: T | None = None
    timestamp: float | None = None
    replica: str = ""
    deleted: bool = False

    @property
    def is_set(self) -> bool:
        """Whether a value was set and not cleared since."""
        return self.timestamp is not None and not self.deleted

    def _next(self, timestamp: float | None) -> float:
        if timestamp is None:
            return 1 if self.timestamp is None else self.timestamp + 1
        if timestamp != timestamp:  # NaN has no place in a total order
            raise ValueError("LWWRegister: timestamp must be a number, not NaN")
        return timestamp

    def set(self, value: T, *, replica: str, timestamp: float | None = None) -> LWWRegister[T]:
        """The register after ``replica`` writes ``value`` at ``timestamp``.

        Without a timestamp, one more than the current (a Lamport clock), so
        the write wins over everything this replica has seen. A write older
        than the current value loses, as it would on any other replica.
        """
        return self.merge(LWWRegister(value, self._next(timestamp), replica))

    def clear(self, *, replica: str, timestamp: float | None = None) -> LWWRegister[T]:
        """The register after ``replica`` clears it (a write of "no value")."""
        return self.merge(LWWRegister(None, self._next(timestamp), replica, deleted=True))

    def merge(self, other: LWWRegister[T]) -> LWWRegister[T]:
        """The later of the two writes; raises :class:`TypeError` for another type."""
        _same_type(self, other)
        if other.timestamp is None:
            return self
        if self.timestamp is None:
            return other
        mine = (self.timestamp, self.replica)
        theirs = (other.timestamp, other.replica)
        if mine != theirs:
            return self if mine > theirs else other
        if self == other:
            return self
        tie_mine = (self.deleted, _order_key(self.value))
        return self if tie_mine >= (other.deleted, _order_key(other.value)) else other


class MVEntry(msgspec.Struct, Generic[T], frozen=True):
    """One value of an :class:`MVRegister` with the version vector of its write."""

    value: T
    clock: dict[str, int]


def _dominated(clock: dict[str, int], by: dict[str, int]) -> bool:
    """Whether ``clock`` happened strictly before ``by``."""
    return clock != by and all(count <= by.get(replica, 0) for replica, count in clock.items())


def _entry_key(entry: MVEntry[Any]) -> tuple[tuple[tuple[str, int], ...], bytes]:
    return (tuple(sorted(entry.clock.items())), _order_key(entry.value))


class MVRegister(msgspec.Struct, Generic[T], frozen=True, omit_defaults=True):
    """A multi-value register: concurrent writes are all kept until one supersedes them.

    Each write carries a version vector; ``merge`` keeps the writes that no
    other write happened after. :attr:`values` has one value after a write
    that saw all others, several ("siblings") after concurrent writes.
    """

    entries: tuple[MVEntry[T], ...] = ()

    @property
    def values(self) -> tuple[T, ...]:
        """The current values, in a deterministic order."""
        return tuple(entry.value for entry in self.entries)

    def set(self, value: T, *, replica: str) -> MVRegister[T]:
        """The register after ``replica`` writes ``value``, superseding every value it holds."""
        clock: dict[str, int] = {}
        for entry in self.entries:
            clock = _join_clocks(clock, entry.clock)
        clock = dict(clock)
        clock[replica] = clock.get(replica, 0) + 1
        return MVRegister((MVEntry(value, clock),))

    def merge(self, other: MVRegister[T]) -> MVRegister[T]:
        """The writes of both that nothing superseded; raises :class:`TypeError` for another type."""
        _same_type(self, other)
        if other.entries == self.entries or not other.entries:
            return self
        if not self.entries:
            return other
        pool = {_entry_key(entry): entry for entry in (*self.entries, *other.entries)}
        kept = [
            pool[key]
            for key in sorted(pool)
            if not any(_dominated(pool[key].clock, entry.clock) for entry in pool.values())
        ]
        return MVRegister(tuple(kept))


# --- sets -------------------------------------------------------------------------


class GSet(msgspec.Struct, Generic[T], frozen=True, omit_defaults=True):
    """A grow-only set; ``merge`` is the union."""

    items: frozenset[T] = frozenset()

    def add(self, *elements: T) -> GSet[T]:
        """The set with ``elements`` added."""
        return GSet(self.items.union(elements))

    def __contains__(self, element: object) -> bool:
        return element in self.items

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def merge(self, other: GSet[T]) -> GSet[T]:
        """The union; raises :class:`TypeError` for another type."""
        _same_type(self, other)
        if other.items <= self.items:
            return self
        if self.items <= other.items:
            return other
        return GSet(self.items | other.items)


class TwoPhaseSet(msgspec.Struct, Generic[T], frozen=True, omit_defaults=True):
    """A set whose elements can be removed once, never to return.

    Two grow-only sets: ``added`` and the tombstones ``removed``; an element
    is present when added and not removed. Use :class:`ORSet` to re-add.
    """

    added: frozenset[T] = frozenset()
    removed: frozenset[T] = frozenset()

    @property
    def items(self) -> frozenset[T]:
        """The elements present."""
        return self.added - self.removed

    def __contains__(self, element: object) -> bool:
        return element in self.added and element not in self.removed

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.added - self.removed)

    def add(self, element: T) -> TwoPhaseSet[T]:
        """The set with ``element`` added; raises :class:`ValueError` if it was removed before."""
        if element in self.removed:
            raise ValueError(
                f"TwoPhaseSet: {element!r} was removed and cannot be added again; "
                "use an ORSet for elements that come back"
            )
        return TwoPhaseSet(self.added | {element}, self.removed)

    def remove(self, element: T) -> TwoPhaseSet[T]:
        """The set without ``element``; raises :class:`KeyError` if it is not present."""
        if element not in self:
            raise KeyError(element)
        return TwoPhaseSet(self.added, self.removed | {element})

    def merge(self, other: TwoPhaseSet[T]) -> TwoPhaseSet[T]:
        """Union of additions and of removals; raises :class:`TypeError` for another type."""
        _same_type(self, other)
        return TwoPhaseSet(self.added | other.added, self.removed | other.removed)


class ORSet(msgspec.Struct, Generic[T], frozen=True, omit_defaults=True):
    """An observed-remove set: add wins over a concurrent remove; elements may return.

    Each add is tagged ``(replica, n)`` with the replica's next counter;
    ``clock`` records the highest counter seen from each replica. A remove
    drops the tags it observed, and a merge drops a tag that one side has seen
    (its clock covers it) but no longer holds: it was removed there. No
    tombstones accumulate (the "OR-Set without tombstones" design).
    """

    entries: frozenset[tuple[T, str, int]] = frozenset()
    clock: dict[str, int] = msgspec.field(default_factory=dict)

    @property
    def items(self) -> frozenset[T]:
        """The elements present."""
        return frozenset(element for element, _, _ in self.entries)

    def __contains__(self, element: object) -> bool:
        return any(entry[0] == element for entry in self.entries)

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def add(self, element: T, *, replica: str) -> ORSet[T]:
        """The set with ``element`` added by ``replica``."""
        counter = self.clock.get(replica, 0) + 1
        clock = dict(self.clock)
        clock[replica] = counter
        return ORSet(self.entries | {(element, replica, counter)}, clock)

    def remove(self, element: T) -> ORSet[T]:
        """The set without ``element``; raises :class:`KeyError` if it is not present."""
        kept = frozenset(entry for entry in self.entries if entry[0] != element)
        if len(kept) == len(self.entries):
            raise KeyError(element)
        return ORSet(kept, self.clock)

    def merge(self, other: ORSet[T]) -> ORSet[T]:
        """The set that has seen both; raises :class:`TypeError` for another type."""
        _same_type(self, other)
        mine, theirs = self.entries, other.entries
        kept = set(mine & theirs)
        kept.update(entry for entry in mine - theirs if entry[2] > other.clock.get(entry[1], 0))
        kept.update(entry for entry in theirs - mine if entry[2] > self.clock.get(entry[1], 0))
        return ORSet(frozenset(kept), _join_clocks(self.clock, other.clock))


# --- maps -------------------------------------------------------------------------


class LWWMap(msgspec.Struct, Generic[K, V], frozen=True, omit_defaults=True):
    """A map whose every key is an :class:`LWWRegister`; removal is a timestamped clear.

    Keys must be msgspec-encodable map keys (``str``, ``int``, ...).
    """

    entries: dict[K, LWWRegister[V]] = msgspec.field(default_factory=dict)

    @property
    def items(self) -> dict[K, V]:
        """The live keys and their values, as a new dict."""
        return {key: entry.value for key, entry in self.entries.items() if not entry.deleted}  # type: ignore[misc]  # live entries hold a value

    def get(self, key: K, default: V | None = None) -> V | None:
        """The value of ``key``, or ``default`` when it is absent or removed."""
        entry = self.entries.get(key)
        if entry is None or entry.deleted:
            return default
        return entry.value

    def __contains__(self, key: object) -> bool:
        entry = self.entries.get(key)  # type: ignore[arg-type]  # any key may be asked
        return entry is not None and not entry.deleted

    def __len__(self) -> int:
        return sum(1 for entry in self.entries.values() if not entry.deleted)

    def _with(self, key: K, entry: LWWRegister[V]) -> LWWMap[K, V]:
        current = self.entries.get(key)
        merged = entry if current is None else current.merge(entry)
        if merged is current:
            return self
        entries = dict(self.entries)
        entries[key] = merged
        return LWWMap(entries)

    def set(
        self, key: K, value: V, *, replica: str, timestamp: float | None = None
    ) -> LWWMap[K, V]:
        """The map after ``replica`` sets ``key`` (a Lamport timestamp by default)."""
        current = self.entries.get(key, LWWRegister[V]())
        return self._with(key, current.set(value, replica=replica, timestamp=timestamp))

    def remove(self, key: K, *, replica: str, timestamp: float | None = None) -> LWWMap[K, V]:
        """The map after ``replica`` removes ``key``; a later set brings it back."""
        current = self.entries.get(key, LWWRegister[V]())
        return self._with(key, current.clear(replica=replica, timestamp=timestamp))

    def merge(self, other: LWWMap[K, V]) -> LWWMap[K, V]:
        """Each key's later write; raises :class:`TypeError` for another type."""
        _same_type(self, other)
        if not other.entries or other.entries is self.entries:
            return self
        entries = dict(self.entries)
        for key, theirs in other.entries.items():
            mine = entries.get(key)
            entries[key] = theirs if mine is None else mine.merge(theirs)
        return LWWMap(entries)


class ORMap(msgspec.Struct, Generic[K, V], frozen=True, omit_defaults=True):
    """A map from keys to nested CRDTs (a map of counters, of sets, ...).

    Key presence is an :class:`ORSet` (an update wins over a concurrent
    remove); each key's value is the merge of every value written for it.
    A remove hides the key without resetting its value: when the key comes
    back, it shows everything it ever held. Use :class:`LWWMap` for values that
    should be replaced rather than merged.
    """

    # ``V`` is left unbounded (not ``CRDT``): msgspec must be able to decode an
    # unparametrized ``ORMap``, and it cannot decode into a Protocol.
    keys: ORSet[K] = msgspec.field(default_factory=ORSet)
    values: dict[K, V] = msgspec.field(default_factory=dict)

    @property
    def items(self) -> dict[K, V]:
        """The present keys and their values, as a new dict."""
        present = self.keys.items
        return {key: value for key, value in self.values.items() if key in present}

    def get(self, key: K, default: V | None = None) -> V | None:
        """The value of ``key``, or ``default`` when it is absent or removed."""
        if key in self.keys:
            return self.values.get(key, default)
        return default

    def __contains__(self, key: object) -> bool:
        return key in self.keys

    def __len__(self) -> int:
        return len(self.keys)

    def update(self, key: K, value: V, *, replica: str) -> ORMap[K, V]:
        """The map with ``value`` merged into ``key``'s value, by ``replica``.

        Typically ``m.update(k, m.get(k, GCounter()).increment("r1"), replica="r1")``.
        Raises :class:`TypeError` when ``value`` is not of the key's CRDT type.
        """
        current = self.values.get(key)
        values = dict(self.values)
        values[key] = value if current is None else _merged(current, value)
        return ORMap(self.keys.add(key, replica=replica), values)

    def remove(self, key: K) -> ORMap[K, V]:
        """The map without ``key``; raises :class:`KeyError` if it is not present."""
        return ORMap(self.keys.remove(key), self.values)

    def merge(self, other: ORMap[K, V]) -> ORMap[K, V]:
        """Keys as an OR-Set, values merged per key; raises :class:`TypeError` for another type."""
        _same_type(self, other)
        values = dict(self.values)
        for key, theirs in other.values.items():
            mine = values.get(key)
            values[key] = theirs if mine is None else _merged(mine, theirs)
        return ORMap(self.keys.merge(other.keys), values)


def _merged(mine: Any, theirs: Any) -> Any:
    if not hasattr(mine, "merge"):
        raise TypeError(
            f"ORMap values must be CRDTs with a merge method, not {type(mine).__name__}"
        )
    return mine.merge(theirs)


def _declare_merges(*classes: type[Any]) -> None:
    for cls in classes:
        reducer(commutative=True, idempotent=True)(cls.merge)


# ``Annotated[GCounter, GCounter.merge]`` then declares the same algebra as ``merge``.
_declare_merges(
    GCounter, PNCounter, LWWRegister, MVRegister, GSet, TwoPhaseSet, ORSet, LWWMap, ORMap
)
