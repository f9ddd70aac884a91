from __future__ import annotations

import pytest

from examples import channels_crdt


def test_channels_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    channels_crdt.main()
    out = capsys.readouterr().out
    assert "hits: the same in all 6 arrival orders: GCounter(counts={" in out
    assert "items after Overwrite: ['reset']" in out
    assert "At key 'name'" in out
