"""The benchmark harness itself: report rendering and section replacement.

The workloads run against the engine in ``test_workloads.py``; speed is never
asserted here.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks import run, workloads


def _record(impl: str, backend: str, seconds: list[float], ops: int = 10) -> dict[str, object]:
    return {"impl": impl, "backend": backend, "times": seconds, "ops": ops, "extras": {}}


def test_render_reports_ratio_target_and_misses() -> None:
    fast = workloads.chain(10)
    slow = workloads.custom_events(100)
    rows = [
        run.Row(
            fast,
            {
                ("langgraph", "asyncio"): _record("langgraph", "asyncio", [0.02, 0.03, 0.025]),
                ("actorgraph", "asyncio"): _record("actorgraph", "asyncio", [0.001, 0.002, 0.0015]),
                ("actorgraph", "trio"): _record("actorgraph", "trio", [0.003, 0.003, 0.003]),
            },
        ),
        run.Row(
            slow,
            {
                ("langgraph", "asyncio"): _record("langgraph", "asyncio", [0.01]),
                ("actorgraph", "asyncio"): {"impl": "actorgraph", "error": "boom | bad"},
            },
        ),
    ]
    text = run.render(rows, "python -m benchmarks.run --quick", 3.0)
    assert "| chain_10 | step | 2,500.0 (2,000.0–3,000.0) | 150.0 (100.0–200.0) | 16.7×" in text
    assert "| ≥10× | yes |" in text
    assert "error: boom / bad" in text
    assert "Targets not met or not measured: custom_events_100." in text
    assert "| 2.00 |" in text  # trio over asyncio


def test_replace_section_keeps_other_sections(tmp_path: Path) -> None:
    path = tmp_path / "RESULTS.md"
    path.write_text("# Benchmark results\n\n## Actors\n\nactor figures\n", encoding="utf-8")
    run.replace_section(path, "## Graphs", "## Graphs\n\nfirst\n")
    run.replace_section(path, "## Graphs", "## Graphs\n\nsecond\n")
    text = path.read_text(encoding="utf-8")
    assert text.count("## Graphs") == 1
    assert "second" in text
    assert "first" not in text
    assert "actor figures" in text


def test_every_workload_has_a_unique_name() -> None:
    names = [workload.name for workload in workloads.all_workloads()]
    assert len(names) == len(set(names))
    assert {"chain_10", "chain_1000_sync", "send_fanout_100", "agent_loop_100"} <= set(names)


def test_sizes_are_compared_with_their_own_targets() -> None:
    workload = workloads.concurrent_runs(100)

    def sized(impl: str, backend: str, kib: float) -> dict[str, object]:
        record = _record(impl, backend, [0.1])
        record["extras"] = {"rss_per_run_kib": kib}
        return record

    rows = [
        run.Row(
            workload,
            {
                ("langgraph", "asyncio"): sized("langgraph", "asyncio", 40.0),
                ("actorgraph", "asyncio"): sized("actorgraph", "asyncio", 11.0),
                ("actorgraph", "trio"): sized("actorgraph", "trio", 12.0),
            },
        )
    ]
    text = run.render(rows, "python -m benchmarks.run", 1.0)
    assert (
        "| concurrent_runs_100 | RSS per run in flight, KiB | 40.0 | 11.0 | 12.0 | 3.6× | ≥4× | no |"
        in text
    )
    assert "concurrent_runs_100 (rss_per_run_kib)" in text
