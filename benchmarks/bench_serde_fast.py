"""Times the serializer's fast path for plain data against its general path.

Run: ``python -m benchmarks.bench_serde_fast``. For each shape prints, in
microseconds per call (CPU time of this process, so other load on the machine
moves it less): the plain-data test by ``gc.get_referents`` levels and by
explicit iteration, the general path's walk alone, ``dumps`` (fast path
first) and the general path's ``dumps``, and msgspec's encoder as the floor.
The last rows are values that are not plain: there the test is pure overhead.
"""

from __future__ import annotations

import datetime
import time
import timeit
from collections.abc import Callable
from typing import Any

import msgspec

from actorgraph.store._serde_plain import _is_plain_explicit, _is_plain_traversed
from actorgraph.store.serde import Serializer


class _Message(msgspec.Struct, omit_defaults=True, kw_only=True):
    content: str
    id: str | None = None


def _shapes() -> list[tuple[str, Any]]:
    message_dicts = [
        {
            "id": f"msg-{i}",
            "type": "ai",
            "content": f"message number {i} " * 4,
            "tool_calls": [{"id": f"c{i}", "name": "search", "args": {"k": i}}] if i % 5 else [],
            "usage": {"input_tokens": i, "output_tokens": 2 * i},
        }
        for i in range(100)
    ]
    state = {f"key_{i}": {"n": i, "name": f"v{i}", "tags": ["a", "b"]} for i in range(300)}
    return [
        ("serde_state (300 small dicts)", state),
        ("node write dict[str,int] 300", {f"item_{j}": j for j in range(300)}),
        ("node write dict[str,int] 1200", {f"item_{j}": j for j in range(1200)}),
        ("100 message dicts", message_dicts),
        ("20 embeddings x 256 floats", {"emb": [[i * 0.5] * 256 for i in range(20)]}),
        ("small write", {"n": 1, "who": "me"}),
        ("not plain: 100 Structs", [_Message(content=f"m{i}") for i in range(100)]),
        ("not plain: a tuple deep", {**state, "last": {"pair": (1, 2)}}),
        (
            "not plain: records with a date",
            [{"n": i, "on": datetime.date(2024, 1, 1), "tags": ["a"]} for i in range(300)],
        ),
    ]


def _per_call(fn: Callable[[], object], number: int) -> float:
    best = min(timeit.repeat(fn, number=number, repeat=5, timer=time.process_time))
    return best / number * 1e6


def _row(serializer: Serializer, value: Any) -> list[float]:
    walk = serializer._fast.prep
    encode = msgspec.msgpack.Encoder().encode
    number = 200
    assert serializer.dumps(value) == serializer._dumps_walked(value, "value", False)
    row = [
        _per_call(lambda: _is_plain_traversed(value), number),
        _per_call(lambda: _is_plain_explicit(value), number),
        _per_call(lambda: walk(value), number),
        _per_call(lambda: serializer.dumps(value), number),
        _per_call(lambda: serializer._dumps_walked(value, "value", False), number),
    ]
    try:
        row.append(_per_call(lambda: encode(value), number))
    except TypeError:  # a Struct msgspec would write, but not as this shape
        row.append(float("nan"))
    return row


def main() -> None:
    serializer = Serializer()
    serializer.registry.register(_Message)
    widths = (10, 10, 8, 8, 9, 9)
    print(
        f"{'shape':<32}{'traversed':>10}{'explicit':>10}{'walk':>8}"
        f"{'dumps':>8}{'general':>9}{'msgspec':>9}"
    )
    for label, value in _shapes():
        cells = zip(_row(serializer, value), widths, strict=True)
        print(f"{label:<32}" + "".join(f"{x:>{w}.1f}" for x, w in cells))


if __name__ == "__main__":
    main()
