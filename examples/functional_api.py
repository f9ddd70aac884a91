"""The functional API: a workflow as a plain function calling tasks.

Run: ``python -m examples.functional_api``. Drafts three sections of an essay
in parallel (tasks), pauses for a human review (an interrupt), resumes with the
review without drafting again (the tasks' results come back from the
checkpoint), then counts the thread's runs with ``previous``.
"""

from __future__ import annotations

from typing import Any

from actorgraph.func import entrypoint, task
from actorgraph.store import InMemorySaver
from actorgraph.types import Command, interrupt

drafted: list[str] = []


@task
def draft(topic: str, part: str) -> str:
    drafted.append(part)  # a side effect: it must happen once per part
    return f"{part} of an essay about {topic}"


@entrypoint(checkpointer=InMemorySaver())
def essay(topic: str, *, previous: Any = None) -> entrypoint.final[dict[str, Any], int]:
    futures = [draft(topic, part) for part in ("intro", "body", "outro")]  # run in parallel
    sections = [future.result() for future in futures]
    review = interrupt({"question": "Approve this essay?", "sections": sections})
    runs = (previous or 0) + 1
    # Return the essay, but remember only how many essays this thread produced.
    return entrypoint.final(value={"sections": sections, "review": review, "runs": runs}, save=runs)


def main() -> None:
    config: Any = {"configurable": {"thread_id": "essay-1"}}
    for chunk in essay.stream("cats", config):
        print(chunk)  # {'draft': ...} three times, then {'__interrupt__': (...)}
    for chunk in essay.stream(Command(resume="approved"), config):
        print(chunk)  # {'essay': {...}}: no draft ran again
    print("drafted:", sorted(drafted))
    again = essay.invoke("dogs", config)
    print("paused:", [i.value["question"] for i in again["__interrupt__"]])
    print("second essay:", essay.invoke(Command(resume="fine"), config)["runs"])


if __name__ == "__main__":
    main()
