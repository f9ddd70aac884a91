"""What a checkpoint hands the run that continues it: channels, pending writes, answers.

The special write channels (``__interrupt__``, ``__resume__``, ``__error__``,
``__done__``) record what became of each task of a step that did not finish;
:class:`PendingWrites` reads them back, :func:`resume_answers` matches a
``Command(resume=...)`` to the interrupts that wait.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from actorgraph.actors.pregel._spec import TASKS
from actorgraph.actors.pregel._types import Command, Interrupt
from actorgraph.channels._errors import CheckpointError, ResumeError
from actorgraph.channels.base import BaseChannel
from actorgraph.store.checkpoint._types import (
    CHECKPOINT_FORMAT,
    ChannelVersion,
    Checkpoint,
    CheckpointTuple,
    PendingWrite,
)

if TYPE_CHECKING:
    from actorgraph.actors.pregel._run import RunSupervisor

__all__ = [
    "DONE",
    "ERROR",
    "INTERRUPT",
    "RESUME",
    "SPECIAL_WRITES",
    "START",
    "PendingWrites",
    "as_int",
    "check_format",
    "interrupt_id",
    "path_str",
    "restore_channels",
    "resume_answers",
]

START = "__start__"
INTERRUPT = "__interrupt__"
RESUME = "__resume__"
ERROR = "__error__"
DONE = "__done__"
SPECIAL_WRITES = frozenset({INTERRUPT, RESUME, ERROR, DONE})


def as_int(version: ChannelVersion) -> int:
    """The counter inside a saver's version (``"00000000000000000007.ab12"`` is 7)."""
    if isinstance(version, int):
        return version
    return int(str(version).split(".", 1)[0])


def interrupt_id(checkpoint_ns: str, index: int) -> str:
    """The id of a task's ``index``-th interrupt: stable for the same task position."""
    key = checkpoint_ns if index == 0 else f"{checkpoint_ns}#{index}"
    return hashlib.blake2b(key.encode(), digest_size=16).hexdigest()


def check_format(found: CheckpointTuple | None, thread_id: str) -> None:
    """Refuse a checkpoint written by a newer actorgraph (its format is unknown here)."""
    if found is not None and found.checkpoint.v > CHECKPOINT_FORMAT:
        raise CheckpointError(
            f"checkpoint {found.checkpoint.id!r} of thread {thread_id!r} was written in "
            f"checkpoint format {found.checkpoint.v}, newer than this actorgraph reads "
            f"({CHECKPOINT_FORMAT}); upgrade actorgraph to continue this thread.",
            thread_id=thread_id,
            checkpoint_id=found.checkpoint.id,
        )


def restore_channels(run: RunSupervisor, checkpoint: Checkpoint) -> None:
    """Load ``checkpoint``'s channels, versions and pending Sends into ``run``."""
    prototypes = run.spec.channels
    values = checkpoint.channel_values
    channels = run.channels
    for key, value in values.items():
        if key == TASKS:
            run.sends = list(value)
            continue
        prototype: BaseChannel[Any, Any, Any] | None = prototypes.get(key)
        if prototype is not None:
            channels[key] = prototype.from_checkpoint(value)
    # Savers that keep the engine's own numbers hand back ints: no call per version.
    run.versions = {
        key: version if type(version) is int else as_int(version)
        for key, version in checkpoint.channel_versions.items()
        if key in prototypes
    }
    run.seen = {
        node: {
            key: version if type(version) is int else as_int(version)
            for key, version in seen.items()
        }
        for node, seen in checkpoint.versions_seen.items()
    }
    run.version = max(run.versions.values(), default=0)
    # Planning looks at the channels the last step changed; a restored run
    # does not know them, so it looks at every channel (versions decide).
    run.updated = set(run.versions)
    run.written_last = list(run.versions)


class PendingWrites:
    """A checkpoint's pending writes, grouped by task."""

    def __init__(self, writes: Sequence[PendingWrite]) -> None:
        self.done: dict[str, list[tuple[str, Any]]] = {}
        self.interrupts: dict[str, list[Interrupt]] = {}
        self.answers: dict[str, list[Any]] = {}
        self.errors: dict[str, str] = {}
        regular: dict[str, list[tuple[str, Any]]] = {}
        finished: set[str] = set()
        for task_id, channel, value in writes:
            if channel == DONE:
                finished.add(task_id)
            elif channel == INTERRUPT:
                self.interrupts[task_id] = list(value)
            elif channel == RESUME:
                self.answers[task_id] = list(value)
            elif channel == ERROR:
                self.errors[task_id] = str(value)
            else:
                regular.setdefault(task_id, []).append((channel, value))
        for task_id in finished:
            self.done[task_id] = regular.get(task_id, [])
            self.interrupts.pop(task_id, None)
            self.errors.pop(task_id, None)

    def open_interrupts(self) -> list[Interrupt]:
        return [i for ints in self.interrupts.values() for i in ints]


def resume_answers(command: Command[Any], pending: PendingWrites, thread_id: str) -> dict[str, Any]:
    """Which pending interrupt each answer of ``Command(resume=...)`` is for, by id.

    Raises :class:`ResumeError` when nothing waits, an id is unknown, or a
    single value is given while several interrupts wait.
    """
    waiting = pending.open_interrupts()
    ids = {i.id for i in waiting}
    if not waiting:
        raise ResumeError(
            f"thread {thread_id!r} is not interrupted: there is no pending "
            "interrupt to resume. Invoke it with an input, or with None to continue."
        )
    value = command.resume
    if isinstance(value, dict) and value and all(isinstance(k, str) for k in value):
        keys = set(value)
        if keys & ids or all(_looks_like_id(k) for k in keys):
            unknown = sorted(keys - ids)
            if unknown:
                raise ResumeError(
                    f"Command(resume=...) names unknown interrupt ids {unknown}; the "
                    f"pending interrupts of thread {thread_id!r} are {sorted(ids)}."
                )
            return dict(value)
    if len(waiting) > 1:
        raise ResumeError(
            f"thread {thread_id!r} has {len(waiting)} pending interrupts; when "
            "several are pending, resume with Command(resume={interrupt.id: value, "
            "...}) naming each one you answer."
        )
    return {waiting[0].id: value}


def _looks_like_id(key: str) -> bool:
    return len(key) == 32 and all(c in "0123456789abcdef" for c in key)


def path_str(path: tuple[Any, ...]) -> str:
    """A task path as stored beside its writes: the parts joined by ``~``."""
    if len(path) == 2:
        first, second = path
        if type(first) is str and type(second) is str:
            return f"{first}~{second}"  # every edge-triggered task: (PULL, node)
    return "~".join(map(str, path))
