"""Server-sent events, and a pump from a blocking stream to the event loop.

boto3 streams are blocking. One worker thread per stream opens it and then iterates it,
handing events over through a bounded buffer (a slow client blocks the worker, not the
loop). Opening and pumping are one job on purpose: a stream costs one thread hop, not two,
and the events that arrived with the first one are already waiting when the loop resumes.
The loop is woken only when it is actually waiting, so a burst of events costs one
wake-up, not one each. When the client disconnects, the pump stops and the worker closes
the iterator in its own thread (a generator can only be closed by the thread running it),
which closes the upstream stream, writes the ledger row and charges the key.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from concurrent.futures import Executor
from typing import Any

from starlette.responses import StreamingResponse
from starlette.types import Receive, Send

__all__ = [
    "EventStreamResponse",
    "FinalChunk",
    "OpenStream",
    "disconnected",
    "open_stream",
    "sse_comment",
    "sse_data",
    "sse_event",
    "trailer",
]

BUFFER = 64
_DONE = object()

# What the worker opens: the stream's summary (completed when the stream ends) and its events.
Opener = Callable[[], tuple[Mapping[str, Any], Iterator[Any]]]


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


def trailer(info: Mapping[str, Any]) -> bytes:
    """The SSE comment closing a stream: what the headers could not know yet."""
    answers = [a for a in info.get("attempts") or () if a.get("kind") == "answer"]
    closing: dict[str, Any] = {
        "cost_usd": info.get("costUsd", "0"),
        "tier": info.get("tier") or "passthrough",
        "model_id": info.get("modelId", ""),
        "attempts": len(answers) or 1,
        "ledger_id": info.get("ledgerId"),
    }
    if info.get("guardrail"):
        closing["guardrail"] = info["guardrail"]
    return sse_comment(closing)


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error


class _Opened:
    def __init__(self, info: Mapping[str, Any]) -> None:
        self.info = info


class _Pump:
    """A bounded hand-over from one worker thread to the loop, with one lock per stream."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.items: deque[Any] = deque()
        self.space = threading.Condition(threading.Lock())
        self.stopped = False
        self.waiter: asyncio.Future[None] | None = None

    def put(self, item: Any) -> bool:
        """Hand ``item`` over, waiting while the buffer is full; False once stopped."""
        with self.space:
            while len(self.items) >= BUFFER and not self.stopped:
                self.space.wait()
            if self.stopped:
                return False
            self.items.append(item)
            waiter, self.waiter = self.waiter, None
        if waiter is not None:
            self.loop.call_soon_threadsafe(_resolve, waiter)
        return True

    def run(self, opener: Opener) -> None:
        """The worker: open, hand over, iterate, and always close the iterator here."""
        try:
            info, blocking = opener()
        except Exception as exc:  # handed to the loop, raised there
            self.put(_Failure(exc))
            return
        self.put(_Opened(info))
        try:
            # Even when stopped already, the first item is pulled (it is buffered, no
            # wait): a started generator runs its cleanup on close, an unstarted one not.
            for item in blocking:
                if not self.put(item):
                    break
            else:
                self.put(_DONE)
        except Exception as exc:
            self.put(_Failure(exc))
        finally:
            close = getattr(blocking, "close", None)
            if close is not None:
                close()

    async def take(self) -> list[Any]:
        """Everything handed over so far, waiting for at least one item; [] once stopped."""
        while True:
            with self.space:
                if self.items:
                    items = list(self.items)
                    self.items.clear()
                    self.space.notify()
                    return items
                if self.stopped:
                    return []
                waiter = self.loop.create_future()
                self.waiter = waiter
            await waiter

    def stop(self) -> None:
        """Stop the worker (at its next hand-over) and wake the loop; on the loop only."""
        with self.space:
            self.stopped = True
            self.space.notify_all()
            waiter, self.waiter = self.waiter, None
        if waiter is not None:
            _resolve(waiter)


def _resolve(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


class OpenStream:
    """A stream whose first event has arrived: its summary, then its events in batches.

    Each batch is what had arrived when the loop looked: the first event goes out as soon
    as it exists (time to first token is untouched), and a burst becomes one write to the
    client instead of one per event. :meth:`close` must follow, whatever happens.
    """

    def __init__(
        self, info: Mapping[str, Any], pump: _Pump, worker: asyncio.Future[None], early: list[Any]
    ) -> None:
        self.info = info
        self._pump = pump
        self._worker = worker
        self._early = early

    async def batches(self) -> AsyncIterator[list[Any]]:
        batch, self._early = self._early, []
        while True:
            done = bool(batch) and batch[-1] is _DONE
            if done:
                batch.pop()
            elif batch and isinstance(batch[-1], _Failure):
                failure = batch.pop()
                if batch:
                    yield batch
                raise failure.error
            if batch:
                yield batch
            if done:
                return
            batch = await self._pump.take()
            if not batch:  # stopped: the client has gone
                return

    def abandon(self) -> None:
        """Stop without waiting: :meth:`batches` ends, and the worker still closes (ledgers
        and charges) the stream."""
        self._pump.stop()

    async def close(self) -> None:
        """Stop the pump and wait for the worker to close the stream, so it is ledgered and
        charged before the request ends. (If this wait is cancelled, the worker still does
        both, in its own time.)"""
        self._pump.stop()
        await asyncio.shield(self._worker)


async def open_stream(opener: Opener, executor: Executor) -> OpenStream:
    """Run ``opener`` and pump its events in one worker from ``executor``; return once it
    has opened (its error, if it failed to)."""
    loop = asyncio.get_running_loop()
    pump = _Pump(loop)
    worker = loop.run_in_executor(executor, pump.run, opener)
    try:
        batch = await pump.take()
    except BaseException:
        pump.stop()
        raise
    first = batch.pop(0)
    if isinstance(first, _Failure):
        await worker
        raise first.error
    return OpenStream(first.info, pump, worker, batch)


async def disconnected(receive: Receive) -> None:
    """Return when the client hangs up. Only once the request body has been read: any
    message before the disconnect is discarded."""
    while (await receive())["type"] != "http.disconnect":
        pass


class FinalChunk(bytes):
    """The last chunk of a response body: it goes out with the end of the response."""


class EventStreamResponse(StreamingResponse):
    """``text/event-stream`` over an :class:`OpenStream`, which it always closes.

    A client that disconnects abandons the stream, which ends the body. This is watched by
    one plain asyncio task rather than Starlette's anyio task group, which cost more per
    stream than the rest of the response. A body may end with a :class:`FinalChunk`, sent
    in the same write as the end of the chunked body instead of one more write for the
    terminator alone.
    """

    def __init__(
        self, content: AsyncIterator[bytes], stream: OpenStream, headers: Mapping[str, str]
    ) -> None:
        super().__init__(content, media_type="text/event-stream", headers=headers)
        self.stream = stream

    async def __call__(self, scope: Any, receive: Receive, send: Send) -> None:
        watcher = asyncio.ensure_future(self._watch(receive))
        try:
            await self.stream_response(send)
        finally:
            watcher.cancel()
            await self.stream.close()
        if self.background is not None:
            await self.background()

    async def _watch(self, receive: Receive) -> None:
        await disconnected(receive)
        self.stream.abandon()

    async def stream_response(self, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        more = True
        async for chunk in self.body_iterator:
            if more:
                more = not isinstance(chunk, FinalChunk)
                await send({"type": "http.response.body", "body": chunk, "more_body": more})
        if more:
            await send({"type": "http.response.body", "body": b"", "more_body": False})
