"""get_graph of Runnables, drawn with the shared drawing module."""

from __future__ import annotations

from actorgraph.runnables import RunnableLambda, RunnableParallel

RL = RunnableLambda


def add_one(x: int) -> int:
    return x + 1


def test_single_runnable_graph() -> None:
    graph = RL(add_one).get_graph()
    assert [n.name for n in graph.nodes.values()] == ["add_one_input", "add_one", "add_one_output"]
    assert [(e.source, e.target) for e in graph.edges] == [
        ("add_one_input", "add_one"),
        ("add_one", "add_one_output"),
    ]


def test_sequence_with_parallel_branches() -> None:
    chain = RL(add_one) | {"a": RL(str), "b": RL(add_one)} | RL(lambda d: d)
    graph = chain.get_graph()
    edges = {(e.source, e.target) for e in graph.edges}
    assert edges == {
        ("RunnableSequenceInput", "add_one"),
        ("add_one", "str"),
        ("add_one", "add_one_2"),
        ("str", "RunnableLambda"),
        ("add_one_2", "RunnableLambda"),
        ("RunnableLambda", "RunnableSequenceOutput"),
    }
    mermaid = graph.draw_mermaid()
    assert "add_one --> str;" in mermaid
    assert "| add_one |" in graph.draw_ascii()


def test_binding_draws_its_bound_runnable() -> None:
    graph = RunnableParallel(x=RL(add_one).with_config(tags=["t"])).get_graph()
    assert "add_one" in graph.nodes
    assert graph.first_node() is not None
    assert graph.first_node() is graph.nodes["RunnableParallel<x>Input"]
