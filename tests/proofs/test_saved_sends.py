"""Sends a step made are part of its checkpoint, on every saver.

Found by the crash proof: a run stopped after the fan-out step's checkpoint
resumed to nothing, because the SQLite saver got the pending Sends without a
channel version and stored no value for them.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from actorgraph.store import InMemorySaver, SqliteSaver
from tests.proofs._graph import FINAL, INPUT, STEP_VALUES, Hooks, build, config_for

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
@pytest.mark.parametrize("durability", ["sync", "async", "exit"])
async def test_a_run_paused_before_its_sends_resumes_them(
    tmp_path: Path, kind: str, durability: str
) -> None:
    path = tmp_path / "sends.db"
    memory = InMemorySaver()
    config = config_for("sends")
    async with SqliteSaver(path) as first:
        saver = memory if kind == "memory" else first
        app = build(Hooks(), saver)
        paused = await app.ainvoke(INPUT, config, durability=durability, interrupt_before=["work"])
        assert paused == STEP_VALUES[2]
    # A new saver on the same file knows only what was written.
    async with SqliteSaver(path) as second:
        app = build(Hooks(), memory if kind == "memory" else second)
        snapshot = await app.aget_state(config)
        assert snapshot.values == STEP_VALUES[2]
        assert snapshot.next == ("work", "work", "work")
        assert await app.ainvoke(None, config, durability=durability) == FINAL


async def test_every_checkpoint_of_a_run_restores_its_next_tasks(tmp_path: Path) -> None:
    async with SqliteSaver(tmp_path / "history.db") as saver:
        app = build(Hooks(), saver)
        config = config_for("history")
        await app.ainvoke(INPUT, config, durability="sync")
        nexts = [s.next async for s in app.aget_state_history(config)][::-1]
    assert nexts[-4:] == [("work", "work", "work"), ("c",), ("d",), ()]


def test_a_new_process_reads_saved_sends_before_compiling_a_graph(tmp_path: Path) -> None:
    # Importing the types a checkpoint holds is enough to read it back: an
    # admin script that lists a thread's history compiles no graph.
    path = tmp_path / "fresh.db"
    with SqliteSaver(path) as saver:
        app = build(Hooks(), saver)
        app.invoke(INPUT, config_for("fresh"), interrupt_before=["work"])
    script = (
        "import sys\n"
        "import actorgraph.types\n"
        "from actorgraph.store import SqliteSaver\n"
        "with SqliteSaver(sys.argv[1]) as saver:\n"
        "    latest = saver.get_tuple({'configurable': {'thread_id': 'fresh'}})\n"
        "print(len(latest.checkpoint.channel_values['__pregel_tasks']))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "3"
