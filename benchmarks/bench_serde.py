"""Times the serializer on the two shapes every checkpoint has.

Run: ``python -m benchmarks.bench_serde``. Prints microseconds per operation for
a 100-message history (a list of dicts, as chat state holds) and a 300-key state
of plain values, with plain ``msgspec.msgpack`` beside it as the floor.
"""

from __future__ import annotations

import timeit
from collections.abc import Callable
from functools import partial
from typing import Any

import msgspec

from actorgraph.store.serde import Serializer, TypeRegistry


def _messages() -> list[dict[str, Any]]:
    return [
        {
            "id": f"msg-{i}",
            "type": "ai" if i % 2 else "human",
            "content": f"message number {i} " * 4,
            "name": None,
            "tool_calls": [{"id": f"call-{i}", "name": "search", "args": {"q": "x", "k": i}}]
            if i % 5 == 0
            else [],
            "usage": {"input_tokens": i, "output_tokens": 2 * i},
        }
        for i in range(100)
    ]


class _Message(msgspec.Struct, omit_defaults=True, kw_only=True):
    """Shaped like the runtime's chat messages: a few set fields, many defaults."""

    content: str
    id: str | None = None
    name: str | None = None
    additional_kwargs: dict[str, Any] = {}
    response_metadata: dict[str, Any] = {}
    tool_calls: list[dict[str, Any]] = []
    usage_metadata: dict[str, int] | None = None


class _NativeMessage(_Message, omit_defaults=True, kw_only=True):
    """The same message, registered ``native=True``."""


def _structs(cls: type[_Message] = _Message) -> list[_Message]:
    return [
        cls(
            content=f"message number {i} " * 4,
            id=f"msg-{i}",
            tool_calls=[{"id": f"call-{i}", "name": "search", "args": {"q": "x", "k": i}}]
            if i % 5 == 0
            else [],
            usage_metadata={"input_tokens": i, "output_tokens": 2 * i},
        )
        for i in range(100)
    ]


def _state() -> dict[str, Any]:
    return {
        f"key_{i}": (i, f"value {i}", i * 0.5, None, True, [i, i + 1])[i % 6] for i in range(300)
    }


def _per_op(fn: Callable[[], object], number: int) -> float:
    best = min(timeit.repeat(fn, number=number, repeat=5))
    return best / number * 1e6


def main() -> None:
    registry = TypeRegistry()
    registry.register(_Message)
    registry.register(_NativeMessage, native=True)
    serializer = Serializer(registry)
    plain_encode = msgspec.msgpack.Encoder().encode
    plain_decode = msgspec.msgpack.Decoder().decode
    print(
        f"{'case':<28}{'dumps µs':>10}{'loads µs':>10}{'msgspec enc':>13}{'msgspec dec':>13}{'bytes':>8}"
    )
    for label, value, number in (
        ("100 messages (list[dict])", _messages(), 2000),
        ("100 messages (Structs)", _structs(), 2000),
        ("100 messages (native)", _structs(_NativeMessage), 2000),
        ("300-key state", _state(), 2000),
    ):
        data = serializer.dumps(value)
        assert serializer.loads(data) == value
        raw = plain_encode(value)
        timings = (
            _per_op(partial(serializer.dumps, value), number),
            _per_op(partial(serializer.loads, data), number),
            _per_op(partial(plain_encode, value), number),
            _per_op(partial(plain_decode, raw), number),
        )
        dumps_us, loads_us, enc_us, dec_us = timings
        print(
            f"{label:<28}{dumps_us:>10.1f}{loads_us:>10.1f}{enc_us:>13.1f}{dec_us:>13.1f}"
            f"{len(data):>8}"
        )


if __name__ == "__main__":
    main()
