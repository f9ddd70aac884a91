"""How work runs: actors with typed mailboxes, refs, supervisors, the actor system.

Usable on its own (multi-agent simulations use it directly) and the ground the
graph engine runs on. Everything runs on anyio, so on asyncio and trio alike::

    async with ActorSystem() as system:
        counter = await system.spawn(Counter, name="counter")
        await counter.tell(Add(n=2))
        total = await counter.ask(Get())

See ``examples/supervision_tree.py`` for a supervision tree.
"""

from actorgraph.actors._actor import Actor, DownNotice
from actorgraph.actors._ref import ActorRef
from actorgraph.actors._spec import (
    BRUTAL_KILL,
    INFINITY,
    AutoShutdown,
    Backoff,
    ChildSpec,
    Overflow,
    RestartType,
    Strategy,
    SupervisorSpec,
)
from actorgraph.actors._supervisor import Child, Supervisor
from actorgraph.actors._system import ActorSystem
from actorgraph.channels._errors import (
    ActorCrashed,
    ActorError,
    ActorStopped,
    AskTimeout,
    DeadActor,
    EscalationError,
    MailboxFull,
)

__all__ = [
    "BRUTAL_KILL",
    "INFINITY",
    "Actor",
    "ActorCrashed",
    "ActorError",
    "ActorRef",
    "ActorStopped",
    "ActorSystem",
    "AskTimeout",
    "AutoShutdown",
    "Backoff",
    "Child",
    "ChildSpec",
    "DeadActor",
    "DownNotice",
    "EscalationError",
    "MailboxFull",
    "Overflow",
    "RestartType",
    "Strategy",
    "Supervisor",
    "SupervisorSpec",
]
