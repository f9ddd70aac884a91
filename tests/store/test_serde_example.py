"""The serialization example runs and shows what it says it shows."""

from __future__ import annotations

import pytest

from examples import serialization


def test_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    serialization.main()
    out = capsys.readouterr().out
    assert "registered: ['Task', 'Priority']" in out
    assert "state['tasks'][1]: type" in out
    assert "inside a " in out
    assert "placeholder: " in out
