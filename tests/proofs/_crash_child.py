"""One process of the crash proof: runs or resumes the proof graph on a SQLite file.

Started as ``python -m tests.proofs._crash_child`` ahead of time (imports are
the slow part), it prints ``ready`` and waits for one line on stdin:
``<db path> <thread id> <durability> <records path>``. It then prints
``enter <key>`` / ``done <key>`` as tasks run, appends each finished task's
key to the records file (before the task's writes reach the engine), and
prints ``final <json state>`` when the thread has run to its end. The parent
kills it with SIGKILL whenever it likes.
"""

from __future__ import annotations

import json
import os
import sys

from actorgraph.errors import EmptyInputError
from actorgraph.store import SqliteSaver
from tests.proofs._graph import INPUT, Hooks, build, config_for


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main() -> int:
    _say("ready")
    command = sys.stdin.readline().split()
    if not command:
        return 0  # the parent did not need this spare process
    db, thread_id, durability, records_path = command
    records = os.open(records_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

    def done(key: str) -> None:
        # One write(2) per record: a SIGKILL cannot leave half a line behind.
        os.write(records, f"{key}\n".encode())
        _say(f"done {key}")

    hooks = Hooks(lambda key: _say(f"enter {key}"), done, pause=0.004, sleep=0.004)
    config = config_for(thread_id)
    with SqliteSaver(db) as saver:
        app = build(hooks, saver)
        _say("go")
        if saver.get_tuple(config) is None:
            app.invoke(INPUT, config, durability=durability)
        elif app.get_state(config).next:
            try:
                app.invoke(None, config, durability=durability)
            except EmptyInputError:  # killed before its input was saved: send it again
                app.invoke(INPUT, config, durability=durability)
        _say("final " + json.dumps(app.get_state(config).values, sort_keys=True))
    os.close(records)
    return 0


if __name__ == "__main__":
    sys.exit(main())
