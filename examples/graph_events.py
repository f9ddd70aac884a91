"""A graph as a Runnable: composed in a chain, and its run as a stream of events.

Run it with ``python -m examples.graph_events``. ``main()`` invokes the chain from
plain code; ``amain()`` collects the graph's ``astream_events`` (asyncio or trio).
"""

from __future__ import annotations

from typing import Any

import anyio
from typing_extensions import TypedDict

from actorgraph.config import get_stream_writer
from actorgraph.graph import START, StateGraph
from actorgraph.graph.state import CompiledStateGraph
from actorgraph.runnables import RunnableLambda, adispatch_custom_event
from actorgraph.testing import FakeChatModel


class State(TypedDict):
    question: str
    answer: str


def build() -> CompiledStateGraph[Any]:
    """A one-node graph whose node calls a chat model and reports progress."""
    model = FakeChatModel(["Paris is lovely"] * 2)

    async def answer(state: State) -> dict[str, str]:
        reply = await model.ainvoke(state["question"])  # inherits the node's callbacks
        await adispatch_custom_event("progress", {"done": True})
        get_stream_writer()({"chars": len(str(reply.content))})
        return {"answer": str(reply.content)}

    builder = StateGraph(State)
    builder.add_node("answer", answer)
    builder.add_edge(START, "answer")
    return builder.compile()


def main() -> str:
    """The graph between two plain functions, invoked from plain code."""
    chain = (
        RunnableLambda(lambda q: {"question": q})
        | build()
        | (lambda state: state["answer"].upper())
    )
    result: str = chain.invoke("Where to?")
    print(result)
    return result


async def amain() -> list[str]:
    """``event name node`` for each event of one run."""
    lines = []
    async for event in build().astream_events({"question": "Where?"}):
        line = f"{event['event']} {event['name']} {event['metadata'].get('langgraph_node')}"
        print(line)
        lines.append(line)
    return lines


if __name__ == "__main__":
    main()
    anyio.run(amain)
