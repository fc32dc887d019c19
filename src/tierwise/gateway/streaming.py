"""Server-sent events, and a pump from a blocking iterator to the event loop.

boto3 streams are blocking. One worker thread per stream iterates it and hands events over
through a bounded queue (a slow client blocks the worker, not the loop); the loop is woken
only when it is actually waiting, so a burst of events costs one wake-up, not one thread hop
each. When the client disconnects, the pump stops and the worker closes the iterator in its
own thread (a generator can only be closed by the thread running it), which closes the
upstream stream, writes the ledger row and charges the key.
"""

from __future__ import annotations

import asyncio
import json
import queue
import threading
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import Executor
from typing import Any

import anyio

__all__ = ["bridge", "sse_comment", "sse_data", "sse_event"]

BUFFER = 64
_DONE = object()


def _json(payload: Any) -> str:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def sse_data(payload: Any) -> bytes:
    text = payload if isinstance(payload, str) else _json(payload)
    return f"data: {text}\n\n".encode()


def sse_event(name: str, payload: Any) -> bytes:
    return f"event: {name}\ndata: {_json(payload)}\n\n".encode()


def sse_comment(fields: dict[str, Any]) -> bytes:
    """A comment line (ignored by SSE parsers and SDKs) carrying what headers could not."""
    text = " ".join(f"{k}={v}" for k, v in fields.items())
    return f": tierwise {' '.join(text.splitlines())}\n\n".encode()


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error


class _Pump:
    def __init__(self, blocking: Iterator[Any], loop: asyncio.AbstractEventLoop) -> None:
        self.blocking = blocking
        self.loop = loop
        self.items: queue.Queue[Any] = queue.Queue(BUFFER)
        self.stopped = threading.Event()
        self.waiter: asyncio.Future[None] | None = None

    def _wake(self) -> None:
        waiter, self.waiter = self.waiter, None
        if waiter is not None:
            self.loop.call_soon_threadsafe(_resolve, waiter)

    def _put(self, item: Any) -> bool:
        while not self.stopped.is_set():
            try:
                self.items.put(item, timeout=0.1)
            except queue.Full:
                continue
            self._wake()
            return True
        return False

    def run(self) -> None:
        """The worker: iterate, hand over, and always close the iterator here."""
        try:
            for item in self.blocking:
                if not self._put(item):
                    break
            else:
                self._put(_DONE)
        except Exception as exc:  # handed to the loop, raised there
            self._put(_Failure(exc))
        finally:
            close = getattr(self.blocking, "close", None)
            if close is not None:
                close()

    def drain(self, first: Any) -> list[Any]:
        """``first`` plus whatever else is already queued, without waiting."""
        items = [first]
        while first is not _DONE and not isinstance(first, _Failure):
            try:
                first = self.items.get_nowait()
            except queue.Empty:
                break
            items.append(first)
        return items

    async def get(self) -> Any:
        while True:
            try:
                return self.items.get_nowait()
            except queue.Empty:
                pass
            waiter = self.loop.create_future()
            self.waiter = waiter
            if not self.items.empty():  # filled between the check and arming the waiter
                self.waiter = None
                continue
            await waiter


def _resolve(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


async def bridge(blocking: Iterator[Any], executor: Executor) -> AsyncIterator[list[Any]]:
    """Yield ``blocking``'s items in batches, iterated by one worker thread from ``executor``.

    Each batch is what had arrived when the loop looked: the first item goes out as soon as
    it exists (time to first token is untouched), and a burst becomes one write to the
    client instead of one per event.
    """
    loop = asyncio.get_running_loop()
    pump = _Pump(blocking, loop)
    worker = loop.run_in_executor(executor, pump.run)
    try:
        while True:
            batch = pump.drain(await pump.get())
            done = batch[-1] is _DONE
            if done:
                batch.pop()
            elif isinstance(batch[-1], _Failure):
                failure = batch.pop()
                if batch:
                    yield batch
                raise failure.error
            if batch:
                yield batch
            if done:
                break
    finally:
        pump.stopped.set()
        # Wait (shielded from the disconnect's cancellation) for the worker to close the
        # stream, so it is ledgered and charged before the request ends.
        with anyio.CancelScope(shield=True):
            await worker
