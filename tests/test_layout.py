"""The layout of DESIGN.md: real folders, links inside actorgraph/, one import direction."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Each layer may import only the layers listed for it (and itself).
ALLOWED: dict[str, set[str]] = {
    "channels": {"channels"},
    "store": {"channels", "store"},
    "actors": {"channels", "store", "actors"},
}
LAYERS = ("channels", "store", "actors")


@pytest.mark.parametrize("name", LAYERS)
def test_layer_is_a_relative_link(name: str) -> None:
    link = ROOT / "actorgraph" / name
    assert link.is_symlink(), f"actorgraph/{name} must be a symbolic link"
    assert os.readlink(link) == f"../{name}"
    assert (ROOT / name).is_dir()
    assert not (ROOT / name).is_symlink()


def _module_imports(path: Path) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.module, node.lineno))
    return out


def _imported_layers(path: Path) -> set[tuple[str, int]]:
    found: set[tuple[str, int]] = set()
    for name, line in _module_imports(path):
        parts = name.split(".")
        if parts[0] == "actorgraph":
            layer = parts[1] if len(parts) > 1 and parts[1] in LAYERS else "actorgraph"
            found.add((layer, line))
    return found


@pytest.mark.parametrize("layer", LAYERS)
def test_import_direction(layer: str) -> None:
    offending = []
    for path in sorted((ROOT / layer).rglob("*.py")):
        for imported, line in _imported_layers(path):
            if imported not in ALLOWED[layer]:
                offending.append(f"{path.relative_to(ROOT)}:{line} imports {imported}")
    assert offending == [], "imports against the layer direction:\n" + "\n".join(offending)


@pytest.mark.parametrize("layer", LAYERS)
def test_no_relative_imports_across_layers(layer: str) -> None:
    # Relative imports cannot reach another layer through the links, but keep them
    # out entirely so the direction check above sees every import.
    offending = []
    for path in sorted((ROOT / layer).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        offending += [
            f"{path.relative_to(ROOT)}:{node.lineno}"
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.level > 0
        ]
    assert offending == []


def _library_files() -> list[Path]:
    """Every library source file once, through its real folder (not the links)."""
    files = [path for layer in LAYERS for path in sorted((ROOT / layer).rglob("*.py"))]
    facade = ROOT / "actorgraph"
    files += [
        path
        for path in sorted(facade.rglob("*.py"))
        if path.relative_to(facade).parts[0] not in LAYERS
    ]
    return files


def test_no_backend_imports_outside_adapters() -> None:
    offending = [
        f"{path.relative_to(ROOT)}:{line} imports {imported}"
        for path in _library_files()
        if "_adapters" not in path.parts and not path.stem.startswith("_adapter")
        for imported, line in _module_imports(path)
        if imported.split(".")[0] in {"asyncio", "trio"}
    ]
    assert offending == [], "use anyio; keep backend code in _adapters:\n" + "\n".join(offending)


def test_never_pickle_or_eval() -> None:
    offending = []
    for path in _library_files():
        offending += [
            f"{path.relative_to(ROOT)}:{node.lineno} calls {node.func.id}"
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in {"eval", "exec"}
        ]
        offending += [
            f"{path.relative_to(ROOT)}:{line} imports {imported}"
            for imported, line in _module_imports(path)
            if imported.split(".")[0] in {"pickle", "cloudpickle", "dill", "marshal"}
        ]
    assert offending == []
