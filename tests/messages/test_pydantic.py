"""Pydantic models (state schemas, tool arguments) can hold messages."""

from __future__ import annotations

from typing import Annotated

import pydantic
import pytest

from actorgraph.graph import add_messages
from actorgraph.messages import AIMessage, AnyMessage, HumanMessage


class State(pydantic.BaseModel):
    messages: Annotated[list[AnyMessage], add_messages]
    last: HumanMessage | None = None


def test_messages_and_message_likes_validate() -> None:
    state = State(
        messages=[HumanMessage("hi"), {"role": "assistant", "content": "yo"}],  # type: ignore[list-item]
        last="again",  # type: ignore[arg-type]
    )
    assert state.messages == [HumanMessage("hi"), AIMessage("yo")]
    assert state.last == HumanMessage("again")
    assert state.model_dump()["messages"][1] == {"type": "ai", "content": "yo"}


def test_the_wrong_kind_or_garbage_is_a_validation_error() -> None:
    with pytest.raises(pydantic.ValidationError, match="expected a HumanMessage, got a AIMessage"):
        State(messages=[], last=AIMessage("x"))  # type: ignore[arg-type]
    with pytest.raises(pydantic.ValidationError, match="cannot be read as a message"):
        State(messages=[42])  # type: ignore[list-item]
