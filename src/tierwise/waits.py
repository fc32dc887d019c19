"""Timeouts for a stream's many short waits, on one event-loop timer.

A stream waits once per event (for its next read, for its next event), each within a
timeout. ``asyncio.timeout`` schedules and cancels a loop timer for every wait, which cost
more CPU than decoding the event. :class:`Waits` keeps one timer per stream or connection
and moves it only when a wait must end sooner than it would fire: a wait just notes when it
expires; the timer, when it fires, either ends the wait that has expired (as
``asyncio.timeout`` does: the task is cancelled and the wait raises ``TimeoutError``) or is
set again for the current wait's expiry. A wait for a future that only its owner resolves
(:meth:`Waits.expire`) needs no task at all: the timer fails that future.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

__all__ = ["StreamLimitError", "Waits"]

T = TypeVar("T")


class StreamLimitError(Exception):
    """A stream's own limit on the wait for its next events expired (raised by a body that
    was handed the limit, in place of its read timeout): its call's deadline when
    ``deadline`` is true, else its idle limit. The stream's reader turns it into its error."""

    def __init__(self, deadline: bool) -> None:
        super().__init__("the call's deadline" if deadline else "the stream's idle limit")
        self.deadline = deadline


class Waits:
    """Successive waits, one at a time, each within its own timeout."""

    __slots__ = (
        "_cancelling", "_expires", "_fired", "_future", "_handle", "_loop", "_task", "_when",
    )  # fmt: skip

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._handle: asyncio.TimerHandle | None = None
        self._when = 0.0  # when the timer fires
        self._expires = 0.0  # when the current wait expires
        self._task: asyncio.Task[object] | None = None  # the task waiting, if any
        self._cancelling = 0
        self._fired = False
        # The future of the last expire() (done once its wait is over: the timer skips it).
        self._future: asyncio.Future[object] | None = None

    async def within(self, timeout: float, awaitable: Awaitable[T]) -> T:
        """``await awaitable``, raising ``TimeoutError`` if it takes over ``timeout`` s."""
        loop = asyncio.get_running_loop()
        task = asyncio.current_task(loop)  # the loop at hand: not looked up twice
        if task is None:  # not in a task: nothing to cancel, so asyncio's own way
            async with asyncio.timeout(timeout):
                return await awaitable
        expires = loop.time() + timeout
        self._expires = expires
        self._task = task
        self._cancelling = task.cancelling()
        self._fired = False
        if self._handle is None or self._when > expires or self._loop is not loop:
            self._arm(loop, expires)
        try:
            return await awaitable
        except asyncio.CancelledError:
            if self._fired and task.uncancel() <= self._cancelling:
                raise TimeoutError from None
            raise
        finally:
            self._task = None

    def expire_at(self, when: float, future: asyncio.Future[T]) -> asyncio.Future[T]:
        """:meth:`expire` with the wait's end given in loop time (``loop.time()``): for a
        caller that has read the loop's clock already."""
        loop = future.get_loop()
        self._expires = when
        self._future = future  # type: ignore[assignment]
        if self._handle is None or self._when > when or self._loop is not loop:
            self._arm(loop, when)
        return future

    def expire(self, timeout: float, future: asyncio.Future[T]) -> asyncio.Future[T]:
        """``future``, failed with ``TimeoutError`` unless done within ``timeout`` s; await
        it. For a future no one else fails or cancels (a read's, resolved by its
        connection): where :meth:`within` has to find the task and cancel it, the timer
        sets the future's exception, so a wait is a few attribute writes."""
        loop = future.get_loop()
        expires = loop.time() + timeout
        self._expires = expires
        self._future = future  # type: ignore[assignment]
        if self._handle is None or self._when > expires or self._loop is not loop:
            self._arm(loop, expires)
        return future

    def _arm(self, loop: asyncio.AbstractEventLoop, expires: float) -> None:
        """Set the timer for ``expires`` on ``loop``, replacing one that would fire late or
        on another loop. (A timer that fires early re-arms itself for the current end, so
        most waits leave it where it is: the check stays inline in :meth:`within` and
        :meth:`expire`, called once per wait.)"""
        if self._handle is not None:
            self._handle.cancel()
        self._loop = loop
        self._when = expires
        self._handle = loop.call_at(expires, self._fire)

    def _fire(self) -> None:
        self._handle = None
        task, future, loop = self._task, self._future, self._loop
        if loop is None or (task is None and (future is None or future.done())):
            return  # no wait now: the next one sets the timer
        if loop.time() < self._expires:
            self._when = self._expires
            self._handle = loop.call_at(self._expires, self._fire)
            return
        if task is not None:
            self._fired = True
            task.cancel()
        elif future is not None:
            future.set_exception(TimeoutError())

    def close(self) -> None:
        """Drop the timer (no more waits)."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
