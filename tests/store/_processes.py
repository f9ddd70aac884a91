"""Start several interpreters that begin their work at the same moment."""

from __future__ import annotations

import subprocess
import sys
import time


def run_together(script: str, *args: str, workers: int = 4, timeout: float = 100) -> None:
    """Run ``python -c script <worker> <start_at> <backend> *args`` in ``workers``
    processes (asyncio and trio alternating) that all start working at one
    instant; fail with their stderr unless every one exits cleanly without
    mentioning a locked database."""
    start_at = time.time() + 2.0  # every interpreter is up and waiting by then
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                script,
                str(worker),
                str(start_at),
                "trio" if worker % 2 else "asyncio",
                *args,
            ],
            stderr=subprocess.PIPE,
        )
        for worker in range(workers)
    ]
    errors = [p.communicate(timeout=timeout)[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0] * workers, "\n".join(errors)
    assert not any("locked" in e for e in errors), "\n".join(errors)
