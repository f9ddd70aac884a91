"""Composition: |, pipe, RunnableSequence, dicts and RunnableParallel, pick, assign, map (S1-S10)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from actorgraph.errors import RunnableInputError
from actorgraph.runnables import (
    RunnableAssign,
    RunnableBranch,
    RunnableLambda,
    RunnableMap,
    RunnableParallel,
    RunnablePassthrough,
    RunnablePick,
    RunnableSequence,
)

RL = RunnableLambda


def add_one(x: int) -> int:
    return x + 1


def mul_two(x: int) -> int:
    return x * 2


def test_pipe_invoke_and_batch() -> None:  # S1
    sequence = RL(lambda x: x + 1) | RL(lambda x: x * 2)
    assert sequence.invoke(1) == 4
    assert sequence.batch([1, 2, 3]) == [4, 6, 8]


def test_dict_literal_becomes_parallel() -> None:  # S2
    sequence = RL(lambda x: x + 1) | {"mul_2": RL(lambda x: x * 2), "mul_5": RL(lambda x: x * 5)}
    assert sequence.invoke(1) == {"mul_2": 4, "mul_5": 10}
    assert isinstance(sequence.last, RunnableParallel)


def test_dict_and_function_on_the_left() -> None:
    sequence = {"a": add_one} | RL(lambda d: d["a"] * 10)
    assert sequence.invoke(1) == 20
    assert (add_one | RL(mul_two)).invoke(1) == 4


@pytest.mark.anyio
async def test_pipe_method_sync_and_async() -> None:  # S3
    seq = RL(add_one).pipe(RL(mul_two))
    assert await seq.ainvoke(1) == 4
    assert await seq.abatch([1, 2, 3]) == [4, 6, 8]


def test_pipe_method_sync() -> None:  # S3
    seq = RL(add_one).pipe(RL(mul_two), name="twice")
    assert seq.invoke(1) == 4
    assert seq.batch([1, 2, 3]) == [4, 6, 8]
    assert seq.get_name() == "twice"


def test_sequence_constructor_forms() -> None:  # S4
    assert RunnableSequence(first=RL(add_one), last=RL(mul_two)).invoke(1) == 4
    s3 = RunnableSequence(RL(add_one), RL(mul_two), RL(lambda x: x * 3))
    assert s3.invoke(1) == 12
    assert len(s3.steps) == 3
    assert s3.first is s3.steps[0]
    assert s3.middle == [s3.steps[1]]
    assert s3.last is s3.steps[2]
    nested = s3 | RL(add_one)
    assert len(nested.steps) == 4


def test_sequence_needs_two_steps() -> None:  # S5
    with pytest.raises(ValueError, match="at least 2 steps, got 1"):
        RunnableSequence(RL(add_one))


def test_parallel_three_forms() -> None:  # S6
    p1 = RL(add_one) | {"mul_two": RL(mul_two), "mul_three": RL(lambda x: x * 3)}
    p2 = RL(add_one) | RunnableParallel({"mul_two": RL(mul_two), "mul_three": RL(lambda x: x * 3)})
    p3 = RL(add_one) | RunnableParallel(mul_two=RL(mul_two), mul_three=RL(lambda x: x * 3))
    for p in (p1, p2, p3):
        assert p.invoke(1) == {"mul_two": 4, "mul_three": 6}
    assert p1.batch([1, 2, 3]) == [
        {"mul_two": 4, "mul_three": 6},
        {"mul_two": 6, "mul_three": 9},
        {"mul_two": 8, "mul_three": 12},
    ]


def test_nested_dict_in_parallel() -> None:
    r = RunnableParallel(outer={"inner": add_one}, plain=mul_two)
    assert r.invoke(3) == {"outer": {"inner": 4}, "plain": 6}


def test_pick_one_key() -> None:  # S7
    chain = RunnableMap(str=RL(str), json=RL(json.loads))
    assert chain.invoke("[1, 2, 3]") == {"str": "[1, 2, 3]", "json": [1, 2, 3]}
    assert chain.pick("json").invoke("[1, 2, 3]") == [1, 2, 3]


def test_pick_list_of_keys() -> None:  # S8
    chain = RunnableMap(str=RL(str), json=RL(json.loads), bytes=RL(lambda x: bytes(x, "utf-8")))
    assert chain.invoke("[1, 2, 3]") == {
        "str": "[1, 2, 3]",
        "json": [1, 2, 3],
        "bytes": b"[1, 2, 3]",
    }
    assert chain.pick(["json", "bytes"]).invoke("[1, 2, 3]") == {
        "json": [1, 2, 3],
        "bytes": b"[1, 2, 3]",
    }


def test_pick_streams_and_names() -> None:
    pick = RunnablePick(["a"])
    assert pick.get_name() == "RunnablePick<a>"
    assert RunnablePick("x").invoke({"y": 1}) is None
    assert list((RunnablePassthrough() | RunnablePick("a")).stream({"a": 1})) == [1]


def test_assign_adds_keys() -> None:  # S9
    r = RunnableParallel(a=RL(add_one)).assign(b=lambda d: d["a"] * 10)
    assert r.invoke(1) == {"a": 2, "b": 20}


def test_passthrough_assign_and_stream() -> None:
    r = RunnablePassthrough.assign(total=lambda d: d["x"] + d["y"])
    assert isinstance(r, RunnableAssign)
    assert r.invoke({"x": 1, "y": 2}) == {"x": 1, "y": 2, "total": 3}
    chunks = list(r.stream({"x": 1, "y": 2}))
    assert chunks[0] == {"x": 1, "y": 2}
    assert {"total": 3} in chunks
    assert r.get_name() == "RunnableAssign<total>"


def test_passthrough_calls_side_effect() -> None:
    seen: list[Any] = []
    r = RunnablePassthrough(seen.append)
    assert r.invoke(5) == 5
    assert list(r.stream(6)) == [6]
    assert seen == [5, 6]


@pytest.mark.anyio
async def test_passthrough_async_side_effect() -> None:
    seen: list[Any] = []

    async def record(x: Any) -> None:
        seen.append(x)

    assert await RunnablePassthrough(afunc=record).ainvoke(7) == 7
    assert seen == [7]


def test_map() -> None:  # S10
    assert RL(lambda x: x + 1).map().invoke([1, 2, 3]) == [2, 3, 4]
    assert RL(add_one).map().get_name() == "RunnableEach<add_one>"


def test_branch_picks_first_true_condition() -> None:
    branch = RunnableBranch(
        (lambda x: isinstance(x, str), lambda x: x.upper()),
        (lambda x: isinstance(x, int), lambda x: x + 1),
        lambda x: "default",
    )
    assert branch.invoke("hello") == "HELLO"
    assert branch.invoke(1) == 2
    assert branch.invoke(None) == "default"
    assert list(branch.stream(2)) == [3]


def test_branch_errors() -> None:
    with pytest.raises(ValueError, match="at least one"):
        RunnableBranch(lambda x: x)
    with pytest.raises(RunnableInputError, match="branch 1"):
        RunnableBranch("nope", lambda x: x)


# --- bad input -----------------------------------------------------------------


def test_non_callable_in_pipe_names_position() -> None:
    with pytest.raises(RunnableInputError, match="step 3 of the sequence is int 5"):
        _ = RL(add_one) | RL(mul_two) | 5
    with pytest.raises(RunnableInputError, match="step 1"):
        _ = 5 | RL(add_one)
    with pytest.raises(TypeError):  # still a TypeError for code that catches that
        RunnableSequence(RL(add_one), object())


@pytest.mark.skipif("sys.version_info < (3, 11)", reason="exception notes are 3.11+")
def test_failing_step_is_named_with_its_position() -> None:
    def boom(x: int) -> int:
        raise ValueError("bad value")

    seq = RL(add_one) | RL(boom) | RL(mul_two)
    with pytest.raises(ValueError, match="bad value") as info:
        seq.invoke(1)
    notes: list[str] = getattr(info.value, "__notes__", [])
    assert any("step 2 of 3 ('boom')" in note for note in notes)


def test_pick_on_non_dict_names_the_step() -> None:
    with pytest.raises(RunnableInputError, match=r"RunnablePick<a> expects a dict input"):
        (RL(add_one) | RunnablePick("a")).invoke(1)


def test_assign_on_non_dict() -> None:
    with pytest.raises(RunnableInputError, match="RunnableAssign<b>"):
        RunnablePassthrough.assign(b=lambda d: 1).invoke(3)  # type: ignore[arg-type]


def test_map_on_non_list() -> None:
    with pytest.raises(RunnableInputError, match="expects a list input"):
        RL(add_one).map().invoke(3)  # type: ignore[arg-type]


def test_repr() -> None:
    seq = RL(add_one) | {"a": RL(mul_two)}
    assert repr(seq) == "RunnableLambda(add_one)\n| {a: RunnableLambda(mul_two)}"


@pytest.mark.skipif("sys.version_info < (3, 11)", reason="exception notes are 3.11+")
def test_failing_step_is_named_when_streaming() -> None:
    def boom(x: int) -> int:
        raise ValueError("bad stream")

    seq = RL(add_one) | RL(boom) | RL(mul_two)
    with pytest.raises(ValueError, match="bad stream") as info:
        list(seq.stream(1))
    notes: list[str] = getattr(info.value, "__notes__", [])
    assert [note for note in notes if "step" in note] == [
        "while running step 2 of 3 ('boom') in 'RunnableSequence'"
    ]


def test_non_runnable_in_a_dict_names_the_key() -> None:
    with pytest.raises(RunnableInputError, match="key 'b' of RunnableParallel is int 3"):
        RunnableParallel(a=add_one, b=3)


def test_chat_model_in_a_pipe() -> None:
    from actorgraph.testing import FakeChatModel

    model = FakeChatModel(["hello there", "streamed reply"])
    chain = (
        RL(lambda topic: f"say hi about {topic}")
        | model
        | RL(lambda message: message.content.upper())
    )
    assert chain.invoke("cats") == "HELLO THERE"
    chunks = list((RL(lambda topic: topic) | model).stream("dogs"))
    assert "".join(chunk.content for chunk in chunks) == "streamed reply"
    step = (RL(str) | model).steps[1]
    assert step.get_name() == "FakeChatModel"
    assert step is model  # a chat model is a Runnable: no delegate needed


def test_object_with_only_ainvoke_in_a_pipe() -> None:
    class Service:
        async def ainvoke(self, input: int, config: Any = None) -> int:
            return input * 100

    chain = RL(add_one) | Service()
    assert chain.invoke(1) == 200
    assert list(chain.stream(2)) == [300]
