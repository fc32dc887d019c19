"""Timeouts for a stream's many short waits, on one event-loop timer.

A stream waits once per event (for its next read, for its next event), each within a
timeout. ``asyncio.timeout`` schedules and cancels a loop timer for every wait, which cost
more CPU than decoding the event. :class:`Waits` keeps one timer per stream or connection
and moves it only when a wait must end sooner than it would fire: a wait just notes when it
expires; the timer, when it fires, either ends the wait that has expired (as
``asyncio.timeout`` does: the task is cancelled and the wait raises ``TimeoutError``) or is
set again for the current wait's expiry.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

__all__ = ["Waits"]

T = TypeVar("T")


class Waits:
    """Successive waits, one at a time, each within its own timeout."""

    __slots__ = ("_cancelling", "_expires", "_fired", "_handle", "_loop", "_task", "_when")

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._handle: asyncio.TimerHandle | None = None
        self._when = 0.0  # when the timer fires
        self._expires = 0.0  # when the current wait expires
        self._task: asyncio.Task[object] | None = None  # the task waiting, if any
        self._cancelling = 0
        self._fired = False

    async def within(self, timeout: float, awaitable: Awaitable[T]) -> T:
        """``await awaitable``, raising ``TimeoutError`` if it takes over ``timeout`` s."""
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        if task is None:  # not in a task: nothing to cancel, so asyncio's own way
            async with asyncio.timeout(timeout):
                return await awaitable
        expires = loop.time() + timeout
        self._expires = expires
        self._task = task
        self._cancelling = task.cancelling()
        self._fired = False
        if self._handle is None or self._when > expires or self._loop is not loop:
            if self._handle is not None:
                self._handle.cancel()
            self._loop = loop
            self._when = expires
            self._handle = loop.call_at(expires, self._fire)
        try:
            return await awaitable
        except asyncio.CancelledError:
            if self._fired and task.uncancel() <= self._cancelling:
                raise TimeoutError from None
            raise
        finally:
            self._task = None

    def _fire(self) -> None:
        self._handle = None
        task, loop = self._task, self._loop
        if task is None or loop is None:
            return  # no wait now: the next one sets the timer
        if loop.time() < self._expires:
            self._when = self._expires
            self._handle = loop.call_at(self._expires, self._fire)
            return
        self._fired = True
        task.cancel()

    def close(self) -> None:
        """Drop the timer (no more waits)."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
