"""Managed values: state keys computed by the engine each step."""

from actorgraph.actors.pregel import IsLastStep, RemainingSteps

__all__ = ["IsLastStep", "RemainingSteps"]
