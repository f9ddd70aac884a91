"""The checkpoint example runs and shows what it says it shows."""

from __future__ import annotations

import pytest

from examples import checkpoints


def test_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    checkpoints.main()
    out = capsys.readouterr().out
    assert out.count("EventLoopThreadError: SqliteSaver.get_tuple() is for plain code") == 2
    assert "checkpoint: ['hi', 'hello, how can I help?', 'what is a checkpoint?']" in out
    assert "after prune: ['chat', 'fork', 'scratch']" in out
