from __future__ import annotations

import pytest

from actorgraph.channels import MISSING, EmptyChannelError, Topic


def test_topic_holds_one_step_of_writes_and_flattens_lists() -> None:
    channel: Topic[int] = Topic(int, key="t")
    assert not channel.update([])
    with pytest.raises(EmptyChannelError, match="'t'"):
        channel.get()
    assert channel.update([1, [2, 3], 4])
    assert channel.get() == [1, 2, 3, 4]
    assert channel.update([5])
    assert channel.get() == [5]
    assert channel.update([]), "an empty step clears a non-accumulating topic"
    assert not channel.is_available()
    assert not channel.update([[]])
    assert not channel.commutative


def test_accumulating_topic_grows_across_steps() -> None:
    channel: Topic[int] = Topic(int, accumulate=True)
    assert channel.update([1])
    assert not channel.update([])
    assert not channel.update([[]])
    assert channel.update([[2, 3]])
    assert channel.get() == [1, 2, 3]


def test_unique_topic_skips_values_it_holds() -> None:
    channel: Topic[str] = Topic(str, accumulate=True, unique=True)
    assert channel.update(["a", ["a", "b"], "b"])
    assert channel.get() == ["a", "b"]
    assert not channel.update(["a"])
    assert channel.update([["c"]])
    assert channel.get() == ["a", "b", "c"]


def test_get_returns_a_copy() -> None:
    channel: Topic[int] = Topic(int, accumulate=True)
    channel.update([1])
    channel.get().append(99)
    assert channel.get() == [1]


def test_checkpoint_is_not_mutated_by_later_steps() -> None:
    channel: Topic[int] = Topic(int, accumulate=True)
    channel.update([1])
    saved = channel.checkpoint()
    channel.update([2])
    assert saved == [1]
    assert channel.get() == [1, 2]
    channel.update([3])  # owned again: extends in place
    assert channel.get() == [1, 2, 3]


def test_topic_copy_and_restore_are_independent() -> None:
    channel: Topic[int] = Topic(int, accumulate=True, key="t")
    channel.update([1])
    copied = channel.copy()
    copied.update([2])
    channel.update([3])
    assert channel.get() == [1, 3]
    assert copied.get() == [1, 2]
    restored = channel.from_checkpoint(channel.checkpoint())
    restored.update([4])
    assert channel.get() == [1, 3]
    assert restored.get() == [1, 3, 4]
    assert restored.accumulate
    assert not channel.from_checkpoint(MISSING).is_available()
    assert channel == Topic(int, accumulate=True)
    assert channel != Topic(int)


def test_unique_topic_with_unhashable_values() -> None:
    channel: Topic[dict[str, int]] = Topic(dict, accumulate=True, unique=True)
    assert channel.update([{"a": 1}, [{"a": 1}, {"b": 2}]])
    assert channel.get() == [{"a": 1}, {"b": 2}]
