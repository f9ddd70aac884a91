"""Message types and their helpers; users import them from :mod:`actorgraph.messages`."""

from actorgraph._messages.serde import register_message_types

# Checkpoints may hold messages before any user code names them: register on import.
register_message_types()
