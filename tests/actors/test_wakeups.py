"""Wake-ups under cancellation: no stale waiter, no lost message (asyncio and trio).

The backend primitives park a task and keep a reference to it; a cancelled wait
must drop that reference, or a late ``set`` would wake the task in the middle of
some other wait (on trio, a reschedule of a task that is not parked there).
"""

from __future__ import annotations

from collections.abc import Callable

import anyio
import pytest

from actorgraph.actors import ActorSystem, _system
from actorgraph.actors._adapter import Primitives, generic_primitives, primitives
from tests.actors.support import Journal, Nap, Ping, settle, worker

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["backend", "anyio"])
def prims_factory(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Callable[[], Primitives]:
    """The running backend's own primitives, or anyio's generic ones, for the
    primitive tests and for every actor system the test starts: both must behave alike."""
    factory = primitives if request.param == "backend" else generic_primitives
    monkeypatch.setattr(_system, "primitives", factory)
    return factory


async def test_a_late_set_does_not_wake_a_waiter_that_was_cancelled(
    prims_factory: Callable[[], Primitives],
) -> None:
    prims = prims_factory()
    first, second = prims.event(), prims.event()
    log: list[str] = []

    async def waiter() -> None:
        with anyio.move_on_after(0.01):
            await first.wait()
        log.append("first cancelled")
        await second.wait()  # parked elsewhere now
        log.append("second woke")

    async with anyio.create_task_group() as tg:
        tg.start_soon(waiter)
        await anyio.sleep(0.03)
        first.set()  # late: must not touch the task parked on `second`
        await settle()
        log.append("second set")
        second.set()
    assert log == ["first cancelled", "second set", "second woke"]


@pytest.mark.parametrize("cancel_first", [True, False])
async def test_a_set_racing_a_cancel_is_not_lost(
    cancel_first: bool, prims_factory: Callable[[], Primitives]
) -> None:
    prims = prims_factory()
    event = prims.event()
    outcome: list[str] = []

    async def waiter(scope: anyio.CancelScope) -> None:
        with scope:
            await event.wait()
            outcome.append("woken")
        if scope.cancelled_caught:
            outcome.append("cancelled")

    scope = anyio.CancelScope()
    async with anyio.create_task_group() as tg:
        tg.start_soon(waiter, scope)
        await settle()
        # Both in one step, as when a sender hands work to a worker being cancelled.
        if cancel_first:
            scope.cancel()
            event.set()
        else:
            event.set()
            scope.cancel()
    # Whichever way the waiter left, the set is visible to it: a dispatcher
    # worker that finds its park set knows it was handed work and passes it on.
    assert event.is_set()
    assert len(outcome) == 1


async def test_a_cancelled_ask_leaves_no_stale_waiter(
    prims_factory: Callable[[], Primitives],
) -> None:
    journal = Journal()
    gate = anyio.Event()
    order: list[str] = []
    async with ActorSystem() as system, anyio.create_task_group() as tg:
        ref = await system.spawn(worker("w", journal), name="w")
        await ref.tell(Nap(0.05))  # keeps the actor busy past the ask's cancellation
        with anyio.move_on_after(0.01) as scope:
            await ref.ask(Ping(1))
        assert scope.cancelled_caught
        timer = ref._dispatcher.timer
        assert not any(timer._queues.values())  # the deadline went with the ask
        assert timer.prims.event is prims_factory().event  # the primitives under test

        async def open_gate() -> None:
            # Answered in order: once Ping(2) is, the late reply to Ping(1) was
            # resolved too, and a few passes give a stale wake-up time to land.
            assert await ref.ask(Ping(2)) == 2
            await settle()
            order.append(f"gate opened after {journal.handled}")
            gate.set()

        tg.start_soon(open_gate)
        await gate.wait()  # the late reply to the cancelled ask must not end this early
        order.append("gate passed")
    assert order == ["gate opened after [('w', 1), ('w', 2)]", "gate passed"]


@pytest.mark.usefixtures("prims_factory")
async def test_a_message_sent_while_a_handler_is_killed_is_not_lost() -> None:
    journal = Journal()
    async with ActorSystem() as system:
        stuck = await system.spawn(worker("stuck", journal), name="stuck", shutdown=0.01)
        other = await system.spawn(worker("other", journal), name="other")
        await stuck.tell(Nap(30))
        await settle()
        stuck.stop()  # its handler is cancelled once the shutdown time runs out
        await anyio.sleep(0.005)
        for n in range(3):
            await other.tell(Ping(n))
        with anyio.fail_after(5):
            await stuck.join()
            assert await other.ask(Ping(3)) == 3
    assert journal.handled == [("other", 0), ("other", 1), ("other", 2), ("other", 3)]
