"""Drivers: they run the engine's machines, doing the I/O each effect asks for.

:class:`SyncDriver` calls the synchronous Bedrock client and the ledger in the caller's
thread. :class:`AsyncDriver` awaits the async Bedrock client on the event loop (no thread per
call) and runs the blocking effects (ledger writes, hooks) through ``blocking``, by default
a worker thread; such an effect is short, so the pool bounds nothing but their overlap.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Generator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

from tierwise.engine.machine import (
    AfterAttempt,
    AttemptHooks,
    BeforeAttempt,
    Effect,
    Heed,
    Invoke,
    Lookout,
    Observe,
    Record,
    Release,
    Reservation,
    Reserve,
    Settled,
)
from tierwise.errors import DeadlineExceededError, LedgerUnavailableError, TierwiseError
from tierwise.store.sql import SQLLedger

if TYPE_CHECKING:
    from tierwise.core.deadline import Deadline
    from tierwise.engine.budgets import Budgets
    from tierwise.store.base import Ledger, LedgerRow
    from tierwise.store.keys import KeyStore
    from tierwise.store.spool import Spool

__all__ = [
    "AsyncBedrock",
    "AsyncDriver",
    "Books",
    "CutOffError",
    "Observer",
    "SyncBedrock",
    "SyncDriver",
    "drive",
]

_log = logging.getLogger(__name__)

R = TypeVar("R")
T = TypeVar("T")


class _Failed(Protocol):
    @property
    def model_id(self) -> str: ...


class _Answer(Protocol):
    @property
    def response(self) -> dict[str, Any]: ...
    @property
    def model_id(self) -> str: ...
    @property
    def latency_ms(self) -> float: ...
    @property
    def attempts(self) -> Sequence[_Failed]: ...


class _Stream(Protocol):
    @property
    def model_id(self) -> str: ...
    @property
    def first_event_ms(self) -> float: ...
    @property
    def attempts(self) -> Sequence[_Failed]: ...


class SyncBedrock(Protocol):
    """What the sync driver needs of :class:`tierwise.bedrock.BedrockClient`."""

    def converse(
        self, profiles: Sequence[str], request: Mapping[str, Any], deadline: Deadline | None = ...
    ) -> _Answer: ...

    def converse_stream(
        self, profiles: Sequence[str], request: Mapping[str, Any], deadline: Deadline | None = ...
    ) -> _Stream: ...


class AsyncBedrock(Protocol):
    """What the async driver needs of :class:`tierwise.bedrock.AsyncBedrockClient`."""

    async def converse(
        self, profiles: Sequence[str], request: Mapping[str, Any], deadline: Deadline | None = ...
    ) -> _Answer: ...

    async def converse_stream(
        self, profiles: Sequence[str], request: Mapping[str, Any], deadline: Deadline | None = ...
    ) -> _Stream: ...


def drive(machine: Generator[Effect, Any, R], perform: Callable[[Effect], Any]) -> R:
    """Run ``machine`` to its end, answering each effect with ``perform``; an exception
    ``perform`` raises is thrown into the machine at the effect that caused it."""
    value: Any = None
    error: BaseException | None = None
    while True:
        try:
            effect = machine.throw(error) if error is not None else machine.send(value)
        except StopIteration as stop:
            result: R = stop.value
            return result
        try:
            value, error = perform(effect), None
        except BaseException as exc:
            value, error = None, exc


def _settled(answer: _Answer | _Stream, elapsed_ms: float, stream: bool) -> Settled:
    failed = tuple(a.model_id for a in answer.attempts)
    if stream:
        opened: Any = answer
        return Settled(answer.model_id, elapsed_ms, opened.first_event_ms, stream=answer,
                       failed_profiles=failed)  # fmt: skip
    done: Any = answer
    return Settled(done.model_id, elapsed_ms, done.latency_ms, response=done.response,
                   failed_profiles=failed)  # fmt: skip


def _failed(exc: TierwiseError, profiles: Sequence[str], elapsed_ms: float) -> Settled:
    model_id = getattr(exc, "model_id", None) or profiles[0]
    return Settled(model_id, elapsed_ms, elapsed_ms, error=exc)


class Observer(Protocol):
    """Learns from each settled answer (:class:`Observe`): cache-aware routing's state."""

    @property
    def blocking(self) -> bool:
        """Whether :meth:`observe` may block (a network store): the async driver then runs
        it through ``blocking``; in-process state is a few dict updates, done on the loop."""
        ...

    def observe(self, effect: Observe) -> None: ...


class Books:
    """Where an attempt's row goes, and its reservation: blocking database work; and who
    learns from each answer (``observer``)."""

    def __init__(
        self,
        ledger: Ledger,
        budgets: Budgets | None = None,
        spool: Spool | None = None,
        observer: Observer | None = None,
    ) -> None:
        self.ledger = ledger
        self.budgets = budgets
        self.spool = spool
        self.observer = observer

    def observe(self, effect: Observe) -> None:
        """Let the observer learn from an answer; its failure costs the learning, never the
        request (which is answered and ledgered by now)."""
        if self.observer is None:
            return
        try:
            self.observer.observe(effect)
        except Exception:
            _log.exception("learning from an answer failed")

    def store(self, row: LedgerRow, hold: Any) -> LedgerRow:
        """Write ``row`` (settling ``hold`` in the same transaction); while the database is
        unreachable, append it to the spool, to be replayed when it returns."""
        try:
            if self.spool is not None and not self.spool.recover(self.ledger, self._keys()):
                # Down when last tried: queue behind the spooled rows until the database is
                # found back, instead of waiting on it again.
                raise LedgerUnavailableError("the ledger database is unreachable")
            if hold is not None and self.budgets is not None:
                return replace(row, id=self.budgets.settle(hold, row))
            return replace(row, id=self.ledger.record(row))
        except LedgerUnavailableError:
            if self.spool is None:
                raise
            return self._spool(row, hold)

    def _spool(self, row: LedgerRow, hold: Any) -> LedgerRow:
        """The call was made and billed: its row waits in the spool for the database."""
        assert self.spool is not None
        self.spool.append(row, hold)
        if hold is not None and self.budgets is not None:
            self.budgets.spooled(hold, row)
        return row

    def store_all(self, *records: Record) -> list[LedgerRow | Exception]:
        """Write the rows of ``records`` (each settling its hold) in one transaction; each
        record's outcome, in order: its stored row, or the error that stopped it. While the
        database is unreachable every row is spooled. Any other failure of the batch (one
        row the database refuses) rolls it back, and each row is written on its own, so
        one bad row costs only itself."""
        if len(records) > 1 and self._batchable():
            try:
                return list(self._store_together(records))
            except LedgerUnavailableError as exc:
                if self.spool is None:
                    return [exc for _ in records]
                return [self._spool(r.row, r.hold) for r in records]
            except Exception:
                _log.warning(
                    "a batch of %d ledger rows failed; writing them one by one",
                    len(records), exc_info=True,
                )  # fmt: skip
        outcomes: list[LedgerRow | Exception] = []
        for record in records:
            try:
                outcomes.append(self.store(record.row, record.hold))
            except Exception as exc:
                outcomes.append(exc)
        return outcomes

    def _batchable(self) -> bool:
        """Whether rows and key charges share one SQL database (a transaction spans them)."""
        return isinstance(self.ledger, SQLLedger) and (
            self.budgets is None or self.budgets.store.db is self.ledger
        )

    def _store_together(self, records: Sequence[Record]) -> list[LedgerRow]:
        ledger = cast("SQLLedger", self.ledger)
        keys = self._keys()
        if self.spool is not None and not self.spool.recover(ledger, keys):
            raise LedgerUnavailableError("the ledger database is unreachable")
        with ledger.transaction() as tx:
            ids = [
                ledger.insert(tx, r.row)
                if r.hold is None or keys is None
                else keys.settle_in(tx, r.hold, r.row)
                for r in records
            ]
        if keys is not None:
            for record in records:
                if record.hold is not None:
                    keys.settled(record.hold)
        return [replace(r.row, id=row_id) for r, row_id in zip(records, ids, strict=True)]

    def _keys(self) -> KeyStore | None:
        return None if self.budgets is None else self.budgets.store

    def perform(self, hooks: Sequence[AttemptHooks], effect: Effect) -> Any:
        """Perform an effect that may block (database, hooks, a shared learning store)."""
        if isinstance(effect, Observe):
            return self.observe(effect)
        if isinstance(effect, Record):
            return self.store(effect.row, effect.hold)
        if isinstance(effect, Reserve):
            attempt = effect.attempt
            if self.budgets is None or attempt.api_key_id is None:
                return Reservation(None, attempt.request)
            hold, request = self.budgets.reserve(
                attempt.request_id, attempt.number, attempt.plan, attempt.request,
                attempt.api_key_id, kind=attempt.kind,
            )  # fmt: skip
            return Reservation(hold, request)
        if isinstance(effect, Release):
            if self.budgets is not None and effect.hold is not None:
                self.budgets.release(effect.hold)
            return None
        for hook in hooks:
            if isinstance(effect, BeforeAttempt):
                hook.before_attempt(effect.attempt, effect.deadline)
            elif isinstance(effect, AfterAttempt):
                hook.after_attempt(effect.settlement)
        return None

    def late(self, effect: Invoke, outcome: Any, latency_ms: float) -> None:
        """Ledger an attempt the deadline cut off, now that it has ended."""
        if effect.late is None:
            return
        try:
            self.store(effect.late(outcome, latency_ms), effect.hold)
        except Exception:  # a callback has nobody to raise to
            _log.exception("ledgering a call cut off by its deadline failed")


def _log_failed(job: asyncio.Future[Any]) -> bool:
    """Whether ``job`` (a money write nobody waits for) succeeded; its failure is logged."""
    if job.cancelled():
        _log.error("a reservation, ledger row or release was cancelled before it ran")
        return False
    error = job.exception()
    if error is not None:
        _log.error("a reservation, ledger row or release failed", exc_info=error)
        return False
    return True


# A deadline this far off is no deadline (about 4 months): a wait past the platform's time_t
# would overflow.
_FOREVER_S = 1e7


async def _within(task: asyncio.Future[Any], timeout: float | None) -> None:
    """Return once ``task`` is done or ``timeout`` seconds have passed, whichever comes first
    (``task`` is not cancelled): ``asyncio.wait({task}, timeout=timeout)`` for one task,
    without the sets, the per-future callbacks and the checks it makes for many (~20 k
    instructions a model call)."""
    if task.done():
        return
    loop = asyncio.get_running_loop()
    waiter: asyncio.Future[None] = loop.create_future()

    def wake(_: object = None) -> None:
        if not waiter.done():
            waiter.set_result(None)

    task.add_done_callback(wake)
    timer = loop.call_later(timeout, wake) if timeout is not None else None
    try:
        await waiter
    finally:
        if timer is not None:
            timer.cancel()
        task.remove_done_callback(wake)


class CutOffError(DeadlineExceededError):
    """The deadline passed while the driver waited for a call, which goes on (its row comes
    when it ends); a DeadlineExceededError from inside the adapter's retries is not one."""


def _remaining(deadline: Deadline) -> float | None:
    left = deadline.remaining()
    return None if left >= _FOREVER_S else left


class SyncDriver:
    """Runs machines in the caller's thread; each Bedrock call runs in a worker thread so
    the caller can stop waiting at the deadline (the call is ledgered when it ends)."""

    def __init__(
        self,
        bedrock: SyncBedrock,
        books: Books,
        hooks: Sequence[AttemptHooks] = (),
        *,
        workers: int = 64,
    ) -> None:
        self.bedrock = bedrock
        self.books = books
        self.hooks = tuple(hooks)
        self._workers = workers
        self._calls: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def run(self, machine: Generator[Effect, Any, R]) -> R:
        return drive(machine, self.perform)

    def perform(self, effect: Effect) -> Any:
        if isinstance(effect, Invoke):
            return self._invoke(effect)
        if isinstance(effect, Heed):
            # A blocking caller's cancel is set from another thread (a threading.Event):
            # there is nothing to look at on its behalf.
            return None
        return self.books.perform(self.hooks, effect)

    def close(self) -> None:
        """Wait for calls cut off by their deadline: they are ledgered when they end."""
        if self._calls is not None:
            self._calls.shutdown(wait=True)

    def within(
        self, deadline: Deadline, fn: Callable[..., T], *args: Any, late: Callable[[Any], None]
    ) -> T:
        """``fn(*args, deadline)`` (a blocking Bedrock call), abandoned when ``deadline``
        passes: the call goes on in its worker thread, and ``late`` gets its result or error
        when it ends, to ledger what Bedrock billed. Raises DeadlineExceededError."""
        wait = _remaining(deadline)
        if wait is None:
            return fn(*args, deadline)
        with self._lock:
            if self._calls is None:
                self._calls = ThreadPoolExecutor(self._workers, thread_name_prefix="tierwise-call")
        future = self._calls.submit(fn, *args, deadline)
        try:
            return future.result(timeout=wait)
        except FutureTimeout:
            future.add_done_callback(lambda f: late(f.exception() or f.result()))
            error = deadline.error("while Bedrock was answering")
            raise CutOffError(error.message, hint=error.hint) from None

    def _invoke(self, effect: Invoke) -> Settled:
        attempt = effect.attempt
        started = time.perf_counter()
        call = self.bedrock.converse_stream if attempt.stream else self.bedrock.converse

        def late(outcome: Any) -> None:
            self.books.late(effect, outcome, (time.perf_counter() - started) * 1000)

        try:
            answer = cast(
                "_Answer | _Stream",
                self.within(effect.deadline, call, attempt.profiles, attempt.request, late=late),
            )
        except CutOffError:
            elapsed = (time.perf_counter() - started) * 1000
            cut = effect.deadline.error("while Bedrock was answering")
            return Settled(attempt.profiles[0], elapsed, elapsed, error=cut, cut=True)
        except TierwiseError as exc:
            return _failed(exc, attempt.profiles, (time.perf_counter() - started) * 1000)
        return _settled(answer, (time.perf_counter() - started) * 1000, attempt.stream)


Blocking = Callable[..., Awaitable[Any]]


class AsyncDriver:
    """Runs machines on the event loop; blocking effects go through ``blocking``
    (``asyncio.to_thread`` unless given, e.g. a bounded executor's ``run``)."""

    def __init__(
        self,
        bedrock: AsyncBedrock,
        books: Books,
        hooks: Sequence[AttemptHooks] = (),
        *,
        blocking: Blocking | None = None,
    ) -> None:
        self.bedrock = bedrock
        self.books = books
        self.hooks = tuple(hooks)
        self.blocking: Blocking = blocking or asyncio.to_thread
        # Calls cut off by their deadline (still running) and the ledger writes of those
        # that have ended.
        self._cut: set[asyncio.Future[Any]] = set()
        self._late: set[asyncio.Future[Any]] = set()
        # Reservations of calls that go on after their caller was cancelled.
        self._carried: set[Any] = set()
        # Ledger rows waiting for a write (each with its caller's future), the loop they
        # were queued on, the write in flight (or about to take them) and what it took.
        self._rows: list[tuple[Record, asyncio.Future[Any]]] = []
        self._rows_loop: asyncio.AbstractEventLoop | None = None
        self._row_job: asyncio.Future[Any] | None = None
        self._row_batch: list[tuple[Record, asyncio.Future[Any]]] = []
        #: Ledger writes started, and rows they carried (what batching saves, for benches).
        self.row_writes = 0
        self.rows_written = 0

    async def close(self) -> None:
        """Wait for calls cut off by their deadline: they are ledgered when they end (their
        sockets wait no longer than the deadline plus ``[budgets] usage_grace_s``). A
        cancelled close stops waiting and nothing more: gathering them would cancel them with
        it, a call Bedrock bills then ledgered at $0 and a queued ledger write never run."""
        while self._cut or self._late or self._rows:
            if self._rows and self._row_job is None:
                self._write_rows()  # queued on this loop, not taken by a write (cancelled)
            await asyncio.wait({*self._cut, *self._late})

    async def run(self, machine: Generator[Effect, Any, R]) -> R:
        value: Any = None
        error: BaseException | None = None
        while True:
            try:
                effect = machine.throw(error) if error is not None else machine.send(value)
            except StopIteration as stop:
                result: R = stop.value
                return result
            try:
                value, error = await self.perform(effect), None
            except BaseException as exc:
                value, error = None, exc

    async def perform(self, effect: Effect) -> Any:
        if isinstance(effect, Invoke):
            return await self._invoke(effect)
        if isinstance(effect, Reserve) and self.books.budgets is None:
            return Reservation(None, effect.attempt.request)
        if isinstance(effect, Release) and effect.hold in self._carried:
            # Its call goes on (the caller was cancelled): the late row settles it.
            self._carried.discard(effect.hold)
            return None
        if isinstance(effect, BeforeAttempt | AfterAttempt) and not self.hooks:
            return None
        if isinstance(effect, Observe):
            observer = self.books.observer
            if observer is None:
                return None
            if not observer.blocking:  # in-process: cheaper than a hop to a worker thread
                return self.books.observe(effect)
        if isinstance(effect, Record):
            return await self._record(effect)
        if isinstance(effect, Reserve | Release):
            return await self._money(effect)
        if isinstance(effect, Heed):
            if isinstance(effect.cancel, Lookout):
                await effect.cancel.look()
            return None
        return await self.blocking(self.books.perform, self.hooks, effect)

    async def _money(self, effect: Reserve | Record | Release) -> Any:
        """Perform a reservation, a ledger row or a release whatever becomes of the task
        that asked for it. A worker thread cannot be stopped, and one not yet started is
        dropped with its future: a cancelled wait must neither lose a row Bedrock billed
        nor leave a hold written for a call never made. So the write goes on in a job of
        its own (:meth:`close` waits for it); a hold it makes for nobody is given back."""
        job = asyncio.ensure_future(self.blocking(self.books.perform, self.hooks, effect))
        try:
            return await asyncio.shield(job)
        except asyncio.CancelledError:
            follow = self._unwanted_hold if isinstance(effect, Reserve) else _log_failed
            if job.done():
                follow(job)
            else:
                self._late.add(job)
                job.add_done_callback(self._late.discard)
                job.add_done_callback(follow)
            raise

    async def _record(self, effect: Record) -> Any:
        """Store a ledger row with the others queued meanwhile: the rows queued in one turn
        of the loop, or while the write before them runs, go to one worker thread in one
        transaction (:meth:`Books.store_all`), so at load one thread wake-up, one hand-back
        to the loop and one commit serve many calls; an idle gateway's row goes at once.
        The caller resumes only when its own row is committed (or spooled): a delivered
        answer always has its row. A cancelled caller's row is written all the same
        (:meth:`close` waits for it)."""
        loop = asyncio.get_running_loop()
        if loop is not self._rows_loop:
            if self._rows or self._row_job is not None:
                # Another loop's rows are in flight (a client shared across loops): this
                # row goes on its own, as before batching.
                return await self._money(effect)
            self._rows_loop = loop
        future: asyncio.Future[Any] = loop.create_future()
        self._rows.append((effect, future))
        if self._row_job is None:
            self._write_rows()
        return await future

    def _write_rows(self) -> None:
        """Start the write of the queued rows (and of those queued until it takes them)."""
        job = asyncio.ensure_future(self._rows_to_thread())
        self._row_job = job
        self._late.add(job)
        job.add_done_callback(self._late.discard)
        job.add_done_callback(self._rows_written)

    async def _rows_to_thread(self) -> list[LedgerRow | Exception]:
        # A task's first step runs at the next turn of the loop: the rows queued in this one
        # are all here by then.
        batch, self._rows = self._rows, []
        self._row_batch = batch
        self.row_writes += 1
        self.rows_written += len(batch)
        records = tuple(effect for effect, _ in batch)
        return cast(
            "list[LedgerRow | Exception]", await self.blocking(self.books.store_all, *records)
        )

    def _rows_written(self, job: asyncio.Future[Any]) -> None:
        """Release each caller with its own row's outcome, then write what queued meanwhile."""
        batch, self._row_batch = self._row_batch, []
        self._row_job = None
        if job.cancelled():
            failure: BaseException | None = asyncio.CancelledError()
        else:
            failure = job.exception()
        outcomes = [failure] * len(batch) if failure is not None else job.result()
        for (_, future), outcome in zip(batch, outcomes, strict=True):
            if future.cancelled():  # its caller is gone: only a failure is left to tell
                if isinstance(outcome, BaseException):
                    _log.error("a ledger row failed", exc_info=outcome)
            elif isinstance(outcome, BaseException):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)
        if self._rows:
            self._write_rows()

    def _unwanted_hold(self, job: asyncio.Future[Any]) -> None:
        """Give back the hold of a reservation whose caller was cancelled meanwhile."""
        if not _log_failed(job):
            return
        hold = getattr(job.result(), "hold", None)
        if hold is None:
            return
        release = asyncio.ensure_future(
            self.blocking(self.books.perform, self.hooks, Release(hold))
        )
        self._late.add(release)
        release.add_done_callback(self._late.discard)
        release.add_done_callback(_log_failed)

    async def _invoke(self, effect: Invoke) -> Settled:
        attempt = effect.attempt
        deadline = effect.deadline
        started = time.perf_counter()
        call = self.bedrock.converse_stream if attempt.stream else self.bedrock.converse
        wait = _remaining(deadline)
        task = asyncio.ensure_future(call(attempt.profiles, attempt.request, deadline))
        try:
            try:
                await _within(task, wait)
            except asyncio.CancelledError:
                # The caller stopped waiting (asyncio.timeout, a cancelled task) after the
                # request left for Bedrock, which bills it: the call goes on and is ledgered
                # when it ends, settling its reservation, which stays held until then.
                self._carry(effect, task, started)
                if effect.hold is not None:
                    self._carried.add(effect.hold)
                raise
            if not task.done():
                # Cut off: the call goes on, on the loop, and is ledgered when it ends.
                self._carry(effect, task, started)
                elapsed = (time.perf_counter() - started) * 1000
                cut = deadline.error("while Bedrock was answering")
                return Settled(attempt.profiles[0], elapsed, elapsed, error=cut, cut=True)
            answer = cast("_Answer | _Stream", task.result())
        except TierwiseError as exc:
            return _failed(exc, attempt.profiles, (time.perf_counter() - started) * 1000)
        return _settled(answer, (time.perf_counter() - started) * 1000, attempt.stream)

    async def _late_row(self, effect: Invoke, outcome: Any, latency_ms: float) -> None:
        # A stream that opened after nobody waited for it is closed here, on the loop its
        # connection belongs to (the engine then counts its prompt as an abandoned one's).
        if not isinstance(outcome, BaseException) and hasattr(outcome, "aclose"):
            await outcome.aclose()
        await self.blocking(self.books.late, effect, outcome, latency_ms)

    def _carry(self, effect: Invoke, task: asyncio.Future[Any], started: float) -> None:
        """Let ``task`` (a call nobody waits for any more) run on and ledger it when it ends."""
        self._cut.add(task)
        task.add_done_callback(self._cut.discard)
        task.add_done_callback(lambda t: self._ledger_late(effect, t, started))

    def _ledger_late(self, effect: Invoke, task: asyncio.Future[Any], started: float) -> None:
        outcome: Any = asyncio.CancelledError() if task.cancelled() else task.exception()
        if outcome is None:
            outcome = task.result()
        latency = (time.perf_counter() - started) * 1000
        job = asyncio.ensure_future(self._late_row(effect, outcome, latency))
        self._late.add(job)
        job.add_done_callback(self._late.discard)
