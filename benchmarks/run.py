"""Run the workloads on actorgraph and LangGraph side by side and write RESULTS.md.

``python -m benchmarks.run`` (``make bench``) runs the default suite;
``--quick`` (``make bench-quick``) the small sizes with fewer repetitions.
Each (implementation, workload, backend) runs in a process of its own; the
order of the implementations alternates from one workload to the next.
LangGraph runs on asyncio only (it has no trio support); actorgraph on
asyncio, trio and asyncio with uvloop.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from benchmarks import workloads

RESULTS = Path(__file__).with_name("RESULTS.md")
SECTION = "## Graph workloads, side by side with LangGraph"
ACTORGRAPH_BACKENDS = ("asyncio", "trio", "uvloop")
# Targets from the benchmark issue: LangGraph time / actorgraph time.
DEFAULT_TARGET = 10.0
TARGETS = {"custom_events": 5.0, "serde": 1.0}


@dataclass
class Row:
    workload: workloads.Workload
    records: dict[tuple[str, str], dict[str, Any]]


def _spawn(impl: str, name: str, backend: str, warmup: int, reps: int) -> dict[str, Any]:
    command = [
        sys.executable,
        "-m",
        "benchmarks._worker",
        "--impl",
        impl,
        "--workload",
        name,
        "--backend",
        backend,
        "--warmup",
        str(warmup),
        "--reps",
        str(reps),
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, check=False, cwd=Path(__file__).parent.parent
    )
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"impl": impl, "workload": name, "backend": backend, "error": tail[:300]}
    record: dict[str, Any] = json.loads(lines[-1])
    return record


def _available(impl: str) -> bool:
    try:
        version(impl)
    except PackageNotFoundError:
        return False
    return True


def run_suite(
    selected: list[workloads.Workload], *, warmup: int, reps: int, backends: tuple[str, ...]
) -> list[Row]:
    rows = []
    langgraph = _available("langgraph")
    for index, workload in enumerate(selected):
        jobs = [("actorgraph", backend) for backend in backends]
        if langgraph and "langgraph" in workload.impls:
            jobs.append(("langgraph", "asyncio"))
        if index % 2:
            jobs.reverse()
        records = {}
        for impl, backend in jobs:
            count = workload.reps or reps
            record = _spawn(impl, workload.name, backend, warmup if count > 2 else 0, count)
            records[impl, backend] = record
            status = record.get("error") or f"{_per_op(record):.2f} µs/{workload.unit}"
            sys.stderr.write(f"{workload.name:32} {impl:10} {backend:8} {status}\n")
        rows.append(Row(workload, records))
    return rows


def _per_op(record: dict[str, Any], pick: str = "median") -> float:
    times: list[float] = record["times"]
    if pick == "min":
        value = min(times)
    elif pick == "max":
        value = max(times)
    else:
        value = statistics.median(times)
    return value / float(record["ops"]) * 1e6


def _cell(record: dict[str, Any] | None) -> str:
    if record is None:
        return "—"
    if "error" in record:
        return f"error: {record['error'].replace('|', '/')}"
    return f"{_per_op(record):,.1f} ({_per_op(record, 'min'):,.1f}–{_per_op(record, 'max'):,.1f})"


def _ratio(numerator: dict[str, Any] | None, denominator: dict[str, Any] | None) -> float | None:
    if not numerator or not denominator or "error" in numerator or "error" in denominator:
        return None
    return _per_op(numerator) / _per_op(denominator)


def _target(name: str) -> float:
    return next((t for prefix, t in TARGETS.items() if name.startswith(prefix)), DEFAULT_TARGET)


def render(rows: list[Row], command: str, elapsed: float) -> str:
    lines = [
        SECTION,
        "",
        (
            f"Measured {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC with `{command}`"
            f" in {elapsed:.0f} s."
        ),
        "",
        _machine(),
        "",
        (
            "Figures are µs per unit: median (min–max) over the repetitions, each implementation in"
            " its own process. `ratio` is LangGraph's median over actorgraph's on asyncio (higher is"
            " better for actorgraph); `trio/asyncio` is actorgraph's trio median over its asyncio"
            " median (target ≤ 1.5). A cell reading `error` is a workload that failed or computed a"
            " wrong answer on that implementation."
        ),
        "",
        (
            "| workload | unit | LangGraph (asyncio) | actorgraph asyncio | ratio | target | met |"
            " actorgraph trio | trio/asyncio | actorgraph uvloop |"
        ),
        "|---|---|---:|---:|---:|---:|:-:|---:|---:|---:|",
    ]
    misses = []
    for row in rows:
        rec = row.records
        lg = rec.get(("langgraph", "asyncio"))
        ours = rec.get(("actorgraph", "asyncio")) or rec.get(("actorgraph", "sync"))
        ratio = _ratio(lg, ours)
        trio = rec.get(("actorgraph", "trio"))
        trio_ratio = _ratio(trio, ours)
        compared = "langgraph" in row.workload.impls
        target = _target(row.workload.name)
        met = "—" if ratio is None else ("yes" if ratio >= target else "no")
        if compared and met != "yes":
            misses.append(row.workload.name)
        ours_is_sync = ours is not None and ours.get("backend") == "sync"
        lines.append(
            f"| {row.workload.name} | {row.workload.unit} | {_cell(lg)} | {_cell(ours)} | "
            f"{'—' if ratio is None else f'{ratio:.1f}×'} | {f'≥{target:g}×' if compared else '—'} | {met} | "
            f"{'(sync)' if ours_is_sync else _cell(trio)} | "
            f"{'—' if trio_ratio is None else f'{trio_ratio:.2f}'} | "
            f"{'(sync)' if ours_is_sync else _cell(rec.get(('actorgraph', 'uvloop')))} |"
        )
    sizes = [line for row in rows for line in _size_lines(row, misses)]
    if sizes:
        lines += [
            "",
            "Sizes (lower is better; the ratio is LangGraph's over actorgraph's on asyncio):",
            "",
            "| workload | measure | LangGraph | actorgraph asyncio | actorgraph trio | ratio | target | met |",
            "|---|---|---:|---:|---:|---:|---:|:-:|",
            *sizes,
        ]
    lines += _overhead_lines(rows, misses)
    lines += ["", f"Targets not met or not measured: {', '.join(misses) or 'none'}.", ""]
    return "\n".join(lines)


def _overhead_lines(rows: list[Row], misses: list[str]) -> list[str]:
    """Engine overhead per superstep against one mailbox round trip (target ≤ 5x)."""
    by_name = {row.workload.name: row for row in rows}
    out = []
    for backend in ACTORGRAPH_BACKENDS:
        chain = by_name.get("chain_1000") or by_name.get("chain_10")
        hop = by_name.get("mailbox_round_trip")
        if chain is None or hop is None:
            continue
        step = chain.records.get(("actorgraph", backend))
        trip = hop.records.get(("actorgraph", backend))
        ratio = _ratio(step, trip)
        if ratio is None or step is None or trip is None:
            continue
        met = "yes" if ratio <= 5 else "no"
        if met != "yes":
            misses.append(f"engine overhead on {backend}")
        out.append(
            f"- {backend}: a superstep of `{chain.workload.name}` costs {_per_op(step):.1f} µs,"
            f" one actor ask round trip {_per_op(trip):.1f} µs: {ratio:.1f}× (target ≤ 5×,"
            f" met: {met})"
        )
    if out:
        out = ["", "Engine overhead per superstep against one mailbox round trip:", "", *out]
    return out


# Size targets: LangGraph's figure over ours must reach these.
SIZE_TARGETS = {"rss_per_run_kib": 4.0, "db_kib": 10.0}
SIZE_NAMES = {"rss_per_run_kib": "RSS per run in flight, KiB", "db_kib": "database size, KiB"}


def _size_lines(row: Row, misses: list[str]) -> list[str]:
    out = []
    for key, target in SIZE_TARGETS.items():
        figures = {
            impl_backend: record["extras"][key]
            for impl_backend, record in row.records.items()
            if key in record.get("extras", {})
        }
        if not figures:
            continue
        theirs = figures.get(("langgraph", "asyncio"))
        ours = figures.get(("actorgraph", "asyncio"))
        trio = figures.get(("actorgraph", "trio"))
        ratio = theirs / ours if theirs and ours else None
        met = "—" if ratio is None else ("yes" if ratio >= target else "no")
        if met != "yes":
            misses.append(f"{row.workload.name} ({key})")

        def cell(value: float | None) -> str:
            return "—" if value is None else f"{value:,.1f}"

        out.append(
            f"| {row.workload.name} | {SIZE_NAMES[key]} | {cell(theirs)} | {cell(ours)} | "
            f"{cell(trio)} | {'—' if ratio is None else f'{ratio:.1f}×'} | ≥{target:g}× | {met} |"
        )
    return out


def _machine() -> str:
    cpu = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    packages = ["actorgraph", "langgraph", "anyio", "trio", "uvloop", "msgspec"]
    versions = ", ".join(f"{name} {version(name)}" for name in packages if _available(name))
    return (
        f"Machine: {os.cpu_count()} cores, {cpu}, Python {platform.python_version()},"
        f" {platform.system()} {platform.release()}. Versions: {versions}."
    )


def replace_section(path: Path, heading: str, body: str) -> None:
    """Write ``body`` as the section starting at ``heading``, keeping the others."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    start = text.find(heading + "\n")
    if start == -1:
        text = text.rstrip("\n") + "\n\n" + body
    else:
        end = text.find("\n## ", start + len(heading))
        text = text[:start] + body + ("" if end == -1 else text[end:])
    path.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, fewer repetitions")
    parser.add_argument("--only", default="", help="run workloads whose name contains this")
    parser.add_argument("--reps", type=int, default=None)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    selected = [
        w for w in workloads.all_workloads() if (w.quick or not args.quick) and args.only in w.name
    ]
    reps = args.reps or (3 if args.quick else 5)
    backends = ("asyncio", "trio") if args.quick else ACTORGRAPH_BACKENDS
    start = time.perf_counter()
    rows = run_suite(selected, warmup=1, reps=reps, backends=backends)
    command = "python -m benchmarks.run " + " ".join(argv if argv is not None else sys.argv[1:])
    body = render(rows, command.strip(), time.perf_counter() - start)
    replace_section(args.output, SECTION, body)
    sys.stderr.write(f"wrote {args.output}\n")


if __name__ == "__main__":
    main()
