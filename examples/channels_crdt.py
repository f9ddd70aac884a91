"""Channels and CRDTs on their own: what the engine does with one key's writes.

Run: ``python -m examples.channels_crdt``. Three "nodes" update shared state in
one superstep; the CRDT keys merge without conflicts, whatever the order their
writes arrive in, while a plain key refuses a second write.
"""

from __future__ import annotations

import operator
from itertools import permutations
from typing import Any

from actorgraph.channels import (
    BinaryOperatorAggregate,
    GCounter,
    InvalidUpdateError,
    LastValue,
    LWWMap,
    ORSet,
    Overwrite,
    merge,
)


def _every_order(channel: BinaryOperatorAggregate[Any], writes: list[Any]) -> list[Any]:
    """The value after one step, for every order the writes could arrive in."""
    results = []
    for order in permutations(writes):
        trial = channel.copy()
        trial.update(order)
        results.append(trial.get())
    return results


def main() -> None:
    hits: BinaryOperatorAggregate[GCounter] = BinaryOperatorAggregate(GCounter, merge, key="hits")
    tags: BinaryOperatorAggregate[ORSet[str]] = BinaryOperatorAggregate(
        ORSet[str], merge, key="tags"
    )
    notes: BinaryOperatorAggregate[LWWMap[str, str]] = BinaryOperatorAggregate(
        LWWMap[str, str], merge, key="notes"
    )

    # Each node reads the state at the start of the step and writes a new value
    # under its own replica id.
    read_hits, read_tags, read_notes = hits.get(), tags.get(), notes.get()
    writes: dict[str, list[Any]] = {
        "hits": [read_hits.increment(node) for node in ("a", "b", "c")],
        "tags": [read_tags.add(f"seen-by-{node}", replica=node) for node in ("a", "b", "c")],
        "notes": [read_notes.set("summary", f"from {node}", replica=node) for node in "abc"],
    }
    for channel in (hits, tags, notes):
        results = _every_order(channel, writes[channel.key])
        assert all(result == results[0] for result in results)
        print(f"{channel.key}: the same in all {len(results)} arrival orders:", results[0])

    items: BinaryOperatorAggregate[list[str]] = BinaryOperatorAggregate(list, operator.add)
    items.update([["x"], ["y"]])
    items.update([Overwrite(["reset"])])
    print("items after Overwrite:", items.get())

    name: LastValue[str] = LastValue(str, key="name")
    try:
        name.update(["ada", "grace"])
    except InvalidUpdateError as error:
        print("plain key, two writes:", str(error).splitlines()[0])


if __name__ == "__main__":
    main()
