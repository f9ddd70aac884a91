"""The serializer on its own: what a checkpoint does with a state value.

Run: ``python -m examples.serialization``. Registers the types a state schema
reaches, round-trips a state exactly, shows the error a stray object gets (with
its path), and reads data whose type this process does not know as a
placeholder that keeps it intact.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
from typing import Annotated
from zoneinfo import ZoneInfo

from typing_extensions import TypedDict

from actorgraph.errors import DeserializationError, SerializationError
from actorgraph.store.serde import Serializer, TypeRegistry, UnknownValue


class Priority(enum.Enum):
    LOW = 1
    HIGH = 2


@dataclasses.dataclass(frozen=True)
class Task:
    title: str
    priority: Priority
    due: datetime.datetime | None = None
    tags: frozenset[str] = frozenset()


class State(TypedDict):
    tasks: Annotated[list[Task], "a reducer would go here"]
    done: set[tuple[str, int]]


def main() -> None:
    registry = TypeRegistry()
    # What StateGraph.compile() does with the state schema.
    print("registered:", [cls.__name__ for cls in registry.register_annotation(State)])
    serializer = Serializer(registry)

    due = datetime.datetime(2025, 3, 30, 9, 0, tzinfo=ZoneInfo("Europe/Paris"))
    state: State = {
        "tasks": [Task("write docs", Priority.HIGH, due, frozenset({"docs"}))],
        "done": {("setup", 1)},
    }
    data = serializer.dumps(state, path="state")
    restored = serializer.loads(data)
    assert restored == state
    print(f"{len(data)} bytes, back exactly:", restored["tasks"][0].due.tzinfo, restored["done"])

    class Socket:
        """Not data: nothing registers it."""

    try:
        serializer.dumps({"tasks": [state["tasks"][0], Socket()]}, path="state")
    except SerializationError as error:
        print("SerializationError:", error)

    stranger = Serializer(TypeRegistry())  # a process that never saw Task
    try:
        stranger.loads(data)
    except DeserializationError as error:
        print("DeserializationError:", error)
    kept = stranger.loads(data, unknown="placeholder")
    placeholder = kept["tasks"][0]
    assert isinstance(placeholder, UnknownValue)
    print("placeholder:", placeholder.type_name, placeholder.payload["title"])
    assert serializer.loads(stranger.dumps(kept)) == state  # rewritten without loss


if __name__ == "__main__":
    main()
