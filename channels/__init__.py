"""How state merges: channel types and CRDTs. Pure and synchronous."""

from actorgraph.channels._errors import EmptyChannelError, InvalidUpdateError

__all__ = ["EmptyChannelError", "InvalidUpdateError"]
