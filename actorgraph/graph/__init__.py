"""Build graphs over a shared state: StateGraph, its compiled form, START and END."""

from actorgraph.graph._branch import END, START
from actorgraph.graph.state import CompiledStateGraph, StateGraph

__all__ = ["END", "START", "CompiledStateGraph", "StateGraph"]
