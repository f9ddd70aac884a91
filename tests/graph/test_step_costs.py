"""The engine's per-step shortcuts give what the general step gives.

``apply_writes`` revisits, the step after a write, only the channels that may
change when a step passes without a write (``GraphSpec.step_scoped``), and asks
``consume()`` only of triggers whose channel overrides it
(``GraphSpec.consume_keys``); ``output()`` reads plain channels' value slot
(``GraphSpec.plain_keys``). Each test runs the shortcut against the general
behaviour (every channel revisited, every trigger asked) and compares.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Annotated, Any

from hypothesis import given, settings
from typing_extensions import TypedDict

from actorgraph.channels import EphemeralValue, LastValue, Topic
from actorgraph.channels.base import MISSING
from actorgraph.graph import END, START, StateGraph
from tests.strategies import wide_programs


class _Blink(LastValue[int]):
    """A user channel built on LastValue whose value lasts one step."""

    __slots__ = ()

    def update(self, values: Sequence[int]) -> bool:
        if values:
            return super().update(values)
        if self.value is MISSING:
            return False
        self.value = MISSING
        return True


class _State(TypedDict, total=False):
    a: int
    total: Annotated[int, operator.add]
    flash: Annotated[int, EphemeralValue]
    blink: Annotated[int, _Blink]
    log: Annotated[list[int], Topic(int, accumulate=True)]
    burst: Annotated[list[int], Topic(int)]


def _chain(program: list[dict[str, int]], *, general: bool) -> tuple[list[Any], Any]:
    seen: list[Any] = []
    builder = StateGraph(_State)
    previous = START
    for index, writes in enumerate(program):

        def node(state: _State, writes: dict[str, int] = writes) -> dict[str, int]:
            seen.append(sorted(state.items()))
            return writes

        builder.add_node(f"n{index}", node)
        builder.add_edge(previous, f"n{index}")
        previous = f"n{index}"
    builder.add_edge(previous, END)
    app = builder.compile()
    if general:
        spec = app.spec
        spec.step_scoped = frozenset(spec.channels)
        spec.consume_keys = frozenset(spec.channels)
        # output() then reads every key through get() instead of its value slot.
        spec.plain_keys = frozenset()
    return seen, app.invoke({"a": 0})


def test_only_channels_that_can_change_on_their_own_are_revisited() -> None:
    app = StateGraph(_State).add_node("n", lambda s: {}).add_edge(START, "n").compile()
    scoped = app.spec.step_scoped
    # LastValue and reducers ignore a step without writes; a subclass that
    # overrides update() may not, so it is revisited like EphemeralValue.
    assert "a" not in scoped
    assert "total" not in scoped
    assert {"flash", "blink"} <= scoped


def test_a_one_step_value_is_gone_a_step_later() -> None:
    program = [{"a": 1, "total": 2, "flash": 3, "blink": 4}, {}, {}]
    seen, out = _chain(program, general=False)
    assert seen[1] == [("a", 1), ("blink", 4), ("flash", 3), ("total", 2)]
    assert seen[2] == [("a", 1), ("total", 2)]
    assert out == {"a": 1, "total": 2}
    assert (seen, out) == _chain(program, general=True)


def _programs() -> Any:
    keys = ["a", "total", "flash", "blink", "log", "burst"]
    return wide_programs().map(
        lambda program: [
            {keys[int(key[1:]) % 6] if key.startswith("k") else key: value for key, value in step}
            for step in program
        ]
    )


@settings(max_examples=40, deadline=None)
@given(_programs())
def test_shortcuts_match_the_general_step(program: list[dict[str, int]]) -> None:
    assert _chain(program, general=False) == _chain(program, general=True)


def _input_step(value: Any, *, owned: bool) -> tuple[Any, ...]:
    """apply_writes for an input step writing ``value`` to ``a`` and 1 to ``total``."""
    from types import SimpleNamespace

    from actorgraph.actors.pregel._algo import apply_writes
    from actorgraph.actors.pregel._run import RunChannels
    from actorgraph.actors.pregel._task import PULL, Task

    app = StateGraph(_State).add_node("n", lambda s: {}).add_edge(START, "n").compile()
    channels = RunChannels(app.spec.channels)
    if owned:
        # The run already has its own channels: the general copy-then-update path.
        for key, prototype in app.spec.channels.items():
            channels[key] = prototype.copy()
    run: Any = SimpleNamespace(
        spec=app.spec,
        channels=channels,
        versions={},
        version=0,
        seen={},
        written_last=(),
        sends=[],
        views=None,
        updated=set(),
    )
    task = Task(run, None, START, (PULL, START), (), None)
    task.writes.extend([("a", value), ("total", 1)])
    updated = apply_writes(run, [task])
    state = {key: ch.get() for key, ch in channels.items() if ch.is_available()}
    return updated, run.versions, state


def test_a_first_write_to_a_plain_key_is_the_general_update() -> None:
    for value in (0, "x", None, [1], MISSING):
        assert _input_step(value, owned=False) == _input_step(value, owned=True)
