"""Cancel proof: cancel persisted runs at random points, on asyncio and trio.

A run of the proof graph (``_graph``) is cancelled by an anyio cancel scope
around ``ainvoke`` or ``astream`` (after a random number of task events plus
a random number of scheduler turns, so the cancel lands inside tasks, between
them and while checkpoints are written) or by a plain timeout. When the
cancelled call returns:

- no task of the run is alive (every node task has left, no anyio task the
  run started is left) and no async node starts or finishes afterwards;
- the thread's state is consistent: a state the uninterrupted run passed
  through, and, with ``sync`` and ``exit`` durability, at least the last
  superstep known to be complete (``exit`` saves it, shielded);
- with ``sync``, resuming does not re-run a task whose writes were saved;
- resuming (``ainvoke(None, config)``) ends in the uninterrupted final state.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import anyio.from_thread
import anyio.lowlevel
import anyio.to_thread
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actorgraph.store import InMemorySaver, SqliteSaver
from tests.proofs._graph import (
    FINAL,
    INPUT,
    PREFIXES,
    STEP_VALUES,
    TASK_KEYS,
    Hooks,
    build,
    config_for,
    saved_keys,
    stored_state,
)

pytestmark = pytest.mark.anyio

DURABILITIES = ("sync", "async", "exit")
# The superstep each task runs in: once a task of step s has started, the
# state reached is at least STEP_VALUES[s].
STEP_OF = {"a": 0, "b": 1, "w:x": 2, "w:yy": 2, "w:zzz": 2, "c": 3, "d": 4}
EVENTS = 2 * len(TASK_KEYS)


class Recorder:
    """Collects the tasks' events; sets ``reached`` at the ``cancel_at``-th one."""

    def __init__(self, cancel_at: int | None = None) -> None:
        self.events: list[str] = []
        self.live: set[str] = set()
        self.reached = anyio.Event()
        self.cancel_at = cancel_at
        self._lock = threading.Lock()
        self._loop_thread = threading.get_ident()
        self.b_left = threading.Event()

    def hooks(self, *, sleep: float = 0.0) -> Hooks:
        return Hooks(self._enter, self._done, self._leave, sleep=sleep)

    def _note(self, event: str) -> None:
        with self._lock:
            self.events.append(event)
            hit = len(self.events) == self.cancel_at
        if hit:
            if threading.get_ident() == self._loop_thread:
                self.reached.set()
            else:  # the sync node, on a worker thread of the run's loop
                anyio.from_thread.run_sync(self.reached.set)

    def _enter(self, key: str) -> None:
        with self._lock:
            self.live.add(key)
        self._note(f"enter {key}")

    def _done(self, key: str) -> None:
        self._note(f"done {key}")

    def _leave(self, key: str) -> None:
        with self._lock:
            self.live.discard(key)
        if key == "b":
            self.b_left.set()

    def entered(self, since: int = 0) -> list[str]:
        return [e.split()[1] for e in self.events[since:] if e.startswith("enter")]


@asynccontextmanager
async def _saver(kind: str, folder: Path) -> AsyncIterator[Any]:
    if kind == "memory":
        yield InMemorySaver()
    else:
        async with SqliteSaver(folder / f"{uuid.uuid4().hex}.db") as saver:
            yield saver


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cancel")


def _consistent(snapshot: Any, latest: Any) -> int:
    """Check the saved state is one the run passed through; return its step.

    The checkpoint itself holds a state of the uninterrupted run (the state
    when step ``s`` began); ``get_state`` shows it with the writes of the
    tasks of step ``s`` that had finished and been saved, as LangGraph does.
    """
    raw = stored_state(latest.checkpoint.channel_values)
    assert raw in PREFIXES, f"inconsistent checkpoint {raw}"
    step = PREFIXES.index(raw) - 1
    log = snapshot.values["log"]
    assert log[: len(raw["log"])] == raw["log"], f"{snapshot.values} does not extend {raw}"
    extra = log[len(raw["log"]) :]
    assert all(STEP_OF[key] == step for key in extra), f"{extra} are not of step {step}"
    return step


def _task_ids() -> set[int]:
    return {task.id for task in anyio.get_running_tasks()}


async def _cancel_and_check(
    call: Callable[[Any, Any, str], Awaitable[Any]],
    *,
    saver: Any,
    durability: str,
    cancel_at: int,
    turns: int,
) -> None:
    """Run ``call(app, config, durability)``, cancel it, check, resume, check."""
    recorder = Recorder(cancel_at)
    app = build(recorder.hooks(), saver)
    config = config_for(uuid.uuid4().hex)
    await saver.aget_tuple(config)  # a lazily opened file is open before counting tasks
    scope = anyio.CancelScope()
    finished = False

    async def canceller() -> None:
        await recorder.reached.wait()
        for _ in range(turns):
            await anyio.lowlevel.checkpoint()
        scope.cancel()

    async with anyio.create_task_group() as group:
        group.start_soon(canceller)
        await anyio.lowlevel.checkpoint()  # let the canceller start waiting
        before = _task_ids()
        with scope:
            await call(app, config, durability)
            finished = True
        left = _task_ids() - before
        running = set(recorder.live)
        mark = len(recorder.events)
        group.cancel_scope.cancel()
    assert running <= {"b"}, f"tasks still running after the cancelled call: {running}"
    assert not left, f"{len(left)} anyio task(s) outlived the cancelled call"
    await _check_after(app, saver, config, recorder, mark, durability, finished)


async def _check_after(
    app: Any,
    saver: Any,
    config: Any,
    recorder: Recorder,
    mark: int,
    durability: str,
    finished: bool,
) -> None:
    await anyio.sleep(0.01)
    late = [key for key in recorder.entered(mark) if key != "b"]
    assert not late, f"async nodes started after the cancelled call returned: {late}"
    assert all(e.endswith(" b") for e in recorder.events[mark:]), recorder.events[mark:]
    snapshot = await app.aget_state(config)
    latest = await saver.aget_tuple(config)
    if finished:
        assert snapshot.values == FINAL
        return
    if latest is None:
        assert durability != "sync" or not recorder.events, "sync saved nothing"
    else:
        index = _consistent(snapshot, latest)
        if durability in ("sync", "exit"):
            started = [STEP_OF[key] for key in recorder.entered()]
            reached = max(started, default=-1)
            assert index >= reached, (
                f"{durability}: saved {snapshot.values}, but step {reached} had started"
            )
    saved = saved_keys(snapshot.values, latest.pending_writes if latest else ())
    resume_from = len(recorder.events)
    result = await app.ainvoke(None if latest else INPUT, config, durability=durability)
    assert result == FINAL
    assert (await app.aget_state(config)).values == FINAL
    if durability == "sync":
        again = set(recorder.entered(resume_from)) & saved
        assert not again, f"tasks saved before the cancel ran again on resume: {again}"


async def _ainvoke(app: Any, config: Any, durability: str) -> Any:
    return await app.ainvoke(INPUT, config, durability=durability)


async def _astream_pull(app: Any, config: Any, durability: str) -> Any:
    return [chunk async for chunk in app.astream(INPUT, config, durability=durability)]


async def _astream_live(app: Any, config: Any, durability: str) -> Any:
    async with app.astream(INPUT, config, durability=durability) as stream:
        return [chunk async for chunk in stream]


CALLS = {"ainvoke": _ainvoke, "astream": _astream_pull, "astream-live": _astream_live}


@settings(max_examples=12)
@given(
    call=st.sampled_from(sorted(CALLS)),
    kind=st.sampled_from(["memory", "sqlite"]),
    durability=st.sampled_from(DURABILITIES),
    cancel_at=st.integers(1, EVENTS),
    turns=st.integers(0, 40),
)
async def test_cancel_scope_at_random_points(
    folder: Path, call: str, kind: str, durability: str, cancel_at: int, turns: int
) -> None:
    async with _saver(kind, folder) as saver:
        await _cancel_and_check(
            CALLS[call], saver=saver, durability=durability, cancel_at=cancel_at, turns=turns
        )


@pytest.mark.parametrize("durability", DURABILITIES)
@pytest.mark.parametrize("cancel_at", [1, 4, 7, 12])
async def test_cancel_scope_at_chosen_points(folder: Path, durability: str, cancel_at: int) -> None:
    # The random test's points, fixed: first task, the sync node, the fan-out, the end.
    async with _saver("sqlite", folder) as saver:
        await _cancel_and_check(
            _ainvoke, saver=saver, durability=durability, cancel_at=cancel_at, turns=0
        )


@settings(max_examples=10)
@given(
    durability=st.sampled_from(DURABILITIES),
    delay=st.floats(0, 0.03),
    fail=st.booleans(),
)
async def test_plain_timeouts(folder: Path, durability: str, delay: float, fail: bool) -> None:
    recorder = Recorder()
    async with _saver("sqlite", folder) as saver:
        app = build(recorder.hooks(), saver)
        config = config_for(uuid.uuid4().hex)
        await saver.aget_tuple(config)
        before = _task_ids()
        finished = False
        try:
            with anyio.fail_after(delay) if fail else anyio.move_on_after(delay):
                await app.ainvoke(INPUT, config, durability=durability)
                finished = True
        except TimeoutError:
            assert fail
        assert recorder.live <= {"b"}
        assert not _task_ids() - before
        await _check_after(app, saver, config, recorder, len(recorder.events), durability, finished)


@pytest.mark.parametrize("durability", DURABILITIES)
async def test_a_cancelled_run_keeps_the_state_it_reached(folder: Path, durability: str) -> None:
    # Cancelled while the fan-out runs: two supersteps are complete, and with
    # every durability the thread holds them, though "exit" wrote nothing
    # before the cancel (shielded, the save still happens).
    recorder = Recorder(cancel_at=6)  # enter a, done a, enter b, done b, enter w:x, enter w:yy
    async with _saver("sqlite", folder) as saver:
        app = build(recorder.hooks(), saver)
        config = config_for(uuid.uuid4().hex)
        async with anyio.create_task_group() as group:
            with anyio.CancelScope() as scope:
                group.start_soon(_cancel_when, recorder, scope)
                await app.ainvoke(INPUT, config, durability=durability)
        assert scope.cancelled_caught
        snapshot = await app.aget_state(config)
        latest = await saver.aget_tuple(config)
        assert latest is not None
        assert _consistent(snapshot, latest) == 2
        assert set(snapshot.next) <= {"work"}
        assert await app.ainvoke(None, config, durability=durability) == FINAL


async def _cancel_when(recorder: Recorder, scope: anyio.CancelScope) -> None:
    await recorder.reached.wait()
    scope.cancel()


@pytest.mark.parametrize("durability", DURABILITIES)
async def test_sync_node_writes_after_the_cancel_are_discarded(
    folder: Path, durability: str
) -> None:
    # The sync node blocks its worker thread; the cancel comes while it does.
    # The thread cannot be stopped: whatever the node returns once the cancel
    # is through must not reach the state, and resuming runs it again.
    recorder = Recorder(cancel_at=3)  # enter a, done a, enter b
    async with _saver("sqlite", folder) as saver:
        app = build(recorder.hooks(sleep=0.05), saver)
        config = config_for(uuid.uuid4().hex)
        async with anyio.create_task_group() as group:
            with anyio.CancelScope() as scope:
                group.start_soon(_cancel_when, recorder, scope)
                await app.ainvoke(INPUT, config, durability=durability)
        assert scope.cancelled_caught
        # The thread may still be finishing if the engine stopped waiting for it.
        assert await anyio.to_thread.run_sync(recorder.b_left.wait, 5)
        assert "done b" in recorder.events
        snapshot = await app.aget_state(config)
        latest = await saver.aget_tuple(config)
        if durability == "async":  # write-behind: an earlier state is consistent too
            assert snapshot.values in PREFIXES[:3]
        else:
            assert snapshot.values == STEP_VALUES[1]
            assert snapshot.next == ("b",)
        pending = latest.pending_writes if latest else ()
        assert "b" not in saved_keys(snapshot.values, pending)
        resumed = await app.ainvoke(None if latest else INPUT, config, durability=durability)
        assert resumed == FINAL
        assert recorder.entered().count("b") == 2


async def test_uninterrupted_run_checkpoints_every_step(folder: Path) -> None:
    # The reference the other proofs compare with: a checkpoint per step,
    # newest first in the history, each equal to the streamed state.
    async with _saver("sqlite", folder) as saver:
        app = build(Recorder().hooks(), saver)
        config = config_for("reference")
        streamed = [s async for s in app.astream(INPUT, config, stream_mode="values")]
        assert streamed == STEP_VALUES
        history = [snapshot.values async for snapshot in app.aget_state_history(config)]
        assert history[::-1][-len(STEP_VALUES) :] == STEP_VALUES


def test_the_readme_says_what_cancel_does_to_sync_nodes() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("## Cancellation and crashes", 1)[1].split("\n## ", 1)[0]
    assert "worker thread" in section
    assert "discarded" in section


class _CancelAround:
    """A saver that cancels ``scope`` around its first save of a ``source`` checkpoint.

    ``before``: just before the save starts (the save itself then runs under
    the cancel); otherwise just after it returns.
    """

    def __init__(self, saver: Any, scope: anyio.CancelScope, source: str, before: bool) -> None:
        self._saver = saver
        self._scope = scope
        self._source = source
        self._before = before

    def __getattr__(self, name: str) -> Any:
        return getattr(self._saver, name)

    async def aput(self, config: Any, checkpoint: Any, metadata: Any, *args: Any, **kw: Any) -> Any:
        hit = metadata.source == self._source and not self._scope.cancel_called
        if hit and self._before:
            self._scope.cancel()
        saved = await self._saver.aput(config, checkpoint, metadata, *args, **kw)
        if hit:
            self._scope.cancel()
        return saved


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
@pytest.mark.parametrize(("source", "before"), [("input", False), ("loop", True), ("loop", False)])
async def test_cancelled_around_the_first_checkpoints(
    folder: Path, kind: str, source: str, before: bool
) -> None:
    # The input checkpoint and the one after the input is applied are the
    # first things a run saves: a cancel between or during them must not leave
    # a thread that resumes to nothing.
    async with _saver(kind, folder) as saver:
        scope = anyio.CancelScope()
        app = build(Recorder().hooks(), _CancelAround(saver, scope, source, before))
        config = config_for(uuid.uuid4().hex)
        with scope:
            await app.ainvoke(INPUT, config, durability="sync")
        assert scope.cancelled_caught
        snapshot = await app.aget_state(config)
        latest = await saver.aget_tuple(config)
        if latest is not None:
            _consistent(snapshot, latest)
        resume = None if latest else INPUT
        assert await app.ainvoke(resume, config, durability="sync") == FINAL
