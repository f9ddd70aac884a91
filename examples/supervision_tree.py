"""A supervision tree: a crashing worker is restarted, then too many crashes escalate.

Run it with ``python -m examples.supervision_tree``. The tree is::

    /app                  root supervisor, gives up at the first failure below it
    └── /app/workers      one_for_one, at most 2 restarts in 5 seconds
        ├── /app/workers/w1
        └── /app/workers/w2
"""

from __future__ import annotations

import anyio
import msgspec

from actorgraph.actors import (
    Actor,
    ActorCrashed,
    ActorRef,
    ActorSystem,
    ChildSpec,
    EscalationError,
    Strategy,
    SupervisorSpec,
)


class Job(msgspec.Struct, frozen=True):
    n: int


class Boom(msgspec.Struct, frozen=True):
    pass


class Worker(Actor[Job | Boom, int]):
    async def restarted(self, reason: BaseException | str) -> None:
        print(f"{self.path} restarted after {reason!r}")

    async def receive(self, msg: Job | Boom) -> int:
        if isinstance(msg, Boom):
            raise RuntimeError("boom")
        return msg.n * 2


async def crash(worker: ActorRef[Job | Boom, int]) -> None:
    try:
        await worker.ask(Boom())
    except ActorCrashed as exc:  # the asker learns of it; the supervisor restarts the worker
        print("crashed:", exc.error)


async def main() -> None:
    workers = SupervisorSpec(
        [ChildSpec(id="w1", start=Worker), ChildSpec(id="w2", start=Worker)],
        strategy=Strategy.ONE_FOR_ONE,
        intensity=2,
        period=5.0,
    )
    tree = [ChildSpec(id="workers", start=workers)]
    try:
        async with ActorSystem("app", children=tree, intensity=0) as system:
            w1 = system.lookup("/app/workers/w1")
            assert isinstance(w1, ActorRef)
            print("w1 says", await w1.ask(Job(21)))
            for _ in range(3):  # the third crash within 5 s is one too many
                await crash(w1)
            await anyio.sleep(10)  # cancelled by the escalation
    except EscalationError as exc:
        cause = exc.cause
        print(
            "escalated:",
            exc.path,
            "<-",
            cause.path if isinstance(cause, EscalationError) else cause,
        )


if __name__ == "__main__":
    anyio.run(main)
