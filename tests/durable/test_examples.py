"""The persistence and interrupt examples run and print what the README shows."""

from __future__ import annotations

from examples import interrupts, persistence


def test_persistence_example() -> None:
    lines = persistence.main()
    assert lines[0] == "state: {'topic': 'owls', 'notes': ['facts about owls', 'an essay on owls']}"
    assert lines[1:5] == [
        "step  2 loop  next=()",
        "step  1 loop  next=('write',)",
        "step  0 loop  next=('research',)",
        "step -1 input next=('__start__',)",
    ]
    assert lines[5] == "fork: ['facts about owls', 'an essay on bats']"


def test_interrupts_example() -> None:
    lines = interrupts.main()
    assert lines == [
        "waiting: {'role': 'finance', 'approve': 'laptop'}",
        "waiting: {'role': 'manager', 'approve': 'laptop'}",
        "still waiting: ['finance']",
        "approvals: ['finance: no', 'manager: yes']",
        "breakpoint before: ('finance', 'manager')",
        "resumed: chair",
    ]
