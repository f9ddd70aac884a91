"""A crash between a run's first two checkpoints loses the run's input.

The input checkpoint (step -1) is saved before the input's writes, which are
saved with the next checkpoint, in a second transaction. A process killed
between the two leaves a thread whose newest checkpoint waits on ``__start__``
with no writes. ``invoke(None, config)`` used to return the empty state there
as if the run had ended; it now fails, naming the thread and saying to invoke
it with its input again, and that run ends where an uninterrupted one does.
(A cancel in that window is shielded; a SIGKILL cannot be.)
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from actorgraph.errors import EmptyInputError
from actorgraph.store import SqliteSaver
from tests.proofs._graph import FINAL, INPUT, Hooks, build, config_for

ROOT = Path(__file__).resolve().parents[3]

_CHILD = """
import os, signal, sys
from actorgraph.errors import EmptyInputError
from actorgraph.store import SqliteSaver
from tests.proofs._graph import INPUT, Hooks, build, config_for


class KillAfterInput:
    def __init__(self, saver):
        self._saver = saver

    def __getattr__(self, name):
        return getattr(self._saver, name)

    async def aput(self, config, checkpoint, metadata, *args, **kwargs):
        saved = await self._saver.aput(config, checkpoint, metadata, *args, **kwargs)
        if metadata.source == "input":
            os.kill(os.getpid(), signal.SIGKILL)
        return saved


with SqliteSaver(sys.argv[1]) as saver:
    app = build(Hooks(), KillAfterInput(saver))
    app.invoke(INPUT, config_for("window"), durability="sync")
"""


def test_sigkill_right_after_the_input_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "window.db"
    child = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path)], cwd=ROOT, capture_output=True, check=False
    )
    assert child.returncode == -9, child.stderr
    config = config_for("window")
    with SqliteSaver(path) as saver:
        app = build(Hooks(), saver)
        assert saver.get_tuple(config) is not None
        before = list(saver.list(config))
        with pytest.raises(EmptyInputError, match="'window' stopped before its input was saved"):
            app.invoke(None, config, durability="sync")
        assert list(saver.list(config)) == before
        assert app.invoke(INPUT, config, durability="sync") == FINAL
