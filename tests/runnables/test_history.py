"""RunnableWithMessageHistory and chat histories (S50-S59)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
from pydantic import BaseModel, Field

from actorgraph.errors import RunnableInputError
from actorgraph.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage
from actorgraph.runnables import (
    BaseChatMessageHistory,
    ConfigurableFieldSpec,
    InMemoryChatMessageHistory,
    RunnableGenerator,
    RunnableLambda,
    RunnableWithMessageHistory,
)

RL = RunnableLambda


class InMemoryHistory(BaseChatMessageHistory, BaseModel):
    """The seed's pydantic history, as written there."""

    messages: list[BaseMessage] = Field(default_factory=list)

    def add_messages(self, messages: Sequence[BaseMessage]) -> None:
        self.messages.extend(messages)

    def clear(self) -> None:
        self.messages = []


@pytest.fixture
def store() -> dict[str, InMemoryHistory]:
    return {}


def getter(store: dict[str, InMemoryHistory]) -> Any:
    def get_by_session_id(session_id: str) -> InMemoryHistory:
        if session_id not in store:
            store[session_id] = InMemoryHistory()
        return store[session_id]

    return get_by_session_id


def chain() -> RunnableLambda[Any, Any]:
    return RL(
        lambda d: AIMessage(
            content=f"[{d['ability']}] {d['question']} | history={len(d['history'])}"
        )
    )


def typed(messages: list[BaseMessage]) -> list[tuple[str, Any]]:
    return [(type(m).__name__, m.content) for m in messages]


def test_in_memory_store(store: dict[str, InMemoryHistory]) -> None:  # S50
    history = getter(store)("1")
    history.add_message(AIMessage(content="hello"))
    assert [m.content for m in store["1"].messages] == ["hello"]
    assert str(history) == "ai: hello"


def test_dict_input_with_history_key_two_turns(store: dict[str, InMemoryHistory]) -> None:  # S51
    cwh = RunnableWithMessageHistory(
        chain(), getter(store), input_messages_key="question", history_messages_key="history"
    )
    cfg: Any = {"configurable": {"session_id": "foo"}}
    first = cwh.invoke({"ability": "math", "question": "What does cosine mean?"}, config=cfg)
    assert first.content == "[math] What does cosine mean? | history=0"
    second = cwh.invoke({"ability": "math", "question": "What's its inverse"}, config=cfg)
    assert second.content == "[math] What's its inverse | history=2"
    assert typed(store["foo"].messages) == [
        ("HumanMessage", "What does cosine mean?"),
        ("AIMessage", "[math] What does cosine mean? | history=0"),
        ("HumanMessage", "What's its inverse"),
        ("AIMessage", "[math] What's its inverse | history=2"),
    ]


def test_missing_session_id(store: dict[str, InMemoryHistory]) -> None:  # S52
    cwh = RunnableWithMessageHistory(
        chain(), getter(store), input_messages_key="question", history_messages_key="history"
    )
    with pytest.raises(ValueError, match=r"Missing keys \['session_id'\]"):
        cwh.invoke({"ability": "math", "question": "x"})
    assert store == {}


def test_default_config_specs(store: dict[str, InMemoryHistory]) -> None:  # S53
    cwh = RunnableWithMessageHistory(chain(), getter(store))
    assert cwh.config_specs == [
        ConfigurableFieldSpec(
            id="session_id",
            annotation=str,
            name="Session ID",
            description="Unique identifier for a session.",
            default="",
            is_shared=True,
            dependencies=None,
        )
    ]
    assert cwh.get_name() == "RunnableWithMessageHistory"


def test_list_input_history_prepended(store: dict[str, InMemoryHistory]) -> None:  # S54
    lm = RunnableWithMessageHistory(
        RL(lambda msgs: f"n={len(msgs)} last={msgs[-1].content}"), getter(store)
    )
    c: Any = {"configurable": {"session_id": "s"}}
    assert lm.invoke([HumanMessage(content="hi")], c) == "n=1 last=hi"
    assert lm.invoke("again", c) == "n=3 last=again"
    assert typed(store["s"].messages) == [
        ("HumanMessage", "hi"),
        ("AIMessage", "n=1 last=hi"),
        ("HumanMessage", "again"),
        ("AIMessage", "n=3 last=again"),
    ]


def test_dict_input_without_history_key_and_dict_output(
    store: dict[str, InMemoryHistory],
) -> None:  # S55
    dm = RunnableWithMessageHistory(
        RL(lambda d: {"answer": AIMessage(content=f"n={len(d['input'])}"), "other": 1}),
        getter(store),
        input_messages_key="input",
        output_messages_key="answer",
    )
    c: Any = {"configurable": {"session_id": "d"}}
    assert dm.invoke({"input": "q1"}, c)["answer"].content == "n=1"
    assert dm.invoke({"input": "q2"}, c)["answer"].content == "n=3"
    assert [m.content for m in store["d"].messages] == ["q1", "n=1", "q2", "n=3"]


def test_string_output_recorded_as_ai_message(store: dict[str, InMemoryHistory]) -> None:  # S56
    so = RunnableWithMessageHistory(RL(lambda d: "plain"), getter(store), input_messages_key="q")
    assert so.invoke({"q": "hey"}, {"configurable": {"session_id": "z"}}) == "plain"
    assert typed(store["z"].messages) == [("HumanMessage", "hey"), ("AIMessage", "plain")]


@pytest.mark.anyio
async def test_ainvoke_persists(store: dict[str, InMemoryHistory]) -> None:  # S57
    so = RunnableWithMessageHistory(RL(lambda d: "plain"), getter(store), input_messages_key="q")
    assert await so.ainvoke({"q": "a1"}, {"configurable": {"session_id": "z2"}}) == "plain"
    assert [m.content for m in store["z2"].messages] == ["a1", "plain"]
    chunks = [c async for c in so.astream({"q": "a2"}, {"configurable": {"session_id": "z4"}})]
    assert chunks == ["plain"]
    assert [m.content for m in store["z4"].messages] == ["a2", "plain"]


def test_stream_persists(store: dict[str, InMemoryHistory]) -> None:  # S57
    so = RunnableWithMessageHistory(RL(lambda d: "plain"), getter(store), input_messages_key="q")
    assert list(so.stream({"q": "s1"}, {"configurable": {"session_id": "z3"}})) == ["plain"]
    assert [m.content for m in store["z3"].messages] == ["s1", "plain"]


@pytest.mark.anyio
async def test_streamed_chunks_saved_as_one_message() -> None:
    history = InMemoryChatMessageHistory()

    async def tokens(_: Any) -> AsyncIterator[AIMessageChunk]:
        for token in ["Hel", "lo"]:
            yield AIMessageChunk(token, id="run-1")

    wrapped = RunnableWithMessageHistory(RunnableGenerator(tokens), lambda session_id: history)
    assert len([c async for c in wrapped.astream("hi", {"configurable": {"session_id": "x"}})]) == 2
    assert typed(history.messages) == [("HumanMessage", "hi"), ("AIMessage", "Hello")]
    await history.aclear()
    assert history.messages == []


def test_custom_history_factory_config() -> None:  # S58
    store2: dict[tuple[str, str], InMemoryHistory] = {}

    def get_session_history(user_id: str, conversation_id: str) -> InMemoryHistory:
        return store2.setdefault((user_id, conversation_id), InMemoryHistory())

    wmh = RunnableWithMessageHistory(
        chain(),
        get_session_history=get_session_history,
        input_messages_key="question",
        history_messages_key="history",
        history_factory_config=[
            ConfigurableFieldSpec(
                id="user_id",
                annotation=str,
                name="User ID",
                description="Unique identifier for the user.",
                default="",
                is_shared=True,
            ),
            ConfigurableFieldSpec(
                id="conversation_id",
                annotation=str,
                name="Conversation ID",
                description="Unique identifier for the conversation.",
                default="",
                is_shared=True,
            ),
        ],
    )
    wmh.invoke(
        {"ability": "math", "question": "What does cosine mean?"},
        config={"configurable": {"user_id": "123", "conversation_id": "1"}},
    )
    assert list(store2) == [("123", "1")]
    assert len(store2[("123", "1")].messages) == 2
    with pytest.raises(ValueError, match="conversation_id"):
        wmh.invoke({"ability": "m", "question": "x"}, config={"configurable": {"user_id": "123"}})
    assert [spec.id for spec in wmh.config_specs] == ["user_id", "conversation_id"]


def test_invalid_input_type(store: dict[str, InMemoryHistory]) -> None:  # S59
    bi = RunnableWithMessageHistory(RL(lambda d: "x"), getter(store))
    with pytest.raises(
        ValueError,
        match=r"Expected str, BaseMessage, list\[BaseMessage\], or tuple\[BaseMessage\]\. Got 42\.",
    ):
        bi.invoke(42, {"configurable": {"session_id": "b"}})


def test_bad_shapes_are_named(store: dict[str, InMemoryHistory]) -> None:
    cfg: Any = {"configurable": {"session_id": "e"}}
    keyed = RunnableWithMessageHistory(
        RL(lambda d: "x"), getter(store), history_messages_key="history"
    )
    with pytest.raises(RunnableInputError, match="must be a dict"):
        keyed.invoke("hi", cfg)
    missing = RunnableWithMessageHistory(RL(lambda d: "x"), getter(store), input_messages_key="q")
    with pytest.raises(RunnableInputError, match="no key 'q'"):
        missing.invoke({"a": "hi"}, cfg)
    bad_out = RunnableWithMessageHistory(RL(lambda d: 42), getter(store))
    with pytest.raises(RunnableInputError, match="could not read the output messages"):
        bad_out.invoke("hi", cfg)
    no_key = RunnableWithMessageHistory(RL(lambda d: {"a": "x", "b": "y"}), getter(store))
    with pytest.raises(RunnableInputError, match="no key 'output'"):
        no_key.invoke("hi", cfg)
    assert store["e"].messages == []


def test_default_keys_and_async_factory() -> None:
    history = InMemoryChatMessageHistory([HumanMessage("old")])

    async def factory(session_id: str) -> InMemoryChatMessageHistory:
        return history

    only_key = RunnableWithMessageHistory(RL(lambda d: {"reply": f"{len(d['text'])}"}), factory)
    assert only_key.invoke({"text": "new"}, {"configurable": {"session_id": "a"}}) == {"reply": "2"}
    assert typed(history.messages) == [
        ("HumanMessage", "old"),
        ("HumanMessage", "new"),
        ("AIMessage", "2"),
    ]
    assert "InMemoryChatMessageHistory" in repr(history)


def test_history_protocol_needs_a_writer() -> None:
    class NoWriter(BaseChatMessageHistory):
        def __init__(self) -> None:
            self.messages = []

        def clear(self) -> None:
            self.messages = []

    with pytest.raises(NotImplementedError, match="add_messages"):
        NoWriter().add_messages([HumanMessage("x")])

    class OneByOne(NoWriter):
        def add_message(self, message: BaseMessage) -> None:
            self.messages.append(message)

    one = OneByOne()
    one.add_messages([HumanMessage("a"), HumanMessage("b")])
    assert [m.content for m in one.messages] == ["a", "b"]
