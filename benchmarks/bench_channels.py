"""Times the channel operations the engine calls every superstep.

Run: ``python -m benchmarks.bench_channels``. Prints nanoseconds per call of
``update`` (one write, as in a chain; ten writes, as in a fan-in), ``copy``
and ``checkpoint``/``from_checkpoint`` for the common channels, and a CRDT
merge. If LangGraph is installed, its channels are timed beside ours.
"""

from __future__ import annotations

import operator
import timeit
from collections.abc import Callable
from typing import Any

from actorgraph.channels import (
    BinaryOperatorAggregate,
    EphemeralValue,
    GCounter,
    LastValue,
    NamedBarrierValue,
    Topic,
    merge,
)


def _ns(fn: Callable[[], object], number: int = 20_000) -> float:
    best = min(timeit.repeat(fn, number=number, repeat=5))
    return best / number * 1e9


def _cases(ns: Any) -> dict[str, Callable[[], object]]:
    last = ns.LastValue(int)
    ephemeral = ns.EphemeralValue(Any, guard=False)
    add = ns.BinaryOperatorAggregate(int, operator.add)
    topic = ns.Topic(int)
    barrier = ns.NamedBarrierValue(str, {"a", "b"})
    one, ten, names = [1], list(range(10)), ["a", "b"]
    add.update([1])
    return {
        "LastValue.update(1 write)": lambda: last.update(one),
        "EphemeralValue.update(1 write)": lambda: ephemeral.update(one),
        "EphemeralValue.update(clear)": lambda: ephemeral.update(()),
        "BinaryOperatorAggregate(add).update(1 write)": lambda: add.update(one),
        "BinaryOperatorAggregate(add).update(10 writes)": lambda: add.update(ten),
        "Topic.update(10 writes)": lambda: topic.update(ten),
        "NamedBarrierValue.update+consume": lambda: (barrier.update(names), barrier.consume()),
        "LastValue.copy()": last.copy,
        "BinaryOperatorAggregate.copy()": add.copy,
        "LastValue.from_checkpoint(checkpoint())": lambda: last.from_checkpoint(last.checkpoint()),
    }


class _Ours:
    LastValue = LastValue
    EphemeralValue = EphemeralValue
    BinaryOperatorAggregate = BinaryOperatorAggregate
    Topic = Topic
    NamedBarrierValue = NamedBarrierValue


def _theirs() -> Any:
    try:
        from langgraph import channels
    except ImportError:
        return None
    return channels


def main() -> None:
    ours = _cases(_Ours)
    langgraph = _theirs()
    theirs = _cases(langgraph) if langgraph is not None else {}
    print(f"{'operation':50} {'actorgraph ns':>14} {'langgraph ns':>13}")
    for name, fn in ours.items():
        other = f"{_ns(theirs[name]):13.0f}" if name in theirs else f"{'-':>13}"
        print(f"{name:50} {_ns(fn):14.0f} {other}")
    counters = [GCounter().increment(f"r{i}", i + 1) for i in range(10)]
    crdt: BinaryOperatorAggregate[GCounter] = BinaryOperatorAggregate(GCounter, merge)
    print(
        f"{'BinaryOperatorAggregate(GCounter).update(10)':50} {_ns(lambda: crdt.update(counters)):14.0f}"
    )


if __name__ == "__main__":
    main()
