"""What a node reads: the state as a dict, kept across steps for wide states.

A node's input is built from every channel it reads. For a state of a few
keys that is cheap; for a wide one (dozens of keys) rebuilding it each step
costs more than the step's other work, while a step usually changes one or
two keys. So a run keeps, per tuple of read keys, the dict it built, and
:func:`refresh_views` patches it with the channels each step changed.

The kept dict is never handed out: each task gets its own copy, so a node
that adds or removes keys in its input changes nothing for its siblings or
later steps. Values are shared, as they are between the channel and every
reader already (LangGraph hands nodes the stored objects too).

Staleness is ruled out by a stamp rather than by trust: the views are
current only while ``run.version`` is the version they were last made or
patched at and ``run.versions`` is the same map. Anything that changes a
channel outside :func:`apply_writes` (restoring a checkpoint, a resume's
update) moves the version or replaces the map, so the views are rebuilt.
Only keys whose channel keeps its value in a plain slot
(:func:`~actorgraph.channels.base.value_is_plain`) are kept: other channels
(a Topic returns a fresh list per read) make the node read fresh every step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from actorgraph.channels.base import MISSING

if TYPE_CHECKING:
    from actorgraph.actors.pregel._run import RunSupervisor
    from actorgraph.actors.pregel._spec import NodeSpec

__all__ = ["WIDE", "StateViews", "read_state", "refresh_views"]

WIDE = 8
"""Read keys from which a node's view is kept across steps; smaller ones are rebuilt."""


class StateViews:
    """A run's kept views: read keys -> (their set, the dict of available values)."""

    __slots__ = ("at", "of", "views")

    def __init__(self, at: int, of: dict[str, int]) -> None:
        self.at = at
        self.of = of
        self.views: dict[tuple[str, ...], tuple[frozenset[str], dict[str, Any]]] = {}


def _build(run: RunSupervisor, node: NodeSpec) -> dict[str, Any]:
    channels = run.channels
    own = channels.get
    prototypes = channels.prototypes
    out: dict[str, Any] = {}
    for key, plain in node.read_plan:
        # Read only: a channel the run never wrote stays the graph's own
        # (RunChannels.read inlined: this runs per key of a wide state).
        channel = own(key)
        if channel is None:
            channel = prototypes[key]
        if plain:
            # For these channels get() is this slot (see value_is_plain).
            got = channel.value  # type: ignore[attr-defined]
            if got is not MISSING:
                out[key] = got
        elif channel.is_available():
            out[key] = channel.get()
    return out


def read_state(run: RunSupervisor, node: NodeSpec) -> dict[str, Any]:
    """The available values of the channels ``node`` reads, in read order.

    The dict returned may be the run's kept view: copy it before handing it
    to a task.
    """
    if not node.wide:
        return _build(run, node)
    state = run.views
    if state is None or state.at != run.version or state.of is not run.versions:
        state = run.views = StateViews(run.version, run.versions)
    reads = node.reads
    assert reads is not None  # noqa: S101 - wide nodes read keys
    kept = state.views.get(reads)
    if kept is None:
        view = _build(run, node)
        state.views[reads] = (frozenset(reads), view)
        return view
    return kept[1]


def refresh_views(run: RunSupervisor, version: int, bumped: list[str]) -> None:
    """Patch the run's views with the channels whose version became ``version``.

    Called by :func:`apply_writes` after a step; if the views were not current
    just before it (something else moved the version), they are dropped.
    """
    state = run.views
    if state is None:
        return
    if state.at != version - 1 or state.of is not run.versions:
        run.views = None
        return
    state.at = version
    if not bumped:
        return
    channels = run.channels
    stale: list[tuple[str, ...]] = []
    for reads, (keys, view) in state.views.items():
        for key in bumped:
            if key not in keys:
                continue
            got = channels[key].value  # type: ignore[attr-defined]  # wide views are plain
            if got is MISSING:
                view.pop(key, None)
            elif key in view:
                view[key] = got
            else:
                # A key that appears would land last; rebuild to keep read order.
                stale.append(reads)
                break
    for reads in stale:
        del state.views[reads]
