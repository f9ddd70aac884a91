"""Compose Runnables: a pipe with a parallel step, retries, fallbacks, streaming,
events, and a chat history per session.

Run it with ``python -m examples.runnables_compose``; it works the same on asyncio
and trio (``main()`` for the sync faces, ``amain()`` for the async ones).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio

from actorgraph.messages import AIMessage, BaseMessage
from actorgraph.runnables import (
    InMemoryChatMessageHistory,
    RunnableConfig,
    RunnableGenerator,
    RunnableLambda,
    RunnablePassthrough,
    RunnableWithMessageHistory,
)


def add_one(x: int) -> int:
    return x + 1


def mul_two(x: int) -> int:
    return x * 2


def words(_: Any) -> Iterator[str]:
    yield from ["streams", " as", " it", " goes"]


def shout(chunks: Iterator[str]) -> Iterator[str]:
    for chunk in chunks:
        yield chunk.upper()


attempts = {"flaky": 0}


def flaky(x: int) -> int:
    attempts["flaky"] += 1
    if attempts["flaky"] < 3:
        raise ConnectionError("transient failure")
    return x


def always_fails(x: int) -> int:
    raise ValueError("primary is down")


# A pipe: add one, then two branches in parallel, then a key computed from both.
chain = (
    RunnableLambda(add_one)
    | {"doubled": mul_two, "same": RunnablePassthrough()}
    | RunnablePassthrough.assign(total=lambda d: d["doubled"] + d["same"])
)

# Retries with backoff turned off, and a fallback for a failing primary.
resilient = RunnableLambda(flaky).with_retry(stop_after_attempt=5, wait_exponential_jitter=False)
with_backup = RunnableLambda(always_fails).with_fallbacks([RunnableLambda(mul_two)])

# Streaming through generators, chunk by chunk.
stream_chain = RunnableGenerator(words) | shout

# A chat that remembers each session.
sessions: dict[str, InMemoryChatMessageHistory] = {}


def reply(messages: list[BaseMessage]) -> AIMessage:
    return AIMessage(f"message {len(messages)} of this session: {messages[-1].content!r}")


chat = RunnableWithMessageHistory(
    RunnableLambda(reply),
    lambda session_id: sessions.setdefault(session_id, InMemoryChatMessageHistory()),
)


def main() -> None:
    """The sync faces, from plain code."""
    print(chain.invoke(1))
    print(chain.batch([1, 2], {"max_concurrency": 2}))
    print(resilient.invoke(7), "after", attempts["flaky"], "attempts")
    print(with_backup.invoke(21))
    print("".join(stream_chain.stream(None)))
    config: RunnableConfig = {"configurable": {"session_id": "demo"}}
    print(chat.invoke("hello", config).content)
    print(chat.invoke("and again", config).content)


async def amain() -> list[str]:
    """The async faces: stream the events of a run."""
    events: AsyncIterator[dict[str, Any]] = chain.astream_events(1, include_names=["add_one"])
    return [f"{event['event']} {event['name']}" async for event in events]


if __name__ == "__main__":
    main()
    print(anyio.run(amain))
