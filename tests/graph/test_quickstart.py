"""The quickstart example runs and gives what its docstring promises."""

from __future__ import annotations

from pathlib import Path

import pytest

from examples import quickstart

pytestmark = pytest.mark.anyio


async def test_quickstart_graph() -> None:
    app = quickstart.build()
    result = await app.ainvoke({"topic": "t", "drafts": [], "rounds": 0})
    assert result["rounds"] == 2
    assert result["__interrupt__"][0].value["question"] == "Publish these drafts?"
    assert result["drafts"][:3] == ["why of t", "how of t", "what next of t"]
    assert "plan -.-> write;" in app.get_graph().draw_mermaid()


async def test_quickstart_main_prints_progress_and_graph(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    await quickstart.main(tmp_path / "q.sqlite")
    out = capsys.readouterr().out
    assert "[####################]" in out
    assert "rounds: 2" in out
    assert "paused at ('approve',)" in out
    assert "published: True" in out
    assert "history of thread" in out
    assert " loop " in out
    assert "graph TD;" in out
    # A second run continues the same thread from the SQLite file.
    await quickstart.main(tmp_path / "q.sqlite")
    out = capsys.readouterr().out
    assert "continuing thread 'quickstart'" in out
    assert "rounds: 4" in out
    assert "published: True" in out
