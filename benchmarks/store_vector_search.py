"""Cosine ranking of N stored vectors against one query, three ways, side by side.

    python benchmarks/store_vector_search.py [--n 10000] [--dims 256] [--repeat 5]

1. blobs in SQLite, scored by the store's pure-Python loop (no NumPy);
2. the same blobs scored by NumPy (the optional ``vectors`` extra);
3. sqlite-vec's ``vec_distance_cosine`` inside SQLite, when the ``sqlite_vec``
   package is installed and this Python's sqlite3 can load extensions;
4. the store's whole ``asearch(query=...)`` path over the same number of items.

Each line reports the median time of loading the blobs of one namespace and
scoring them (the whole search path minus decoding the winners).
"""

from __future__ import annotations

import argparse
import importlib
import random
import sqlite3
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

import anyio

from actorgraph.store import IndexConfig, PutOp, SqliteStore
from actorgraph.store._store_vectors import cosine_scores, pack_vector, using_numpy


def _median_ms(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--dims", type=int, default=256)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(7)
    rows = [
        (i, pack_vector([rng.uniform(-1, 1) for _ in range(args.dims)], dims=args.dims, what="x"))
        for i in range(args.n)
    ]
    query = pack_vector([rng.uniform(-1, 1) for _ in range(args.dims)], dims=args.dims, what="q")
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE v (id INTEGER PRIMARY KEY, embedding BLOB NOT NULL)")
    db.executemany("INSERT INTO v VALUES (?, ?)", rows)

    def load() -> list[Any]:
        return db.execute("SELECT id, embedding FROM v").fetchall()

    def score(vectorized: bool) -> Callable[[], object]:
        def run() -> object:
            found = load()
            scores = cosine_scores(query, [blob for _, blob in found], vectorized=vectorized)
            return sorted(zip(scores, (i for i, _ in found), strict=True), reverse=True)[:10]

        return run

    print(f"{args.n} vectors x {args.dims} dims, median of {args.repeat}")
    print(f"  load blobs only          {_median_ms(load, args.repeat):8.1f} ms")
    print(f"  blobs + pure Python      {_median_ms(score(False), args.repeat):8.1f} ms")
    if using_numpy():
        print(f"  blobs + NumPy            {_median_ms(score(True), args.repeat):8.1f} ms")
    else:
        print("  blobs + NumPy            (numpy not installed)")
    try:
        # By name: installed or not, it has no type information to check.
        sqlite_vec: Any = importlib.import_module("sqlite_vec")

        db.enable_load_extension(True)
        sqlite_vec.load(db)
    except (ImportError, AttributeError, sqlite3.Error) as exc:
        print(f"  sqlite-vec               (unavailable: {type(exc).__name__}: {exc})")
    else:

        def vec() -> object:
            return db.execute(
                "SELECT id, 1 - vec_distance_cosine(embedding, ?) AS s FROM v "
                "ORDER BY s DESC LIMIT 10",
                (query,),
            ).fetchall()

        print(f"  sqlite-vec in SQL        {_median_ms(vec, args.repeat):8.1f} ms")
    _store_search(args.n, args.dims, args.repeat)


def _store_search(n: int, dims: int, repeat: int) -> None:
    """The whole ``SqliteStore.asearch(query=...)`` path over ``n`` stored items."""
    rng = random.Random(11)
    table = {f"t{i}": [rng.uniform(-1, 1) for _ in range(dims)] for i in range(n)}

    def embed(texts: Sequence[str]) -> list[list[float]]:
        return [table.get(text) or [1.0] * dims for text in texts]

    async def run() -> None:
        index: IndexConfig = {"dims": dims, "embed": embed, "fields": ["text"]}
        async with SqliteStore(index=index) as store:
            await store.abatch([PutOp(("docs",), f"k{i}", {"text": f"t{i}"}) for i in range(n)])
            times = []
            for _ in range(repeat):
                start = time.perf_counter()
                found = await store.asearch(("docs",), query="anything", limit=10)
                times.append(time.perf_counter() - start)
            assert len(found) == 10
        print(f"  SqliteStore.asearch      {statistics.median(times) * 1000:8.1f} ms (end to end)")

    anyio.run(run)


if __name__ == "__main__":
    main()
