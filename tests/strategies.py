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


# --- runnables --------------------------------------------------------------------

runnable_tags = st.lists(st.sampled_from(["a", "b", "c", "d"]), max_size=4, unique=True)
runnable_configs = st.fixed_dictionaries(
    {},
    optional={
        "tags": runnable_tags,
        "metadata": st.dictionaries(st.sampled_from(["m", "n"]), st.integers(0, 3), max_size=2),
        "configurable": st.dictionaries(st.sampled_from(["k", "l"]), st.integers(0, 3), max_size=2),
        "recursion_limit": st.integers(1, 50),
    },
)
batch_inputs = st.lists(st.integers(-100, 100), max_size=12)
max_concurrency = st.one_of(st.none(), st.integers(1, 5))
