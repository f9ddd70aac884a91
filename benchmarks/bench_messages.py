"""Times the messages hot paths: building messages, ``add_messages``, chunk joining,
and checkpointing a history.

Run: ``python -m benchmarks.bench_messages``. Prints microseconds per operation.
When ``langchain_core`` and ``langgraph`` are importable (they are not
dependencies; install them into a scratch environment to compare) the same
operations run with them side by side.
"""

from __future__ import annotations

import importlib
import timeit
from collections.abc import Callable
from typing import Any

from actorgraph.graph import add_messages
from actorgraph.messages import AIMessage, AIMessageChunk, HumanMessage
from actorgraph.store.serde import dumps, loads


def _per_op(fn: Callable[[], object], number: int) -> float:
    best = min(timeit.repeat(fn, number=number, repeat=5))
    return best / number * 1e6


def _cases(human: Any, ai: Any, chunk: Any, reducer: Any) -> dict[str, Callable[[], object]]:
    history = reducer(
        [], [human(f"question {i}") if i % 2 else ai(f"answer {i}") for i in range(100)]
    )
    update = [ai("a new answer")]
    replace = [ai("edited", id=history[50].id)]
    pieces = [chunk(f" token{i}", id="run-1") for i in range(50)]

    def join() -> object:
        full = pieces[0]
        for piece in pieces[1:]:
            full = full + piece
        return full

    return {
        "build 100 messages": lambda: [human(f"m{i}") for i in range(100)],
        "add 1 to 100 (new id)": lambda: reducer(history, update),
        "replace 1 of 100 by id": lambda: reducer(history, replace),
        "join 50 chunks": join,
    }


def main() -> None:
    ours = _cases(HumanMessage, AIMessage, AIMessageChunk, add_messages)
    theirs: dict[str, Callable[[], object]] = {}
    try:
        lc = importlib.import_module("langchain_core.messages")
        lg = importlib.import_module("langgraph.graph.message")
    except ImportError:
        pass
    else:

        def lc_human(content: str, **kw: Any) -> Any:
            return lc.HumanMessage(content=content, **kw)

        def lc_ai(content: str, **kw: Any) -> Any:
            return lc.AIMessage(content=content, **kw)

        def lc_chunk(content: str, **kw: Any) -> Any:
            return lc.AIMessageChunk(content=content, **kw)

        theirs = _cases(lc_human, lc_ai, lc_chunk, lg.add_messages)
    print(f"{'case':<28}{'actorgraph µs':>15}{'langgraph µs':>15}")
    for name, fn in ours.items():
        other = f"{_per_op(theirs[name], 200):>15.1f}" if name in theirs else f"{'-':>15}"
        print(f"{name:<28}{_per_op(fn, 200):>15.1f}{other}")
    history = add_messages([], [HumanMessage(f"question {i}") for i in range(100)])
    data = dumps(history)
    assert loads(data) == history
    print(f"{'dumps 100 messages':<28}{_per_op(lambda: dumps(history), 200):>15.1f}")
    print(f"{'loads 100 messages':<28}{_per_op(lambda: loads(data), 200):>15.1f}")
    print(f"{'bytes for 100 messages':<28}{len(data):>15}")


if __name__ == "__main__":
    main()
