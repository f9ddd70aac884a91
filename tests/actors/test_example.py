"""The supervision-tree example runs and shows a restart and an escalation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from examples.agent_simulation import simulate
from examples.supervision_tree import main

pytestmark = pytest.mark.anyio


async def test_supervision_tree_example(capsys: pytest.CaptureFixture[str]) -> None:
    await main()
    out = capsys.readouterr().out
    assert "w1 says 42" in out
    assert out.count("crashed: boom") == 3
    assert out.count("/app/workers/w1 restarted after RuntimeError('boom')") == 2
    assert "escalated: /app <- /app/workers" in out


def test_readme_example_runs(tmp_path: Path) -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Actors and supervision trees") :]
    start = section.index("```python\n") + len("```python\n")
    script = tmp_path / "readme_actors.py"
    script.write_text(section[start : section.index("```\n", start)], encoding="utf-8")
    out = subprocess.run(
        [sys.executable, str(script)], check=True, capture_output=True, text=True, timeout=60
    ).stdout
    assert out.splitlines() == ["42", "escalated: /app"]


async def test_agent_simulation_conserves_coins() -> None:
    wealth = await simulate(200, 4, seed=1)
    assert len(wealth) == 200
    assert sum(wealth) == 2000
    assert max(wealth) > 10
