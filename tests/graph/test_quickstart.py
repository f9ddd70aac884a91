"""The quickstart example runs and gives what its docstring promises."""

from __future__ import annotations

import pytest

from examples import quickstart

pytestmark = pytest.mark.anyio


async def test_quickstart_graph() -> None:
    app = quickstart.build()
    result = await app.ainvoke({"topic": "t", "drafts": [], "rounds": 0})
    assert result["rounds"] == 2
    assert result["drafts"][:3] == ["why of t", "how of t", "what next of t"]
    assert "plan -.-> write;" in app.get_graph().draw_mermaid()


async def test_quickstart_main_prints_progress_and_graph(
    capsys: pytest.CaptureFixture[str],
) -> None:
    await quickstart.main()
    out = capsys.readouterr().out
    assert "[####################]" in out
    assert "rounds: 2" in out
    assert "graph TD;" in out
