"""How state merges: channel types and CRDTs. Pure and synchronous.

Every state key is a channel: a reducer over one superstep's writes plus a
checkpointable value. See ``README.md`` ("Channels and CRDTs") for examples.
"""

from actorgraph.channels._errors import EmptyChannelError, InvalidUpdateError
from actorgraph.channels.base import MISSING, BaseChannel, Missing
from actorgraph.channels.binop import OVERWRITE, BinaryOperatorAggregate, Overwrite, reducer
from actorgraph.channels.ephemeral_value import AnyValue, EphemeralValue, UntrackedValue
from actorgraph.channels.last_value import LastValue, LastValueAfterFinish
from actorgraph.channels.named_barrier_value import (
    NamedBarrierValue,
    NamedBarrierValueAfterFinish,
)
from actorgraph.channels.topic import Topic

__all__ = [
    "MISSING",
    "OVERWRITE",
    "AnyValue",
    "BaseChannel",
    "BinaryOperatorAggregate",
    "EmptyChannelError",
    "EphemeralValue",
    "InvalidUpdateError",
    "LastValue",
    "LastValueAfterFinish",
    "Missing",
    "NamedBarrierValue",
    "NamedBarrierValueAfterFinish",
    "Overwrite",
    "Topic",
    "UntrackedValue",
    "reducer",
]
