"""examples/graph_events.py runs and shows what the README says."""

from __future__ import annotations

import pytest

from examples import graph_events


def test_the_chain_runs_from_plain_code() -> None:
    assert graph_events.main() == "PARIS IS LOVELY"


@pytest.mark.anyio
async def test_the_events_of_one_run() -> None:
    lines = await graph_events.amain()
    assert lines[:3] == [
        "on_chain_start LangGraph None",
        "on_chain_start answer answer",
        "on_chat_model_start FakeChatModel answer",
    ]
    assert lines.count("on_chat_model_stream FakeChatModel answer") == 3
    assert "on_custom_event progress answer" in lines
    assert "on_custom_event custom answer" in lines
    assert lines[-1] == "on_chain_end LangGraph None"
