"""How a node's return value becomes writes: updates, edges, routers, Commands."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from actorgraph.actors.pregel._spec import TASKS, SeededWrite
from actorgraph.actors.pregel._task import Task
from actorgraph.actors.pregel._types import Command, Send
from actorgraph.channels import Overwrite
from actorgraph.channels._errors import (
    ErrorCode,
    InvalidUpdateError,
    ParentCommand,
    create_error_message,
)
from actorgraph.graph._branch import END, Branch
from actorgraph.graph._message_ids import call_in_scope
from actorgraph.graph._schema import instance_fields

__all__ = ["NodeWrites", "branch_channel", "seeded_reducer"]


def seeded_reducer(reducer: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """``reducer`` that folds a :class:`SeededWrite` inside its seed's id scope.

    ``add_messages`` gives id-less messages ids drawn from the innermost
    ``message_id_scope`` (opened here by ``call_in_scope``); seeding it with the writing task makes those ids
    depend on the task and the write's position only. The reducer's declared
    algebra is kept.
    """

    def reduce(left: Any, right: Any) -> Any:
        if type(right) is SeededWrite:
            return call_in_scope(right.seed, reducer, left, right.value)
        return reducer(left, right)

    reduce.__name__ = getattr(reducer, "__name__", "reducer")
    for flag in ("commutative", "idempotent"):
        if hasattr(reducer, flag):
            setattr(reduce, flag, getattr(reducer, flag))
    return reduce


def branch_channel(node: str) -> str:
    """The trigger channel of ``node``: writing it makes the node run next step."""
    return f"branch:to:{node}"


class NodeWrites:
    """The writer of one node (or of START): turns what it returned into writes.

    ``strict`` rejects keys the state does not know (a node's own code); a
    subgraph's output may carry its private keys, which are dropped instead.
    """

    def __init__(
        self,
        name: str,
        *,
        keys: frozenset[str],
        nodes: frozenset[str],
        edges: tuple[str, ...],
        joins: tuple[str, ...],
        branches: tuple[Branch, ...],
        read: tuple[str, ...],
        mapper: Callable[[dict[str, Any]], Any] | None,
        managed: tuple[tuple[str, Any], ...],
        strict: bool,
        seeded: frozenset[str] = frozenset(),
    ) -> None:
        self.name = name
        self.keys = keys
        self.nodes = nodes
        self.static = tuple((branch_channel(e), None) for e in edges) + tuple(
            (j, name) for j in joins
        )
        self.branches = branches
        self.read = read
        self.mapper = mapper
        self.managed = managed
        self.strict = strict
        # Keys whose reducer invents ids (add_messages): their writes carry a
        # seed naming the task, so ids never depend on what else was written.
        self.seeded = seeded

    def __call__(self, task: Task, result: Any) -> Awaitable[None] | None:
        """Append the writes of ``result`` to ``task.writes``; with conditional
        edges, return the coroutine that routes (the engine awaits it)."""
        writes = task.writes
        if result is None:
            pass
        elif isinstance(result, dict):
            self._update(task, result)
        elif isinstance(result, Command):
            self._command(task, result)
        elif (
            isinstance(result, (list, tuple))
            and result
            and all(isinstance(c, Command) for c in result)
        ):
            for command in result:
                self._command(task, command)
        else:
            fields = instance_fields(result)
            if fields is None:
                raise InvalidUpdateError(
                    create_error_message(
                        message=(
                            f"Expected dict, got {result!r:.80}: node {self.name!r} returned a "
                            f"{type(result).__name__}. A node returns a dict of state keys to "
                            "update, a Command, a list of Commands, or None."
                        ),
                        error_code=ErrorCode.INVALID_GRAPH_NODE_RETURN_VALUE,
                    )
                )
            self._update(task, fields)
        if self.static:
            writes.extend(self.static)
        if self.branches:
            return self._route(task)
        return None

    async def _route(self, task: Task) -> None:
        writes = task.writes
        for branch in self.branches:
            self._goto(
                writes, await branch.route(task, self.read, self.managed, self.mapper), branch.name
            )

    def _update(self, task: Task, update: dict[str, Any]) -> None:
        keys = self.keys
        writes = task.writes
        if keys.issuperset(update) and self.seeded.isdisjoint(update):
            # Every key known and none seeded: the writes are the items as they are.
            writes.extend(update.items())
            return
        for key, value in update.items():
            if key in keys:
                if key in self.seeded and not isinstance(value, (dict, Overwrite)):
                    value = SeededWrite(f"{task.id}#{len(writes)}", value)
                writes.append((key, value))
            elif self.strict:
                raise InvalidUpdateError(
                    f"Node {self.name!r} wrote to unknown key {key!r} (a value of type "
                    f"{type(value).__name__}). The state's keys are "
                    f"{', '.join(sorted(keys))}; add {key!r} to the state schema (or to "
                    "the schema the node's input or output annotation names)."
                )

    def _command(self, task: Task, command: Command[Any]) -> None:
        if command.graph == Command.PARENT:
            raise ParentCommand(command)
        update = command.update
        if update is not None:
            if isinstance(update, dict):
                self._update(task, update)
            elif isinstance(update, (list, tuple)):
                for pair in update:
                    self._update(task, dict([pair]))
            else:
                fields = instance_fields(update)
                if fields is None:
                    raise InvalidUpdateError(
                        f"Node {self.name!r} returned Command(update={update!r:.80}); the "
                        "update must be a dict, a list of (key, value) pairs, or a state object."
                    )
                self._update(task, fields)
        if command.goto:
            self._goto(task.writes, command.goto_targets(), "Command.goto")

    def _goto(self, writes: list[tuple[str, Any]], targets: Any, via: str) -> None:
        for target in targets:
            if isinstance(target, Send):
                if target.node not in self.nodes:
                    raise InvalidUpdateError(
                        f"Node {self.name!r} sent Send({target.node!r}, ...) via {via}, but "
                        f"there is no node {target.node!r} (nodes: {', '.join(sorted(self.nodes))})."
                    )
                writes.append((TASKS, target))
            elif target == END:
                continue
            elif target in self.nodes:
                writes.append((branch_channel(target), None))
            else:
                raise InvalidUpdateError(
                    f"{via} of node {self.name!r} routed to {target!r}, which is not a node of "
                    f"this graph (nodes: {', '.join(sorted(self.nodes))}; use END to finish)."
                )
