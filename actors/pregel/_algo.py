"""Planning a superstep and applying its writes; the cost follows what changed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from actorgraph.actors.pregel._spec import TASKS
from actorgraph.actors.pregel._task import PULL, PUSH, Task
from actorgraph.actors.pregel._types import Send
from actorgraph.actors.pregel._views import read_state, refresh_views
from actorgraph.channels._errors import InvalidUpdateError
from actorgraph.channels.base import MISSING
from actorgraph.channels.last_value import LastValue

if TYPE_CHECKING:
    from actorgraph.actors.pregel._run import RunSupervisor

__all__ = ["apply_writes", "plan_step"]

_new = object.__new__
_FEW = 4


def plan_step(run: RunSupervisor) -> list[Task]:
    """The tasks of the next step, in the order their writes will be applied.

    Edge-triggered (PULL) tasks come first, sorted by node name, then one task per
    pending Send in Send order. A node is a candidate only if a channel updated by
    the last step triggers it, so planning never scans the whole graph.
    """
    spec = run.spec
    channels = run.channels
    versions = run.versions
    tasks: list[Task] = []
    updated = run.updated
    if updated:
        t2n = spec.trigger_to_nodes
        # Most steps update one trigger (plus state keys that trigger nothing):
        # its sorted tuple of nodes is then the candidate list as it is.
        candidates: Any = ()
        names: set[str] | None = None
        for key in updated:
            found = t2n.get(key)
            if found is None:
                continue
            if not candidates:
                candidates = found
            else:
                if names is None:
                    names = set(candidates)
                names.update(found)
        if names is not None:
            candidates = sorted(names)
        # Tasks that read the same keys share one read (made on first need).
        input_cache: dict[tuple[str, ...], dict[str, Any]] | None = None
        for name in candidates:
            node = spec.nodes[name]
            seen = run.seen.get(name)
            for trigger in node.triggers:
                last_seen = seen.get(trigger, 0) if seen is not None else 0
                if versions.get(trigger, 0) > last_seen and channels[trigger].is_available():
                    break
            else:
                continue
            reads = node.reads
            value: Any = None
            if reads is not None:
                cached = input_cache.get(reads) if input_cache is not None else None
                if cached is None:
                    cached = read_state(run, node)
                    if input_cache is None:
                        input_cache = {reads: cached}
                    else:
                        input_cache[reads] = cached
                # Each task gets its own dict: a node that mutates its input must
                # not change what its siblings see.
                value = dict(cached)
                if node.managed:
                    for key, managed in node.managed:
                        value[key] = managed.get(run.step, run.stop)
                if node.mapper is not None:
                    value = node.mapper(value)
            tasks.append(Task(run, node, name, (PULL, name), node.triggers, value))
    if run.sends:
        nodes = spec.nodes
        for idx, packet in enumerate(run.sends):
            target = nodes.get(packet.node)
            if target is None:
                raise InvalidUpdateError(
                    f"Send to unknown node {packet.node!r}; the graph's nodes are "
                    f"{sorted(nodes)}. Add the node or fix the name in Send({packet.node!r}, ...)."
                )
            tasks.append(Task(run, target, packet.node, (PUSH, idx), (PUSH,), packet.arg))
    return tasks


def _conflict_message(run: RunSupervisor, key: str, tasks: list[Task], exc: Exception) -> str:
    writers = sorted({t.name for t in tasks if any(k == key for k, _ in t.writes)})
    named = " and ".join(repr(w) for w in writers) or "the input"
    return f"{exc}\nIn step {run.step}, {key!r} was written by {named}."


def apply_writes(run: RunSupervisor, tasks: list[Task]) -> set[str]:
    """Apply one step's writes in task order and return the channels that changed.

    Only written channels, triggers of tasks that ran, channels written by the
    previous step (which may hold a step-scoped value to clear) and, at the
    tentative end of the run, channels with finish semantics are touched.
    """
    channels = run.channels
    versions = run.versions
    run.version += 1
    version = run.version
    seen = run.seen
    spec = run.spec
    consume_keys = spec.consume_keys
    # Every channel whose version moves, for the run's cached state views.
    bumped: list[str] = []
    for task in tasks:
        if task.node is not None and task.path[0] == PULL:
            node_seen = seen.get(task.name)
            if node_seen is None:
                node_seen = seen[task.name] = {}
            for trigger in task.triggers:
                node_seen[trigger] = versions.get(trigger, 0)
                if trigger in consume_keys and channels[trigger].consume():
                    versions[trigger] = version
                    bumped.append(trigger)

    pending: dict[str, list[Any]] = {}
    sends: list[Send] = []
    if len(tasks) == 1 and len(tasks[0].writes) > _FEW:
        # One task writing many keys (the input of a wide state) mostly writes
        # each once: grouped in one pass, checked by size, else grouped again
        # below. For a few writes the loop below costs less.
        writes = tasks[0].writes
        pending = {key: [value] for key, value in writes}
        if len(pending) != len(writes) or TASKS in pending:
            pending = {}
    if not pending:
        for task in tasks:
            for key, value in task.writes:
                if key == TASKS:
                    sends.append(value)
                else:
                    bucket = pending.get(key)
                    if bucket is None:
                        pending[key] = [value]
                    else:
                        bucket.append(value)
    run.sends = sends

    # A router already reduced its task's writes (Task.read_fresh): when that
    # task alone wrote the key, the step adopts that reduction.
    fresh: dict[str, Any] | None = None
    for task in tasks:
        if task.fresh is not None:
            for key in task.fresh:
                values = pending.get(key)
                if values is not None:
                    entry = task.take_fresh(key, values, channels[key], versions.get(key, 0))
                    if entry is not None:
                        if fresh is None:
                            fresh = {}
                        fresh[key] = entry
            task.fresh = None

    updated: set[str] = set()
    own = channels.get
    prototypes = channels.prototypes
    for key, values in pending.items():
        entry = fresh.get(key) if fresh is not None else None
        if entry is not None:
            channel = channels[key] = entry.channel
            changed = entry.changed
        else:
            channel = own(key)
            if channel is None:
                prototype = prototypes[key]
                if type(prototype) is LastValue and len(values) == 1:
                    # The run's first write to a plain key (the input writes one
                    # per key): a channel made holding the value is exactly
                    # copy-then-update (LastValue.copy inlined).
                    value = values[0]
                    made: LastValue[Any] = _new(LastValue)
                    made.key = prototype.key
                    made.typ = prototype.typ
                    made.value = value
                    channels[key] = made
                    versions[key] = version
                    bumped.append(key)
                    if value is not MISSING:
                        updated.add(key)
                    continue
                # Else its own copy (RunChannels.__missing__ inlined).
                channel = channels[key] = prototype.copy()
            try:
                changed = channel.update(values)
            except InvalidUpdateError as exc:
                raise InvalidUpdateError(_conflict_message(run, key, tasks, exc)) from exc
        if changed:
            versions[key] = version
            bumped.append(key)
            if channel.is_available():
                updated.add(key)

    # A channel written last step may hold a value that lives for one step
    # (EphemeralValue, a non-accumulating Topic): tell it a step has passed.
    step_scoped = spec.step_scoped
    for key in run.written_last:
        if key in step_scoped and key not in pending:
            channel = channels[key]
            if channel.is_available() and channel.update(()):
                versions[key] = version
                bumped.append(key)
                if channel.is_available():
                    updated.add(key)
    # The names only: the written values are not kept alive while the next step runs.
    run.written_last = tuple(pending)

    if not sends and updated.isdisjoint(spec.trigger_set):
        for key in spec.finish_keys:
            channel = channels[key]
            if channel.finish():
                versions[key] = version
                bumped.append(key)
                if channel.is_available():
                    updated.add(key)
    run.updated = updated
    if run.views is not None:
        refresh_views(run, version, bumped)
    return updated
