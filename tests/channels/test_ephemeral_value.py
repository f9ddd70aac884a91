from __future__ import annotations

import pytest

from actorgraph.channels import (
    MISSING,
    AnyValue,
    EmptyChannelError,
    EphemeralValue,
    InvalidUpdateError,
    UntrackedValue,
)


def test_ephemeral_value_lasts_one_step() -> None:
    channel: EphemeralValue[int] = EphemeralValue(int, key="__start__")
    assert not channel.update([])
    assert channel.update([1])
    assert channel.get() == 1
    assert channel.update([]), "an empty step clears the value"
    assert not channel.is_available()
    with pytest.raises(EmptyChannelError, match="__start__"):
        channel.get()


def test_guarded_ephemeral_value_rejects_two_writes() -> None:
    channel: EphemeralValue[int] = EphemeralValue(int, key="k")
    assert channel.commutative
    with pytest.raises(InvalidUpdateError, match=r"At key 'k'.*guard=False"):
        channel.update([1, 2])
    unguarded: EphemeralValue[int] = EphemeralValue(int, guard=False)
    assert not unguarded.commutative
    assert unguarded.update([1, 2])
    assert unguarded.get() == 2
    assert unguarded != channel
    assert unguarded == EphemeralValue(str, guard=False)


def test_ephemeral_value_checkpoint_and_copy() -> None:
    channel: EphemeralValue[int] = EphemeralValue(int, guard=False, key="k")
    channel.update([5])
    restored = channel.from_checkpoint(channel.checkpoint())
    assert restored.get() == 5
    assert restored.guard is False
    assert not restored.commutative
    copied = channel.copy()
    copied.update([])
    assert channel.get() == 5
    assert not channel.from_checkpoint(MISSING).is_available()


def test_any_value_keeps_the_last_and_clears_on_an_empty_step() -> None:
    channel: AnyValue[int] = AnyValue(int, key="k")
    assert not channel.update([])
    with pytest.raises(EmptyChannelError):
        channel.get()
    assert channel.update([3, 3])
    assert channel.get() == 3
    assert channel.from_checkpoint(channel.checkpoint()).get() == 3
    copied = channel.copy()
    assert channel.update([])
    assert not channel.is_available()
    assert copied.get() == 3


def test_untracked_value_is_never_checkpointed() -> None:
    channel: UntrackedValue[object] = UntrackedValue(object, key="client")
    handle = object()
    assert not channel.update([])
    assert channel.update([handle])
    assert channel.get() is handle
    assert channel.checkpoint() is MISSING
    assert not channel.from_checkpoint(channel.checkpoint()).is_available()
    assert channel.copy().get() is handle, "a copy keeps the value"
    with pytest.raises(InvalidUpdateError, match="UntrackedValue"):
        channel.update([1, 2])
    assert channel.get() is handle
    with pytest.raises(EmptyChannelError):
        channel.from_checkpoint(MISSING).get()


def test_unguarded_untracked_value_takes_the_last_write() -> None:
    channel: UntrackedValue[int] = UntrackedValue(int, guard=False)
    assert not channel.commutative
    channel.update([1, 2])
    assert channel.get() == 2
    assert not channel.copy().commutative
