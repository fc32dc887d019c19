"""Synchronous botocore code on the event loop, without a thread: a greenlet bridge.

:func:`run_bridged` runs a plain function in a greenlet; wherever that function (or
anything it calls, such as botocore's HTTP session) needs to wait, it calls :func:`await_`,
which hands the awaitable to the event loop and resumes when it is done. botocore therefore
keeps doing everything it does (serialising, signing with the credential chain or a bearer
token, parsing, modelled errors, event-stream decoding) while the socket I/O is asyncio's.
The same pattern runs SQLAlchemy's asyncio support.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, TypeVar, cast

import greenlet  # type: ignore[import-untyped]

__all__ = ["await_", "in_bridge", "iterate_bridged", "run_bridged"]

T = TypeVar("T")


class _Bridge(greenlet.greenlet):  # type: ignore[misc]
    def __init__(self, fn: Callable[..., Any], driver: Any) -> None:
        super().__init__(fn, driver)
        self.driver = driver


def in_bridge() -> bool:
    """Whether the caller runs under :func:`run_bridged` (and so may :func:`await_`)."""
    return isinstance(greenlet.getcurrent(), _Bridge)


def await_(awaitable: Awaitable[T]) -> T:
    """Wait for ``awaitable`` on the event loop, from sync code under :func:`run_bridged`."""
    current = greenlet.getcurrent()
    if not isinstance(current, _Bridge):
        close = getattr(awaitable, "close", None)
        if close is not None:
            close()  # no "coroutine was never awaited" warning on top of this error
        raise RuntimeError("await_() called outside run_bridged()")
    return cast(T, current.driver.switch(awaitable))


async def run_bridged(fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)`` in a greenlet whose waits (:func:`await_`) are awaited here."""
    bridge = _Bridge(fn, greenlet.getcurrent())
    result: Any = bridge.switch(*args)
    while not bridge.dead:
        try:
            value = await result
        except BaseException:
            result = bridge.throw(*sys.exc_info())
        else:
            result = bridge.switch(value)
    return cast(T, result)


class _Item:
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


async def iterate_bridged(items: Iterator[T]) -> AsyncIterator[T]:
    """``items`` (a sync iterator that waits with :func:`await_`) as an async iterator, in
    ONE greenlet for the whole iteration: a stream costs one greenlet, not one per event."""

    def pump() -> None:
        me = greenlet.getcurrent()
        for item in items:
            me.driver.switch(_Item(item))

    bridge = _Bridge(pump, greenlet.getcurrent())
    result: Any = bridge.switch()
    while not bridge.dead:
        if isinstance(result, _Item):
            yield cast(T, result.value)
            result = bridge.switch()
            continue
        try:
            value = await result
        except BaseException:
            result = bridge.throw(*sys.exc_info())
        else:
            result = bridge.switch(value)
