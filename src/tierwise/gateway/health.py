"""``GET /healthz`` (the process answers) and ``GET /readyz`` (ledger and upstream reachable).

``/readyz`` answers within :data:`READY_TIMEOUT_S` whatever the ledger does: a database that
is down can hold a connection attempt for seconds, so the ledger is probed on a thread of
its own and the answer does not wait for it past the bound. At most one probe is in flight;
a check that finds the last one still hanging waits on it instead of piling up threads.
"""

from __future__ import annotations

import asyncio
import socket
from concurrent.futures import Future, ThreadPoolExecutor
from urllib.parse import urlsplit

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tierwise.gateway.service import Gateway
from tierwise.store.base import Ledger

__all__ = ["LedgerProbe", "healthz", "readyz"]

READY_TIMEOUT_S = 0.8
"""Each check's bound; they run concurrently, so /readyz answers well within 1 s."""


class LedgerProbe:
    """A one-row read of the ledger, bounded in time, with at most one read in flight."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="tierwise-readyz")
        self._pending: Future[object] | None = None

    async def check(self, timeout_s: float = READY_TIMEOUT_S) -> str:
        if self._pending is None or self._pending.done():
            self._pending = self._executor.submit(self.ledger.rows, limit=1)
        try:
            # shield: a timeout must not cancel the shared probe, which others may await.
            await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(self._pending)), timeout_s)
        except TimeoutError:
            return f"timeout: no answer within {timeout_s:g} s"
        except Exception as exc:  # readiness reports, never raises
            return f"error: {type(exc).__name__}"
        return "ok"

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def _upstream(gw: Gateway) -> str:
    endpoint = (
        gw.settings.endpoint_url or f"https://bedrock-runtime.{gw.settings.region}.amazonaws.com"
    )
    parts = urlsplit(endpoint)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with anyio.fail_after(READY_TIMEOUT_S):
            stream = await anyio.connect_tcp(parts.hostname or "localhost", port)
            await stream.aclose()
    except (OSError, TimeoutError, socket.gaierror):
        return f"unreachable: {parts.hostname}:{port}"
    return "ok"


async def readyz(request: Request) -> Response:
    """Ready when the ledger answers a read and Bedrock's endpoint accepts a TCP connection
    (cheap, unbilled, and needs no model permission); both checked at once, each bounded."""
    gw: Gateway = request.app.state.gateway
    probe: LedgerProbe = request.app.state.ledger_probe
    ledger, upstream = await asyncio.gather(probe.check(), _upstream(gw))
    checks = {"ledger": ledger, "upstream": upstream}
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)
