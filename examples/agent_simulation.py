"""A multi-agent simulation on bare actors: many cheap agents passing messages.

Run it with ``python -m examples.agent_simulation [agents] [rounds]``. Each agent
is a dynamic child of one ``simple_one_for_one`` supervisor; an idle agent owns
no task, so tens of thousands fit in a small process.
"""

from __future__ import annotations

import random
import sys
import time

import anyio
import msgspec

from actorgraph.actors import (
    Actor,
    ActorRef,
    ActorSystem,
    ChildSpec,
    Strategy,
    SupervisorSpec,
)


class Meet(msgspec.Struct, frozen=True):
    """Meet the agent ``peer`` and pass it one coin."""

    peer: int


class Coin(msgspec.Struct, frozen=True):
    pass


class Wealth(msgspec.Struct, frozen=True):
    pass


Msg = Meet | Coin | Wealth


class Agent(Actor[Msg, int]):
    def __init__(self, directory: list[ActorRef[Msg, int]]) -> None:
        self.directory = directory
        self.coins = 10

    async def receive(self, msg: Msg) -> int:
        if isinstance(msg, Meet) and self.coins > 0:
            self.coins -= 1
            await self.directory[msg.peer].tell(Coin())
        elif isinstance(msg, Coin):
            self.coins += 1
        return self.coins


async def simulate(agents: int, rounds: int, seed: int = 0) -> list[int]:
    """Run the simulation; return every agent's final wealth."""
    rng = random.Random(seed)  # noqa: S311 - a simulation, not cryptography
    directory: list[ActorRef[Msg, int]] = []
    population = SupervisorSpec(
        [ChildSpec(id="agent", start=Agent)], strategy=Strategy.SIMPLE_ONE_FOR_ONE
    )
    async with ActorSystem("sim") as system:
        sup = await system.start_supervisor("agents", population)
        for n in range(agents):
            ref = await sup.add_child(directory, name=f"agent-{n}")
            assert isinstance(ref, ActorRef)
            directory.append(ref)
        for _ in range(rounds):
            for ref in directory:
                await ref.tell(Meet(rng.randrange(agents)))
        # Once every agent has answered, every coin it gave is in its peer's
        # mailbox, ahead of a second question: the second answers add up.
        for ref in directory:
            await ref.ask(Wealth())
        wealth = [await ref.ask(Wealth()) for ref in directory]
    return wealth


def main() -> None:
    agents = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    start = time.perf_counter()
    wealth = anyio.run(simulate, agents, rounds)
    elapsed = time.perf_counter() - start
    print(f"{agents} agents, {rounds} rounds, {elapsed:.2f} s")
    print(f"coins kept: {sum(wealth)} of {10 * agents}; richest agent has {max(wealth)}")


if __name__ == "__main__":
    main()
