"""Messages, add_messages and the scripted fake chat model, without a graph.

Run: ``.venv/bin/python examples/fake_chat_model.py``
"""

from __future__ import annotations

from actorgraph.graph import REMOVE_ALL_MESSAGES, add_messages
from actorgraph.messages import AIMessage, RemoveMessage
from actorgraph.testing import FakeChatModel


def main() -> None:
    model = FakeChatModel(
        [
            AIMessage("", tool_calls=[{"name": "get_weather", "args": {"city": "SF"}, "id": "c1"}]),
            "It's always sunny in SF!",
        ]
    )
    history = add_messages([], "what's the weather in SF?")
    history = add_messages(history, model.invoke(history))
    print(history[-1].tool_calls if isinstance(history[-1], AIMessage) else None)
    print([chunk.content for chunk in model.stream(history)])
    history = add_messages(history, [RemoveMessage(id=REMOVE_ALL_MESSAGES), ("user", "new topic")])
    for message in history:
        message.pretty_print()


if __name__ == "__main__":
    main()
