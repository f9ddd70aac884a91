"""StateGraph: describe a graph over a shared state; compile it into a runnable graph."""

from __future__ import annotations

import dataclasses
import inspect
import typing
from collections.abc import AsyncIterator, Callable, Generator, Hashable, Mapping, Sequence
from typing import Any, Generic, Literal, get_args, get_origin

from typing_extensions import Self, TypeVar

from actorgraph._drawing import Graph
from actorgraph.actors._portal import iterate_sync, run_sync
from actorgraph.actors.pregel._node import make_node_call
from actorgraph.actors.pregel._pregel import Pregel
from actorgraph.actors.pregel._run import RunSupervisor
from actorgraph.actors.pregel._spec import GraphSpec, NodeSpec
from actorgraph.actors.pregel._state import StateAPI
from actorgraph.actors.pregel._stream import RunStream
from actorgraph.actors.pregel._task import Task
from actorgraph.actors.pregel._types import (
    All,
    CachePolicy,
    Command,
    Interrupt,
    RetryPolicy,
    Send,
)
from actorgraph.channels import (
    BaseChannel,
    BinaryOperatorAggregate,
    EphemeralValue,
    LastValueAfterFinish,
    NamedBarrierValue,
    NamedBarrierValueAfterFinish,
    Overwrite,
)
from actorgraph.channels._errors import EmptyInputError, GraphValidationError, InvalidUpdateError
from actorgraph.graph._branch import END, START, Branch
from actorgraph.graph._messages_mode import stream_messages
from actorgraph.graph._schema import (
    SchemaInfo,
    coerce_context,
    coerce_input,
    is_schema,
    schema_info,
)
from actorgraph.graph._traced import attribute_writer, observed_stream, traced_ainvoke, traced_node
from actorgraph.graph._write import NodeWrites, branch_channel, seeded_reducer
from actorgraph.graph.message import add_messages
from actorgraph.runnables import Runnable
from actorgraph.runnables._chunks import collect, or_none
from actorgraph.runnables._tracing import observed
from actorgraph.store._config import RunnableConfig
from actorgraph.store.serde import register, register_annotation

__all__ = ["CompiledStateGraph", "StateGraph"]

StateT = TypeVar("StateT")
ContextT = TypeVar("ContextT", default=None)
InputT = TypeVar("InputT", default=StateT)
OutputT = TypeVar("OutputT", default=StateT)

_RESERVED = (START, END)


@dataclasses.dataclass
class _NodeDef:
    name: str
    action: Any
    defer: bool
    metadata: dict[str, Any] | None
    input_schema: type[Any]
    retry_policy: tuple[RetryPolicy, ...]
    cache_policy: CachePolicy | None
    ends: tuple[str, ...]


def _first_param_schema(fn: Any) -> type[Any] | None:
    target = fn if inspect.isroutine(fn) else getattr(fn, "__call__", None)  # noqa: B004
    if target is None:
        return None
    try:
        params = list(inspect.signature(target).parameters.values())
        hints = typing.get_type_hints(target)
    except Exception:  # noqa: BLE001 - unresolvable hints: fall back to the graph's state
        return None
    if not params:
        return None
    annotation = hints.get(params[0].name)
    return annotation if is_schema(annotation) else None


def _return_hints(fn: Any) -> tuple[type[Any] | None, tuple[str, ...]]:
    """A schema named by the return annotation, and Command[Literal[...]] destinations."""
    target = fn if inspect.isroutine(fn) else getattr(fn, "__call__", None)  # noqa: B004
    try:
        ret = typing.get_type_hints(target).get("return") if target is not None else None
    except Exception:  # noqa: BLE001 - unresolvable hints mean "nothing declared"
        return None, ()
    if ret is None:
        return None, ()
    if is_schema(ret):
        return ret, ()
    if get_origin(ret) is Command:
        (arg,) = get_args(ret) or (None,)
        if get_origin(arg) is Literal:
            return None, tuple(str(a) for a in get_args(arg))
    return None, ()


def _policies(policy: RetryPolicy | Sequence[RetryPolicy] | None) -> tuple[RetryPolicy, ...]:
    if policy is None:
        return ()
    if isinstance(policy, RetryPolicy):
        return (policy,)
    return tuple(policy)


class StateGraph(Generic[StateT, ContextT, InputT, OutputT]):
    """A graph whose nodes read and update one shared state.

    ``state_schema`` is a TypedDict, dataclass, pydantic v2 model or
    msgspec.Struct; each key becomes a channel (``Annotated[T, reducer]`` folds
    writes with ``reducer``, other keys keep the last value). ``input_schema`` and
    ``output_schema`` filter what ``invoke`` takes and returns; ``context_schema``
    types ``invoke(..., context=...)``. Builder methods return the builder, so
    calls chain. Nothing runs until :meth:`compile`. See ``examples/quickstart.py``.
    """

    def __init__(
        self,
        state_schema: type[StateT],
        context_schema: type[ContextT] | None = None,
        *,
        input_schema: type[InputT] | None = None,
        output_schema: type[OutputT] | None = None,
    ) -> None:
        self.state_schema = state_schema
        self.context_schema = context_schema
        self.input_schema: type[Any] = input_schema or state_schema
        self.output_schema: type[Any] = output_schema or state_schema
        self.schemas: dict[type[Any], SchemaInfo] = {}
        for schema in (state_schema, self.input_schema, self.output_schema):
            self._add_schema(schema)
        self.nodes: dict[str, _NodeDef] = {}
        self.edges: set[tuple[str, str]] = set()
        self.waiting_edges: set[tuple[tuple[str, ...], str]] = set()
        self.branches: dict[str, dict[str, Branch]] = {}

    def _add_schema(self, schema: type[Any]) -> SchemaInfo:
        info = self.schemas.get(schema)
        if info is None:
            info = self.schemas[schema] = schema_info(schema)
        return info

    # -- nodes ------------------------------------------------------------------------

    def add_node(
        self,
        node: str | Callable[..., Any] | Any,
        action: Callable[..., Any] | Any | None = None,
        *,
        defer: bool = False,
        metadata: dict[str, Any] | None = None,
        input_schema: type[Any] | None = None,
        retry_policy: RetryPolicy | Sequence[RetryPolicy] | None = None,
        cache_policy: CachePolicy | None = None,
        destinations: Mapping[str, str] | tuple[str, ...] | None = None,
    ) -> Self:
        """Add a node: ``add_node(fn)`` (named after ``fn``), ``add_node("name", fn)``.

        ``fn`` may be sync (run on a worker thread) or async, a Runnable or a
        compiled graph (a subgraph). ``defer=True`` runs it only when nothing else
        is left to run. ``input_schema`` (or the annotation of its first
        parameter) selects which keys it sees; ``retry_policy`` and
        ``cache_policy`` are per node; ``destinations`` names where a node that
        returns ``Command(goto=...)`` may go (for drawing).
        Raises GraphValidationError for a reserved or duplicate name.
        """
        if not isinstance(node, str):
            if action is not None and isinstance(action, str):
                node, action = action, node
            else:
                action = node
                node = getattr(node, "name", None) or getattr(node, "__name__", None)
                if not isinstance(node, str):
                    raise GraphValidationError(
                        f"Cannot infer a name for node {action!r}; pass one: "
                        "add_node('name', action)."
                    )
        if action is None:
            raise GraphValidationError(f"Node {node!r} has no action; pass add_node({node!r}, fn).")
        if node in _RESERVED:
            raise GraphValidationError(f"Node name {node!r} is reserved; choose another name.")
        for char in ("|", ":"):
            if char in node:
                raise GraphValidationError(
                    f"Node name {node!r} contains {char!r}, which separates namespaces; "
                    "choose a name without it."
                )
        if node in self.nodes:
            raise GraphValidationError(f"Node {node!r} is already present; names must be unique.")
        schema = input_schema or _first_param_schema(action) or self.state_schema
        self._add_schema(schema)
        out_schema, ends = _return_hints(action)
        if out_schema is not None:
            self._add_schema(out_schema)
        if destinations is not None:
            ends = tuple(destinations)
        self.nodes[node] = _NodeDef(
            name=node,
            action=action,
            defer=defer,
            metadata=metadata,
            input_schema=schema,
            retry_policy=_policies(retry_policy),
            cache_policy=cache_policy,
            ends=ends,
        )
        return self

    def add_sequence(
        self, nodes: Sequence[Callable[..., Any] | tuple[str, Callable[..., Any]]]
    ) -> Self:
        """Add nodes and an edge from each to the next (named after the functions)."""
        if not nodes:
            raise GraphValidationError("add_sequence needs at least one node.")
        previous: str | None = None
        for item in nodes:
            if isinstance(item, tuple):
                name, action = item
                self.add_node(name, action)
            else:
                name = str(getattr(item, "name", None) or getattr(item, "__name__", ""))
                self.add_node(item)
            if previous is not None:
                self.add_edge(previous, name)
            previous = name
        return self

    # -- edges ------------------------------------------------------------------------

    def add_edge(self, start_key: str | Sequence[str], end_key: str) -> Self:
        """Run ``end_key`` after ``start_key``; a list of starts waits for all of them.

        Raises GraphValidationError for an edge out of END or into START.
        """
        if isinstance(start_key, str):
            if start_key == END:
                raise GraphValidationError("END cannot be the start of an edge.")
            if end_key == START:
                raise GraphValidationError("START cannot be the end of an edge.")
            self.edges.add((start_key, end_key))
            return self
        starts = tuple(start_key)
        for start in starts:
            if start == END:
                raise GraphValidationError("END cannot be the start of an edge.")
        if end_key in (START, END):
            raise GraphValidationError(
                f"A waiting edge from {list(starts)!r} cannot end at {end_key!r}; end it at a node."
            )
        self.waiting_edges.add((starts, end_key))
        return self

    def add_conditional_edges(
        self,
        source: str,
        path: Callable[..., Any],
        path_map: Mapping[Hashable, str] | Sequence[str] | None = None,
    ) -> Self:
        """After ``source`` runs, call ``path`` on the state to choose what runs next.

        ``path`` returns a node name, END, a Send, or a list of them; ``path_map``
        (dict) translates its answers, a list (or a ``Literal`` return
        annotation) names the possible destinations for validation and drawing.
        """
        branch = Branch(source, path, path_map)
        existing = self.branches.setdefault(source, {})
        if branch.name in existing:
            raise GraphValidationError(
                f"Node {source!r} already has a branch named {branch.name!r}; "
                "give the router function another name."
            )
        existing[branch.name] = branch
        return self

    def set_entry_point(self, key: str) -> Self:
        """Same as ``add_edge(START, key)``."""
        return self.add_edge(START, key)

    def set_conditional_entry_point(
        self,
        path: Callable[..., Any],
        path_map: Mapping[Hashable, str] | Sequence[str] | None = None,
    ) -> Self:
        """Same as ``add_conditional_edges(START, path, path_map)``."""
        return self.add_conditional_edges(START, path, path_map)

    def set_finish_point(self, key: str) -> Self:
        """Same as ``add_edge(key, END)``."""
        return self.add_edge(key, END)

    # -- compile ------------------------------------------------------------------------

    def validate(self, interrupt: Sequence[str] = ()) -> Self:
        """Check the structure; raises GraphValidationError naming the node or edge."""
        known = set(self.nodes)
        sources = {s for s, _ in self.edges} | {
            s for starts, _ in self.waiting_edges for s in starts
        }
        sources |= set(self.branches)
        for source in sorted(sources):
            if source != START and source not in known:
                raise GraphValidationError(
                    f"Found an edge from unknown node {source!r}; add it with add_node first."
                )
        if START not in sources:
            raise GraphValidationError(
                "Graph must have an entrypoint: add at least one edge from START to another "
                "node (add_edge(START, 'node') or set_entry_point('node'))."
            )
        for start, end in sorted(self.edges):
            if end != END and end not in known:
                raise GraphValidationError(
                    f"Found an edge {start!r} -> {end!r} to unknown node {end!r}; add it with "
                    "add_node first."
                )
        for starts, end in sorted(self.waiting_edges):
            if end not in known:
                raise GraphValidationError(
                    f"Found a waiting edge {list(starts)!r} -> {end!r} to unknown node {end!r}."
                )
        for source, branches in self.branches.items():
            for branch in branches.values():
                for end in branch.ends or ():
                    if end != END and end not in known:
                        raise GraphValidationError(
                            f"The branch {branch.name!r} of {source!r} can go to unknown node "
                            f"{end!r}; add the node or fix the path_map."
                        )
        for name in interrupt:
            if name != "*" and name not in known:
                raise GraphValidationError(f"Cannot interrupt at unknown node {name!r}.")
        return self

    def compile(
        self,
        checkpointer: Any = None,
        *,
        cache: Any = None,
        store: Any = None,
        interrupt_before: All | Sequence[str] | None = None,
        interrupt_after: All | Sequence[str] | None = None,
        debug: bool = False,
        name: str | None = None,
        inline_sync_nodes: bool = False,
    ) -> CompiledStateGraph[StateT, ContextT, InputT, OutputT]:
        """Check the graph and lower it to channels and node actors.

        ``checkpointer``, ``store`` and ``cache`` are attached to every run;
        ``interrupt_before``/``interrupt_after`` name nodes to pause at.
        ``inline_sync_nodes=True`` runs sync node functions on the event loop
        instead of worker threads (faster; only for nodes that never block).
        Raises GraphValidationError naming the node or edge at fault.
        """
        before = (
            [interrupt_before]
            if isinstance(interrupt_before, str)
            else list(interrupt_before or ())
        )
        after = (
            [interrupt_after] if isinstance(interrupt_after, str) else list(interrupt_after or ())
        )
        self.validate([*before, *after])
        _register_for_serialization(self)
        spec = _lower(self)
        return CompiledStateGraph(
            spec,
            builder=self,
            checkpointer=checkpointer,
            store=store,
            cache=cache,
            interrupt_before="*" if "*" in before else tuple(before),
            interrupt_after="*" if "*" in after else tuple(after),
            debug=debug,
            name=name or "LangGraph",
            inline_sync_nodes=inline_sync_nodes,
        )


def _register_for_serialization(builder: StateGraph[Any, Any, Any, Any]) -> None:
    """Let checkpoints and caches decode the graph's own types (never by import path)."""
    for cls in (Send, Command, Interrupt, Overwrite):
        register(cls, name=f"actorgraph.types.{cls.__name__}")
    for schema in builder.schemas:
        register_annotation(schema)


def _lower(builder: StateGraph[Any, Any, Any, Any]) -> GraphSpec:
    channels: dict[str, BaseChannel[Any, Any, Any]] = {}
    managed: dict[str, Any] = {}
    for info in builder.schemas.values():
        for key, channel in info.channels.items():
            channels.setdefault(key, channel)
        managed.update(info.managed)
    seeded: set[str] = set()
    for key, channel in list(channels.items()):
        if isinstance(channel, BinaryOperatorAggregate) and channel.operator is add_messages:
            channels[key] = BinaryOperatorAggregate(
                channel.typ, seeded_reducer(add_messages), key=key
            )
            seeded.add(key)
    state_keys = frozenset(channels)
    node_names = frozenset(builder.nodes)
    for name, node in builder.nodes.items():
        channels[branch_channel(name)] = (
            LastValueAfterFinish(Any, key=branch_channel(name))
            if node.defer
            else EphemeralValue(Any, guard=False, key=branch_channel(name))
        )
    joins_of: dict[str, list[str]] = {}
    triggers_of: dict[str, list[str]] = {name: [branch_channel(name)] for name in builder.nodes}
    for starts, end in sorted(builder.waiting_edges):
        key = f"join:{'+'.join(starts)}:{end}"
        barrier_cls = (
            NamedBarrierValueAfterFinish if builder.nodes[end].defer else NamedBarrierValue
        )
        channels[key] = barrier_cls(str, names=set(starts), key=key)
        triggers_of[end].append(key)
        for start in starts:
            joins_of.setdefault(start, []).append(key)
    state_info = builder.schemas[builder.state_schema]
    state_read = state_info.keys
    edges_of: dict[str, list[str]] = {}
    for start, end in sorted(builder.edges):
        if end != END:
            edges_of.setdefault(start, []).append(end)

    def writer(name: str, strict: bool) -> NodeWrites:
        return NodeWrites(
            name,
            keys=state_keys,
            nodes=node_names,
            edges=tuple(edges_of.get(name, ())),
            joins=tuple(joins_of.get(name, ())),
            branches=tuple(builder.branches.get(name, {}).values()),
            read=state_read,
            mapper=state_info.mapper,
            managed=tuple(state_info.managed.items()),
            strict=strict,
            seeded=frozenset(seeded),
        )

    nodes: dict[str, NodeSpec] = {}
    for name, node in builder.nodes.items():
        info = builder.schemas[node.input_schema]
        runnable = hasattr(node.action, "ainvoke") and not inspect.isfunction(node.action)
        call = make_node_call(node.action)
        streaming = stream_messages(call)
        nodes[name] = NodeSpec(
            name,
            triggers=triggers_of[name],
            reads=info.keys,
            call=call,
            variants={
                "messages": streaming,
                "traced": traced_node(call),
                "traced+messages": traced_node(streaming),
            },
            writer=writer(name, strict=not runnable),
            mapper=info.mapper,
            managed=tuple(info.managed.items()),
            retry_policy=node.retry_policy,
            cache_policy=node.cache_policy,
            metadata=node.metadata,
        )
    start_writer = writer(START, strict=True)
    input_info = builder.schemas[builder.input_schema]

    async def map_input(task: Task, value: Any) -> None:
        if isinstance(value, Command):
            if value.resume is not None:
                raise InvalidUpdateError(
                    "Command(resume=...) needs a checkpointer and a thread_id: compile the "
                    "graph with checkpointer=... and pass config={'configurable': "
                    "{'thread_id': ...}}."
                )
            start_writer._command(task, value)
            return
        if value is None:
            raise EmptyInputError(
                "Received no input for __start__: invoke the graph with a dict of state keys."
            )
        routing = start_writer(task, coerce_input(input_info, value))
        if routing is not None:
            await routing

    output_info = builder.schemas[builder.output_schema]
    spec = GraphSpec(
        channels=channels,
        nodes=nodes,
        map_input=map_input,
        output_keys=output_info.keys,
        stream_keys=tuple(state_keys),
    )
    spec.seeded_keys = frozenset(seeded)
    return spec


# Pregel's name is always a str, a Runnable's may be None: compatible in practice.
class CompiledStateGraph(  # type: ignore[misc]
    Pregel, Runnable[Any, Any], Generic[StateT, ContextT, InputT, OutputT]
):
    """A compiled :class:`StateGraph`: run it with invoke/stream/batch (sync or async).

    ``builder`` is the StateGraph it came from; ``nodes`` maps names to nodes
    you can invoke on their own (``app.nodes["a"].invoke(state)``, for tests);
    ``channels`` maps state keys and internal channels to their prototypes.

    It is a :class:`~actorgraph.runnables.Runnable`: ``prep | graph | post``
    composes (a graph step takes the previous step's output as input and passes
    its output state on, once: state snapshots do not add up as stream chunks),
    and ``with_config``, ``with_retry``, ``with_fallbacks``, ``batch`` and
    ``astream_events`` work on it. ``astream_events`` reports the graph, each
    node (``langgraph_*`` metadata), chat models, tools and custom events; see
    :mod:`actorgraph.graph._traced` for the shapes.
    """

    def __init__(
        self, spec: GraphSpec, *, builder: StateGraph[Any, Any, Any, Any], **kwargs: Any
    ) -> None:
        super().__init__(spec, **kwargs)
        self.builder = builder

    # -- Runnable ---------------------------------------------------------------------

    def get_input_schema(self, config: RunnableConfig | None = None) -> Any:
        """The graph's input schema (the state schema unless ``input_schema`` was given)."""
        return self.builder.input_schema

    def get_output_schema(self, config: RunnableConfig | None = None) -> Any:
        """The graph's output schema (the state schema unless ``output_schema`` was given)."""
        return self.builder.output_schema

    async def ainvoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        """See :meth:`Pregel.ainvoke`; an observed call also reports its run."""
        if not observed(config):
            return await super().ainvoke(input, config, **kwargs)
        return await traced_ainvoke(self, input, config, kwargs)

    def astream(
        self,
        input: Any,
        config: RunnableConfig | None = None,
        *,
        stream_mode: str | Sequence[str] | None = None,
        subgraphs: bool = False,
        **kwargs: Any,
    ) -> RunStream:
        """See :meth:`Pregel.astream`; an observed call also reports its run."""
        if not observed(config):
            return super().astream(
                input, config, stream_mode=stream_mode, subgraphs=subgraphs, **kwargs
            )
        kwargs.pop("durability", None)
        for key in ("context", "output_keys", "interrupt_before", "interrupt_after"):
            kwargs.setdefault(key, None)
        return observed_stream(
            self,
            input,
            config,
            stream_mode=stream_mode,
            subgraphs=subgraphs,
            report=True,
            options=kwargs,
        )

    def invoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        """See :meth:`Pregel.invoke`; an observed call also reports its run."""
        if not observed(config):
            # Pregel's own (what super() finds) without super()'s lookup per call.
            return Pregel.invoke(self, input, config, **kwargs)
        return run_sync("ainvoke", self.ainvoke, input, config, **kwargs)

    def stream(
        self, input: Any, config: RunnableConfig | None = None, **kwargs: Any
    ) -> Generator[Any, None, None]:
        """See :meth:`Pregel.stream`; an observed call also reports its run."""
        if not observed(config):
            return super().stream(input, config, **kwargs)
        return iterate_sync("astream", lambda: self.astream(input, config, **kwargs))

    async def atransform(
        self, input: AsyncIterator[Any], config: RunnableConfig | None = None, **kwargs: Any
    ) -> AsyncIterator[Any]:
        """As a step of a streamed composition: the input chunks added up, then the
        output state as one chunk."""
        yield await self.ainvoke(or_none(await collect(input)), config, **kwargs)

    def _observe_run(self, run: RunSupervisor) -> None:
        attribute_writer(run)

    def _subgraph(self, name: str) -> StateAPI | None:
        node = self.builder.nodes.get(name)
        action = node.action if node is not None else None
        return action if isinstance(action, Pregel) else None

    def _coerce_context(self, context: Any) -> Any:
        return coerce_context(self.builder.context_schema, context)

    def get_graph(self, config: RunnableConfig | None = None, *, xray: bool | int = False) -> Graph:
        """A drawable view: ``get_graph().draw_mermaid()`` or ``.draw_ascii()``.

        Conditional edges are drawn to the destinations their ``path_map``,
        ``Literal`` return annotation or ``destinations=`` name (to every node
        when nothing names them); Command-routing nodes likewise. ``xray=True``
        draws subgraph nodes expanded (their nodes named ``parent:child``);
        ``xray=n`` expands ``n`` levels.
        """
        builder = self.builder
        graph = Graph()
        graph.add_node(name=START)
        # A subgraph drawn expanded is entered at its first nodes and left from
        # the nodes that lead to its END.
        ports: dict[str, tuple[list[str], list[str]]] = {}
        for name, node in builder.nodes.items():
            action = node.action
            if xray and isinstance(action, CompiledStateGraph):
                inner = action.get_graph(xray=True if xray is True else int(xray) - 1)
                ports[name] = (
                    [f"{name}:{e.target}" for e in inner.edges if e.source == START],
                    [f"{name}:{e.source}" for e in inner.edges if e.target == END],
                )
                for inner_id, inner_node in inner.nodes.items():
                    if inner_id not in (START, END):
                        graph.add_node(inner_node.data, id=f"{name}:{inner_id}")
                for e in inner.edges:
                    if e.source != START and e.target != END:
                        graph.add_edge(
                            f"{name}:{e.source}", f"{name}:{e.target}", e.data, e.conditional
                        )
            else:
                graph.add_node(action, id=name, metadata=node.metadata)
        targets: list[tuple[str, str, str | None, bool]] = []
        for start, end in sorted(builder.edges):
            targets.append((start, end, None, False))
        for starts, end in sorted(builder.waiting_edges):
            targets.extend((start, end, None, False) for start in starts)
        everywhere = (*builder.nodes, END)
        for source, branches in builder.branches.items():
            for branch in branches.values():
                if branch.mapping is not None:
                    for label, end in branch.mapping.items():
                        shown = None if str(label) == end else str(label)
                        targets.append((source, end, shown, True))
                else:
                    targets.extend((source, end, None, True) for end in branch.ends or everywhere)
        for name, node in builder.nodes.items():
            targets.extend((name, end, None, True) for end in node.ends)
        if any(end == END for _, end, _, _ in targets):
            graph.add_node(name=END)
        seen: set[tuple[str, str, str | None, bool]] = set()
        for source, target, label, conditional in targets:
            for start in ports[source][1] if source in ports else (source,):
                for end in ports[target][0] if target in ports else (target,):
                    edge = (start, end, label, conditional)
                    if edge not in seen and end in graph.nodes:
                        seen.add(edge)
                        graph.add_edge(start, end, label, conditional=conditional)
        return graph

    def __repr__(self) -> str:
        return f"CompiledStateGraph(name={self.name!r}, nodes={sorted(self.nodes)!r})"
