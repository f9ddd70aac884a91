"""Async task functions without a retry policy run inlined in the call's own
coroutine (``CallScope.execute`` in ``actors/pregel/_call.py``): same results,
errors, interrupts and commands as the general path through ``run_task``."""

from __future__ import annotations

from typing import Any, TypedDict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actorgraph.func import entrypoint, task
from actorgraph.graph import StateGraph
from actorgraph.store import InMemorySaver
from actorgraph.types import Command, RetryPolicy, interrupt

pytestmark = pytest.mark.anyio


async def _step(n: int) -> int:
    if n < 0:
        raise ValueError(f"negative input {n}")
    return n * 3 + 1


# A retry policy takes the general path (run_task); one attempt retries nothing.
_FAST = task(_step)
_GENERAL = task(name="_step", retry_policy=RetryPolicy(max_attempts=1))(_step)


def _flow(step: Any) -> Any:
    @entrypoint()
    async def fan_out(numbers: list[int]) -> list[int]:
        futures = [step(n) for n in numbers]
        return [await future for future in futures]

    return fan_out


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(min_value=-3, max_value=50), max_size=6))
def test_fast_and_general_paths_agree(numbers: list[int]) -> None:
    def outcome(step: Any) -> Any:
        try:
            return _flow(step).invoke(numbers)
        except ValueError as exc:
            # Task ids differ between runs (each run has a key of its own).
            notes = [n.split(" and id ")[0] for n in getattr(exc, "__notes__", [])]
            return ("error", str(exc), notes)

    fast, slow = outcome(_FAST), outcome(_GENERAL)
    assert fast == slow
    if isinstance(fast, tuple):
        assert fast[2][0] == "During task with name '_step'"


@pytest.mark.parametrize("policy", [None, RetryPolicy(max_attempts=1)])
async def test_an_interrupt_in_an_async_task_pauses_and_resumes(policy: Any) -> None:
    async def ask(question: str) -> str:
        answer: str = interrupt(question)
        return answer.upper()

    asked = task(ask) if policy is None else task(retry_policy=policy)(ask)

    @entrypoint(checkpointer=InMemorySaver())
    async def flow(question: str) -> str:
        return await asked(question)

    config: Any = {"configurable": {"thread_id": "t"}}
    paused = await flow.ainvoke("name?", config)
    assert [i.value for i in paused["__interrupt__"]] == ["name?"]
    assert await flow.ainvoke(Command(resume="ada"), config) == "ADA"


class _State(TypedDict):
    foo: str


@pytest.mark.parametrize("policy", [None, RetryPolicy(max_attempts=1)])
async def test_a_command_to_the_parent_is_what_the_task_returned(policy: Any) -> None:
    inner = (
        StateGraph(_State)
        .add_node("a", lambda s: Command(graph=Command.PARENT, update={"foo": "x"}))
        .set_entry_point("a")
        .compile()
    )

    async def run_inner(value: str) -> Any:
        return await inner.ainvoke({"foo": value})

    called = task(run_inner) if policy is None else task(retry_policy=policy)(run_inner)

    @entrypoint()
    async def flow(value: str) -> Any:
        return await called(value)

    result = await flow.ainvoke("v")
    assert isinstance(result, Command)
    assert result.update == {"foo": "x"}
    assert result.graph is None
