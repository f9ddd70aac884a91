"""The functional API example runs and shows what it says it shows."""

from __future__ import annotations

import pytest

from examples import functional_api


def test_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    functional_api.drafted.clear()
    functional_api.main()
    out = capsys.readouterr().out
    assert out.count("{'draft': ") == 3
    assert "'review': 'approved', 'runs': 1}}" in out
    assert "drafted: ['body', 'intro', 'outro']" in out  # once each, not again on resume
    assert len(functional_api.drafted) == 6  # the second essay drafts its own
    assert "second essay: 2" in out
