"""Each public module exports what its ``__all__`` says, and nothing private."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import actorgraph


def _public_modules() -> list[str]:
    names = [
        info.name
        for info in pkgutil.walk_packages(actorgraph.__path__, prefix="actorgraph.")
        if not any(part.startswith("_") for part in info.name.split("."))
    ]
    return sorted(["actorgraph", *names])


@pytest.mark.parametrize("name", _public_modules())
def test_all_names_exist_and_are_public(name: str) -> None:
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{name} has no __all__"
    assert len(set(exported)) == len(exported), f"{name}.__all__ repeats a name"
    for attr in exported:
        assert hasattr(module, attr), f"{name}.__all__ names {attr!r}, which is missing"
        assert not attr.startswith("_") or attr == "__version__", f"{name} exports {attr!r}"


def test_errors_module_exports_the_documented_names() -> None:
    errors = importlib.import_module("actorgraph.errors")
    documented = {
        "EmptyChannelError",
        "GraphRecursionError",
        "InvalidUpdateError",
        "GraphInterrupt",
        "NodeInterrupt",
        "EmptyInputError",
        "TaskNotFound",
        "ErrorCode",
        "ParentCommand",
        "GraphBubbleUp",
    }
    assert documented <= set(errors.__all__)
    assert issubclass(errors.GraphRecursionError, RecursionError)
