"""Durable execution of one run: restore a thread, checkpoint each step, resume interrupts.

A run with a checkpointer and a ``thread_id`` gets a :class:`RunDurability`. It
loads the thread's latest checkpoint (or the one ``checkpoint_id`` names),
saves an ``input`` checkpoint before the input is applied and a ``loop``
checkpoint after every superstep, and keeps the writes of a step that did not
finish (tasks that succeeded, tasks that paused, the task that failed) as
pending writes of the checkpoint the step started from, so a resumed run
re-runs only what did not finish.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import structlog

from actorgraph.actors._adapter_shield import shielded
from actorgraph.actors.pregel._algo import apply_writes, plan_step
from actorgraph.actors.pregel._call import call_writes, preload_results
from actorgraph.actors.pregel._pending import (
    DONE,
    ERROR,
    INTERRUPT,
    RESUME,
    START,
    PendingWrites,
    as_int,
    check_format,
    interrupt_id,
    path_str,
    restore_channels,
    resume_answers,
)
from actorgraph.actors.pregel._spec import TASKS, SeededWrite, unseeded
from actorgraph.actors.pregel._task import PULL, Task
from actorgraph.actors.pregel._types import Command, Interrupt
from actorgraph.channels._errors import (
    CheckpointNotFoundError,
    EmptyInputError,
    ResumeError,
    SerializationError,
)
from actorgraph.store._config import RunnableConfig
from actorgraph.store._serde_plain import all_plain
from actorgraph.store.checkpoint._base import SaverFaces
from actorgraph.store.checkpoint._types import (
    ChannelVersion,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    TaskWrites,
    config_target,
    new_checkpoint_stamp,
)
from actorgraph.store.checkpoint._write_behind import WriteBehind
from actorgraph.store.serde import check as check_storable

if TYPE_CHECKING:
    from actorgraph.actors.pregel._run import RunSupervisor

__all__ = ["MAX_PENDING", "RunDurability", "attach_durability"]

_logger = structlog.get_logger("actorgraph.pregel")
_log_enabled = structlog.is_configured

#: How many checkpoints ``durability="async"`` lets wait for their commit
#: before the next step waits.
MAX_PENDING = 4


# Exact types the serializer stores whatever their value (big ints and lone
# surrogates included, as extensions).
_SCALARS: frozenset[type] = frozenset({str, int, float, bool, type(None), bytes})


_DONE_WRITE = (DONE, True)
# Stored like a channel, but dropped without a new version when no Send is pending.
_VOLATILE = (TASKS,)


def _check_write(task: Task, key: str, value: Any) -> None:
    """Raise :class:`SerializationError` when the checkpointer could not store
    ``value``, written by ``task`` to ``key``."""
    try:
        check_storable(value, path=f"{task.name}.{key}")
    except SerializationError as exc:
        raise SerializationError(
            f"node {task.name!r} wrote {key!r} a value of type "
            f"{type(value).__name__}, which the checkpointer cannot store ({exc}). "
            "Store plain data (dicts, lists, str, numbers, msgspec Structs, "
            "dataclasses) or register the type with actorgraph.store.serde.register."
        ) from None


def _stored_write(write: tuple[str, Any]) -> tuple[str, Any]:
    value = write[1]
    return (write[0], value.value) if type(value) is SeededWrite else write


class RunDurability:
    """The checkpointing side of one run (see the module docstring).

    ``resume_map`` (interrupt id to answer) is shared by a run and every
    subgraph run under it, so an answer reaches the interrupt however deep.
    """

    def __init__(
        self,
        run: RunSupervisor,
        saver: Any,
        *,
        thread_id: str,
        checkpoint_ns: str,
        checkpoint_id: str | None,
        durability: str,
        resume_map: dict[str, Any] | None,
        continue_child: bool,
    ) -> None:
        self.run = run
        self.saver = saver
        self.thread_id = thread_id
        self.ns = checkpoint_ns
        self.requested_id = checkpoint_id
        self.durability = durability
        self.resume_map: dict[str, Any] = resume_map if resume_map is not None else {}
        # Time travel into a subgraph: the checkpoint each namespace replays from.
        self.targets: dict[str, str] = {}
        self.continue_child = continue_child
        self.parent_config: RunnableConfig | None = None
        self.checkpoint_id: str | None = None
        self.saved_versions: dict[str, ChannelVersion] = {}
        self.saved_ints: dict[str, int] = {}
        self.pending: PendingWrites | None = None
        self.answers: dict[str, list[Any]] = {}
        self.queue: WriteBehind | None = None
        # exit durability: the checkpoint of the last finished step, not yet written,
        # with every channel version changed since the last write.
        self.unsaved: tuple[Checkpoint, CheckpointMetadata, dict[str, ChannelVersion]] | None = None
        self.skip_before = False
        config = run.config
        user = config.get("metadata")
        self.extra = (
            {k: v for k, v in user.items() if not k.startswith("langgraph_")} if user else {}
        )
        run_id = config.get("run_id")
        self.run_id = str(run_id) if run_id else None
        self.finished = False
        # A saver that lets the engine hand it checkpoints it keeps as they are
        # (the in-memory one): saved without aput's copies, checks and awaits.
        # Looked up on the type: a wrapper that forwards attributes must get aput calls.
        owned = getattr(type(saver), "_owned_put", None)
        self._put_owned = owned(saver) if owned is not None else None
        owned_get = getattr(type(saver), "_owned_get", None)
        self._get_owned = owned_get(saver) if owned_get is not None else None
        owned_writes = getattr(type(saver), "_owned_put_writes", None)
        self._put_writes_owned = owned_writes(saver) if owned_writes is not None else None
        # The default versions are the run's own numbers: no need to ask.
        self._plain_versions = getattr(type(saver), "get_next_version", None) is (
            SaverFaces.get_next_version
        )
        # What the last checkpoint held, kept up to date step by step.
        self._values: dict[str, Any] = {}
        self._seen: dict[str, dict[str, int]] = {}
        self._written_before: Sequence[str] = ()
        self._full = True
        # The checkpoint id of each enclosing graph, by namespace (metadata "parents").
        self.parents: dict[str, str] = {}
        # Task ids (hence interrupt ids and invented message ids) derive from
        # the thread, namespace, step and node: a resumed or replayed step gets
        # the same ids, which is how pending writes find their tasks again.
        run.run_key = f"thread:{thread_id}"

    # -- starting -----------------------------------------------------------------

    def _config(self, checkpoint_id: str | None = None) -> RunnableConfig:
        configurable: dict[str, Any] = {"thread_id": self.thread_id, "checkpoint_ns": self.ns}
        if checkpoint_id is not None:
            configurable["checkpoint_id"] = checkpoint_id
        return {"configurable": configurable}

    async def _get_tuple(self, checkpoint_id: str | None) -> CheckpointTuple | None:
        """The saver's ``aget_tuple`` of this thread and namespace (the newest
        checkpoint when ``checkpoint_id`` is None)."""
        get_owned = self._get_owned
        if get_owned is not None:
            return get_owned(self.thread_id, self.ns, checkpoint_id)  # type: ignore[no-any-return]
        found: CheckpointTuple | None = await self.saver.aget_tuple(self._config(checkpoint_id))
        return found

    async def _travel_into_subgraph(self) -> None:
        """A top-level run given a subgraph's checkpoint replays the graph from the
        enclosing checkpoints (its ``parents``), and the subgraph from that one."""
        found = await self._get_tuple(self.requested_id)
        if found is None:
            return  # reported below, as for any unknown checkpoint
        parents = found.metadata.parents
        if "" not in parents:
            return
        assert self.requested_id is not None  # noqa: S101 - only called with an id
        self.targets.update({ns: cid for ns, cid in parents.items() if ns})
        self.targets[self.ns] = self.requested_id
        self.ns = ""
        self.requested_id = parents[""]

    async def start(self, input: Any) -> None:
        """Restore the thread and apply ``input`` (None continues, a resume Command answers)."""
        run = self.run
        if self.ns and self.requested_id is not None and not run.ns:
            await self._travel_into_subgraph()
        found = await self._get_tuple(self.requested_id)
        if self.requested_id is not None and found is None:
            raise CheckpointNotFoundError(
                f"thread {self.thread_id!r} has no checkpoint {self.requested_id!r}"
                + (f" in namespace {self.ns!r}" if self.ns else "")
                + "; take checkpoint ids from get_state_history(config).",
                thread_id=self.thread_id,
                checkpoint_ns=self.ns,
                checkpoint_id=self.requested_id,
            )
        latest = found
        if self.requested_id is not None:
            latest = await self._get_tuple(None)
        check_format(found, self.thread_id)
        check_format(latest, self.thread_id)
        if (
            self.continue_child
            and found is not None
            and self.requested_id is None
            and not self._belongs(found)
        ):
            # Left by another branch of the parent (before a replay or a fork):
            # this run starts afresh.
            found = None
        replay = found is not None and latest is not None and latest.config != found.config
        if latest is not None and (found is None or latest.config != found.config):
            # Versions count on from the newest checkpoint of the thread, so a
            # fork never reuses a version another branch stored.
            newest = max(map(as_int, latest.checkpoint.channel_versions.values()), default=0)
        else:
            newest = 0
        step = -2  # a fresh thread's input checkpoint is step -1
        if found is not None:
            restore_channels(run, found.checkpoint)
            run.version = max(run.version, newest)
            self.parent_config = found.config
            self.checkpoint_id = found.checkpoint.id
            self.saved_versions = dict(found.checkpoint.channel_versions)
            self.saved_ints = dict(run.versions)
            step = found.metadata.step
        resume = isinstance(input, Command) and input.resume is not None
        if self.continue_child and found is not None:
            input = None  # a subgraph resumed by its parent continues where it was
        if input is None or resume:
            if found is None:
                if resume:
                    raise ResumeError(
                        f"Command(resume=...) was given for thread {self.thread_id!r}, which "
                        "has no checkpoint: there is nothing to resume. Start it with an input."
                    )
                raise EmptyInputError(
                    f"Received no input for thread {self.thread_id!r}, which has no "
                    "checkpoint yet: invoke the graph with a dict of state keys first."
                )
            if found.metadata.source == "input" and not found.pending_writes:
                # The input is saved with the checkpoint after this one; the
                # process stopped (was killed) between the two, so it is lost.
                raise EmptyInputError(
                    f"thread {self.thread_id!r} stopped before its input was saved: its "
                    f"newest checkpoint ({found.checkpoint.id!r}) is the input checkpoint of "
                    "a run, without the input. Invoke it with the input again."
                )
            pending = PendingWrites(found.pending_writes)
            if replay:
                # Time travel re-runs the step: earlier answers are stale.
                pending = PendingWrites(
                    [w for w in found.pending_writes if resume and w[1] == INTERRUPT]
                )
            self.pending = pending
            self.answers = {} if replay else pending.answers
            if resume:
                assert isinstance(input, Command)  # noqa: S101 - resume implies a Command
                self.resume_map.update(resume_answers(input, pending, self.thread_id))
                if input.update is not None or input.goto:
                    await self._apply_command(input)
            self.skip_before = True
            if replay:
                # The replayed branch becomes the thread's latest state.
                run.step = step
                await self.save("fork", [])
            run.step = step + 1
            run.stop = run.step + run.limit - 1
            if "values" in run.modes and run.output():
                run.emit_values()  # a continued run starts by showing where it is
            return
        await self._start_input(input, step)

    def _belongs(self, found: CheckpointTuple) -> bool:
        """Whether a subgraph checkpoint was made under the parent's current checkpoint."""
        parents = found.metadata.parents
        return all(parents.get(ns) == checkpoint_id for ns, checkpoint_id in self.parents.items())

    async def _apply_command(self, command: Command[Any]) -> None:
        """Apply a resume Command's update and goto before the resumed step.

        They join the state the step reads, like writes of no node: nothing
        is cleared and no step passes.
        """
        run = self.run
        task = Task(run, None, START, (PULL, START), (), None)
        await run.spec.map_input(task, Command(update=command.update, goto=command.goto))
        self.check_writes([task])
        grouped: dict[str, list[Any]] = {}
        for key, value in task.writes:
            if key == TASKS:
                run.sends.append(value)
            else:
                grouped.setdefault(key, []).append(value)
        run.version += 1
        self._full = True
        for key, values in grouped.items():
            if run.channels[key].update(values):
                run.versions[key] = run.version
                run.updated.add(key)

    async def _start_input(self, input: Any, step: int) -> None:
        run = self.run
        discard: list[Task] = []
        if self.checkpoint_id is not None:
            # A new input abandons whatever the thread's last run left to do.
            discard = plan_step(run)
            for task in discard:
                task.writes = []
        run.step = step + 1
        input_stamp = new_checkpoint_stamp()
        start = Task(run, None, START, (PULL, START), (), input)
        await run.spec.map_input(start, input)
        self.check_writes([start])
        # The input checkpoint holds the state before the input, with the
        # input as the pending writes of the __start__ task. Those writes are
        # saved with the next checkpoint: a cancel between the two saves would
        # leave a thread whose input is lost, so neither save is cancelled.
        # (Saves into a saver that takes them as they are never suspend, so
        # there is nothing to shield.)
        if self._put_owned is None:
            with shielded():
                await self._save_input(input_stamp, step, [*discard, start])
        else:
            await self._save_input(input_stamp, step, [*discard, start])
        run.step = step + 3
        run.stop = run.step + run.limit - 1

    async def _save_input(self, stamp: tuple[str, str], step: int, tasks: list[Task]) -> None:
        run = self.run
        await self.save("input", [], stamp=stamp)
        updated = apply_writes(run, tasks)
        if "values" in run.modes and not updated.isdisjoint(run.output_set):
            run.emit_values()
        run.step = step + 2
        if len(tasks) > 1:
            self._full = True  # the abandoned tasks changed what their nodes have seen
        await self.save("loop", tasks[-1:])

    # -- resuming tasks -------------------------------------------------------------

    def prepare(self, tasks: list[Task]) -> list[tuple[Task, list[Interrupt]]]:
        """Fill in the writes of tasks that finished before; return the tasks to hold.

        A task held still has an unanswered interrupt: it does not run again
        until its interrupt is answered.
        """
        pending = self.pending
        if pending is None:
            return []
        self.pending = None
        preload_results(self.run, pending.done)  # task calls that finished: not run again
        held: list[tuple[Task, list[Interrupt]]] = []
        seeded = self.run.spec.seeded_keys
        for task in tasks:
            task_id = task.id
            writes = pending.done.get(task_id)
            if writes is not None:
                task.writes = [
                    (k, SeededWrite(f"{task_id}#{i}", v) if k in seeded else v)
                    for i, (k, v) in enumerate(writes)
                ]
                task.cached = True
                continue
            interrupts = pending.interrupts.get(task_id)
            if interrupts and not any(i.id in self.resume_map for i in interrupts):
                held.append((task, interrupts))
        return held

    def resume_for(self, task: Task, index: int) -> tuple[Any] | None:
        """The stored or newly given answer to ``task``'s ``index``-th interrupt."""
        answers = self.answers.get(task.id)
        if answers is not None and index < len(answers):
            return (answers[index],)
        if not self.resume_map:
            return None  # nothing given: no need to work out the interrupt's id
        key = interrupt_id(task.checkpoint_ns, index)
        if key in self.resume_map:
            value = self.resume_map.pop(key)
            self.answers.setdefault(task.id, []).append(value)
            return (value,)
        return None

    # -- saving -----------------------------------------------------------------------

    def check_writes(self, tasks: Sequence[Task]) -> None:
        """Raise :class:`SerializationError` naming node, key and type for a write
        the checkpointer could not store (before anything is applied)."""
        first: tuple[Task, str, Any] | None = None
        many: list[Any] | None = None
        for task in tasks:
            for key, value in task.writes:
                raw = value.value if type(value) is SeededWrite else value
                if type(raw) in _SCALARS:
                    continue  # always storable: no need to encode it to know
                if first is None:
                    first = (task, key, raw)
                elif many is None:
                    many = [first[2], raw]
                else:
                    many.append(raw)
        if first is None:
            return
        if many is None:
            _check_write(*first)
            return
        # Several values (a run's input, a wide step): one plain-data test of
        # them all costs less than one each. When it fails, they are checked
        # one by one, which names the first write that cannot be stored.
        if all_plain(many):
            return
        for task in tasks:
            for key, value in task.writes:
                raw = unseeded(value)
                if type(raw) not in _SCALARS:
                    _check_write(task, key, raw)

    def _task_writes(self, tasks: Sequence[Task]) -> list[TaskWrites]:
        return [
            TaskWrites(
                task.id, [*map(_stored_write, task.writes), _DONE_WRITE], path_str(task.path)
            )
            for task in tasks
            if task.node is not None or task.name == START
        ]

    def _owned_writes(
        self, tasks: Sequence[Task]
    ) -> list[tuple[str | Callable[[], str], list[tuple[str, Any]], str]]:
        # Ids as Task.id_later gives them: the in-memory saver makes them when read.
        out = []
        for task in tasks:
            if task.node is None and task.name != START:
                continue
            writes = task.writes
            if len(writes) == 1 and type(writes[0][1]) is not SeededWrite:
                stored = [writes[0], _DONE_WRITE]  # a node's usual single write
            else:
                stored = [
                    write if type(write[1]) is not SeededWrite else (write[0], write[1].value)
                    for write in writes
                ]
                stored.append(_DONE_WRITE)
            out.append((task.id_later(), stored, path_str(task.path)))
        return out

    def _checkpoint(
        self, stamp: tuple[str, str], tasks: Sequence[Task] | None = None, *, copy: bool = True
    ) -> tuple[Checkpoint, dict[str, ChannelVersion]]:
        """The checkpoint of the run's state now, and the versions that changed.

        ``stamp`` is the checkpoint's ``(id, ts)`` (:func:`new_checkpoint_stamp`).

        After a step (``tasks`` given) only the channels the step could have
        touched are looked at, so a step costs what it wrote, not the size of
        the graph; otherwise (``tasks`` None) every channel is. Without ``copy``
        the checkpoint shares the maps this object keeps updating: only for a
        saver that snapshots them before the next step (the in-memory one).
        """
        run = self.run
        saver = self.saver
        channels = run.channels
        values = self._values
        seen = self._seen
        keys: Any
        if tasks is None or self._full:
            self._full = False
            keys = run.versions
            values.clear()
            for key in keys:
                channel = channels[key]
                if channel.is_available():
                    values[key] = channel.checkpoint()
            seen.clear()
            seen.update({node: dict(node_seen) for node, node_seen in run.seen.items()})
        else:
            # A channel changes only with its version: through the writes of
            # the step, the triggers it consumed, the one-step values of the
            # step before, or the finish pass.
            touched = set(run.written_last)
            touched.update(self._written_before)
            finish = run.spec.finish_keys
            if finish:
                touched.update(finish)
            run_seen = run.seen
            for task in tasks:
                touched.update(task.triggers)
                name = task.name
                node_seen = run_seen.get(name)
                if node_seen is not None:
                    seen[name] = node_seen.copy()
            keys = touched
        written = run.written_last
        # The engine replaces written_last each step (never changes it in place).
        self._written_before = written if type(written) is tuple else list(written)
        new_versions: dict[str, ChannelVersion] = {}
        saved_ints = self.saved_ints
        versions = run.versions
        plain = self._plain_versions
        for key in keys:
            number = versions.get(key)
            if number is not None and saved_ints.get(key) != number:
                if plain:
                    version: ChannelVersion = number
                else:
                    version = saver.get_next_version(number - 1 if number > 1 else None, key)
                    if as_int(version) != number:
                        version = number
                new_versions[key] = version
                self.saved_versions[key] = version
                saved_ints[key] = number
                channel = channels[key]
                if channel.is_available():
                    values[key] = channel.checkpoint()
                else:
                    values.pop(key, None)
        # .copy(), not dict(): a map with deleted entries (channels that
        # emptied) is still copied as one block.
        stored = values.copy() if copy or run.sends else values
        if run.sends:
            # Pending Sends are stored like a channel, under a version of their own.
            stored[TASKS] = list(run.sends)
            number = max(run.version, 1)
            version = saver.get_next_version(number - 1 if number > 1 else None, TASKS)
            new_versions[TASKS] = self.saved_versions[TASKS] = version
        else:
            self.saved_versions.pop(TASKS, None)
        checkpoint = Checkpoint(
            id=stamp[0],
            ts=stamp[1],
            channel_values=stored,
            channel_versions=self.saved_versions.copy() if copy else self.saved_versions,
            versions_seen=seen.copy() if copy else seen,  # type: ignore[arg-type]
            updated_channels=sorted(run.updated),
        )
        return checkpoint, new_versions

    async def save(
        self, source: str, tasks: Sequence[Task], *, stamp: tuple[str, str] | None = None
    ) -> None:
        """Checkpoint the run after step ``run.step`` (``tasks`` are the step's tasks).

        ``stamp``: the checkpoint's ``(id, ts)`` when taken earlier; a new one otherwise.
        """
        run = self.run
        if stamp is None:
            stamp = new_checkpoint_stamp()
        checkpoint_id = stamp[0]
        metadata = CheckpointMetadata(
            source=source,  # type: ignore[arg-type]
            step=run.step,
            parents=self.parents,
            run_id=self.run_id,
            extra=self.extra,
        )
        if self.durability == "exit":
            # The state is written once, when the run stops, but taken now: a run
            # stopped (cancelled) later in the next step must not save channels
            # that step has half changed. Taking it costs what the step wrote.
            checkpoint, new_versions = self._checkpoint(stamp, tasks)
            if self.unsaved is not None:
                new_versions = {**self.unsaved[2], **new_versions}
            self.checkpoint_id = checkpoint_id
            self.unsaved = (checkpoint, metadata, new_versions)
            return
        emit = "checkpoints" in run.modes or "debug" in run.modes
        put_owned = self._put_owned
        if put_owned is not None:
            # The saver copies what changed before returning: the checkpoint
            # may share this object's maps unless it is streamed.
            checkpoint, new_versions = self._checkpoint(stamp, tasks, copy=emit)
            parent_config = self.parent_config
            parent_id = (
                None if parent_config is None else parent_config["configurable"]["checkpoint_id"]
            )
            config = put_owned(
                self.thread_id,
                self.ns,
                parent_id,
                checkpoint,
                metadata,
                self._owned_writes(tasks) if parent_id is not None else [],
                new_versions,
                _VOLATILE,
            )
            self._saved(config, parent_config, checkpoint_id, source, metadata, checkpoint, emit)
            return
        parent = self.parent_config or self._config()
        writes = self._task_writes(tasks) if self.parent_config is not None else []
        # A saver that stores at once and copies what it keeps (the in-memory
        # one) needs neither the queue nor copies of our own.
        direct: bool = getattr(self.saver, "stores_at_once", False)
        checkpoint, new_versions = self._checkpoint(stamp, tasks, copy=emit or not direct)
        if direct or self.durability == "sync":
            config = await self.saver.aput(
                parent, checkpoint, metadata, new_versions, writes=writes
            )
        else:
            if self.queue is None:
                self.queue = WriteBehind(self.saver, MAX_PENDING)
            config = await self.queue.put(parent, checkpoint, metadata, new_versions, writes=writes)
        self._saved(config, parent, checkpoint_id, source, metadata, checkpoint, emit)

    def _saved(
        self,
        config: RunnableConfig,
        parent: RunnableConfig | None,
        checkpoint_id: str,
        source: str,
        metadata: CheckpointMetadata,
        checkpoint: Checkpoint,
        emit: bool,
    ) -> None:
        run = self.run
        self.parent_config = config
        self.checkpoint_id = checkpoint_id
        if _log_enabled():
            _logger.debug(
                "checkpoint.saved",
                thread_id=self.thread_id,
                ns=self.ns,
                checkpoint_id=checkpoint_id,
                source=source,
                step=run.step,
                durability=self.durability,
            )
        if emit:
            run.emit_checkpoint(config, parent or self._config(), metadata, checkpoint)

    async def _write_exit_checkpoint(self) -> None:
        if self.unsaved is None:
            return
        checkpoint, metadata, new_versions = self.unsaved
        self.unsaved = None
        parent = self.parent_config or self._config()
        self.parent_config = await self.saver.aput(parent, checkpoint, metadata, new_versions)

    async def save_call(self, task: Task, task_path: str | None = None) -> bool:
        """Keep a finished task call's result now, so not even a crash loses it.

        The result is a pending write of the checkpoint the step started from
        (queued behind it with ``durability="async"``; ``exit`` keeps it for
        the exit); returns whether it was written. Raises SerializationError
        for a result the checkpointer cannot store.
        """
        config = self.parent_config
        if self.durability == "exit" or config is None:
            return False
        writes = [(k, unseeded(v)) for k, v in task.writes] + [(DONE, True)]
        if task_path is None:
            task_path = path_str(task.path)
        if self.queue is not None:
            await self.queue.put_writes(config, writes, task.id, task_path)
        else:
            await self.saver.aput_writes(config, writes, task.id, task_path)
        return True

    async def save_pending(
        self,
        tasks: Sequence[Task],
        paused: Sequence[tuple[Task, Sequence[Interrupt]]],
        error: tuple[Task, BaseException] | None = None,
    ) -> None:
        """Keep what a step that did not finish did, as writes of its start checkpoint."""
        put_writes = self._put_writes_owned
        if put_writes is not None and self.unsaved is None and self.queue is None:
            # A saver that stores at once never suspends: nothing to shield.
            config = self.parent_config
            if config is not None:
                target = config["configurable"]
                thread_id, ns = target["thread_id"], target["checkpoint_ns"]
                checkpoint_id = target["checkpoint_id"]
                for task_id, writes, task_path in self._kept(tasks, paused, error):
                    put_writes(thread_id, ns, checkpoint_id, writes, task_id, task_path)
            return
        with shielded():
            await self._write_exit_checkpoint()
            config = self.parent_config
            if config is None:
                return
            kept = self._kept(tasks, paused, error)
            queue = self.queue
            if queue is None:
                for task_id, writes, task_path in kept:
                    await self.saver.aput_writes(config, writes, task_id, task_path)
                return
            # The writes attach to a checkpoint that may still be queued: queued
            # behind it, they commit after it (often in its transaction), and
            # the flush waits for all of them at once.
            for task_id, writes, task_path in kept:
                await queue.put_writes(config, writes, task_id, task_path)
            await queue.flush()

    def _kept(
        self,
        tasks: Sequence[Task],
        paused: Sequence[tuple[Task, Sequence[Interrupt]]],
        error: tuple[Task, BaseException] | None,
    ) -> list[tuple[str, list[tuple[str, Any]], str]]:
        """The pending writes a step that did not finish leaves: (task id, writes, path)."""
        kept: list[tuple[str, list[tuple[str, Any]], str]] = []
        for task in tasks:
            if task.done and not task.cached and task.node is not None:
                writes = [(k, unseeded(v)) for k, v in task.writes] + [(DONE, True)]
                kept.append((task.id, writes, path_str(task.path)))
        for task, writes in call_writes(self.run, self.answers):
            kept.append((task.id, writes, path_str(task.path)))
        for task, interrupts in paused:
            writes = [(INTERRUPT, list(interrupts))]
            answers = self.answers.get(task.id)
            if answers:
                writes.append((RESUME, list(answers)))
            kept.append((task.id, writes, path_str(task.path)))
        if error is not None:
            task, exc = error
            failed: list[tuple[str, Any]] = [(ERROR, f"{type(exc).__name__}: {exc}")]
            answers = self.answers.get(task.id)
            if answers:
                # Answered interrupts stay answered: the re-run gets them again
                # and the task is no longer waiting.
                failed += [(RESUME, list(answers)), (INTERRUPT, [])]
            kept.append((task.id, failed, path_str(task.path)))
        return kept

    async def finish(self) -> None:
        """Write what is still queued (shielded): the exit checkpoint, the write-behind queue."""
        if self.finished:
            return
        self.finished = True
        if self.unsaved is None and self.queue is None:
            return  # nothing owed: no need to shield anything
        with shielded():
            await self._write_exit_checkpoint()
            queue = self.queue
            if queue is not None:
                self.queue = None
                await queue.flush()


def attach_durability(
    run: RunSupervisor,
    checkpointer: Any,
    config: RunnableConfig | None,
    parent: Task | None,
    durability: str | None,
) -> None:
    """Give ``run`` a :class:`RunDurability` when it has a checkpointer.

    A subgraph inherits its parent run's checkpointer and thread (unless
    compiled with ``checkpointer=False``) and checkpoints under its own
    namespace, ``node:task_id`` (``node`` alone with ``checkpointer=True``, so
    its state lasts across calls on the thread). Raises
    :class:`~actorgraph.errors.CheckpointError` for a top-level run with a
    checkpointer but no ``thread_id``.
    """
    above = parent.run.durable if parent is not None else None
    if checkpointer is False:
        return
    persistent = checkpointer is True
    saver = checkpointer
    if saver is None or saver is True:
        if above is None:
            return
        saver = above.saver
    if above is not None:
        ns = run.ns_str
        if persistent:
            ns = "|".join(part.split(":", 1)[0] for part in ns.split("|"))
        run.durable = RunDurability(
            run,
            saver,
            thread_id=above.thread_id,
            checkpoint_ns=ns,
            checkpoint_id=None,
            durability=above.durability,
            resume_map=above.resume_map,
            continue_child=not persistent,
        )
        run.durable.targets = above.targets
        run.durable.requested_id = above.targets.pop(ns, None)
        if above.checkpoint_id is not None:
            run.durable.parents = {**above.parents, above.ns: above.checkpoint_id}
        return
    if parent is not None:
        config = {**parent.run.config, **(config or {})}
    thread_id, ns, checkpoint_id = config_target(config)
    run.durable = RunDurability(
        run,
        saver,
        thread_id=thread_id,
        checkpoint_ns=ns if parent is None else run.ns_str,
        checkpoint_id=checkpoint_id,
        durability=durability or "async",
        resume_map=None,
        continue_child=False,
    )
