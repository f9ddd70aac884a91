"""The sync invoke's entry fast paths give what the general paths give.

* ``coerce_input`` takes a plain dict for a TypedDict schema as it is (a copy);
  any other mapping goes the general way: same keys, same errors.
* The portal tells worker threads and the main thread apart without asking
  anyio or threading per call: a sync invoke from a plain thread works (no
  SIGINT handler swap there), and one from a worker thread joins its loop.
"""

from __future__ import annotations

import threading
import types
from typing import Any

import anyio
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typing_extensions import TypedDict

from actorgraph.errors import InvalidUpdateError
from actorgraph.graph import END, START, StateGraph
from actorgraph.graph._schema import coerce_input, schema_info


class Pair(TypedDict):
    a: int
    b: str


_KEYS = st.sampled_from(["a", "b", "c", "zz"])


def _coerce(value: Any) -> tuple[str, Any]:
    try:
        return "ok", coerce_input(schema_info(Pair), value)
    except InvalidUpdateError as exc:
        return "error", str(exc)


@given(st.dictionaries(_KEYS, st.integers()))
def test_a_plain_dict_gives_what_any_mapping_gives(value: dict[str, Any]) -> None:
    fast = _coerce(value)
    general = _coerce(types.MappingProxyType(value))  # a Mapping, not a dict: general path
    assert fast == general
    if fast[0] == "ok":
        assert fast[1] is not value  # a copy: the caller's dict is not kept by the run


def test_unknown_input_keys_name_the_key_on_the_fast_path() -> None:
    with pytest.raises(InvalidUpdateError, match="'zz' is not in the input schema Pair"):
        coerce_input(schema_info(Pair), {"a": 1, "zz": 2})


def test_a_dict_subclass_goes_the_general_way() -> None:
    class Loud(dict[str, Any]):
        pass

    assert coerce_input(schema_info(Pair), Loud(a=1)) == {"a": 1}
    assert schema_info(Pair).takes_dict


class Counter(TypedDict):
    n: int


def _chain() -> Any:
    builder = StateGraph(Counter)
    builder.add_node("inc", lambda state: {"n": state["n"] + 1})
    builder.add_edge(START, "inc")
    builder.add_edge("inc", END)
    return builder.compile()


def test_the_callers_input_dict_is_not_changed_or_kept() -> None:
    app = _chain()
    given_input = {"n": 1}
    assert app.invoke(given_input) == {"n": 2}
    assert given_input == {"n": 1}


def test_a_sync_invoke_from_a_plain_thread_runs_on_that_threads_loop() -> None:
    app = _chain()
    results: list[Any] = []
    thread = threading.Thread(target=lambda: results.append(app.invoke({"n": 1})))
    thread.start()
    thread.join()
    assert results == [{"n": 2}]


@pytest.mark.anyio
async def test_a_sync_invoke_from_a_worker_thread_joins_the_running_loop() -> None:
    app = _chain()
    assert await anyio.to_thread.run_sync(lambda: app.invoke({"n": 5})) == {"n": 6}
