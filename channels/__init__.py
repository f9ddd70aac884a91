"""How state merges: channel types and CRDTs. Pure and synchronous.

Every state key is a channel: a reducer over one superstep's writes plus a
checkpointable value. See ``README.md`` ("Channels and CRDTs") and
``examples/channels_crdt.py``. Nothing here does I/O or awaits: every method
runs to completion, so cancellation never interrupts a channel mid-update.
"""

from actorgraph.channels._errors import EmptyChannelError, InvalidUpdateError
from actorgraph.channels.base import MISSING, BaseChannel, Missing
from actorgraph.channels.binop import OVERWRITE, BinaryOperatorAggregate, Overwrite, reducer
from actorgraph.channels.crdt import (
    CRDT,
    GCounter,
    GSet,
    LWWMap,
    LWWRegister,
    MVEntry,
    MVRegister,
    ORMap,
    ORSet,
    PNCounter,
    TwoPhaseSet,
    merge,
)
from actorgraph.channels.ephemeral_value import AnyValue, EphemeralValue, UntrackedValue
from actorgraph.channels.last_value import LastValue, LastValueAfterFinish
from actorgraph.channels.named_barrier_value import (
    NamedBarrierValue,
    NamedBarrierValueAfterFinish,
)
from actorgraph.channels.topic import Topic

__all__ = [
    "CRDT",
    "MISSING",
    "OVERWRITE",
    "AnyValue",
    "BaseChannel",
    "BinaryOperatorAggregate",
    "EmptyChannelError",
    "EphemeralValue",
    "GCounter",
    "GSet",
    "InvalidUpdateError",
    "LWWMap",
    "LWWRegister",
    "LastValue",
    "LastValueAfterFinish",
    "MVEntry",
    "MVRegister",
    "Missing",
    "NamedBarrierValue",
    "NamedBarrierValueAfterFinish",
    "ORMap",
    "ORSet",
    "Overwrite",
    "PNCounter",
    "Topic",
    "TwoPhaseSet",
    "UntrackedValue",
    "merge",
    "reducer",
]
