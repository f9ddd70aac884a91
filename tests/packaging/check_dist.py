"""Build a wheel and an sdist, install each into a fresh virtual environment, and
import every layer from it. The layout relies on links inside ``actorgraph/``;
this proves the distributions carry real files.

Run by ``make test`` (target ``package-check``).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import actorgraph.channels, actorgraph.store, actorgraph.actors, actorgraph.errors, pathlib;"
    "p = pathlib.Path(actorgraph.channels.__file__);"
    "assert 'site-packages' in str(p), p;"
    "assert not p.parent.is_symlink(), 'installed layer is a link';"
    "print('ok', p)"
)


def _run(*args: str | Path, cwd: Path | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, check=False, capture_output=True, text=True
    )
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"failed: {' '.join(map(str, args))}")
    return done.stdout


def _install_and_probe(dist: Path, work: Path) -> None:
    env_dir = work / f"venv-{dist.suffix.strip('.')}"
    venv.create(env_dir, with_pip=True, system_site_packages=False)
    python = env_dir / "bin" / "python"
    _run(python, "-m", "pip", "install", "--quiet", dist)
    out = _run(python, "-c", PROBE, cwd=work)
    sys.stdout.write(f"{dist.name}: {out}")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="actorgraph-dist-") as tmp:
        work = Path(tmp)
        _run(sys.executable, "-m", "build", "--outdir", work / "dist", ROOT)
        wheels = sorted((work / "dist").glob("*.whl"))
        sdists = sorted((work / "dist").glob("*.tar.gz"))
        if len(wheels) != 1 or len(sdists) != 1:
            raise SystemExit(f"expected one wheel and one sdist, got {wheels + sdists}")
        _install_and_probe(wheels[0], work)
        _install_and_probe(sdists[0], work)


if __name__ == "__main__":
    main()
