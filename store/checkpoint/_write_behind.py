"""The bounded write-behind queue behind ``durability="async"``."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

import anyio

from actorgraph.store._adapter_loop import loop_batch_poster
from actorgraph.store._config import RunnableConfig
from actorgraph.store._sqlite_threads import JobFuture
from actorgraph.store.checkpoint._types import (
    ChannelVersion,
    Checkpoint,
    CheckpointMetadata,
    TaskWrites,
    as_metadata,
    checkpoint_config,
    config_target,
)

if TYPE_CHECKING:
    from actorgraph.store.checkpoint._base import Op, SaverFaces

__all__ = ["WriteBehind"]


class WriteBehind:
    """Checkpoint writes that commit in the background, in order, at most
    ``max_pending`` at a time.

    Get one from ``saver.write_behind(max_pending)`` (an async context
    manager). ``put`` and ``put_writes`` encode the values at once (so later
    changes to them cannot leak in, and the queue holds bytes, not state) and
    return without waiting for the commit; when ``max_pending`` writes are in
    flight they wait for room (backpressure). A write that fails is raised by
    the next ``put``/``put_writes``/``flush`` and at exit. Leaving the context
    flushes every queued write, shielded from cancellation (at most
    ``flush_timeout`` seconds). Reads through the saver see a write once
    :meth:`flush` (or the write's own commit) has happened.
    """

    def __init__(self, saver: SaverFaces, max_pending: int) -> None:
        if max_pending < 1:
            raise ValueError(f"max_pending must be at least 1, not {max_pending}")
        self._saver = saver
        # fast_acquire: a put with room left returns without yielding to the
        # loop (it still raises a pending cancellation).
        self._slots = anyio.Semaphore(max_pending, fast_acquire=True)
        self._post: Callable[[Callable[[], object]], None] | None = None
        # In submission order; a dict for the O(1) removal of a settled write.
        self._pending: dict[JobFuture[Any], None] = {}
        self._failure: BaseException | None = None
        self._settling: anyio.Event | None = None

    async def put(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata | Mapping[str, Any],
        new_versions: Mapping[str, ChannelVersion],
        *,
        writes: Sequence[TaskWrites] = (),
    ) -> RunnableConfig:
        """Queue ``saver.aput(...)``; return the new checkpoint's config at once."""
        op = self._saver._put_op(config, checkpoint, as_metadata(metadata), new_versions, writes)
        await self._submit(op)
        thread_id, ns, _ = config_target(config)
        return checkpoint_config(thread_id, ns, checkpoint.id)

    async def put_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        """Queue ``saver.aput_writes(...)``."""
        await self._submit(self._saver._put_writes_op(config, writes, task_id, task_path))

    @property
    def pending(self) -> int:
        """How many queued writes have not committed yet."""
        return sum(1 for future in self._pending if not future.done())

    async def flush(self) -> None:
        """Wait until every queued write has committed; raise the first failure."""
        in_flight = list(self._pending)
        # Finished writes leave _pending in the loop (_settle), usually a whole
        # batch at once: one wait per batch, not one per write.
        pending = self._pending
        for future in in_flight:
            while future in pending:
                settling = self._settling
                if settling is None:
                    settling = self._settling = anyio.Event()
                await settling.wait()
        self._note_failures(in_flight)
        self._raise_failure()

    async def _submit(self, op: Op[Any]) -> None:
        self._raise_failure()
        await self._slots.acquire()
        try:
            future = self._saver._submit_op(op)
        except BaseException:
            self._slots.release()
            raise
        self._pending[future] = None
        if self._post is None:  # the queue serves one run, on one event loop
            self._post = loop_batch_poster()
        future.add_done_callback(self._done)

    def _done(self, future: JobFuture[Any]) -> None:
        # Runs in the database thread: hand the write back to the loop.
        post = self._post
        assert post is not None  # noqa: S101 - set before the first submit
        post(partial(self._settle, future))

    def _settle(self, future: JobFuture[Any]) -> None:
        # Runs in the loop thread, once per finished write.
        self._slots.release()
        del self._pending[future]
        if self._failure is None and not future.cancelled():
            self._failure = future.exception()
        settling = self._settling
        if settling is not None:
            self._settling = None
            settling.set()

    def _note_failures(self, futures: list[JobFuture[Any]]) -> None:
        if self._failure is None:
            for future in futures:
                if future.done() and future.exception() is not None:
                    self._failure = future.exception()
                    return

    def _raise_failure(self) -> None:
        if self._failure is not None:
            raise self._failure


@contextlib.asynccontextmanager
async def open_write_behind(saver: SaverFaces, max_pending: int, flush_timeout: float) -> Any:
    queue = WriteBehind(saver, max_pending)
    try:
        yield queue
    finally:
        with anyio.CancelScope(shield=True) as scope:
            scope.deadline = anyio.current_time() + flush_timeout
            await queue.flush()
