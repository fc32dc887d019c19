"""Server-sent events, and a bridge from a blocking iterator to the event loop.

boto3 streams are blocking; each ``next()`` runs in the gateway's thread pool so the loop
never waits on Bedrock. When the client disconnects, the bridge closes the blocking iterator
(in a shielded scope, also in the pool), which closes the upstream stream, writes its ledger
row and charges the key.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import anyio

__all__ = ["Runner", "bridge", "sse_comment", "sse_data", "sse_event"]

Runner = Callable[..., Awaitable[Any]]
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


async def bridge(blocking: Iterator[Any], run: Runner) -> AsyncIterator[Any]:
    """Yield ``blocking``'s items, each fetched by ``run`` (a thread-pool runner)."""
    try:
        while True:
            item = await run(next, blocking, _DONE)
            if item is _DONE:
                break
            yield item
    finally:
        close = getattr(blocking, "close", None)
        if close is not None:
            with anyio.CancelScope(shield=True):
                await run(close)
