"""Message types and their helpers; users import them from :mod:`actorgraph.messages`."""
