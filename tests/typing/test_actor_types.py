"""Static types carry through refs: mypy checks these ``assert_type`` lines."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from typing_extensions import assert_type

from actorgraph.actors import Actor, ActorRef, ActorSystem

pytestmark = pytest.mark.anyio


class Add(msgspec.Struct, frozen=True):
    n: int


class Get(msgspec.Struct, frozen=True):
    pass


class Counter(Actor[Add | Get, int]):
    def __init__(self, start: int = 0) -> None:
        self.total = start

    async def receive(self, msg: Add | Get) -> int:
        if isinstance(msg, Add):
            self.total += msg.n
        return self.total


class Logger(Actor[str]):
    async def receive(self, msg: str) -> None:
        return None


async def test_refs_carry_message_and_reply_types() -> None:
    async with ActorSystem() as system:
        counter = await system.spawn(Counter, 5)
        assert_type(counter, ActorRef[Add | Get, int])
        assert_type(await counter.ask(Add(1)), int)
        logger = await system.spawn(Logger)
        assert_type(logger, ActorRef[str, Any])  # the reply type defaults to Any
        await logger.tell("hello")
        assert await counter.ask(Get()) == 6
