"""The per-backend hot-path primitives behave like anyio's own."""

from __future__ import annotations

import anyio
import pytest

from actorgraph.actors._adapter import primitives

pytestmark = pytest.mark.anyio


def test_asyncio_detection_outside_a_loop() -> None:
    from actorgraph.actors._adapter_asyncio import running

    assert running() is False


async def test_one_waiter_event_wakes_its_waiter_and_honours_cancellation() -> None:
    prims = primitives()
    event = prims.event()
    assert not event.is_set()
    async with anyio.create_task_group() as tg:
        tg.start_soon(event.wait)
        await prims.checkpoint()
        event.set()
        event.set()  # a second set is a no-op
    assert event.is_set()
    await event.wait()  # already set: returns at once
    never = prims.event()
    with anyio.move_on_after(0.01) as scope:
        await never.wait()
    assert scope.cancelled_caught
    never.set()  # setting after the waiter left is harmless
    assert prims.clock() <= anyio.current_time() + 1e-3
