"""``GET /healthz`` (the process answers) and ``GET /readyz`` (ledger and upstream reachable)."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tierwise.gateway.service import Gateway

__all__ = ["healthz", "readyz"]

UPSTREAM_TIMEOUT_S = 2.0


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    """Ready when the ledger answers a read and Bedrock's endpoint accepts a TCP connection
    (cheap, unbilled, and needs no model permission)."""
    gw: Gateway = request.app.state.gateway
    checks: dict[str, str] = {}
    try:
        await gw.run(gw.tierwise.ledger.rows, limit=1)
        checks["ledger"] = "ok"
    except Exception as exc:  # readiness reports, never raises
        checks["ledger"] = f"error: {type(exc).__name__}"
    endpoint = (
        gw.settings.endpoint_url or f"https://bedrock-runtime.{gw.settings.region}.amazonaws.com"
    )
    parts = urlsplit(endpoint)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with anyio.fail_after(UPSTREAM_TIMEOUT_S):
            stream = await anyio.connect_tcp(parts.hostname or "localhost", port)
            await stream.aclose()
        checks["upstream"] = "ok"
    except (OSError, TimeoutError, socket.gaierror):
        checks["upstream"] = f"unreachable: {parts.hostname}:{port}"
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)
