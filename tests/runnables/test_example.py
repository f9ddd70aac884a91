"""The composed example in examples/ runs and prints what the README shows."""

from __future__ import annotations

import pytest

from examples import runnables_compose


def test_example_main(capsys: pytest.CaptureFixture[str]) -> None:
    runnables_compose.attempts["flaky"] = 0
    runnables_compose.sessions.clear()
    runnables_compose.main()
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "{'doubled': 4, 'same': 2, 'total': 6}",
        "[{'doubled': 4, 'same': 2, 'total': 6}, {'doubled': 6, 'same': 3, 'total': 9}]",
        "7 after 3 attempts",
        "42",
        "STREAMS AS IT GOES",
        "message 1 of this session: 'hello'",
        "message 3 of this session: 'and again'",
    ]


@pytest.mark.anyio
async def test_example_events() -> None:
    assert await runnables_compose.amain() == [
        "on_chain_start add_one",
        "on_chain_stream add_one",
        "on_chain_end add_one",
    ]
