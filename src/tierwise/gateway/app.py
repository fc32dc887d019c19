"""The composition root: ``create_app(settings)`` wires the client, keys and routes."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from urllib.parse import urlsplit

import anyio
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from tierwise.client import Tierwise
from tierwise.config import Settings, load_settings
from tierwise.errors import ConfigError
from tierwise.gateway import admin_routes, anthropic_routes, openai_routes
from tierwise.gateway.service import Gateway
from tierwise.store.keys import KeyStore
from tierwise.store.sql import SQLLedger

__all__ = ["app_from_environment", "create_app", "is_loopback"]


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _key_store(tierwise: Tierwise) -> KeyStore | None:
    ledger = tierwise.ledger
    return KeyStore(ledger) if isinstance(ledger, SQLLedger) else None


async def _dashboard(request: Request) -> Response:
    page = resources.files("tierwise.gateway").joinpath("static", "dashboard.html")
    return HTMLResponse(page.read_text("utf-8"))


async def _healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def _readyz(request: Request) -> Response:
    gw: Gateway = request.app.state.gateway
    checks: dict[str, str] = {}
    try:
        await run_in_threadpool(gw.tierwise.ledger.rows, limit=1)
        checks["ledger"] = "ok"
    except Exception as exc:  # readiness reports, never raises
        checks["ledger"] = f"error: {type(exc).__name__}"
    endpoint = (
        gw.settings.endpoint_url or f"https://bedrock-runtime.{gw.settings.region}.amazonaws.com"
    )
    parts = urlsplit(endpoint)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with anyio.fail_after(2):
            stream = await anyio.connect_tcp(parts.hostname or "localhost", port)
            await stream.aclose()
        checks["upstream"] = "ok"
    except (OSError, TimeoutError, socket.gaierror):
        checks["upstream"] = f"unreachable: {parts.hostname}:{port}"
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)


def create_app(
    settings: Settings,
    *,
    tierwise: Tierwise | None = None,
    keys: KeyStore | None = None,
    auth: bool | None = None,
) -> Starlette:
    """The gateway app. ``auth`` defaults to ``[gateway] auth``; everything lives on
    ``app.state.gateway``, nothing in module globals."""
    client = tierwise or Tierwise.from_settings(settings)
    gateway = Gateway(
        settings,
        client,
        keys if keys is not None else _key_store(client),
        auth=settings.gateway.auth if auth is None else auth,
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.gateway.threads
        yield
        if tierwise is None:
            client.close()

    routes = [
        Route("/v1/chat/completions", openai_routes.chat_completions, methods=["POST"]),
        Route("/v1/models", openai_routes.list_models, methods=["GET"]),
        Route("/v1/messages", anthropic_routes.messages, methods=["POST"]),
        Route("/v1/messages/count_tokens", anthropic_routes.count_tokens, methods=["POST"]),
        Route("/v1/spend", admin_routes.spend, methods=["GET"]),
        Route("/v1/credits", admin_routes.credits, methods=["GET"]),
        Route("/metrics", admin_routes.metrics, methods=["GET"]),
        Route("/dashboard", _dashboard, methods=["GET"]),
        Mount("/dashboard/static", StaticFiles(packages=[("tierwise.gateway", "static")])),
        Route("/healthz", _healthz, methods=["GET"]),
        Route("/readyz", _readyz, methods=["GET"]),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.gateway = gateway
    return app


def app_from_environment() -> Starlette:
    """Factory for ``uvicorn --factory`` (several workers): settings from the environment."""
    settings = load_settings(os.environ.get("TIERWISE_CONFIG") or None).settings
    if not settings.gateway.auth and not is_loopback(settings.gateway.host):
        raise ConfigError("refusing to serve without auth on a non-loopback address")
    return create_app(settings)
