"""How ``InMemorySaver`` keeps checkpoints: each as the changes on its parent.

A step changes a few channels. Kept whole, every checkpoint held a copy of every
channel map, so memory (and the collector's work) grew with the size of the
state times the steps. An :class:`Entry` keeps only the channels whose value or
version changed since its parent (its ``base``) and the ones it lost; a read
rebuilds the maps from the nearest whole entry and keeps the result in a small
cache (:class:`Rebuilds`). Entries never change once stored, so a cached
rebuild is never stale. Every ``MAX_DEPTH`` links an entry is stored whole, so
a read applies at most that many changes.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, Final

import msgspec

from actorgraph.store.checkpoint._types import ChannelVersion, Checkpoint, CheckpointMetadata

__all__ = ["MAX_DEPTH", "Entry", "Rebuilds", "relink", "store_changes", "store_snapshot"]

#: The most changes an entry stacks on the nearest whole one.
MAX_DEPTH: Final = 32
#: How many rebuilt checkpoints a saver keeps (the newest of each busy thread).
CACHE_SIZE: Final = 64

_MISSING: Any = object()
_NOTHING: tuple[str, ...] = ()


class Entry(msgspec.Struct, frozen=True, gc=False):
    """One stored checkpoint.

    With ``base`` None, ``values`` and ``versions`` are the whole maps; else
    they are what changed since ``base`` (another entry of the same thread and
    namespace), and ``gone_values``/``gone_versions`` the channels ``base`` had
    and this one does not. Not tracked by the collector: entries only point at
    older entries and at values, never back, so they make no cycles.
    """

    id: str
    ts: str
    metadata: CheckpointMetadata
    parent_id: str | None
    values: dict[str, Any]
    versions: dict[str, ChannelVersion]
    seen: dict[str, dict[str, ChannelVersion]]
    updated: list[str] | None
    v: int
    base: Entry | None = None
    depth: int = 0
    gone_values: tuple[str, ...] = ()
    gone_versions: tuple[str, ...] = ()


def _whole(
    checkpoint: Checkpoint,
    metadata: CheckpointMetadata,
    parent_id: str | None,
    values: dict[str, Any],
    versions: dict[str, ChannelVersion],
    seen: dict[str, dict[str, ChannelVersion]],
) -> Entry:
    return Entry(
        checkpoint.id,
        checkpoint.ts,
        metadata,
        parent_id,
        values,
        versions,
        seen,
        checkpoint.updated_channels,
        checkpoint.v,
    )


def _diff(
    base: Mapping[str, Any], full: Mapping[str, Any]
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """What changed from ``base`` to ``full`` (by identity: a value that is the
    same object is the same value), and the keys ``full`` lost."""
    changed = {k: v for k, v in full.items() if base.get(k, _MISSING) is not v}
    kept = len(full) - sum(1 for k in changed if k not in base)
    gone = _NOTHING if kept == len(base) else tuple(k for k in base if k not in full)
    return changed, gone


class Rebuilds:
    """The whole checkpoints of recently read or stored entries, newest last.

    Keyed by the entry object (its ``id()``, with the entry kept alongside so
    the key cannot be reused): a replaced or deleted entry is simply never
    asked for again. Not thread-safe: the saver's lock guards it.
    """

    __slots__ = ("_cache", "size")

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self._cache: OrderedDict[int, tuple[Entry, Checkpoint]] = OrderedDict()

    def _found(self, entry: Entry) -> Checkpoint | None:
        hit = self._cache.get(id(entry))
        if hit is None or hit[0] is not entry:
            return None
        self._cache.move_to_end(id(entry))
        return hit[1]

    def keep(self, entry: Entry, checkpoint: Checkpoint) -> None:
        """Remember ``checkpoint`` as ``entry`` rebuilt (its maps never change after)."""
        cache = self._cache
        cache[id(entry)] = (entry, checkpoint)
        cache.move_to_end(id(entry))
        if len(cache) > self.size:
            cache.popitem(last=False)

    def clear(self) -> None:
        self._cache.clear()

    def checkpoint(
        self, entry: Entry, memo: dict[int, tuple[Entry, Checkpoint]] | None = None
    ) -> Checkpoint:
        """``entry`` as a whole :class:`Checkpoint` (shared by every reader: read-only).

        With ``memo`` (one listing's), the entries rebuilt on the way are kept
        there too, so listing a history newest first rebuilds each entry once.
        """
        found = self._found(entry)
        if found is not None:
            return found
        if memo is not None:
            hit = memo.get(id(entry))
            if hit is not None and hit[0] is entry:
                return hit[1]
        if entry.base is None:
            values, versions = entry.values, entry.versions
        else:
            chain = [entry]
            start = entry.base
            while True:
                cached = self._found(start)
                if cached is None and memo is not None:
                    hit = memo.get(id(start))
                    cached = hit[1] if hit is not None and hit[0] is start else None
                if cached is not None:
                    values = dict(cached.channel_values)
                    versions = dict(cached.channel_versions)
                    break
                if start.base is None:
                    values, versions = dict(start.values), dict(start.versions)
                    if memo is not None:
                        memo[id(start)] = (
                            start,
                            _as_checkpoint(start, start.values, start.versions),
                        )
                    break
                chain.append(start)
                start = start.base
            for change in reversed(chain):
                for key in change.gone_values:
                    values.pop(key, None)
                values.update(change.values)
                for key in change.gone_versions:
                    versions.pop(key, None)
                versions.update(change.versions)
                if memo is not None and change is not entry:
                    memo[id(change)] = (
                        change,
                        _as_checkpoint(change, dict(values), dict(versions)),
                    )
        checkpoint = _as_checkpoint(entry, values, versions)
        self.keep(entry, checkpoint)
        return checkpoint


def _as_checkpoint(
    entry: Entry, values: dict[str, Any], versions: dict[str, ChannelVersion]
) -> Checkpoint:
    return Checkpoint(
        id=entry.id,
        ts=entry.ts,
        channel_values=values,
        channel_versions=versions,
        versions_seen=entry.seen,
        updated_channels=entry.updated,
        v=entry.v,
    )


def store_snapshot(
    base: Entry | None,
    snapshot: Checkpoint,
    metadata: CheckpointMetadata,
    parent_id: str | None,
    rebuilds: Rebuilds,
) -> Entry:
    """The entry of ``snapshot`` (whose maps belong to the saver from now on),
    as changes on ``base`` when there is one, found by comparing the maps."""
    if base is None or base.depth + 1 >= MAX_DEPTH:
        entry = _whole(
            snapshot,
            metadata,
            parent_id,
            snapshot.channel_values,
            snapshot.channel_versions,
            snapshot.versions_seen,
        )
    else:
        whole = rebuilds.checkpoint(base)
        values, gone_values = _diff(whole.channel_values, snapshot.channel_values)
        versions, gone_versions = _diff(whole.channel_versions, snapshot.channel_versions)
        entry = Entry(
            snapshot.id,
            snapshot.ts,
            metadata,
            parent_id,
            values,
            versions,
            snapshot.versions_seen,
            snapshot.updated_channels,
            snapshot.v,
            base,
            base.depth + 1,
            gone_values,
            gone_versions,
        )
    rebuilds.keep(entry, snapshot)
    return entry


def store_changes(
    base: Entry | None,
    checkpoint: Checkpoint,
    metadata: CheckpointMetadata,
    parent_id: str | None,
    new_versions: dict[str, ChannelVersion],
    volatile: tuple[str, ...],
) -> Entry:
    """The entry of ``checkpoint`` given what changed, without comparing maps.

    ``checkpoint``'s maps may be the caller's live ones: what is kept is
    copied now. ``new_versions`` holds every channel whose value or version
    differs from ``base``'s, at its version in ``checkpoint``; ``volatile``
    names channels that may vanish without a new version (the engine's
    pending Sends).
    """
    values = checkpoint.channel_values
    versions = checkpoint.channel_versions
    if base is None or base.depth + 1 >= MAX_DEPTH:
        return _whole(
            checkpoint,
            metadata,
            parent_id,
            dict(values),
            dict(versions),
            dict(checkpoint.versions_seen),
        )
    changed: dict[str, Any] = {}
    gone: tuple[str, ...] = _NOTHING
    for key in new_versions:
        value = values.get(key, _MISSING)
        if value is _MISSING:
            gone = (*gone, key)
        else:
            changed[key] = value
    # Usually no volatile channel is there: then the tuple itself says what is gone.
    gone_versions = volatile
    for key in volatile:
        if key in values or key in versions:
            gone_versions = tuple(k for k in volatile if k not in versions)
            gone = (*gone, *(k for k in volatile if k not in values))
            break
    else:
        gone = (*gone, *volatile) if gone else volatile
    return Entry(
        checkpoint.id,
        checkpoint.ts,
        metadata,
        parent_id,
        changed,
        dict(new_versions),
        dict(checkpoint.versions_seen),
        checkpoint.updated_channels,
        checkpoint.v,
        base,
        base.depth + 1,
        gone,
        gone_versions,
    )


def relink(entries: dict[str, Entry], rebuilds: Rebuilds) -> None:
    """After deleting some of ``entries``: store whole the entries whose base
    was deleted, and point the others at the entries now stored, so deleted
    checkpoints are not kept alive through the links."""
    original = dict(entries)  # keeps every old entry alive, so their id()s stay theirs
    fixed: dict[int, Entry] = {}

    def settle(entry: Entry) -> Entry:
        done = fixed.get(id(entry))
        if done is not None:
            return done
        base = entry.base
        if base is None:
            result = entry
        elif original.get(base.id) is base:
            new_base = settle(base)
            result = (
                entry
                if new_base is base
                else msgspec.structs.replace(entry, base=new_base, depth=new_base.depth + 1)
            )
        else:
            whole = rebuilds.checkpoint(entry)
            result = msgspec.structs.replace(
                entry,
                values=whole.channel_values,
                versions=whole.channel_versions,
                base=None,
                depth=0,
                gone_values=_NOTHING,
                gone_versions=_NOTHING,
            )
        fixed[id(entry)] = result
        return result

    for checkpoint_id, entry in original.items():
        entries[checkpoint_id] = settle(entry)
