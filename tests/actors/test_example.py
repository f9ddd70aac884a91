"""The supervision-tree example runs and shows a restart and an escalation."""

from __future__ import annotations

import pytest

from examples.supervision_tree import main

pytestmark = pytest.mark.anyio


async def test_supervision_tree_example(capsys: pytest.CaptureFixture[str]) -> None:
    await main()
    out = capsys.readouterr().out
    assert "w1 says 42" in out
    assert out.count("crashed: boom") == 3
    assert out.count("/app/workers/w1 restarted after RuntimeError('boom')") == 2
    assert "escalated: /app <- /app/workers" in out
