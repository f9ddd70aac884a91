"""The cheaper parts of a checkpointed step give what the general ones give.

A step's many writes share one plain-data test (falling back to one check per
write, which names the bad one); task ids and task paths are built without the
join for the common shapes; the checkpoint's maps are copied as blocks.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typing_extensions import TypedDict

from actorgraph.actors.pregel._durable import RunDurability
from actorgraph.actors.pregel._pending import path_str
from actorgraph.actors.pregel._spec import SeededWrite
from actorgraph.actors.pregel._task import PULL, PUSH, Task
from actorgraph.errors import SerializationError
from actorgraph.graph import END, START, StateGraph
from actorgraph.store import serde
from actorgraph.store._serde_plain import all_plain
from actorgraph.store.checkpoint import InMemorySaver
from tests.strategies import serde_mostly_plain_values

pytestmark = pytest.mark.anyio


class _Unstorable:
    """No serializer knows it."""


def _reference_check(tasks: list[Task]) -> None:
    """The one-write-at-a-time check every batch must agree with."""
    for task in tasks:
        for key, value in task.writes:
            raw = value.value if type(value) is SeededWrite else value
            if type(raw) in (str, int, float, bool, type(None), bytes):
                continue
            try:
                serde.check(raw, path=f"{task.name}.{key}")
            except SerializationError as exc:
                raise SerializationError(
                    f"node {task.name!r} wrote {key!r} a value of type "
                    f"{type(raw).__name__}, which the checkpointer cannot store ({exc}). "
                    "Store plain data (dicts, lists, str, numbers, msgspec Structs, "
                    "dataclasses) or register the type with actorgraph.store.serde.register."
                ) from None


def _outcome(check: Any, tasks: list[Task]) -> str | None:
    try:
        check(tasks)
    except SerializationError as exc:
        return str(exc)
    return None


def _tasks(writes_per_task: list[list[Any]]) -> list[Task]:
    run: Any = None  # the check reads only names and writes
    tasks = []
    for i, values in enumerate(writes_per_task):
        task = Task(run, None, f"node{i}", (PULL, f"node{i}"), (), None)
        task.writes = [
            (f"k{j}", SeededWrite(f"s{j}", value) if j % 3 == 2 else value)
            for j, value in enumerate(values)
        ]
        tasks.append(task)
    return tasks


_durability: Any = object.__new__(RunDurability)

_write_values = st.one_of(
    serde_mostly_plain_values(),
    st.builds(_Unstorable),
    st.lists(st.builds(_Unstorable), min_size=1, max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), min_size=16, max_size=20),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(_write_values, max_size=5), min_size=1, max_size=3))
def test_checking_writes_together_gives_what_checking_each_gives(
    writes_per_task: list[list[Any]],
) -> None:
    tasks = _tasks(writes_per_task)
    assert _outcome(_durability.check_writes, tasks) == _outcome(_reference_check, tasks)


@settings(max_examples=60, deadline=None)
@given(st.lists(serde_mostly_plain_values(), max_size=6))
def test_all_plain_is_true_only_when_each_value_checks(values: list[Any]) -> None:
    if all_plain(values):
        for value in values:
            serde.check(value)  # raises if the batch test let a bad value through


def test_a_bad_value_among_many_input_keys_is_named() -> None:
    tasks = _tasks([[{"a": 1}, [1, 2], {"x": _Unstorable()}, "text", {"b": [2]}]])
    with pytest.raises(SerializationError, match=r"node 'node0' wrote 'k2' a value of type dict"):
        _durability.check_writes(tasks)
    assert _outcome(_durability.check_writes, tasks) == _outcome(_reference_check, tasks)


def test_the_first_bad_write_is_the_one_named() -> None:
    tasks = _tasks([[{"a": 1}, _Unstorable()], [_Unstorable()]])
    message = _outcome(_durability.check_writes, tasks)
    assert message is not None
    assert "node 'node0' wrote 'k1' a value of type _Unstorable" in message


class Wide(TypedDict, total=False):
    a: dict[str, int]
    b: dict[str, Any]
    c: list[Any]


async def test_a_run_whose_input_holds_a_bad_value_stores_nothing() -> None:
    builder = StateGraph(Wide)
    builder.add_node("touch", lambda s: {"c": [*s.get("c", []), 1]})
    builder.add_edge(START, "touch").add_edge("touch", END)
    saver = InMemorySaver()
    graph = builder.compile(checkpointer=saver)
    config: Any = {"configurable": {"thread_id": "t"}}
    bad = {"a": {f"i{n}": n for n in range(40)}, "b": {"fine": 1, "bad": _Unstorable()}, "c": []}
    with pytest.raises(SerializationError, match=r"wrote 'b' a value of type dict"):
        await graph.ainvoke(bad, config)
    assert await saver.aget_tuple(config) is None
    good = {"a": {f"i{n}": n for n in range(40)}, "b": {"fine": 1}, "c": []}
    out = await graph.ainvoke(good, config)
    assert out["c"] == [1]


# --- task ids and paths --------------------------------------------------------------


class _Run:
    def __init__(self, run_key: str, ns_str: str, step: int) -> None:
        self.run_key = run_key
        self.ns_str = ns_str
        self.step = step


def _reference_id(run: _Run, name: str, path: tuple[Any, ...]) -> str:
    parts = (run.run_key, run.ns_str, str(run.step), name, *map(str, path[1:]))
    digest = hashlib.blake2b("\x00".join(parts).encode(), digest_size=16).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:]}"


class _Name(str):
    def __format__(self, spec: str) -> str:
        return "formatted"

    def __str__(self) -> str:
        return "shown"


_texts = st.text(max_size=6)
_path_parts = st.one_of(_texts, st.integers(-5, 50), _texts.map(_Name))


@settings(max_examples=200, deadline=None)
@given(
    _texts,
    _texts,
    st.integers(-2, 10_000),
    st.one_of(_texts, _texts.map(_Name)),
    st.one_of(st.sampled_from([PULL, PUSH]), _path_parts),
    st.lists(_path_parts, max_size=3),
)
def test_task_ids_are_what_the_joined_parts_hash_to(
    run_key: str, ns: str, step: int, name: str, head: Any, rest: list[Any]
) -> None:
    run: Any = _Run(run_key, ns, step)
    path = (head, *rest)
    task = Task(run, None, name, path, (), None)
    try:
        expected = _reference_id(run, name, path)
    except UnicodeEncodeError:
        with pytest.raises(UnicodeEncodeError):
            _ = task.id
        return
    assert task.id == expected
    assert task.id is task.id  # made once


@settings(max_examples=200, deadline=None)
@given(
    _texts,
    _texts,
    st.integers(-2, 10_000),
    st.one_of(_texts, _texts.map(_Name)),
    st.one_of(st.sampled_from([PULL, PUSH]), _path_parts),
    st.lists(_path_parts, max_size=3),
)
def test_a_task_id_made_later_is_the_id(
    run_key: str, ns: str, step: int, name: str, head: Any, rest: list[Any]
) -> None:
    run: Any = _Run(run_key, ns, step)
    path = (head, *rest)
    later = Task(run, None, name, path, (), None).id_later()
    run.step = step + 1  # the run moves on before the id is read
    try:
        expected = _reference_id(_Run(run_key, ns, step), name, path)
    except UnicodeEncodeError:
        with pytest.raises(UnicodeEncodeError):
            Task(run, None, name, path, (), None).id_later()
        return
    assert (later if isinstance(later, str) else later()) == expected
    made = Task(run, None, name, path, (), None)
    assert made.id is made.id_later()  # once made, the id itself


def test_plain_task_ids_are_made_only_when_read() -> None:
    run: Any = _Run("key", "", 3)
    assert callable(Task(run, None, "node", (PULL, "node"), (), None).id_later())
    assert callable(Task(run, None, "node", (PUSH, 0, "x"), (), None).id_later())
    assert isinstance(Task(run, None, _Name("n"), (PULL, "n"), (), None).id_later(), str)
    assert isinstance(Task(run, None, "node", (PULL, "nœud"), (), None).id_later(), str)
    assert isinstance(Task(run, None, "node", (PUSH, (1, 2)), (), None).id_later(), str)


async def test_pending_writes_name_the_ids_of_their_tasks() -> None:
    class State(TypedDict):
        items: list[int]

    builder: Any = StateGraph(State)
    builder.add_node("one", lambda state: {"items": [1]})
    builder.add_node("two", lambda state: {"items": [2]})
    builder.add_edge(START, "one")
    builder.add_edge("one", "two")
    builder.add_edge("two", END)
    seen: dict[int, list[str]] = {}

    class Eager(InMemorySaver):
        async def aput(self, config: Any, checkpoint: Any, *args: Any, **kwargs: Any) -> Any:
            return await super().aput(config, checkpoint, *args, **kwargs)

    for saver in (InMemorySaver(), Eager()):
        graph = builder.compile(checkpointer=saver)
        config: Any = {"configurable": {"thread_id": "t"}, "run_id": "fixed"}
        await graph.ainvoke({"items": []}, config)
        ids = [w[0] async for found in saver.alist(config) for w in found.pending_writes]
        assert ids
        assert all(isinstance(i, str) and len(i) == 36 for i in ids)
        seen[id(type(saver))] = ids
    assert len(set(map(tuple, seen.values()))) == 1


@settings(max_examples=200, deadline=None)
@given(st.lists(_path_parts, max_size=4).map(tuple))
def test_path_text_is_the_parts_joined(path: tuple[Any, ...]) -> None:
    assert path_str(path) == "~".join(map(str, path))
