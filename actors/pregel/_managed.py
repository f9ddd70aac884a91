"""Managed values: state keys the engine computes each step instead of storing."""

from __future__ import annotations

from typing import Annotated

__all__ = ["IsLastStep", "ManagedValue", "RemainingSteps", "is_managed_value"]


class ManagedValue:
    """A value derived from the step counter; never a channel, never in input or output."""

    @staticmethod
    def get(step: int, stop: int) -> object:
        """The value seen by a task of ``step`` in a run that must end by ``stop``."""
        raise NotImplementedError


class RemainingStepsValue(ManagedValue):
    """Steps left before the recursion limit is reached."""

    @staticmethod
    def get(step: int, stop: int) -> object:
        return stop - step


class IsLastStepValue(ManagedValue):
    """True in the last step the recursion limit allows to route anywhere."""

    @staticmethod
    def get(step: int, stop: int) -> object:
        return step == stop - 1


RemainingSteps = Annotated[int, RemainingStepsValue]
"""A state key annotated so receives the number of steps left (``recursion_limit - 1`` first)."""

IsLastStep = Annotated[bool, IsLastStepValue]
"""A state key annotated so is ``True`` in the step before the recursion limit."""


def is_managed_value(obj: object) -> bool:
    """Whether ``obj`` is a managed-value marker class."""
    return isinstance(obj, type) and issubclass(obj, ManagedValue) and obj is not ManagedValue
