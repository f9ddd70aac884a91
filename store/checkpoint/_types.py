"""What a checkpoint is: the Structs savers store and return, and their ids.

The shapes follow LangGraph's (``Checkpoint``, ``CheckpointMetadata``,
``CheckpointTuple``, pending writes as ``(task_id, channel, value)``) as frozen
msgspec Structs, so a snapshot handed to a saver cannot change under it.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, Final, Literal, TypeAlias

import msgspec

from actorgraph.channels._errors import CheckpointError
from actorgraph.store._config import RunnableConfig

__all__ = [
    "CHECKPOINT_FORMAT",
    "SPECIAL_WRITE_INDEX",
    "ChannelVersion",
    "ChannelVersions",
    "Checkpoint",
    "CheckpointMetadata",
    "CheckpointSource",
    "CheckpointTuple",
    "PendingWrite",
    "TaskWrites",
    "as_metadata",
    "checkpoint_config",
    "config_target",
    "empty_checkpoint",
    "new_checkpoint_id",
    "new_checkpoint_stamp",
    "now_iso",
    "random_bits",
]

CHECKPOINT_FORMAT: Final = 1
"""The ``v`` of checkpoints this version writes."""

ChannelVersion: TypeAlias = "str | int | float"
ChannelVersions: TypeAlias = "dict[str, ChannelVersion]"
PendingWrite: TypeAlias = "tuple[str, str, Any]"
"""``(task_id, channel, value)``: a write a task made, kept until the step commits."""

CheckpointSource: TypeAlias = Literal["input", "loop", "update", "fork"]

#: Writes to these channels have a fixed slot per task, and a new write replaces
#: the old one (a task errors or interrupts once, whatever it did before).
SPECIAL_WRITE_INDEX: Final[Mapping[str, int]] = {
    "__error__": -1,
    "__scheduled__": -2,
    "__interrupt__": -3,
    "__resume__": -4,
}


class Checkpoint(msgspec.Struct, frozen=True, kw_only=True):
    """The state of a thread after a superstep.

    ``id`` is sortable and grows monotonically (:func:`new_checkpoint_id`);
    ``channel_versions`` gives each channel's version, ``versions_seen`` the
    versions each node had seen when it last ran, ``updated_channels`` the
    channels the step wrote. Values are kept as given; treat them as immutable.
    """

    id: str
    ts: str
    channel_values: dict[str, Any] = {}
    channel_versions: dict[str, ChannelVersion] = {}
    versions_seen: dict[str, dict[str, ChannelVersion]] = {}
    updated_channels: list[str] | None = None
    v: int = CHECKPOINT_FORMAT


# Not tracked by the collector (gc=False): a saver keeps one per checkpoint, and
# metadata holds only plain data the engine or the caller made before it, so it
# cannot be part of a reference cycle.
class CheckpointMetadata(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """Why and when a checkpoint was made.

    ``source``: ``"input"`` (the run's input), ``"loop"`` (a superstep),
    ``"update"`` (``update_state``) or ``"fork"`` (a copy); ``step``: -1 for
    the input, then 0, 1, ...; ``parents``: the checkpoint id of each enclosing
    graph by namespace; ``extra``: the user's own keys (from
    ``config["metadata"]``), filterable in ``list`` like the others.
    """

    source: CheckpointSource = "input"
    step: int = -1
    parents: dict[str, str] = {}
    run_id: str | None = None
    extra: dict[str, Any] = {}

    def get(self, key: str, default: Any = None) -> Any:
        """A field or an ``extra`` key by name, as ``list(filter=...)`` sees it."""
        return self.as_dict().get(key, default)

    def as_dict(self) -> dict[str, Any]:
        """One flat dict: ``extra`` keys beside the fields (fields win)."""
        out = dict(self.extra)
        out.update(source=self.source, step=self.step, parents=self.parents)
        if self.run_id is not None:
            out["run_id"] = self.run_id
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CheckpointMetadata:
        """The inverse of :meth:`as_dict`; unknown keys go to ``extra``.

        Raises :class:`CheckpointError` for a field of the wrong type.
        """
        extra = {k: v for k, v in data.items() if k not in _METADATA_FIELDS}
        fields = {k: data[k] for k in _METADATA_FIELDS if k in data and k != "extra"}
        try:
            return msgspec.convert({**fields, "extra": extra}, cls)
        except msgspec.ValidationError as error:
            raise CheckpointError(f"invalid checkpoint metadata: {error}") from None


_METADATA_FIELDS: Final = frozenset(CheckpointMetadata.__struct_fields__)


class TaskWrites(msgspec.Struct, frozen=True):
    """The writes of one task, to store with a checkpoint in one transaction."""

    task_id: str
    writes: list[tuple[str, Any]]
    task_path: str = ""


class CheckpointTuple(msgspec.Struct, frozen=True):
    """A checkpoint with its config, metadata, parent and pending writes.

    ``pending_writes`` come in the order the engine applies a step's writes:
    by task path, then task id, then position.
    """

    config: RunnableConfig
    checkpoint: Checkpoint
    metadata: CheckpointMetadata
    parent_config: RunnableConfig | None = None
    pending_writes: list[PendingWrite] = []


# --- ids ------------------------------------------------------------------------------

# Random bits for ids and versions come from a generator seeded by the OS, not
# from os.urandom per call: that call releases the GIL, and with a saver's
# writer thread busy getting it back cost tens of microseconds per checkpoint.
# The bits only need to make clashes unlikely, not be unguessable.
_rng = random.Random(os.urandom(32))  # noqa: S311 - uniqueness, not secrecy


def random_bits(count: int) -> int:
    """``count`` random bits, for unique ids and versions (not for secrets)."""
    return _rng.getrandbits(count)


_id_lock = threading.Lock()
# The id is the millisecond clock (as a cached prefix, redone when the
# millisecond changes) then 72 bits that count up from a random start each
# millisecond. Formatting two 64-bit fields per call cost more than the rest of
# a checkpoint's bookkeeping; one 18-digit field does not.
_last_millis = -1
_prefix = ""
_sequence = 0
# (prefix, top 24 bits of the sequence, the id's text before its last group)
_head: tuple[str, int, str] = ("", -1, "")
_SEQUENCE_BITS: Final = 72
_START_BITS: Final = 70  # a fresh start leaves 2**70 ids of room in its millisecond


def _after_fork_in_child() -> None:
    # A forked child must not repeat its parent's bits, nor count on from the
    # parent's sequence (both would make the ids the parent makes next).
    global _last_millis
    _rng.seed(os.urandom(32))
    _last_millis = -1


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def new_checkpoint_id() -> str:
    """A new checkpoint id: UUID-shaped (version 7), ordered by time, strictly
    increasing within the process, so ids sort in the order they were made.

    Across processes the millisecond clock orders them; within a millisecond
    72 bits counting up from a random start keep them unique.
    """
    return _id_at(time.time_ns() // 1_000_000)


def new_checkpoint_stamp() -> tuple[str, str]:
    """A new checkpoint id (as :func:`new_checkpoint_id`) and its timestamp (as
    :func:`now_iso`) from one reading of the clock, so both name the same time
    (unless the clock went back and the id counts on from a later one)."""
    nanos = time.time_ns()
    return _id_at(nanos // 1_000_000), _iso_at(nanos)


def _id_at(millis: int) -> str:
    global _last_millis, _prefix, _sequence
    with _id_lock:
        if millis > _last_millis:
            _last_millis = millis
            _prefix = f"{millis >> 16:08x}-{millis & 0xFFFF:04x}-7"
            _sequence = _rng.getrandbits(_START_BITS)
        else:
            # Same millisecond, or the clock went back: count on.
            _sequence += 1
            if _sequence >> _SEQUENCE_BITS:
                # Out of room (never in practice): borrow the next millisecond.
                _last_millis += 1
                _prefix = f"{_last_millis >> 16:08x}-{_last_millis & 0xFFFF:04x}-7"
                _sequence = 0
        prefix, sequence = _prefix, _sequence
    # 12 bits, the variant nibble (8: RFC 4122, its two free bits kept 0), 60
    # bits. Counting up changes the top 24 of the 72 bits once in 2**48 ids:
    # the text up to the last group is kept until they (or the prefix) change.
    global _head
    high = sequence >> 48
    head = _head
    if head[0] is not prefix or head[1] != high:
        top = f"{high:06x}"
        _head = head = (prefix, high, f"{prefix}{top[:3]}-8{top[3:]}-")
    return f"{head[2]}{sequence & 0xFFFFFFFFFFFF:012x}"


# (second, its formatted date and time of day): one tuple, so a thread never
# pairs one second with another's text.
_stamp: tuple[int, str] = (-1, "")


def now_iso() -> str:
    """The current UTC time as ISO 8601 with microseconds (``...T12:00:00.000000+00:00``).

    The date and time of day are formatted once per second; a call formats
    the microseconds only.
    """
    return _iso_at(time.time_ns())


def _iso_at(clock: int) -> str:
    global _stamp
    second, nanos = divmod(clock, 1_000_000_000)
    stamp = _stamp
    if stamp[0] != second:
        text = datetime.fromtimestamp(second, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.")
        _stamp = stamp = (second, text)
    return f"{stamp[1]}{nanos // 1000:06d}+00:00"


def as_metadata(metadata: CheckpointMetadata | Mapping[str, Any]) -> CheckpointMetadata:
    """``metadata`` as a :class:`CheckpointMetadata` (LangGraph code passes dicts)."""
    if isinstance(metadata, CheckpointMetadata):
        return metadata
    return CheckpointMetadata.from_dict(metadata)


def empty_checkpoint() -> Checkpoint:
    """A checkpoint with no channels, a new id and the current time."""
    checkpoint_id, ts = new_checkpoint_stamp()
    return Checkpoint(id=checkpoint_id, ts=ts)


# --- configs --------------------------------------------------------------------------


def config_target(config: RunnableConfig | None) -> tuple[str, str, str | None]:
    """``(thread_id, checkpoint_ns, checkpoint_id)`` named by ``config``.

    Raises :class:`CheckpointError` when there is no ``thread_id``.
    """
    configurable = (config or {}).get("configurable") or {}
    thread_id = configurable.get("thread_id")
    if thread_id is None or thread_id == "":
        raise CheckpointError(
            "a checkpointer needs config['configurable']['thread_id'] to know which "
            'conversation to save; pass config={"configurable": {"thread_id": "..."}}'
        )
    checkpoint_id = configurable.get("checkpoint_id")
    return (
        str(thread_id),
        str(configurable.get("checkpoint_ns") or ""),
        None if checkpoint_id is None else str(checkpoint_id),
    )


def checkpoint_config(thread_id: str, checkpoint_ns: str, checkpoint_id: str) -> RunnableConfig:
    """The config that points at one checkpoint."""
    return {
        "configurable": {
            "thread_id": thread_id,
            "checkpoint_ns": checkpoint_ns,
            "checkpoint_id": checkpoint_id,
        }
    }
