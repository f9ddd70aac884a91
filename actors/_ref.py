"""``ActorRef``: the handle to send to an actor, which also carries its mailbox.

The ref stays the same across restarts (its path is stable), so the mailbox
lives here and survives them, as in Akka. Sends are "nowait first": a message
is appended and the actor scheduled without a checkpoint; only a full mailbox
makes ``tell`` wait. System messages (stop, down notices) sit in a separate
small queue that every turn drains first, so they never wait behind user mail.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any, Generic, NoReturn

import anyio

from actorgraph.actors import _log
from actorgraph.actors._actor import Actor, DownNotice, M, R
from actorgraph.actors._adapter import WaitEvent
from actorgraph.actors._spec import ChildSpec, Overflow
from actorgraph.actors._timer import Reply
from actorgraph.channels._errors import ActorCrashed, ActorStopped, AskTimeout, MailboxFull

if TYPE_CHECKING:
    from actorgraph.actors._dispatch import Dispatcher, _Worker
    from actorgraph.actors._supervisor import Supervisor

__all__ = ["ALIVE", "STOPPED", "STOPPING", "SUSPENDED", "ActorRef", "Reason"]

#: An exit reason: ``"normal"``, ``"shutdown"``, or the exception of a crash.
Reason = str | BaseException

# Lifecycle states, ordered: anything below STOPPING accepts mail.
ALIVE = 0  # runs when it has mail
SUSPENDED = 1  # starting, crashed, or between stop and restart: mail waits
STOPPING = 2  # a final stop was requested: mail is refused
STOPPED = 3  # gone for good


class _Stop:
    """System message: stop after the current message."""

    __slots__ = ("final", "own")

    def __init__(self, *, final: bool, own: bool) -> None:
        self.final = final  # False when the supervisor will restart the actor
        self.own = own  # the actor asked for it itself: a normal exit


class ActorRef(Generic[M, R]):
    """Send messages to an actor: ``tell``, ``try_tell``, ``ask``; ``stop``, ``watch``, ``join``.

    Refs are created by a supervisor (``spawn``, ``start_child``) and stay valid
    across restarts. Every send checks the message type first and raises
    ``TypeError`` naming the actor and the type. After the actor stopped, sends
    raise :class:`~actorgraph.errors.ActorStopped` (``try_tell`` returns False).
    Use refs from tasks of the event loop the system runs on; from another
    thread, go through ``anyio.from_thread``.
    """

    __slots__ = (
        "_accepts",
        "_actor",
        "_args",
        "_box",
        "_capacity",
        "_dispatcher",
        "_down",
        "_epoch",
        "_halted",
        "_joined",
        "_limit",
        "_low",
        "_overflow",
        "_putters",
        "_scheduled",
        "_spec",
        "_state",
        "_stop_req",
        "_sup",
        "_sys",
        "_watchers",
        "_worker",
        "name",
        "path",
    )

    def __init__(
        self,
        name: str,
        path: str,
        spec: ChildSpec,
        args: tuple[Any, ...],
        accepts: tuple[type, ...],
        sup: Supervisor,
        dispatcher: Dispatcher,
    ) -> None:
        self.name = name
        self.path = path
        self._spec = spec
        self._epoch = 0
        self._args = args
        self._accepts = accepts
        self._sup = sup
        self._dispatcher = dispatcher
        self._actor: Actor[M, R] | None = None
        self._box: deque[Any] = deque()
        self._sys: deque[Any] | None = None
        self._capacity = spec.capacity
        self._limit = spec.capacity  # 0 once stopping: one comparison on the fast path
        self._low = spec.capacity // 2
        self._overflow = spec.overflow
        self._state = SUSPENDED
        self._scheduled = False
        self._putters: deque[WaitEvent] | None = None
        self._watchers: list[ActorRef[Any, Any]] | None = None
        self._down: DownNotice | None = None
        self._halted: WaitEvent | None = None
        self._joined: anyio.Event | None = None
        self._stop_req: _Stop | None = None
        self._worker: _Worker | None = None

    def __repr__(self) -> str:
        return f"<ActorRef {self.path}>"

    # --- sending ---------------------------------------------------------------------

    async def tell(self, msg: M) -> None:
        """Send ``msg`` without waiting for it to be handled.

        Waits only while the mailbox is full under ``Overflow.WAIT``; this is not
        otherwise a checkpoint. Raises ``TypeError`` for a message of the wrong
        type, ``MailboxFull`` under ``Overflow.FAIL``, ``ActorStopped`` after the
        actor stopped. Cancelled while waiting for room, the message is not sent.
        """
        if not isinstance(msg, self._accepts):
            self._wrong_type(msg)
        box = self._box
        if len(box) < self._limit:
            box.append(msg)
            if not self._scheduled and self._state == ALIVE:
                self._scheduled = True
                self._dispatcher.schedule(self)
            return
        await self._put_full(msg)

    def try_tell(self, msg: M) -> bool:
        """Send ``msg`` if there is room now; False if it was not queued.

        Never waits and never raises for a full mailbox or a stopped actor (a
        message of the wrong type still raises ``TypeError``). Under
        ``Overflow.DROP_OLDEST`` it makes room by dropping the oldest message.
        """
        if not isinstance(msg, self._accepts):
            self._wrong_type(msg)
        if self._state >= STOPPING:
            return False
        box = self._box
        if len(box) >= self._capacity:
            if self._overflow is not Overflow.DROP_OLDEST:
                return False
            self._drop(box.popleft())
        box.append(msg)
        self._wake()
        return True

    async def ask(self, msg: M, *, timeout: float | None = 5.0) -> R:  # noqa: ASYNC109 - the API users know from ask patterns
        """Send ``msg`` and wait for the actor's reply (what ``receive`` returned).

        Raises ``AskTimeout`` (a ``TimeoutError``) when no reply comes within
        ``timeout`` seconds (``None`` waits forever), ``ActorCrashed`` when
        ``receive`` raised (the actor's supervisor handles the crash),
        ``ActorStopped`` when the actor stops first, ``MailboxFull`` when the
        overflow policy refused the request, ``TypeError`` for a wrong type.
        Cancelled, the reply is discarded when it comes.
        """
        if not isinstance(msg, self._accepts):
            self._wrong_type(msg)
        reply = Reply(msg, self.path, self._dispatcher.event())
        box = self._box
        if len(box) < self._limit:
            box.append(reply)
            if not self._scheduled and self._state == ALIVE:
                self._scheduled = True
                self._dispatcher.schedule(self)
        elif timeout is None:
            await self._put_full(reply)
        else:
            return await self._ask_when_full(reply, timeout)  # type: ignore[no-any-return]
        timer = self._dispatcher.timer
        if timeout is not None and not reply.done:
            timer.add(reply, timeout)
        try:
            await reply.event.wait()
        finally:
            reply.done = True
            if timeout is not None:
                timer.settle(reply)
        if reply.error is not None:
            raise reply.error
        value: R = reply.value
        return value

    def stop(self) -> None:
        """Ask the supervisor to stop this actor for good (reason ``"shutdown"``).

        The actor finishes its current message, ``stopping`` runs, queued asks
        fail with ``ActorStopped``, watchers get a ``DownNotice``; it is not
        restarted. Does not wait: ``await join()`` for that. A no-op once stopped.
        """
        if self._state < STOPPING:
            self._sup._stop_child(self)

    def watch(self, watcher: ActorRef[Any, Any]) -> None:
        """Deliver a ``DownNotice`` to ``watcher.down()`` when this actor stops for good.

        The notice is a system message: it never waits behind user mail. If the
        actor has already stopped, the notice is sent at once.
        """
        if self._down is not None:
            watcher._notify(self._down)
        elif self._watchers is None:
            self._watchers = [watcher]
        else:
            self._watchers.append(watcher)

    async def join(self) -> DownNotice:
        """Wait until the actor has stopped for good; return why.

        Cancelling the wait does not affect the actor.
        """
        if self._down is None:
            if self._joined is None:
                self._joined = anyio.Event()
            await self._joined.wait()
        assert self._down is not None  # noqa: S101 - set before _joined fires
        return self._down

    @property
    def stopped(self) -> bool:
        """True once the actor has stopped for good."""
        return self._state == STOPPED

    @property
    def mailbox_size(self) -> int:
        """How many user messages are queued."""
        return len(self._box)

    # --- the slow paths of sending ------------------------------------------------------

    def _wrong_type(self, msg: object) -> NoReturn:
        names = " | ".join(t.__name__ for t in self._accepts)
        raise TypeError(
            f"actor {self.path!r} accepts {names}, not {type(msg).__name__}; "
            f"send one of the declared message types (or widen the actor's Actor[...] type)"
        )

    def _wake(self) -> None:
        if not self._scheduled and self._state == ALIVE:
            self._scheduled = True
            self._dispatcher.schedule(self)

    def _drop(self, item: object) -> None:
        if type(item) is Reply:
            item.fail(MailboxFull(self.path, self._capacity))
        _log.debug("mailbox.dropped", path=self.path, message=type(item).__name__)

    async def _put_full(self, item: object) -> None:
        if self._state >= STOPPING:
            raise ActorStopped(self.path)
        box = self._box
        overflow = self._overflow
        if overflow is Overflow.WAIT:
            while len(box) >= self._capacity:
                putters = self._putters
                if putters is None:
                    putters = self._putters = deque()
                event = self._dispatcher.event()
                putters.append(event)
                try:
                    await event.wait()
                except BaseException:
                    if event.is_set():
                        self._wake_putter()  # pass the room we were given on
                    else:
                        putters.remove(event)
                    raise
                if self._state >= STOPPING:
                    raise ActorStopped(self.path)
        elif overflow is Overflow.FAIL:
            raise MailboxFull(self.path, self._capacity)
        elif overflow is Overflow.DROP_NEWEST:
            self._drop(item)
            return
        else:
            self._drop(box.popleft())
        box.append(item)
        self._wake()

    async def _ask_when_full(self, reply: Reply, seconds: float) -> Any:
        """An ask that must wait for room: one deadline covers the wait and the reply."""
        try:
            with anyio.fail_after(seconds):
                try:
                    await self._put_full(reply)
                    await reply.event.wait()
                finally:
                    reply.done = True
        except TimeoutError:
            raise AskTimeout(self.path, type(reply.msg).__name__, seconds) from None
        if reply.error is not None:
            raise reply.error
        return reply.value

    def _wake_putter(self) -> None:
        putters = self._putters
        if putters:
            putters.popleft().set()

    # --- running (called by the dispatcher) -------------------------------------------

    async def _turn(self, budget: int) -> int:
        """Handle up to ``budget`` messages; return how much budget is left."""
        if self._state == SUSPENDED or self._state == STOPPED:
            return budget  # halted while it waited in the ready queue
        box = self._box
        receive = self._actor.receive  # type: ignore[union-attr]
        reply_type = Reply
        # Whatever stops or suspends the actor during a turn either queues a
        # system message (checked before each message) or ends the turn itself.
        while budget:
            if self._sys:
                if await self._system_turn():
                    return budget
                receive = self._actor.receive  # type: ignore[union-attr]
                continue
            if not box:
                return budget
            budget -= 1
            item = box.popleft()
            if self._putters and len(box) <= self._low:
                self._wake_putter()  # a slow handler must not hold senders back
            if type(item) is reply_type:
                try:
                    value = await receive(item.msg)
                except Exception as exc:  # noqa: BLE001 - let it crash: the supervisor decides
                    crashed = ActorCrashed(self.path, exc)
                    crashed.__cause__ = exc
                    item.fail(crashed)
                    self._crash(exc)
                    return budget
                except BaseException:
                    item.fail(ActorStopped(self.path, "cancelled while handling this request"))
                    raise
                item.resolve(value)
            else:
                try:
                    await receive(item)
                except Exception as exc:  # noqa: BLE001 - let it crash: the supervisor decides
                    self._crash(exc)
                    return budget
        return budget

    async def _system_turn(self) -> bool:
        """Handle one system message; True when the actor halted."""
        msg = self._sys.popleft()  # type: ignore[union-attr]
        actor = self._actor
        assert actor is not None  # noqa: S101 - only alive actors take turns
        if type(msg) is _Stop:
            reason = "normal" if msg.own else "shutdown"
            try:
                await actor.stopping(reason)
            except Exception as exc:  # noqa: BLE001 - let it crash: the supervisor decides
                _log.warning("actor.stopping_failed", path=self.path, reason=repr(exc))
            if msg.own:
                self._suspend("normal")
            else:
                self._halt("shutdown", final=msg.final)
            return True
        try:
            await actor.down(msg)
        except Exception as exc:  # noqa: BLE001 - let it crash: the supervisor decides
            self._crash(exc)
            return True
        return False

    def _end_turn(self) -> None:
        self._worker = None
        state = self._state
        if (state == ALIVE and self._box) or (
            self._sys and state != SUSPENDED and state != STOPPED
        ):
            self._dispatcher.ready.append(self)
        else:
            self._scheduled = False

    def _crash(self, exc: Exception) -> None:
        _log.error("actor.crashed", path=self.path, reason=repr(exc))
        self._suspend(exc)

    def _suspend(self, reason: Reason) -> None:
        """The actor exited by itself: let its supervisor decide what follows."""
        if self._state == STOPPING:
            self._halt(reason, final=True)  # it was being stopped for good anyway
            return
        self._state = SUSPENDED
        if self._halted is not None:
            self._halted.set()
            self._halted = None
        self._sup._child_exited(self, reason, self._epoch)

    def _killed(self) -> None:
        request = self._stop_req
        self._halt("shutdown", final=True if request is None else request.final)

    def _notify(self, notice: DownNotice) -> None:
        if self._state == STOPPED:
            return
        if self._sys is None:
            self._sys = deque()
        self._sys.append(notice)
        self._wake()

    def _exit_normally(self) -> None:
        if self._state != ALIVE:
            return
        if self._sys is None:
            self._sys = deque()
        self._sys.appendleft(_Stop(final=False, own=True))
        self._wake()

    # --- lifecycle (called by the supervisor) ---------------------------------------------

    def _resume(self, actor: Actor[M, R]) -> None:
        """Run ``actor`` from now on (first start or restart)."""
        self._actor = actor
        actor._ref = self
        self._epoch += 1
        self._state = ALIVE
        self._stop_req = None
        if (self._box or self._sys) and not self._scheduled:
            self._scheduled = True
            self._dispatcher.schedule(self)

    def _request_stop(self, *, final: bool) -> bool:
        """Begin stopping; True if the actor halted at once."""
        state = self._state
        if state == STOPPED:
            return True
        if state == SUSPENDED:
            self._halt("shutdown", final=final)
            return True
        if final:
            self._state = STOPPING
            self._limit = 0
        elif self._stop_req is not None:
            return False  # a stop is already on its way
        if self._stop_req is not None and self._stop_req.final:
            return False  # a final stop is already on its way
        if not self._scheduled and has_no_stopping_hook(self._actor):
            self._halt("shutdown", final=final)
            return True
        stop = self._stop_req = _Stop(final=final, own=False)
        if self._sys is None:
            self._sys = deque()
        self._sys.appendleft(stop)
        if not self._scheduled:
            self._scheduled = True
            self._dispatcher.schedule(self)
        return False

    def _kill(self) -> None:
        """Cancel whatever the actor is doing (its shutdown time ran out)."""
        worker = self._worker
        if worker is not None:
            self._dispatcher.kill(self, worker)
        else:
            self._killed()

    def _halt(self, reason: Reason, *, final: bool) -> None:
        """Stop running; if ``final``, fail what is queued and tell the watchers."""
        if self._state == STOPPED:
            return
        if not final:
            self._state = SUSPENDED
        else:
            self._state = STOPPED
            self._limit = 0
            path = self.path
            for item in self._box:
                if type(item) is Reply:
                    item.fail(ActorStopped(path))
            self._box.clear()
            self._sys = None
            while self._putters:
                self._putters.popleft().set()
            if isinstance(reason, BaseException):
                notice = DownNotice(path, "crashed", reason)
            else:
                notice = DownNotice(path, reason)
            self._down = notice
            self._actor = None
            self._sup._discard(self)
            if self._watchers is not None:
                for watcher in self._watchers:
                    watcher._notify(notice)
                self._watchers = None
            if self._joined is not None:
                self._joined.set()
        if self._halted is not None:
            self._halted.set()
            self._halted = None


def has_no_stopping_hook(actor: Actor[Any, Any] | None) -> bool:
    """True when stopping ``actor`` needs no turn of its own."""
    return actor is None or type(actor).stopping is Actor.stopping
