from __future__ import annotations

import pytest

from actorgraph.channels import (
    MISSING,
    EmptyChannelError,
    InvalidUpdateError,
    NamedBarrierValue,
    NamedBarrierValueAfterFinish,
)


def test_barrier_opens_when_every_name_was_written() -> None:
    channel: NamedBarrierValue[str] = NamedBarrierValue(str, {"a", "b"}, key="join:a+b:c")
    assert not channel.update([])
    assert channel.update(["a"])
    assert not channel.update(["a"]), "a repeated name changes nothing"
    assert not channel.is_available()
    with pytest.raises(EmptyChannelError):
        channel.get()
    assert not channel.consume()
    assert channel.update(["b"])
    assert channel.is_available()
    channel.get()  # no longer raises
    assert channel.consume()
    assert not channel.is_available()
    assert (channel.commutative, channel.idempotent) == (True, True)


def test_unknown_name_is_rejected_with_the_key() -> None:
    channel: NamedBarrierValue[str] = NamedBarrierValue(str, {"a"}, key="join")
    with pytest.raises(InvalidUpdateError, match=r"At key 'join': value 'z'.*'a'"):
        channel.update(["a", "z"])
    assert channel.checkpoint() == set(), "a rejected step leaves the barrier alone"


def test_barrier_checkpoint_is_not_mutated() -> None:
    channel: NamedBarrierValue[str] = NamedBarrierValue(str, {"a", "b"})
    channel.update(["a"])
    saved = channel.checkpoint()
    copied = channel.copy()
    channel.update(["b"])
    assert saved == {"a"}
    assert not copied.is_available()
    restored = channel.from_checkpoint(["a", "b"])  # type: ignore[arg-type]  # decoded form
    assert restored.is_available()
    assert not channel.from_checkpoint(MISSING).is_available()
    assert channel == NamedBarrierValue(str, ["b", "a"])
    assert channel != NamedBarrierValue(str, ["a"])


def test_barrier_after_finish_waits_for_the_finish() -> None:
    channel: NamedBarrierValueAfterFinish[str] = NamedBarrierValueAfterFinish(str, {"a", "b"})
    assert not channel.update([])
    channel.update(["a"])
    assert not channel.finish(), "not every name seen"
    channel.update(["b", "b"])
    assert not channel.is_available()
    with pytest.raises(EmptyChannelError):
        channel.get()
    assert not channel.consume()
    assert channel.finish()
    assert not channel.finish()
    channel.get()  # no longer raises
    assert channel.checkpoint() == ({"a", "b"}, True)
    copied = channel.copy()
    restored = channel.from_checkpoint([["a", "b"], True])  # type: ignore[arg-type]  # decoded
    assert channel.consume()
    assert not channel.is_available()
    assert copied.is_available()
    assert restored.is_available()
    assert not channel.from_checkpoint(MISSING).is_available()
    with pytest.raises(InvalidUpdateError):
        channel.update(["c"])
