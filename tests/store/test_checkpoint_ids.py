"""Checkpoint ids and timestamps: ordered, unique, UUID-shaped, across threads and clocks."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from actorgraph.store.checkpoint import _types
from actorgraph.store.checkpoint._types import new_checkpoint_id, new_checkpoint_stamp, now_iso


def test_ids_grow_strictly_and_are_uuid7() -> None:
    ids = [new_checkpoint_id() for _ in range(5000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    for text in ids[:: len(ids) // 10]:
        parsed = uuid.UUID(text)
        assert str(parsed) == text
        assert parsed.version == 7
        assert parsed.variant == uuid.RFC_4122


def test_ids_carry_the_millisecond_clock() -> None:
    before = datetime.now(timezone.utc).timestamp() * 1000
    millis = uuid.UUID(new_checkpoint_id()).int >> 80
    after = datetime.now(timezone.utc).timestamp() * 1000
    assert before - 1 <= millis <= after + 1


def test_ids_from_many_threads_are_unique_and_ordered_per_thread() -> None:
    made: list[list[str]] = [[] for _ in range(4)]

    def make(out: list[str]) -> None:
        out.extend(new_checkpoint_id() for _ in range(2000))

    threads = [threading.Thread(target=make, args=(out,)) for out in made]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [i for out in made for i in out]
    assert len(set(every)) == len(every)
    for out in made:
        assert out == sorted(out)


def test_ids_keep_growing_when_the_clock_goes_back(monkeypatch: pytest.MonkeyPatch) -> None:
    first = new_checkpoint_id()
    monkeypatch.setattr(time, "time_ns", lambda: 1_000_000_000)  # 1970
    later = [new_checkpoint_id() for _ in range(100)]
    assert [first, *later] == sorted({first, *later})


def test_ids_borrow_the_next_millisecond_when_a_millisecond_is_full(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    far = 9_000_000_000_000  # a millisecond after any real clock here
    monkeypatch.setattr(time, "time_ns", lambda: far * 1_000_000)
    first = new_checkpoint_id()
    monkeypatch.setattr(_types, "_sequence", (1 << 72) - 2)
    ids = [first, *(new_checkpoint_id() for _ in range(3))]
    assert ids == sorted(set(ids))
    assert [uuid.UUID(i).int >> 80 for i in ids] == [far, far, far + 1, far + 1]
    assert ids[1].endswith("-7fff-8fff-ffffffffffff")
    assert ids[2].endswith("-7000-8000-000000000000")


def test_now_iso_is_utc_iso_with_microseconds() -> None:
    before = datetime.now(timezone.utc)
    stamp = now_iso()
    after = datetime.now(timezone.utc)
    parsed = datetime.fromisoformat(stamp)
    assert parsed.tzinfo is not None
    assert parsed.utcoffset() == timedelta(0)
    assert before <= parsed <= after
    assert stamp.endswith("+00:00")
    assert len(stamp) == len("2026-01-01T00:00:00.000000+00:00")


def test_now_iso_follows_the_second(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(time, "time_ns", lambda: 1_700_000_000_000_001_000)
    assert now_iso() == "2023-11-14T22:13:20.000001+00:00"
    monkeypatch.setattr(time, "time_ns", lambda: 1_700_000_001_999_999_000)
    assert now_iso() == "2023-11-14T22:13:21.999999+00:00"


def test_a_forked_child_does_not_make_the_parents_next_ids(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Simulated: the parent's state is taken, the child's reset runs, then the
    # parent goes on from the state it had (all in one frozen millisecond).
    monkeypatch.setattr(time, "time_ns", lambda: 9_500_000_000_000 * 1_000_000)
    new_checkpoint_id()
    for name in ("_last_millis", "_prefix", "_sequence"):
        monkeypatch.setattr(_types, name, getattr(_types, name))
    parent = (_types._last_millis, _types._prefix, _types._sequence)
    _types._after_fork_in_child()
    theirs = {new_checkpoint_id() for _ in range(50)}
    _types._last_millis, _types._prefix, _types._sequence = parent
    ours = {new_checkpoint_id() for _ in range(50)}
    assert len(theirs) == 50
    assert not ours & theirs


def test_a_stamps_id_and_ts_name_the_same_millisecond(monkeypatch: pytest.MonkeyPatch) -> None:
    # Other tests leave the id clock in the far future: start from the real one.
    monkeypatch.setattr(_types, "_last_millis", -1)
    for _ in range(200):
        checkpoint_id, ts = new_checkpoint_stamp()
        millis = uuid.UUID(checkpoint_id).int >> 80
        parsed = datetime.fromisoformat(ts)
        assert parsed.utcoffset() == timedelta(0)
        # The ts keeps microseconds; the id its millisecond.
        micros = round(parsed.timestamp() * 1_000_000)
        assert micros // 1000 == millis


def test_a_stamp_reads_the_clock_once(monkeypatch: pytest.MonkeyPatch) -> None:
    readings = iter([1_900_000_000_123_456_789, 1_950_000_000_000_000_000])
    monkeypatch.setattr(time, "time_ns", lambda: next(readings))
    monkeypatch.setattr(_types, "_last_millis", -1)
    checkpoint_id, ts = new_checkpoint_stamp()
    assert uuid.UUID(checkpoint_id).int >> 80 == 1_900_000_000_123
    assert ts == "2030-03-17T17:46:40.123456+00:00"


def test_stamped_ids_keep_growing_with_plain_ones() -> None:
    ids = []
    for _ in range(500):
        ids.append(new_checkpoint_id())
        ids.append(new_checkpoint_stamp()[0])
    assert ids == sorted(set(ids))
