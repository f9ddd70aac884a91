"""StateGraph building, schemas and compile-time validation."""

from __future__ import annotations

import dataclasses
import operator
from typing import Annotated, Any, Literal

import msgspec
import pydantic
import pytest
from typing_extensions import TypedDict

from actorgraph.channels import BinaryOperatorAggregate, LastValue
from actorgraph.config import RunnableConfig
from actorgraph.errors import GraphValidationError, InvalidUpdateError
from actorgraph.graph import END, START, StateGraph
from actorgraph.types import Command


class State(TypedDict):
    value_1: str
    value_2: int


def step_1(state: State) -> dict[str, Any]:
    return {"value_1": "a"}


def step_2(state: State) -> dict[str, Any]:
    return {"value_1": f"{state['value_1']} b"}


def step_3(state: State) -> dict[str, Any]:
    return {"value_2": 10}


def test_sequence_invoke_and_streams() -> None:
    graph = StateGraph(State).add_sequence([step_1, step_2, step_3])
    graph.add_edge(START, "step_1")
    app = graph.compile()
    assert app.invoke({"value_1": "c"}) == {"value_1": "a b", "value_2": 10}
    assert list(app.stream({"value_1": "c"}, stream_mode="updates")) == [
        {"step_1": {"value_1": "a"}},
        {"step_2": {"value_1": "a b"}},
        {"step_3": {"value_2": 10}},
    ]
    assert list(app.stream({"value_1": "c"}, stream_mode="values")) == [
        {"value_1": "c"},
        {"value_1": "a"},
        {"value_1": "a b"},
        {"value_1": "a b", "value_2": 10},
    ]


def test_builder_methods_chain() -> None:
    app = StateGraph(State).add_node(step_1).add_edge(START, "step_1").compile()
    assert app.invoke({"value_1": "x"}) == {"value_1": "a"}


def test_add_node_name_first_or_second() -> None:
    graph = StateGraph(State)
    graph.add_node("one", step_1)
    graph.add_node(step_3, "two")
    graph.add_edge(START, "one").add_edge("one", "two")
    assert graph.compile().invoke({"value_1": ""}) == {"value_1": "a", "value_2": 10}


def test_set_entry_and_finish_point() -> None:
    graph = StateGraph(State).add_node(step_1)
    graph.set_entry_point("step_1").set_finish_point("step_1")
    assert graph.compile().invoke({"value_1": "z"})["value_1"] == "a"


def test_channels_from_annotations() -> None:
    class S(TypedDict):
        plain: int
        summed: Annotated[int, operator.add]
        listed: Annotated[list[str], lambda a, b: a + b]

    app = StateGraph(S).add_node(step_1).add_edge(START, "step_1").compile()
    assert isinstance(app.channels["plain"], LastValue)
    assert isinstance(app.channels["summed"], BinaryOperatorAggregate)
    assert isinstance(app.channels["listed"], BinaryOperatorAggregate)
    assert "branch:to:step_1" in app.channels


def test_reducer_default_vs_operator_add() -> None:
    class NoReducer(TypedDict):
        foo: int
        bar: list[str]

    class WithReducer(TypedDict):
        foo: int
        bar: Annotated[list[str], operator.add]

    def node1(state: Any) -> dict[str, Any]:
        return {"foo": 2}

    def node2(state: Any) -> dict[str, Any]:
        return {"bar": ["bye"]}

    for schema, bar in ((NoReducer, ["bye"]), (WithReducer, ["hi", "bye"])):
        graph = StateGraph(schema).add_sequence([node1, node2])
        graph.add_edge(START, "node1")
        assert graph.compile().invoke({"foo": 1, "bar": ["hi"]}) == {"foo": 2, "bar": bar}


class InputState(TypedDict):
    user_input: str


class OutputState(TypedDict):
    graph_output: str


class OverallState(TypedDict):
    foo: str
    user_input: str
    graph_output: str


class PrivateState(TypedDict):
    bar: str


def node_1(state: InputState) -> dict[str, Any]:
    return {"foo": state["user_input"] + " name"}


def node_2(state: OverallState) -> PrivateState:
    return {"bar": state["foo"] + " is"}


def node_3(state: PrivateState) -> dict[str, Any]:
    return {"graph_output": state["bar"] + " Lance"}


def test_input_output_and_private_schemas() -> None:
    graph = StateGraph(OverallState, input_schema=InputState, output_schema=OutputState)
    graph.add_sequence([node_1, node_2, node_3]).add_edge(START, "node_1")
    assert graph.compile().invoke({"user_input": "My"}) == {"graph_output": "My name is Lance"}


class Overall(TypedDict):
    a: str


class Node2Input(TypedDict):
    private_data: str


seen: list[Any] = []


def p_node_1(state: Overall) -> dict[str, Any]:
    seen.append(dict(state))
    return {"private_data": "set by node_1"}


def p_node_2(state: Node2Input) -> dict[str, Any]:
    seen.append(dict(state))
    return {"a": "set by node_2"}


def p_node_3(state: Overall) -> dict[str, Any]:
    seen.append(dict(state))
    return {"a": "set by node_3"}


def test_node_input_schema_restricts_view() -> None:
    seen.clear()
    graph = StateGraph(Overall).add_sequence([p_node_1, p_node_2, p_node_3])
    graph.add_edge(START, "p_node_1")
    assert graph.compile().invoke({"a": "set at start"}) == {"a": "set by node_3"}
    assert seen == [
        {"a": "set at start"},
        {"private_data": "set by node_1"},
        {"a": "set by node_2"},
    ]


def test_explicit_input_schema_on_add_node() -> None:
    class S(TypedDict):
        a: str
        b: str

    class OnlyB(TypedDict):
        b: str

    got: list[Any] = []

    def reader(state: Any) -> None:
        got.append(state)

    graph = StateGraph(S).add_node("reader", reader, input_schema=OnlyB)
    graph.add_edge(START, "reader")
    graph.compile().invoke({"a": "x", "b": "y"})
    assert got == [{"b": "y"}]


@dataclasses.dataclass
class DataState:
    topic: str
    joke: str = ""


def test_dataclass_state_defaults_and_attribute_access() -> None:
    def node(state: DataState) -> dict[str, Any]:
        assert isinstance(state, DataState)
        return {"joke": f"{state.joke!r} about {state.topic}"}

    app = StateGraph(DataState).add_node(node).add_edge(START, "node").compile()
    assert app.invoke({"topic": "ice cream"}) == {
        "topic": "ice cream",
        "joke": "'' about ice cream",
    }
    assert app.invoke(DataState(topic="x", joke="y"))["joke"] == "'y' about x"
    with pytest.raises(InvalidUpdateError, match="DataState"):
        app.invoke({})


class Nested(pydantic.BaseModel):
    value: str


class PydState(pydantic.BaseModel):
    text: str
    count: int
    nested: Nested


def test_pydantic_state_validates_input_and_nodes_get_models() -> None:
    def process(state: PydState) -> dict[str, Any]:
        assert type(state) is PydState
        assert type(state.nested) is Nested
        return {"text": state.text + " processed", "count": state.count + 1}

    app = StateGraph(PydState).add_node(process).add_edge(START, "process").compile()
    out = app.invoke(PydState(text="hello", count=0, nested=Nested(value="test")))
    assert out == {"text": "hello processed", "count": 1, "nested": Nested(value="test")}
    with pytest.raises(pydantic.ValidationError, match="text"):
        app.invoke({"text": 123, "count": 0, "nested": {"value": "v"}})


def test_pydantic_node_may_return_a_model() -> None:
    class P(pydantic.BaseModel):
        a: str = ""
        b: str = ""

    def node(state: P) -> P:
        return P(b="set")

    app = StateGraph(P).add_node(node).add_edge(START, "node").compile()
    assert app.invoke({"a": "x"}) == {"a": "x", "b": "set"}


class StructState(msgspec.Struct):
    name: str
    hits: Annotated[int, operator.add] = 0


def test_msgspec_struct_state() -> None:
    def node(state: StructState) -> dict[str, Any]:
        assert isinstance(state, StructState)
        return {"hits": 2}

    def other(state: StructState) -> StructState:
        return StructState(name=state.name.upper(), hits=1)

    graph = StateGraph(StructState).add_sequence([node, other]).add_edge(START, "node")
    app = graph.compile()
    assert app.invoke({"name": "ada", "hits": 1}) == {"name": "ADA", "hits": 4}
    with pytest.raises(InvalidUpdateError, match="StructState"):
        app.invoke({"name": 5})


def test_typeddict_does_not_validate_values() -> None:
    def node(state: State) -> dict[str, Any]:
        return {"value_1": 1}

    app = StateGraph(State).add_node(node).add_edge(START, "node").compile()
    assert app.invoke({"value_1": "a"}) == {"value_1": 1}


def test_not_a_schema() -> None:
    with pytest.raises(GraphValidationError, match="not a TypedDict"):
        StateGraph(int)


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda g: g.add_node(START, step_1), "reserved"),
        (lambda g: g.add_node(END, step_1), "reserved"),
        (lambda g: g.add_node("a|b", step_1), "separates namespaces"),
        (lambda g: g.add_node("s", step_1).add_node("s", step_2), "already present"),
        (lambda g: g.add_edge(END, "x"), "END cannot be the start"),
        (lambda g: g.add_edge("x", START), "START cannot be the end"),
        (lambda g: g.add_edge(["a", END], "x"), "END cannot be the start"),
        (lambda g: g.add_edge(["a", "b"], END), "cannot end at"),
        (lambda g: g.add_node("n", None), "has no action"),
        (lambda g: g.add_sequence([]), "at least one"),
    ],
)
def test_builder_errors(build: Any, match: str) -> None:
    with pytest.raises(GraphValidationError, match=match):
        build(StateGraph(State))


def _router(state: State) -> str:
    return "step_1"


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda g: g.add_node(step_1), "must have an entrypoint"),
        (lambda g: g.add_node(step_1).add_edge(START, "nope"), "unknown node 'nope'"),
        (
            lambda g: g.add_node(step_1).add_edge(START, "step_1").add_edge("ghost", "step_1"),
            "unknown node 'ghost'",
        ),
        (
            lambda g: g.add_node(step_1).add_edge(START, "step_1").add_edge(["step_1"], "missing"),
            "unknown node 'missing'",
        ),
        (
            lambda g: (
                g.add_node(step_1)
                .add_edge(START, "step_1")
                .add_conditional_edges("step_1", _router, {"x": "nowhere"})
            ),
            "unknown node 'nowhere'",
        ),
    ],
)
def test_compile_errors_name_the_node(build: Any, match: str) -> None:
    with pytest.raises(GraphValidationError, match=match):
        build(StateGraph(State)).compile()


def test_compile_rejects_unknown_interrupt_nodes() -> None:
    graph = StateGraph(State).add_node(step_1).add_edge(START, "step_1")
    with pytest.raises(GraphValidationError, match="unknown node 'zzz'"):
        graph.compile(interrupt_before=["zzz"])


def test_duplicate_branch_name() -> None:
    graph = StateGraph(State).add_node(step_1).add_conditional_edges("step_1", _router)
    with pytest.raises(GraphValidationError, match="already has a branch"):
        graph.add_conditional_edges("step_1", _router)


def test_literal_return_hint_names_destinations() -> None:
    def route(state: State) -> Literal["step_1", "__end__"]:
        return "step_1"

    graph = StateGraph(State).add_node(step_1).add_edge(START, "step_1")
    graph.add_conditional_edges("step_1", route)
    assert graph.branches["step_1"]["route"].ends == ("step_1", "__end__")


def test_command_literal_return_hint_records_ends() -> None:
    def node_a(state: State) -> Command[Literal["step_1", "step_3"]]:
        return Command(goto="step_1")

    graph = StateGraph(State).add_node(node_a).add_node(step_1).add_node(step_3)
    graph.add_node("d", step_2, destinations=("step_1",))
    assert graph.nodes["node_a"].ends == ("step_1", "step_3")
    assert graph.nodes["d"].ends == ("step_1",)


def test_callable_object_needs_name() -> None:
    class Thing:
        def __call__(self, state: State) -> None:
            return None

    with pytest.raises(GraphValidationError, match="Cannot infer a name"):
        StateGraph(State).add_node(Thing())
    app = StateGraph(State).add_node("thing", Thing()).add_edge(START, "thing").compile()
    assert app.invoke({"value_1": "v"}) == {"value_1": "v"}


def test_repr_names_nodes() -> None:
    app = StateGraph(State).add_node(step_1).add_edge(START, "step_1").compile(name="g")
    assert "step_1" in repr(app)
    assert app.name == "g"


def test_a_single_node_can_be_invoked_on_its_own() -> None:
    class K(TypedDict):
        my_key: str

    def node1(state: K, config: RunnableConfig) -> dict[str, Any]:
        return {"my_key": f"hello from node1 ({config['configurable']['who']})"}

    def node2(state: K) -> dict[str, Any]:
        return {"my_key": "hello from node2"}

    app = StateGraph(K).add_sequence([node1, node2]).add_edge(START, "node1").compile()
    config: RunnableConfig = {"configurable": {"who": "me"}}
    assert app.invoke({"my_key": "initial_value"}, config)["my_key"] == "hello from node2"
    single = app.nodes["node1"].invoke({"my_key": "initial_value"}, config)
    assert single == {"my_key": "hello from node1 (me)"}
    assert repr(app.nodes["node2"]) == "NodeView('node2')"


class Point(pydantic.BaseModel):
    x: int


class PointState(TypedDict):
    points: list[Point]


def test_compile_registers_the_state_types_with_the_serializer() -> None:
    from actorgraph.store.serde import dumps, loads
    from actorgraph.types import Command, Send

    StateGraph(PointState).add_node(step_1).add_edge(START, "step_1").compile()
    value = [Point(x=1), Send("a", {"p": Point(x=2)}), Command(goto="a")]
    assert loads(dumps(value)) == value
