"""Runnables: the composable unit of work (LangChain's Runnable protocol).

Compose functions and Runnables with ``|`` and dicts, configure them per call
with ``RunnableConfig``, add retries, fallbacks and listeners, stream their
output or their event tree, and keep chat history per session::

    from actorgraph.runnables import RunnableLambda

    chain = RunnableLambda(lambda x: x + 1) | {"double": lambda x: x * 2, "same": lambda x: x}
    chain.invoke(1)  # {'double': 4, 'same': 2}

There is one async implementation (``ainvoke``, ``abatch``, ``astream``,
``atransform``, ``abatch_as_completed``, ``astream_events``); the sync faces are
portals over it and refuse to run inside an event loop. Runs on asyncio and
trio. See ``examples/runnables_compose.py``.

Decisions where the reference text and today's reference packages disagree,
or where the reference leaves a choice open:

* ``RunnableLambda(func, afunc)``: the text says giving both is a
  ``TypeError`` while its own example does it; both are accepted (sync faces
  call ``func``, async ones ``afunc``), and only an async ``func`` together with
  ``afunc`` is refused.
* The ``reverse_generator`` example prints ``".elcycer ,esuer ,ecudeR"`` (case
  typos); the behaviour is the exact reversal, ``".elcyceR ,esueR ,ecudeR"``.
* ``astream_events``: ``version`` defaults to ``"v2"`` (one page says there is
  no default yet); ``"v1"`` is not offered and raises ``NotImplementedError``
  like any other version.
* ``RunnableWithMessageHistory`` raises when the output cannot be read as
  messages (the reference only logs it); nothing is saved either way.
* One async implementation: a sync function runs in a worker thread under
  ``ainvoke``, as documented, and also under ``invoke`` (the sync face is a
  portal, not a second code path). ``invoke`` of an async-only lambda is a
  ``TypeError`` and of an async-only generator ``NotImplementedError``, as the
  reference says, although the portal could run them.
* ``batch`` of a sequence runs each input through the whole sequence
  concurrently rather than step by step; results, order and
  ``return_exceptions`` are the same, and no input waits for the slowest one at
  every step.
* The graph-API points of the same list (debug event format, step numbering,
  ``config_schema``, the default stream mode, node/state-key collisions) belong
  to the compiled graph, not to this package.
"""

from actorgraph.runnables._base import Runnable
from actorgraph.runnables._binding import RunnableBinding, RunnableListeners
from actorgraph.runnables._branch import RunnableBranch, RunnableEach
from actorgraph.runnables._chat_history import BaseChatMessageHistory, InMemoryChatMessageHistory
from actorgraph.runnables._config import (
    DEFAULT_RECURSION_LIMIT,
    ensure_config,
    get_config,
    get_config_list,
    merge_configs,
    patch_config,
)
from actorgraph.runnables._configurable import (
    ConfigurableField,
    ConfigurableFieldMultiOption,
    ConfigurableFieldSingleOption,
    ConfigurableFieldSpec,
    RunnableConfigurableAlternatives,
    RunnableConfigurableFields,
)
from actorgraph.runnables._fallbacks import RunnableWithFallbacks
from actorgraph.runnables._history import RunnableWithMessageHistory
from actorgraph.runnables._lambda import RunnableGenerator, RunnableLambda
from actorgraph.runnables._log import RunLog, RunLogPatch
from actorgraph.runnables._parallel import (
    RunnableAssign,
    RunnableMap,
    RunnableParallel,
    RunnablePassthrough,
    RunnablePick,
)
from actorgraph.runnables._retry import RunnableRetry
from actorgraph.runnables._sequence import RunnableSequence, coerce_to_runnable
from actorgraph.runnables._serializable import RunnableSerializable
from actorgraph.runnables._store_history import KeyValueStore, StoreChatMessageHistory
from actorgraph.runnables._tool import RunnableTool
from actorgraph.runnables._tracing import (
    Run,
    RunHandler,
    RunScope,
    adispatch_custom_event,
    dispatch_custom_event,
    trace_run,
)
from actorgraph.store._config import RunnableConfig

__all__ = [
    "DEFAULT_RECURSION_LIMIT",
    "BaseChatMessageHistory",
    "ConfigurableField",
    "ConfigurableFieldMultiOption",
    "ConfigurableFieldSingleOption",
    "ConfigurableFieldSpec",
    "InMemoryChatMessageHistory",
    "KeyValueStore",
    "Run",
    "RunHandler",
    "RunLog",
    "RunLogPatch",
    "RunScope",
    "Runnable",
    "RunnableAssign",
    "RunnableBinding",
    "RunnableBranch",
    "RunnableConfig",
    "RunnableConfigurableAlternatives",
    "RunnableConfigurableFields",
    "RunnableEach",
    "RunnableGenerator",
    "RunnableLambda",
    "RunnableListeners",
    "RunnableMap",
    "RunnableParallel",
    "RunnablePassthrough",
    "RunnablePick",
    "RunnableRetry",
    "RunnableSequence",
    "RunnableSerializable",
    "RunnableTool",
    "RunnableWithFallbacks",
    "RunnableWithMessageHistory",
    "StoreChatMessageHistory",
    "adispatch_custom_event",
    "coerce_to_runnable",
    "dispatch_custom_event",
    "ensure_config",
    "get_config",
    "get_config_list",
    "merge_configs",
    "patch_config",
    "trace_run",
]
