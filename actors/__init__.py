"""How work runs: actors, mailboxes, supervisors, and the Pregel engine."""

__all__: list[str] = []
