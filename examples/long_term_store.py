"""A user's memories in the long-term store, with semantic search and expiry.

    python examples/long_term_store.py [path.db]

Runs on asyncio (``anyio.run``); pass ``backend="trio"`` there to run on trio.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import anyio

from actorgraph.store import IndexConfig, SqliteStore, TTLConfig

TOPICS = ("pizza", "plumb", "python")


def embed(texts: Sequence[str]) -> list[list[float]]:
    """A stand-in for an embedding model: one dimension per topic word."""
    return [[float(topic in text.lower()) for topic in TOPICS] for text in texts]


async def main(path: str) -> None:
    index: IndexConfig = {"dims": len(TOPICS), "embed": embed, "fields": ["text"]}
    ttl: TTLConfig = {"default_ttl": 60 * 24 * 7, "sweep_interval_minutes": 60}
    async with SqliteStore(path, index=index, ttl=ttl) as store:
        ns = ("user_123", "memories")
        await store.aput(ns, "1", {"text": "I love pizza", "kind": "food"})
        await store.aput(ns, "2", {"text": "I am a plumber", "kind": "job"}, ttl=None)
        await store.aput(ns, "3", {"text": "Working on Python", "kind": "job"}, index=False)

        best = await store.asearch(ns, query="pizza tonight?", limit=1)
        print("best match:", best[0].key, best[0].value["text"], best[0].score)
        jobs = await store.asearch(("user_123",), filter={"kind": "job"})
        print("jobs:", [item.value["text"] for item in jobs])
        print("namespaces:", await store.alist_namespaces(max_depth=1))


if __name__ == "__main__":
    anyio.run(main, sys.argv[1] if len(sys.argv) > 1 else ":memory:")
