"""Server-sent events, and a bridge from a blocking iterator to the event loop.

boto3 streams are blocking; each ``next()`` runs in the worker thread pool so the loop never
waits on Bedrock. When the client disconnects, the bridge closes the blocking iterator (in a
shielded scope), which closes the upstream stream and writes its ledger row.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
from starlette.concurrency import run_in_threadpool

__all__ = ["bridge", "sse_data", "sse_event"]

_DONE = object()


def sse_data(payload: Any) -> bytes:
    text = payload if isinstance(payload, str) else json.dumps(payload, separators=(",", ":"))
    return f"data: {text}\n\n".encode()


def sse_event(name: str, payload: Any) -> bytes:
    return f"event: {name}\ndata: {json.dumps(payload, separators=(',', ':'))}\n\n".encode()


async def bridge(blocking: Iterator[Any]) -> AsyncIterator[Any]:
    try:
        while True:
            item = await run_in_threadpool(next, blocking, _DONE)
            if item is _DONE:
                break
            yield item
    finally:
        close = getattr(blocking, "close", None)
        if close is not None:
            with anyio.CancelScope(shield=True):
                await run_in_threadpool(close)
