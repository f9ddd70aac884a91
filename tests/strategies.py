"""Hypothesis strategies shared by the test suite, one section per subsystem."""

from __future__ import annotations

from hypothesis import strategies as st

from actorgraph.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage

# --- messages ---------------------------------------------------------------------

message_ids = st.one_of(st.none(), st.sampled_from(["a", "b", "c", "d", "e"]))
message_texts = st.text(alphabet="abc xyz", max_size=12)


@st.composite
def messages(draw: st.DrawFn) -> BaseMessage:
    """One message of a random kind, with a small id space so ids collide often."""
    kind = draw(st.sampled_from(["human", "ai", "system", "tool"]))
    text = draw(message_texts)
    id_ = draw(message_ids)
    if kind == "human":
        return HumanMessage(text, id=id_)
    if kind == "ai":
        return AIMessage(text, id=id_)
    if kind == "system":
        return SystemMessage(text, id=id_)
    return ToolMessage(text, id=id_, tool_call_id="call")


message_lists = st.lists(messages(), max_size=6)
