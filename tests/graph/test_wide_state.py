"""Wide states: the fast ways a node gets its state give what the general ways give.

Two fast paths are checked against the general one: the schema mappers
(dataclass and pydantic instances assembled without ``__init__`` /
``model_construct`` when that changes nothing) and the views a run keeps
across steps for nodes reading many keys (``actors/pregel/_views.py``).
"""

from __future__ import annotations

import dataclasses
import operator
from typing import Annotated, Any, ClassVar

import pydantic
import pytest
from hypothesis import given, settings
from typing_extensions import TypedDict

from actorgraph.actors.pregel import _spec
from actorgraph.channels import EphemeralValue, Topic
from actorgraph.graph import END, START, StateGraph
from actorgraph.graph._schema import schema_info
from actorgraph.store.checkpoint import InMemorySaver
from actorgraph.types import Command, Send, interrupt
from tests.strategies import wide_programs, wide_values

# --- mappers -----------------------------------------------------------------------


@dataclasses.dataclass
class Plain:
    a: int = 0
    b: list[int] = dataclasses.field(default_factory=list)
    c: str = "c"


@dataclasses.dataclass(frozen=True)
class Frozen:
    a: int = 0
    b: list[int] = dataclasses.field(default_factory=list)
    c: str = "c"


@dataclasses.dataclass
class PostInit:
    a: int = 0
    b: list[int] = dataclasses.field(default_factory=list)
    c: str = "c"
    calls: ClassVar[list[int]] = []

    def __post_init__(self) -> None:
        PostInit.calls.append(self.a)


@dataclasses.dataclass
class HiddenField:
    a: int = 0
    b: list[int] = dataclasses.field(default_factory=list)
    c: str = dataclasses.field(default="c", init=False)


@dataclasses.dataclass
class WithInitVar:
    a: int = 0
    b: list[int] = dataclasses.field(default_factory=list)
    c: str = "c"
    scale: dataclasses.InitVar[int] = 1


@dataclasses.dataclass(slots=True)
class Slotted:
    a: int = 0
    b: list[int] = dataclasses.field(default_factory=list)
    c: str = "c"


@dataclasses.dataclass
class OwnInit:
    a: int = 0
    b: list[int] = dataclasses.field(default_factory=list)
    c: str = "c"

    def __init__(self, a: int = 0, b: list[int] | None = None, c: str = "c") -> None:
        self.a = a * 2
        self.b = b or []
        self.c = c


@dataclasses.dataclass
class Guarded:
    a: int = 0
    b: list[int] = dataclasses.field(default_factory=list)
    c: str = "c"

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value if name != "c" else value.upper())


class Upper:
    """A data descriptor as a field's default: __init__ stores through it."""

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self.slot = f"_{name}"

    def __get__(self, instance: Any, owner: Any = None) -> str:
        return "c" if instance is None else str(getattr(instance, self.slot))

    def __set__(self, instance: Any, value: str) -> None:
        object.__setattr__(instance, self.slot, value.upper())


@dataclasses.dataclass
class Described:
    a: int = 0
    b: list[int] = dataclasses.field(default_factory=list)
    c: str = Upper()  # type: ignore[assignment]


@dataclasses.dataclass
class Inherited(Described):
    pass


class Model(pydantic.BaseModel):
    a: int = 0
    b: list[int] = []
    c: str = "c"


class Allowing(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="allow")
    a: int = 0
    b: list[int] = []
    c: str = "c"


class Aliased(pydantic.BaseModel):
    a: int = pydantic.Field(default=0, alias="A")
    b: list[int] = []
    c: str = "c"


class Private(pydantic.BaseModel):
    a: int = 0
    b: list[int] = []
    c: str = "c"
    _seen: int = pydantic.PrivateAttr(default=7)


class Frozen2(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(frozen=True)
    a: int = 0
    b: list[int] = []
    c: str = "c"


FAST = (Plain, Frozen, Model, Allowing, Frozen2)
GENERAL = (
    PostInit,
    HiddenField,
    WithInitVar,
    Slotted,
    OwnInit,
    Guarded,
    Described,
    Inherited,
    Aliased,
    Private,
)


def _general(schema: type[Any], values: dict[str, Any]) -> Any:
    if issubclass(schema, pydantic.BaseModel):
        return schema.model_construct(**values)
    return schema(**values)


def _fields(schema: type[Any]) -> tuple[str, ...]:
    return tuple(schema_info(schema).keys)


def _same(schema: type[Any], fast: Any, general: Any) -> None:
    assert type(fast) is type(general)
    assert fast == general
    if isinstance(fast, pydantic.BaseModel):
        assert list(fast.__dict__.items()) == list(general.__dict__.items())
        assert fast.model_fields_set == general.model_fields_set
        assert fast.__pydantic_extra__ == general.__pydantic_extra__
        assert fast.__pydantic_private__ == general.__pydantic_private__
        assert fast.model_dump() == general.model_dump()
    elif hasattr(general, "__dict__"):
        assert list(vars(fast).items()) == list(vars(general).items())
    else:
        assert dataclasses.astuple(fast) == dataclasses.astuple(general)


@pytest.mark.parametrize("schema", FAST + GENERAL, ids=lambda s: s.__name__)
@settings(max_examples=30, deadline=None)
@given(drawn=wide_values())
def test_mapper_builds_what_the_class_builds(schema: type[Any], drawn: dict[str, Any]) -> None:
    names = _fields(schema)
    values = {name: drawn[name] for name in drawn if name in names}
    mapper = schema_info(schema).mapper
    assert mapper is not None
    try:
        expected = _general(schema, dict(values))
    except TypeError as exc:
        message = str(exc)
    else:
        _same(schema, mapper(dict(values)), expected)
        return
    with pytest.raises(TypeError) as raised:
        mapper(dict(values))
    assert str(raised.value) == message


@pytest.mark.parametrize("schema", FAST, ids=lambda s: s.__name__)
def test_mapper_takes_the_values_over_when_they_are_every_field_in_order(
    schema: type[Any],
) -> None:
    values = {"a": 1, "b": [2], "c": "x"}
    mapper = schema_info(schema).mapper
    assert mapper is not None
    built = mapper(values)
    # The fast path: the dict itself became the instance's fields.
    assert built.__dict__ is values
    _same(schema, built, _general(schema, {"a": 1, "b": [2], "c": "x"}))


@pytest.mark.parametrize("schema", GENERAL, ids=lambda s: s.__name__)
def test_mapper_calls_the_class_when_it_does_more_than_set_fields(schema: type[Any]) -> None:
    # Every field __init__ takes (HiddenField's c is not one).
    given = {"a": 1, "b": [2]} if schema is HiddenField else {"a": 1, "b": [2], "c": "x"}
    values = {k: v for k, v in given.items() if k in _fields(schema)}
    mapper = schema_info(schema).mapper
    assert mapper is not None
    built = mapper(dict(values))
    assert getattr(built, "__dict__", None) is not values
    _same(schema, built, _general(schema, dict(values)))


def test_dataclass_post_init_still_runs_for_nodes() -> None:
    PostInit.calls.clear()

    def node(state: PostInit) -> dict[str, Any]:
        return {"a": state.a + 1}

    app = StateGraph(PostInit).add_node(node).add_edge(START, "node").compile()
    assert app.invoke({"a": 4}) == {"a": 5, "b": [], "c": "c"}
    assert 4 in PostInit.calls


def test_pydantic_input_is_still_validated_and_names_the_field() -> None:
    def node(state: Model) -> dict[str, Any]:
        return {"a": state.a + 1}

    app = StateGraph(Model).add_node(node).add_edge(START, "node").compile()
    assert app.invoke({"a": "4", "b": [1]}) == {"a": 5, "b": [1], "c": "c"}
    with pytest.raises(pydantic.ValidationError, match="b"):
        app.invoke({"a": 1, "b": "not a list"})


# --- views kept across steps --------------------------------------------------------


def _wide_schema(keys: int) -> Any:
    fields: dict[str, Any] = {f"k{i}": int for i in range(keys)}
    fields["total"] = Annotated[int, operator.add]
    fields["flash"] = Annotated[int, EphemeralValue]
    return TypedDict("Wide", fields, total=False)  # type: ignore[operator]


def _run_program(program: list[list[tuple[str, Any]]], *, keep_views: bool) -> Any:
    """Run a chain whose node ``i`` writes ``program[i]``; record every input it saw."""
    seen: list[list[tuple[str, Any]]] = []
    schema = _wide_schema(10)
    builder = StateGraph(schema)
    previous = START
    for index, writes in enumerate(program):

        def node(state: dict[str, Any], writes: Any = tuple(writes)) -> dict[str, Any]:
            seen.append(list(state.items()))
            # A node that changes its own input changes nothing for the others.
            state.pop("k0", None)
            state["k1"] = -1
            return dict(writes)

        builder.add_node(f"n{index}", node)
        builder.add_edge(previous, f"n{index}")
        previous = f"n{index}"
    builder.add_edge(previous, END)
    app = builder.compile()
    assert all(node.wide for node in app.spec.nodes.values())
    if not keep_views:
        for spec in app.spec.nodes.values():
            spec.wide = False
    out = app.invoke({"k2": 2, "k5": 5})
    return seen, out


@settings(max_examples=40, deadline=None)
@given(program=wide_programs())
def test_kept_views_match_views_built_each_step(program: list[list[tuple[str, Any]]]) -> None:
    assert _run_program(program, keep_views=True) == _run_program(program, keep_views=False)


def test_a_key_that_appears_keeps_the_read_order() -> None:
    seen, _ = _run_program([[("k9", 9)], [("k1", 1)], []], keep_views=True)
    assert [k for k, _ in seen[2]] == ["k1", "k2", "k5", "k9", "total"]


def test_a_node_reading_a_topic_reads_fresh() -> None:
    fields: dict[str, Any] = {f"k{i}": int for i in range(10)}
    fields["log"] = Annotated[list[int], Topic(int, accumulate=True)]
    schema: Any = TypedDict("WithTopic", fields, total=False)  # type: ignore[misc]
    logs: list[list[int]] = []

    def first(state: dict[str, Any]) -> dict[str, Any]:
        logs.append(state["log"])
        state["log"].append(99)
        return {"k1": 1}

    def second(state: dict[str, Any]) -> dict[str, Any]:
        logs.append(state["log"])
        return {}

    app = StateGraph(schema).add_sequence([first, second]).add_edge(START, "first").compile()
    assert not any(node.wide for node in app.spec.nodes.values())
    app.invoke({"log": [1]})
    assert logs == [[1, 99], [1]]


@pytest.mark.anyio
async def test_resume_update_reaches_a_kept_view() -> None:
    schema = _wide_schema(10)

    def ask(state: dict[str, Any]) -> dict[str, Any]:
        return {"k3": interrupt("k3?")}

    def after(state: dict[str, Any]) -> dict[str, Any]:
        return {"total": state["k3"] + state["k4"]}

    app = (
        StateGraph(schema)
        .add_sequence([ask, after])
        .add_edge(START, "ask")
        .compile(checkpointer=InMemorySaver())
    )
    assert all(node.wide for node in app.spec.nodes.values())
    config: Any = {"configurable": {"thread_id": "t"}}
    first = await app.ainvoke({"k3": 0, "k4": 1}, config)
    assert "__interrupt__" in first
    out = await app.ainvoke(Command(resume=10, update={"k4": 5}), config)
    assert out["total"] == 15
    await app.aupdate_state(config, {"k4": 100})
    snapshot = await app.aget_state(config)
    assert snapshot.values["k4"] == 100


@pytest.mark.anyio
async def test_new_input_on_a_paused_thread_reaches_a_kept_view() -> None:
    schema = _wide_schema(10)
    seen: list[int] = []

    def first(state: dict[str, Any]) -> dict[str, Any]:
        seen.append(state["k4"])
        return {"k3": state["k4"]}

    def second(state: dict[str, Any]) -> dict[str, Any]:
        seen.append(state["k3"])
        return {}

    app = (
        StateGraph(schema)
        .add_sequence([first, second])
        .add_edge(START, "first")
        .compile(checkpointer=InMemorySaver(), interrupt_before=["second"])
    )
    config: Any = {"configurable": {"thread_id": "t"}}
    await app.ainvoke({"k4": 1}, config)
    # A new input abandons the paused step (planned, so its view is built) and
    # starts over with the new values.
    await app.ainvoke({"k4": 7}, config)
    await app.ainvoke(None, config)
    assert seen == [1, 7, 7]


def _stub_run(keys: int) -> Any:
    from types import SimpleNamespace

    from actorgraph.actors.pregel._run import RunChannels
    from actorgraph.channels import LastValue

    channels: dict[str, Any] = {f"k{i}": LastValue(int, key=f"k{i}") for i in range(keys)}
    for i, channel in enumerate(channels.values()):
        channel.update([i])
    # The run owns every channel already, as after a step that wrote them all.
    run_channels = RunChannels(channels)
    run_channels.update(channels)
    return SimpleNamespace(
        channels=run_channels, version=1, versions=dict.fromkeys(channels, 1), views=None
    )


def _wide_node(keys: int) -> Any:
    async def call(task: Any) -> None:
        return None

    async def write(task: Any, result: Any) -> None:
        return None

    node = _spec.NodeSpec(
        "n", triggers=(), reads=[f"k{i}" for i in range(keys)], call=call, writer=write
    )
    node.read_plan = tuple((key, True) for key in node.reads or ())
    node.wide = True
    return node


def test_a_view_is_rebuilt_when_a_channel_changed_outside_a_step() -> None:
    from actorgraph.actors.pregel._views import read_state, refresh_views

    run, node = _stub_run(10), _wide_node(10)
    assert read_state(run, node)["k3"] == 3
    assert read_state(run, node) is read_state(run, node)
    # A resume's update: the version moves without apply_writes.
    run.channels["k3"].update([30])
    run.version += 1
    run.versions["k3"] = run.version
    assert read_state(run, node)["k3"] == 30
    # A restored checkpoint: a new versions map, even at the same version.
    run.channels["k3"].update([300])
    run.versions = dict(run.versions)
    assert read_state(run, node)["k3"] == 300
    # A step applied while the views were not current drops them.
    run.channels["k4"].update([40])
    run.version += 2
    refresh_views(run, run.version, ["k4"])
    assert run.views is None
    assert read_state(run, node)["k4"] == 40


# --- channel copies -----------------------------------------------------------------


def test_last_value_copy_shares_the_value_and_keeps_subclass_configuration() -> None:
    from actorgraph.channels import LastValue

    channel: LastValue[int] = LastValue(int, key="k")
    channel.update([3])
    copied = channel.copy()
    assert (type(copied), copied.key, copied.typ, copied.get()) == (LastValue, "k", int, 3)
    copied.update([4])
    assert channel.get() == 3

    class Tagged(LastValue[int]):
        __slots__ = ("tag",)
        tag: str

        def _blank(self) -> Tagged:
            new = super()._blank()
            new.tag = self.tag
            return new

    tagged = Tagged(int, key="t")
    tagged.tag = "x"
    assert tagged.copy().tag == "x"


def test_ephemeral_value_copy_is_the_general_copy() -> None:
    from actorgraph.channels.base import _ValueChannel
    from actorgraph.channels.ephemeral_value import UntrackedValue

    for guard in (True, False):
        for written in ([], [5]):
            channel: EphemeralValue[int] = EphemeralValue(int, guard=guard, key="e")
            channel.update(written)
            fast, general = channel.copy(), _ValueChannel.copy(channel)
            slots = ("key", "typ", "guard", "commutative", "value")
            assert [getattr(fast, s) for s in slots] == [getattr(general, s) for s in slots]
            assert type(fast) is EphemeralValue
            fast.update([6])
            assert channel.value == (5 if written else channel.value)
    untracked: UntrackedValue[int] = UntrackedValue(int, key="u")
    untracked.update([1])
    assert type(untracked.copy()) is UntrackedValue
    assert untracked.copy().get() == 1


# --- dataclass input ---------------------------------------------------------------

DATACLASSES = tuple(s for s in FAST + GENERAL if dataclasses.is_dataclass(s))


def _coerce_general(schema: type[Any], values: dict[str, Any]) -> dict[str, Any]:
    info = schema_info(schema)
    built = schema(**values)
    return {name: getattr(built, name) for name in info.field_names}


@pytest.mark.parametrize("schema", DATACLASSES, ids=lambda s: s.__name__)
@settings(max_examples=30, deadline=None)
@given(drawn=wide_values())
def test_dataclass_input_is_what_the_class_builds(schema: type[Any], drawn: dict[str, Any]) -> None:
    from actorgraph.errors import InvalidUpdateError
    from actorgraph.graph._schema import coerce_input

    info = schema_info(schema)
    values = {name: drawn[name] for name in drawn if name in info.key_set}
    try:
        expected = _coerce_general(schema, dict(values))
    except TypeError as exc:
        with pytest.raises(InvalidUpdateError, match=str(exc).split("(")[0]):
            coerce_input(info, dict(values))
        return
    got = coerce_input(info, dict(values))
    assert list(got.items()) == list(expected.items())
    if info.plain_fields is not None:
        assert all(got[name] is values[name] for name in values)


def test_dataclass_input_skips_building_only_when_init_just_stores() -> None:
    from actorgraph.graph._schema import coerce_input

    assert schema_info(Plain).plain_fields == ("a", "b", "c")
    assert all(schema_info(s).plain_fields is None for s in GENERAL if s in DATACLASSES)
    PostInit.calls.clear()
    assert coerce_input(schema_info(PostInit), {"a": 1, "b": [], "c": "x"})["a"] == 1
    assert PostInit.calls == [1]


# --- node writers and a lone task's writes ------------------------------------------


def test_a_node_writer_routes_only_when_the_node_has_routers() -> None:
    def bump(state: Counted) -> dict[str, Any]:
        return {"n": state["n"] + 1}

    builder = StateGraph(Counted).add_node("a", bump).add_node("b", bump)
    builder.add_edge(START, "a").add_conditional_edges("a", lambda s: "b" if s["n"] < 3 else END)
    builder.add_edge("b", "a")
    app = builder.compile()
    plain = app.spec.nodes["b"].writer
    routed = app.spec.nodes["a"].writer

    class _Task:
        def __init__(self) -> None:
            self.writes: list[tuple[str, Any]] = []

    assert plain(_Task(), {"n": 1}) is None  # type: ignore[arg-type]
    routing = routed(_Task(), {"n": 1})  # type: ignore[arg-type]
    assert routing is not None
    routing.close()  # type: ignore[attr-defined]
    assert app.invoke({"n": 0})["n"] == 3


class Counted(TypedDict):
    n: int
    log: Annotated[list[int], operator.add]


def test_a_lone_task_writing_a_key_twice_is_refused_or_reduced_in_order() -> None:
    from actorgraph.errors import InvalidUpdateError

    # More writes than the one-pass grouping's threshold, repeating a key.
    def twice(state: Counted) -> list[Command[Any]]:
        return [Command(update={"log": [i], "n": 1} if i == 0 else {"log": [i]}) for i in range(6)]

    app = StateGraph(Counted).add_node(twice).add_edge(START, "twice").compile()
    assert app.invoke({"n": 0, "log": []}) == {"n": 1, "log": [0, 1, 2, 3, 4, 5]}

    def clash(state: Counted) -> list[Command[Any]]:
        return [Command(update={"n": i}) for i in range(6)]

    app = StateGraph(Counted).add_node(clash).add_edge(START, "clash").compile()
    with pytest.raises(InvalidUpdateError, match="'n'"):
        app.invoke({"n": 0, "log": []})

    # Many writes and a Send from one task: the packet still runs its node.
    def fan(state: Counted) -> list[Command[Any]]:
        return [
            *(Command(update={"log": [i]}) for i in range(5)),
            Command(goto=Send("leaf", {"n": 7, "log": []})),
        ]

    def leaf(state: Counted) -> dict[str, Any]:
        return {"log": [state["n"]]}

    builder = StateGraph(Counted).add_node(fan).add_node(leaf).add_edge(START, "fan")
    assert builder.compile().invoke({"n": 0, "log": []})["log"] == [0, 1, 2, 3, 4, 7]


MODELS = tuple(s for s in FAST + GENERAL if issubclass(s, pydantic.BaseModel))


@pytest.mark.parametrize("schema", MODELS, ids=lambda s: s.__name__)
@settings(max_examples=30, deadline=None)
@given(drawn=wide_values())
def test_pydantic_input_is_what_validation_builds(schema: type[Any], drawn: dict[str, Any]) -> None:
    from actorgraph.graph._schema import coerce_input

    info = schema_info(schema)
    values = {("A" if name == "a" and schema is Aliased else name): v for name, v in drawn.items()}
    model = schema.model_validate(values)
    expected = {name: getattr(model, name) for name in schema.model_fields}
    got = coerce_input(info, values)
    assert list(got.items()) == list(expected.items())
    # An instance given as input is read, not validated again.
    assert list(coerce_input(info, model).items()) == list(expected.items())


# --- output from the kept view -----------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(program=wide_programs())
def test_output_from_a_kept_view_is_the_output_read_from_the_channels(
    program: list[list[tuple[str, Any]]],
) -> None:
    # RunSupervisor.output returns a copy of the kept view when a node read
    # exactly the output keys; without kept views it reads every channel.
    _, fast = _run_program(program, keep_views=True)
    _, general = _run_program(program, keep_views=False)
    assert fast == general
    assert list(fast) == list(general)


def test_output_from_a_kept_view_is_a_copy_the_caller_may_change() -> None:
    _, first = _run_program([[("k3", 3)], [("total", 1)]], keep_views=True)
    first["k3"] = -1
    first.pop("k2")
    _, second = _run_program([[("k3", 3)], [("total", 1)]], keep_views=True)
    assert second == {"k2": 2, "k3": 3, "k5": 5, "total": 1}
