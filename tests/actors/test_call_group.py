"""The call group task calls run in (``actors/_adapter_loop.call_group``): native
tasks that are waited for, cancelled through anyio scopes, and cleaned up.

On asyncio every test runs twice: children under the group's one shared anyio
scope, and (as on an anyio without the parts that needs) a scope per child."""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable

import anyio
import anyio.lowlevel
import anyio.to_thread
import pytest

from actorgraph.actors import _adapter_loop
from actorgraph.actors._adapter_loop import call_group, new_event

pytestmark = pytest.mark.anyio


@pytest.fixture(autouse=True, params=["shared scope", "scope per child"])
def scope_kind(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    kind: str = request.param
    if kind == "scope per child":
        monkeypatch.setattr(_adapter_loop, "_SHARED_SCOPE", None)
    return kind


async def test_exit_waits_for_every_child() -> None:
    done: list[int] = []

    async def child(n: int) -> None:
        await anyio.sleep(0.01 * n)
        done.append(n)

    async with call_group() as group:
        for n in (3, 1, 2):
            group.start_soon(child, n)
    assert sorted(done) == [1, 2, 3]


async def test_an_error_in_the_body_cancels_the_children() -> None:
    cleaned: list[str] = []

    async def child(_: None) -> None:
        try:
            await anyio.sleep(30)
        finally:
            cleaned.append("child")

    async def body() -> None:
        async with call_group() as group:
            group.start_soon(child, None)
            await anyio.sleep(0.01)
            raise LookupError("body failed")

    with anyio.fail_after(10):
        _only(await _raised(body), LookupError)
    assert cleaned == ["child"]


async def test_cancel_respects_shields_inside_a_child() -> None:
    release = threading.Event()
    finished: list[str] = []

    def blocking() -> str:
        release.wait(10)
        return "thread done"

    async def child(_: None) -> None:
        # anyio waits for a worker thread in a shielded scope: a cancel must not
        # abandon the thread.
        finished.append(await anyio.to_thread.run_sync(blocking))

    with anyio.fail_after(10):
        async with call_group() as group:
            group.start_soon(child, None)
            await anyio.sleep(0.05)
            group.cancel()
            release.set()
    assert finished == ["thread done"]


async def test_cancelling_the_waiting_task_cancels_and_waits_for_the_children() -> None:
    cleaned: list[str] = []

    async def child(_: None) -> None:
        try:
            await anyio.sleep(30)
        finally:
            with anyio.CancelScope(shield=True):
                await anyio.sleep(0.01)
            cleaned.append("child")

    with anyio.fail_after(10):
        with anyio.CancelScope() as outer:
            async with call_group() as group:
                group.start_soon(child, None)
                await anyio.sleep(0.01)
                outer.cancel()
        assert outer.cancelled_caught
    assert cleaned == ["child"]


async def test_a_childs_base_exception_is_raised_on_exit() -> None:
    class Stop(BaseException):
        pass

    async def child(_: None) -> None:
        raise Stop

    async def sleeper(_: None) -> None:
        await anyio.sleep(30)

    async def body() -> None:
        async with call_group() as group:
            group.start_soon(sleeper, None)
            group.start_soon(child, None)

    with anyio.fail_after(10):
        _only(await _raised(body), Stop)


async def test_a_child_cancelled_before_it_starts_runs_to_its_first_wait() -> None:
    reached: list[str] = []

    async def child(_: None) -> None:
        reached.append("started")
        await anyio.sleep(30)
        reached.append("woke")

    with anyio.fail_after(10):
        async with call_group() as group:
            group.start_soon(child, None)
            group.cancel()
    assert reached == ["started"]


async def test_a_child_started_after_the_cancel_is_cancelled_too() -> None:
    reached: list[str] = []

    async def child(name: str) -> None:
        await anyio.sleep(30)
        reached.append(name)

    with anyio.fail_after(10):
        async with call_group() as group:
            group.start_soon(child, "first")
            await anyio.sleep(0.01)
            group.cancel()
            await anyio.sleep(0.01)
            group.start_soon(child, "late")
    assert reached == []


async def test_cancellation_is_delivered_again_after_a_child_swallows_it() -> None:
    caught: list[str] = []

    async def child(_: None) -> None:
        try:
            await anyio.sleep(30)
        except anyio.get_cancelled_exc_class():
            caught.append("once")
        await anyio.sleep(30)
        caught.append("never")

    await _cancel_once_started(child)
    assert caught == ["once"]


async def test_a_shield_nested_inside_a_childs_own_scope_holds() -> None:
    done: list[str] = []

    async def child(_: None) -> None:
        with anyio.CancelScope():
            with anyio.CancelScope(shield=True):
                await anyio.sleep(0.05)
                done.append("shielded")
            await anyio.sleep(30)
            done.append("never")

    await _cancel_once_started(child)
    assert done == ["shielded"]


async def test_a_child_that_left_its_own_scopes_or_runs_a_task_group_is_cancelled() -> None:
    reached: list[str] = []

    async def left_a_scope(_: None) -> None:
        with anyio.CancelScope():
            await anyio.lowlevel.checkpoint()
        await anyio.sleep(30)
        reached.append("never")

    async def grandchild() -> None:
        try:
            await anyio.sleep(30)
        finally:
            reached.append("grandchild cancelled")

    async def runs_a_group(_: None) -> None:
        async with anyio.create_task_group() as group:
            group.start_soon(grandchild)
        reached.append("never")

    for child in (left_a_scope, runs_a_group):
        await _cancel_once_started(child)
    assert reached == ["grandchild cancelled"]


async def test_a_childs_own_timeouts_and_task_info_work() -> None:
    seen: list[object] = []

    async def child(_: None) -> None:
        with anyio.move_on_after(0.01) as scope:
            await anyio.sleep(30)
        seen.append(scope.cancelled_caught)
        seen.append(anyio.current_effective_deadline())
        seen.append(anyio.get_current_task().name is not None)

    with anyio.fail_after(10):
        async with call_group() as group:
            group.start_soon(child, None)
    assert seen[0] is True
    assert seen[2] is True


async def test_an_event_wakes_every_waiter_and_a_cancelled_one_leaves() -> None:
    event = new_event()
    woke: list[int] = []

    async def waiter(n: int) -> None:
        await event.wait()
        woke.append(n)

    with anyio.fail_after(10):
        async with anyio.create_task_group() as group:
            group.start_soon(waiter, 1)
            group.start_soon(waiter, 2)
            with anyio.move_on_after(0.01):
                await event.wait()  # a waiter cancelled before the event is set
            assert not event.is_set()
            event.set()
            event.set()
        await event.wait()  # already set: returns at once
    assert event.is_set()
    assert sorted(woke) == [1, 2]


async def _cancel_once_started(child: Callable[[None], Awaitable[None]]) -> None:
    """Run ``child`` in a group and cancel the group once the child waits."""
    with anyio.fail_after(10):
        async with call_group() as group:
            group.start_soon(child, None)
            await anyio.sleep(0.01)
            group.cancel()


async def _raised(body: Callable[[], Awaitable[None]]) -> BaseException:
    try:
        await body()
    except BaseException as exc:
        return exc
    raise AssertionError("nothing was raised")


def _only(error: BaseException, kind: type[BaseException]) -> None:
    """``error`` is ``kind``, or (trio's nurseries group errors) a group of just it."""
    inner = getattr(error, "exceptions", None)
    if inner is not None:
        assert [type(e) for e in inner] == [kind]
    else:
        assert type(error) is kind
