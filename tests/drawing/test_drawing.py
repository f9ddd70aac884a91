"""The graph drawing view: Mermaid text and the layered ASCII drawing."""

from __future__ import annotations

import pytest

from actorgraph._drawing import Edge, Graph, Node


def agent_loop() -> Graph:
    """START -> agent; agent -.-> tools | END; tools -> agent (a cycle)."""
    graph = Graph()
    for name in ("__start__", "agent", "tools", "__end__"):
        graph.add_node(name=name)
    graph.add_edge("__start__", "agent")
    graph.add_edge("agent", "tools", conditional=True)
    graph.add_edge("agent", "__end__", conditional=True)
    graph.add_edge("tools", "agent")
    return graph


def test_building_the_view() -> None:
    graph = Graph()
    start = graph.add_node(name="__start__")
    node = graph.add_node({"fn": 1}, "a", metadata={"k": "v"})
    anonymous = graph.add_node()
    edge = graph.add_edge(start, node, "go", conditional=True)
    assert node == Node("a", "a", {"fn": 1}, {"k": "v"})
    assert anonymous.id == "2"
    assert edge == Edge("__start__", "a", "go", True)
    assert graph.to_json() == {
        "nodes": [
            {"id": "__start__", "name": "__start__"},
            {"id": "a", "name": "a"},
            {"id": "2", "name": "2"},
        ],
        "edges": [{"source": "__start__", "target": "a", "data": "go", "conditional": True}],
    }
    with pytest.raises(ValueError, match="node id 'a' is already used"):
        graph.add_node(id="a")
    with pytest.raises(ValueError, match="edge end 'nope' is not a node"):
        graph.add_edge("a", "nope")


def test_first_and_last_nodes() -> None:
    graph = agent_loop()
    assert graph.first_node() == graph.nodes["__start__"]
    assert graph.last_node() == graph.nodes["__end__"]
    graph.add_node(name="orphan")
    assert graph.first_node() is None
    assert graph.last_node() is None


def test_mermaid_of_a_cycle_with_conditional_edges() -> None:
    assert agent_loop().draw_mermaid() == (
        "%%{init: {'flowchart': {'curve': 'linear'}}}%%\n"
        "graph TD;\n"
        "\t__start__([<p>__start__</p>]):::first\n"
        "\tagent(agent)\n"
        "\ttools(tools)\n"
        "\t__end__([<p>__end__</p>]):::last\n"
        "\t__start__ --> agent;\n"
        "\tagent -.-> tools;\n"
        "\tagent -.-> __end__;\n"
        "\ttools --> agent;\n"
        "\tclassDef default fill:#f2f0ff,line-height:1.2\n"
        "\tclassDef first fill-opacity:0\n"
        "\tclassDef last fill:#bfb6fc\n"
    )


def test_mermaid_labels_odd_names_subgraphs_and_options() -> None:
    graph = Graph()
    graph.add_node(name="__start__")
    graph.add_node(id="a b", name='say "hi" (now)')
    graph.add_node(id="sub:inner", name="inner")
    graph.add_node(name="__end__")
    graph.add_edge("__start__", "a b", "first")
    graph.add_edge("a b", "sub:inner", "maybe", conditional=True)
    graph.add_edge("sub:inner", "__end__")
    text = graph.draw_mermaid(with_styles=False, curve_style="basis")
    assert text.startswith("%%{init: {'flowchart': {'curve': 'basis'}}}%%\ngraph TD;\n")
    assert '\ta_20_b("say #quot;hi#quot; (now)")\n' in text
    assert "\tsubgraph sub\n\tsub_3a_inner(inner)\n\tend\n" in text
    assert "\t__start__ -- &nbsp;first&nbsp; --> a_20_b;\n" in text
    assert "\ta_20_b -. &nbsp;maybe&nbsp; .-> sub_3a_inner;\n" in text
    assert "classDef" not in text


def test_ascii_of_a_chain() -> None:
    graph = Graph()
    for name in ("__start__", "x", "__end__"):
        graph.add_node(name=name)
    graph.add_edge("__start__", "x", "begin")
    graph.add_edge("x", "__end__")
    assert graph.draw_ascii() == "\n".join(
        [
            "+-----------+",
            "| __start__ |",
            "+-----------+",
            "      |",
            "      v begin",
            "    +---+",
            "    | x |",
            "    +---+",
            "      |",
            "      v",
            " +---------+",
            " | __end__ |",
            " +---------+",
        ]
    )


def test_ascii_of_a_cycle_with_conditional_edges() -> None:
    assert agent_loop().draw_ascii() == "\n".join(
        [
            "     +-----------+",
            "     | __start__ |",
            "     +-----------+",
            "           |",
            "           v",
            "       +-------+",
            "       | agent |",
            "       +-------+",
            "         : ^ :",
            "   +.....+ | :",
            "   : +-----+ :",
            "   : |       +...+",
            "   v |           v",
            "+-------+   +---------+",
            "| tools |   | __end__ |",
            "+-------+   +---------+",
        ]
    )


def test_ascii_long_edges_self_loops_and_labels() -> None:
    graph = Graph()
    for name in ("__start__", "a", "b", "c", "d", "__end__"):
        graph.add_node(name=name)
    graph.add_edge("__start__", "a")
    graph.add_edge("a", "b", "go b", conditional=True)
    graph.add_edge("a", "c", conditional=True)
    graph.add_edge("b", "d")
    graph.add_edge("c", "d")
    graph.add_edge("d", "__end__")
    graph.add_edge("a", "__end__", "skip")
    graph.add_edge("d", "d")
    lines = graph.draw_ascii().splitlines()
    text = "\n".join(lines)
    assert "| d (loop) |" in text
    assert "go b" in text
    assert "skip" in text
    # The edge a -> __end__ passes to the right of b, c and d.
    b_row = next(i for i, line in enumerate(lines) if "| b |" in line)
    d_row = next(i for i, line in enumerate(lines) if "| d (loop) |" in line)
    assert all(line.endswith(("|", "+")) for line in lines[b_row : d_row + 2])
    assert lines[d_row].endswith(") |   |")
    order = [next(i for i, line in enumerate(lines) if n in line.split()) for n in "abd"]
    assert order == sorted(order)


def test_ascii_edge_cases() -> None:
    assert Graph().draw_ascii() == ""
    lone = Graph()
    lone.add_node(name="only")
    assert lone.draw_ascii() == "+------+\n| only |\n+------+"
    pair = Graph()
    pair.add_node(name="p")
    pair.add_node(name="q")
    pair.add_edge("p", "q")
    pair.add_edge("q", "p")
    drawing = pair.draw_ascii()
    assert "^" in drawing
    assert "v" in drawing


def test_print_ascii(capsys: pytest.CaptureFixture[str]) -> None:
    agent_loop().print_ascii()
    assert "| agent |" in capsys.readouterr().out


def test_ascii_crowded_fan_out_keeps_every_arrow() -> None:
    graph = Graph()
    for name in ("s", "x", "y", "z", "w"):
        graph.add_node(name=name)
    for target in ("x", "y", "z"):
        graph.add_edge("s", target, f"to {target} with a long label", conditional=True)
    graph.add_edge("x", "w")
    graph.add_edge("z", "w")
    graph.add_edge("y", "w", "yw")
    graph.add_edge("w", "s")  # closes a cycle across the fan-out
    drawing = graph.draw_ascii()
    assert drawing.count("v") == 6
    assert drawing.count("^") == 1
    # Labels with no room beside their edge are listed under the drawing.
    assert "s -.-> x: to x with a long label" in drawing.splitlines()
    for name in "sxyzw":
        assert f" {name} " in drawing


def test_image_renderings_say_what_to_use_instead() -> None:
    graph = agent_loop()
    with pytest.raises(
        NotImplementedError, match=r"draw_mermaid_png\(\) is not available.*draw_ascii"
    ):
        graph.draw_mermaid_png()
    with pytest.raises(NotImplementedError, match=r"draw_png\(\) is not available"):
        graph.draw_png()
