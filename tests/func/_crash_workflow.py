"""A workflow that kills its own process once, mid-entrypoint (run by test_crash.py)."""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

from actorgraph.func import entrypoint, task
from actorgraph.store import SqliteSaver


def build(db: str, log: str) -> Any:
    @task
    def step(name: str) -> str:
        with open(log, "a") as out:
            out.write(f"{name}\n")
        return name

    @task
    def crash_once() -> str:
        marker = f"{log}.crashed"
        if not os.path.exists(marker):
            open(marker, "w").close()
            os.kill(os.getpid(), signal.SIGKILL)
        return "survived"

    @entrypoint(checkpointer=SqliteSaver(db))
    def flow(_: int) -> list[str]:
        first = step("a").result()
        second = step("b").result()
        return [first, second, crash_once().result()]

    return flow


if __name__ == "__main__":
    db, log, mode, durability = sys.argv[1:]
    flow = build(db, log)
    config: Any = {"configurable": {"thread_id": "t"}}
    result = flow.invoke(1 if mode == "start" else None, config, durability=durability)
    sys.stdout.write(f"{result}\n")
