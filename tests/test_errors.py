from __future__ import annotations

import pytest

from actorgraph import errors


def test_error_message_carries_the_code() -> None:
    message = errors.create_error_message(
        message="At key 'x': Can receive only one value per step.",
        error_code=errors.ErrorCode.INVALID_CONCURRENT_GRAPH_UPDATE,
    )
    assert message.startswith("At key 'x'")
    assert message.endswith("(error code: INVALID_CONCURRENT_GRAPH_UPDATE)")


def test_signals_carry_their_payload() -> None:
    interrupt = errors.GraphInterrupt(["a", "b"])
    assert list(interrupt.interrupts) == ["a", "b"]
    node_interrupt = errors.NodeInterrupt("why", id="i-1")
    assert (node_interrupt.value, node_interrupt.id, list(node_interrupt.interrupts)) == (
        "why",
        "i-1",
        ["why"],
    )
    command = object()
    assert errors.ParentCommand(command).command is command
    assert isinstance(node_interrupt, errors.GraphBubbleUp)


def test_node_error_names_the_node() -> None:
    error = errors.NodeError("node 'b' returned 5", node="b")
    assert error.node == "b"
    assert "node 'b'" in str(error)


@pytest.mark.parametrize(
    ("error", "builtin"),
    [
        (errors.GraphRecursionError, RecursionError),
        (errors.SerializationError, TypeError),
        (errors.DeserializationError, ValueError),
        (errors.GraphValidationError, ValueError),
        (errors.InvalidNamespaceError, ValueError),
    ],
)
def test_errors_are_also_the_builtin_users_catch(
    error: type[Exception], builtin: type[Exception]
) -> None:
    assert issubclass(error, builtin)
    assert issubclass(error, errors.ActorGraphError)
