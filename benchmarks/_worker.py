"""One benchmark process: one implementation, one workload, one backend.

``python -m benchmarks._worker --impl actorgraph --workload chain_10 --backend trio``
prints one JSON line with the timings of each repetition, or the error.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
import traceback
from typing import Any

import anyio

from benchmarks import _impls, workloads

BACKENDS = ("asyncio", "trio", "uvloop")


def _anyio_args(backend: str) -> tuple[str, dict[str, Any]]:
    if backend == "uvloop":
        return "asyncio", {"use_uvloop": True}
    return backend, {}


async def _time_async(prepared: workloads.Prepared, warmup: int, reps: int) -> list[float]:
    times = []
    for i in range(warmup + reps):
        gc.collect()
        start = time.perf_counter()
        result = await prepared.run()  # type: ignore[misc, unused-ignore]
        elapsed = time.perf_counter() - start
        prepared.check(result)
        if i >= warmup:
            times.append(elapsed)
    return times


def _time_sync(prepared: workloads.Prepared, warmup: int, reps: int) -> list[float]:
    times = []
    for i in range(warmup + reps):
        gc.collect()
        start = time.perf_counter()
        result = prepared.run()
        elapsed = time.perf_counter() - start
        prepared.check(result)
        if i >= warmup:
            times.append(elapsed)
    return times


def measure(impl: str, name: str, backend: str, warmup: int, reps: int) -> dict[str, Any]:
    workload = workloads.by_name()[name]
    api = _impls.load(impl)
    record: dict[str, Any] = {
        "impl": impl,
        "version": api.version(),
        "workload": name,
        "backend": backend,
        "unit": workload.unit,
    }
    try:
        if workload.prepare(api).is_async:
            backend_name, options = _anyio_args(backend)

            async def main() -> tuple[list[float], workloads.Prepared]:
                prepared = workload.prepare(api)
                return await _time_async(prepared, warmup, reps), prepared

            times, prepared = anyio.run(main, backend=backend_name, backend_options=options)
        else:
            prepared = workload.prepare(api)
            times = _time_sync(prepared, warmup, reps)
            record["backend"] = "sync"
        record.update(times=times, ops=prepared.ops, extras=dict(prepared.extras))
    except Exception as error:  # noqa: BLE001 - the report names whatever went wrong
        lines = traceback.format_exception_only(type(error), error)
        record["error"] = "".join(lines).strip().splitlines()[-1][:300]
    return record


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--impl", choices=_impls.IMPLEMENTATIONS, required=True)
    parser.add_argument("--workload", required=True)
    parser.add_argument("--backend", choices=BACKENDS, default="asyncio")
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args(argv)
    record = measure(args.impl, args.workload, args.backend, args.warmup, args.reps)
    sys.stdout.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
