"""A thread's state as users see and change it: get_state, history, update_state."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from actorgraph.actors._portal import run_sync
from actorgraph.actors.pregel._algo import apply_writes, plan_step
from actorgraph.actors.pregel._durable import RunDurability
from actorgraph.actors.pregel._pending import (
    START,
    PendingWrites,
    as_int,
    check_format,
    restore_channels,
)
from actorgraph.actors.pregel._run import RunSupervisor
from actorgraph.actors.pregel._spec import GraphSpec, unseeded
from actorgraph.actors.pregel._task import PULL, Task
from actorgraph.actors.pregel._types import Interrupt, PregelTask, StateSnapshot
from actorgraph.channels._errors import (
    CheckpointNotFoundError,
    InvalidUpdateError,
    UnknownNodeError,
)
from actorgraph.store._config import RunnableConfig
from actorgraph.store.checkpoint._types import CheckpointTuple, config_target

__all__ = ["COPY", "StateAPI", "StateUpdate"]

COPY = "__copy__"
"""``update_state(config, None, as_node="__copy__")`` forks a checkpoint unchanged."""


class StateUpdate(NamedTuple):
    """One update of :meth:`StateAPI.bulk_update_state`."""

    values: dict[str, Any] | Any
    as_node: str | None = None


def _ns_config(thread_id: str, ns: str, checkpoint_id: str | None = None) -> RunnableConfig:
    configurable: dict[str, Any] = {"thread_id": thread_id, "checkpoint_ns": ns}
    if checkpoint_id is not None:
        configurable["checkpoint_id"] = checkpoint_id
    return {"configurable": configurable}


class StateAPI:
    """The state methods of a compiled graph (mixed into :class:`Pregel`).

    Every method needs ``compile(checkpointer=...)`` and a config with a
    ``thread_id``; each sync one is a portal over its async twin and raises
    RuntimeError inside a running event loop.
    """

    spec: GraphSpec
    checkpointer: Any

    def _saver(self) -> Any:
        saver = self.checkpointer
        if saver is None or saver is True or saver is False:
            raise ValueError(
                "This graph has no checkpointer, so it keeps no state between runs: "
                "compile it with checkpointer=InMemorySaver() (or a SqliteSaver)."
            )
        return saver

    def _subgraph(self, name: str) -> StateAPI | None:
        """The compiled graph node ``name`` runs as a subgraph, if the facade knows it."""
        return None

    def _blank_run(self, ns: str = "") -> RunSupervisor:
        # The namespace makes task ids those of the run that wrote the checkpoint.
        return RunSupervisor(self.spec, config={}, bus=None, ns=tuple(ns.split("|")) if ns else ())

    # -- reading ------------------------------------------------------------------

    async def _snapshot(
        self, tup: CheckpointTuple, subgraphs: bool, current: bool = False
    ) -> StateSnapshot:
        """The snapshot of one checkpoint; ``current`` (the thread's latest, read
        by ``get_state``) also shows the writes of the step's finished tasks."""
        spec = self.spec
        thread_id, ns, _ = config_target(tup.config)
        run = self._blank_run(ns)
        restore_channels(run, tup.checkpoint)
        run.run_key = f"thread:{thread_id}"
        run.step = tup.metadata.step + 1
        pending = PendingWrites(tup.pending_writes)
        planned: list[Task] = [] if tup.metadata.source == "input" else plan_step(run)
        finished = [t for t in planned if t.id in pending.done]
        if current and finished:
            for task in finished:
                task.writes = list(pending.done[task.id])
            apply_writes(run, finished)
        values: dict[str, Any] = {}
        for key in spec.channels:
            if key in spec.stream_keys:
                channel = run.channels[key]
                if channel.is_available():
                    values[key] = channel.get()
        tasks: list[PregelTask] = []
        if tup.metadata.source == "input":
            start_id = next((w[0] for w in tup.pending_writes), "")
            tasks.append(PregelTask(start_id, START, (PULL, START)))
        else:
            for task in planned:
                task_interrupts = tuple(pending.interrupts.get(task.id, ()))
                error_text = pending.errors.get(task.id)
                done = pending.done.get(task.id)
                state: Any = None
                sub = self._subgraph(task.name)
                if sub is not None:
                    # The subgraph's own state: its snapshot, or the config to read it.
                    state = _ns_config(thread_id, task.checkpoint_ns)
                    if subgraphs:
                        found = await self._saver().aget_tuple(state)
                        state = await sub._snapshot(found, True) if found is not None else None
                tasks.append(
                    PregelTask(
                        task.id,
                        task.name,
                        task.path,
                        error=Exception(error_text) if error_text else None,
                        interrupts=task_interrupts,
                        state=state,
                        result=(
                            {k: unseeded(v) for k, v in done if k in spec.stream_keys}
                            if done is not None
                            else None
                        ),
                    )
                )
        interrupts: tuple[Interrupt, ...] = tuple(i for t in tasks for i in t.interrupts)
        return StateSnapshot(
            # A single-channel graph (an entrypoint) shows that channel's bare value.
            values=values if spec.single_channel is None else values.get(spec.single_channel),
            next=tuple(
                t.name for t in tasks if not (current and t.result is not None and not t.error)
            ),
            config=tup.config,
            metadata=tup.metadata.as_dict(),
            created_at=tup.checkpoint.ts,
            parent_config=tup.parent_config,
            tasks=tuple(tasks),
            interrupts=interrupts,
        )

    def _owner(self, ns: str) -> StateAPI:
        """The (sub)graph whose checkpoints live in namespace ``ns``."""
        graph: StateAPI = self
        for part in ns.split("|") if ns else ():
            sub = graph._subgraph(part.split(":", 1)[0])
            if sub is None:
                break
            graph = sub
        return graph

    async def aget_state(self, config: RunnableConfig, *, subgraphs: bool = False) -> StateSnapshot:
        """The thread's state at its latest checkpoint (or the one ``checkpoint_id`` names).

        ``subgraphs=True`` fills ``tasks[i].state`` with the snapshot of a
        subgraph the task runs. A thread with no checkpoint gives an empty
        snapshot. Raises :class:`CheckpointNotFoundError` for an unknown
        ``checkpoint_id``.
        """
        saver = self._saver()
        thread_id, ns, checkpoint_id = config_target(config)
        found = await saver.aget_tuple(_ns_config(thread_id, ns, checkpoint_id))
        if found is None:
            if checkpoint_id is not None:
                raise CheckpointNotFoundError(
                    f"thread {thread_id!r} has no checkpoint {checkpoint_id!r}",
                    thread_id=thread_id,
                    checkpoint_ns=ns,
                    checkpoint_id=checkpoint_id,
                )
            return StateSnapshot({}, (), config, None, None, None, ())
        return await self._owner(ns)._snapshot(found, subgraphs, current=checkpoint_id is None)

    def get_state(self, config: RunnableConfig, *, subgraphs: bool = False) -> StateSnapshot:
        """Sync :meth:`aget_state`."""
        return run_sync("aget_state", self.aget_state, config, subgraphs=subgraphs)

    async def aget_state_history(
        self,
        config: RunnableConfig,
        *,
        filter: Mapping[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[StateSnapshot]:
        """The thread's snapshots, newest first; ``filter`` matches metadata keys,
        ``before`` starts below a checkpoint, ``limit`` caps the count."""
        saver = self._saver()
        thread_id, ns, _ = config_target(config)
        owner = self._owner(ns)
        async for tup in saver.alist(
            _ns_config(thread_id, ns), filter=filter, before=before, limit=limit
        ):
            yield await owner._snapshot(tup, False)

    def get_state_history(
        self,
        config: RunnableConfig,
        *,
        filter: Mapping[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> Iterator[StateSnapshot]:
        """Sync :meth:`aget_state_history` (the whole list is read first)."""

        async def collect() -> list[StateSnapshot]:
            return [
                s
                async for s in self.aget_state_history(
                    config, filter=filter, before=before, limit=limit
                )
            ]

        return iter(run_sync("aget_state_history", collect))

    # -- writing ------------------------------------------------------------------

    async def aupdate_state(
        self, config: RunnableConfig, values: Any, as_node: str | None = None
    ) -> RunnableConfig:
        """Apply ``values`` as if node ``as_node`` had returned them (through the
        reducers, following that node's edges) and save a new checkpoint
        (``source="update"``); return its config.

        On an older checkpoint this forks the thread: the next ``invoke(None,
        new_config)`` runs from the new checkpoint, and answers given to
        interrupts of the old one are not carried over. ``as_node=None`` picks
        the node that ran last. Raises :class:`UnknownNodeError` for a node the
        graph does not have and :class:`CheckpointNotFoundError` for an
        unknown ``checkpoint_id`` (nothing is written in either case).
        """
        return await self.abulk_update_state(config, [[StateUpdate(values, as_node)]])

    def update_state(
        self, config: RunnableConfig, values: Any, as_node: str | None = None
    ) -> RunnableConfig:
        """Sync :meth:`aupdate_state`."""
        return run_sync("aupdate_state", self.aupdate_state, config, values, as_node)

    async def abulk_update_state(
        self, config: RunnableConfig, supersteps: Sequence[Sequence[StateUpdate | tuple[Any, ...]]]
    ) -> RunnableConfig:
        """Apply several supersteps of updates, one checkpoint per superstep;
        return the config of the last. The updates of one superstep are applied
        together, like the writes of parallel nodes."""
        saver = self._saver()
        spec = self.spec
        if not supersteps:
            raise ValueError("bulk_update_state needs at least one superstep of updates")
        for step_updates in supersteps:
            for update in step_updates:
                name = StateUpdate(*update).as_node
                if name not in (None, START, COPY) and name not in spec.nodes:
                    raise UnknownNodeError(
                        f"update_state(as_node={name!r}): the graph has no node {name!r}; its "
                        f"nodes are {', '.join(sorted(spec.nodes))} (or '__start__' for input)."
                    )
        thread_id, ns, checkpoint_id = config_target(config)
        run = self._blank_run()
        durable = RunDurability(
            run,
            saver,
            thread_id=thread_id,
            checkpoint_ns=ns,
            checkpoint_id=checkpoint_id,
            durability="sync",
            resume_map=None,
            continue_child=False,
        )
        found = await saver.aget_tuple(_ns_config(thread_id, ns, checkpoint_id))
        if checkpoint_id is not None and found is None:
            raise CheckpointNotFoundError(
                f"thread {thread_id!r} has no checkpoint {checkpoint_id!r}",
                thread_id=thread_id,
                checkpoint_ns=ns,
                checkpoint_id=checkpoint_id,
            )
        latest = await saver.aget_tuple(_ns_config(thread_id, ns))
        check_format(found, thread_id)
        check_format(latest, thread_id)
        step = -1
        if found is not None:
            restore_channels(run, found.checkpoint)
            durable.parent_config = found.config
            durable.checkpoint_id = found.checkpoint.id
            durable.saved_versions = dict(found.checkpoint.channel_versions)
            durable.saved_ints = dict(run.versions)
            step = found.metadata.step
        if latest is not None:
            newest = max(map(as_int, latest.checkpoint.channel_versions.values()), default=0)
            run.version = max(run.version, newest)
        for step_updates in supersteps:
            step += 1
            run.step = step
            tasks: list[Task] = []
            copy = False
            for update in step_updates:
                values, as_node = StateUpdate(*update)
                if as_node is None:
                    as_node = _last_node(run)
                if as_node == COPY:
                    copy = True
                    continue
                if as_node == START:
                    task = Task(run, None, START, (PULL, START), (), values)
                    await spec.map_input(task, values)
                else:
                    node = spec.nodes[as_node]
                    task = Task(run, node, as_node, (PULL, as_node), node.triggers, None)
                    routing = node.writer(task, values)
                    if routing is not None:
                        await routing
                tasks.append(task)
            durable.check_writes(tasks)
            if tasks:
                apply_writes(run, tasks)
            await durable.save("fork" if copy and not tasks else "update", tasks)
        assert durable.parent_config is not None  # noqa: S101 - saved above
        return durable.parent_config

    def bulk_update_state(
        self, config: RunnableConfig, supersteps: Sequence[Sequence[StateUpdate | tuple[Any, ...]]]
    ) -> RunnableConfig:
        """Sync :meth:`abulk_update_state`."""
        return run_sync("abulk_update_state", self.abulk_update_state, config, supersteps)


def _last_node(run: RunSupervisor) -> str:
    """The node that ran last (by the versions it saw), or ``__start__`` for none."""
    best: list[tuple[int, str]] = sorted(
        (max(seen.values(), default=0), node)
        for node, seen in run.seen.items()
        if node in run.spec.nodes
    )
    if not best:
        return START
    if len(best) > 1 and best[-1][0] == best[-2][0]:
        raise InvalidUpdateError(
            f"update_state cannot tell which node to apply the update as: "
            f"{best[-1][1]!r} and {best[-2][1]!r} ran last together; pass as_node=..."
        )
    return best[-1][1]
