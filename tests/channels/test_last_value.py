from __future__ import annotations

import pytest

from actorgraph.channels import (
    MISSING,
    EmptyChannelError,
    InvalidUpdateError,
    LastValue,
    LastValueAfterFinish,
)


def test_last_value_keeps_the_single_write_of_a_step() -> None:
    channel: LastValue[int] = LastValue(int, key="count")
    assert not channel.is_available()
    with pytest.raises(EmptyChannelError, match="'count'"):
        channel.get()
    assert channel.update([1])
    assert channel.get() == 1
    assert not channel.update([])
    assert channel.get() == 1
    assert channel.commutative
    assert not channel.idempotent


def test_two_writes_in_one_step_name_the_key_and_suggest_a_reducer() -> None:
    channel: LastValue[int] = LastValue(int, key="x")
    channel.update([1])
    with pytest.raises(InvalidUpdateError) as caught:
        channel.update([2, 3])
    message = str(caught.value)
    assert "At key 'x': Can receive only one value per step." in message
    assert "Annotated" in message
    assert "INVALID_CONCURRENT_GRAPH_UPDATE" in message
    assert channel.get() == 1, "a rejected step leaves the value alone"


def test_last_value_checkpoint_round_trip_and_copy() -> None:
    channel: LastValue[list[int]] = LastValue(list, key="x")
    assert channel.checkpoint() is MISSING
    assert not channel.from_checkpoint(MISSING).is_available()
    channel.update([[1]])
    restored = channel.from_checkpoint(channel.checkpoint())
    assert restored.get() == [1]
    assert restored.key == "x"
    copied = channel.copy()
    copied.update([[2]])
    assert channel.get() == [1]
    assert copied.get() == [2]
    assert channel == LastValue(int)
    assert channel != LastValueAfterFinish(int)


def test_last_value_after_finish_is_available_only_after_finish() -> None:
    channel: LastValueAfterFinish[str] = LastValueAfterFinish(str, key="branch:to:c")
    assert not channel.finish(), "nothing to finish"
    assert not channel.consume()
    assert channel.checkpoint() is MISSING
    assert not channel.update([])
    assert channel.update(["a", "b"])
    assert not channel.is_available()
    with pytest.raises(EmptyChannelError):
        channel.get()
    assert channel.finish()
    assert not channel.finish()
    assert channel.is_available()
    assert channel.get() == "b"
    assert channel.checkpoint() == ("b", True)
    restored = channel.from_checkpoint(channel.checkpoint())
    assert restored.get() == "b"
    copied = channel.copy()
    assert channel.consume()
    assert not channel.is_available()
    assert copied.get() == "b"


def test_last_value_after_finish_write_resets_finished() -> None:
    channel: LastValueAfterFinish[str] = LastValueAfterFinish(str)
    channel.update(["a"])
    channel.finish()
    channel.update(["c"])
    assert not channel.is_available()
    restored = channel.from_checkpoint(["c", False])  # type: ignore[arg-type]  # decoded form
    assert not restored.is_available()
    assert restored.finish()
    assert restored.get() == "c"
    empty = channel.from_checkpoint(MISSING)
    assert not empty.is_available()
    assert empty.checkpoint() is MISSING
