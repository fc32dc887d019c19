"""The composition root: ``create_app(settings)`` wires the client, keys and routes."""

from __future__ import annotations

import gc
import logging
import os
import traceback
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from tierwise.bedrock.session import is_loopback_host as is_loopback
from tierwise.client import Tierwise
from tierwise.config import Settings, load_settings
from tierwise.errors import ConfigError
from tierwise.gateway import (
    access,
    admin_routes,
    anthropic_routes,
    health,
    model_routes,
    openai_routes,
    openapi,
    responses_routes,
)
from tierwise.gateway.errors import Dialect, error_response
from tierwise.gateway.headers import EXPOSED_HEADERS
from tierwise.gateway.limits import RateLimits
from tierwise.gateway.service import Gateway
from tierwise.gateway.streaming import RAW_SEND
from tierwise.store.keys import KeyStore
from tierwise.store.sql import SQLLedger

__all__ = ["app_from_environment", "create_app", "is_loopback"]

_log = logging.getLogger("tierwise.gateway")


def _key_store(tierwise: Tierwise) -> KeyStore | None:
    ledger = tierwise.ledger
    return KeyStore(ledger) if isinstance(ledger, SQLLedger) else None


async def _dashboard(request: Request) -> Response:
    page = resources.files("tierwise.gateway").joinpath("static", "dashboard.html")
    return HTMLResponse(page.read_text("utf-8"))


def _dialect(request: Request) -> Dialect:
    # Anthropic's SDKs send anthropic-version on every request, to any path (/v1/complete,
    # /v1/messages/batches): its errors then come in the shape that SDK parses.
    anthropic = request.url.path.startswith("/v1/messages") or (
        "anthropic-version" in request.headers
    )
    return Dialect.ANTHROPIC if anthropic else Dialect.OPENAI


# What an unknown path's 404 says: the APIs served, so a client pointed at an endpoint
# tierwise does not have (embeddings, legacy completions, files, batches) learns which.
_SERVED = (
    "this gateway serves POST /v1/chat/completions, /v1/responses, /v1/messages and "
    "/v1/messages/count_tokens, and GET /v1/models; embeddings, legacy completions, files, "
    "audio, images and batch endpoints are not served (call Bedrock for embeddings; "
    "`tierwise batch` sends batch work)"
)


# The scope key of a path as sent when _GatewayApp served it without its trailing slash.
_SENT_PATH = "tierwise.sent_path"


async def _http_error(request: Request, exc: Exception) -> Response:
    """Unknown paths and wrong methods, in the caller's API format."""
    status = getattr(exc, "status_code", 404)
    path = request.scope.get(_SENT_PATH, request.url.path)
    message = f"{request.method} {path}: {getattr(exc, 'detail', 'not found')}"
    if status == 404:
        message += f" ({_SERVED})"
    if _dialect(request) is Dialect.ANTHROPIC:
        error_type = "not_found_error" if status == 404 else "invalid_request_error"
        body: dict[str, object] = {
            "type": "error",
            "error": {"type": error_type, "message": message},
        }
    else:
        body = {"error": {"message": message, "type": "invalid_request_error", "param": None,
                          "code": None}}  # fmt: skip
    return JSONResponse(body, status_code=status)


async def _unexpected(request: Request, exc: Exception) -> Response:
    """The last net: an opaque 500 in the caller's format, the class logged with where it
    was raised (the traceback's frames, not its message, which can quote the request)."""
    record = access.current()
    if record is not None:
        record.failed(exc)
    _log.error(
        "unexpected %s, raised at (message left out):\n%s",
        type(exc).__name__,
        "".join(traceback.format_tb(exc.__traceback__)).rstrip(),
    )
    return error_response(exc, _dialect(request))


class _GatewayApp(Starlette):
    """Starlette, telling streamed responses where the server's own ``send`` is, and serving
    a path with one trailing slash as the path without it.

    Its middleware (Starlette's error handling, the access log) only reads the
    ``http.response.start`` message: the body messages of a stream, one per event, may go
    to the server directly (:data:`~tierwise.gateway.streaming.RAW_SEND`). Any other
    middleware added to the app turns this off."""

    # Whether only create_app's own middleware is installed.
    raw_send = True

    def add_middleware(self, *args: Any, **kwargs: Any) -> None:
        self.raw_send = False
        super().add_middleware(*args, **kwargs)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if self.raw_send:
                scope[RAW_SEND] = send
            path = scope["path"]
            if len(path) > 1 and path[-1] == "/":
                # /v1/chat/completions/ is served as /v1/chat/completions: Starlette answers
                # it with a 307 to the path without the slash, which POST clients do not all
                # follow (or follow as a GET). One slash only: "//" stays an unknown path.
                scope["path"] = path[:-1]
                scope[_SENT_PATH] = path  # what a 404 or 405 quotes: the path as sent
                raw = scope.get("raw_path")
                if isinstance(raw, bytes) and raw.endswith(b"/"):
                    scope["raw_path"] = raw[:-1]
        try:
            await super().__call__(scope, receive, send)
        except Exception:
            # Starlette's error middleware raises again what _unexpected has answered (500)
            # and logged, for the server to log too: uvicorn would log the traceback with
            # the exception's message, which can quote the request or the answer.
            if scope["type"] != "http":
                raise


def create_app(
    settings: Settings,
    *,
    tierwise: Tierwise | None = None,
    keys: KeyStore | None = None,
    auth: bool | None = None,
    limits: RateLimits | None = None,
) -> Starlette:
    """The gateway app. ``auth`` defaults to ``[gateway] auth``; everything lives on
    ``app.state.gateway``, nothing in module globals."""
    client = tierwise or Tierwise.from_settings(settings)
    gateway = Gateway(
        settings,
        client,
        keys if keys is not None else _key_store(client),
        auth=settings.gateway.auth if auth is None else auth,
        limits=limits,
    )

    probe = health.LedgerProbe(client.ledger)
    replayer = None
    if client.spool is not None and isinstance(client.ledger, SQLLedger):
        from tierwise.store.spool import SpoolReplayer

        replayer = SpoolReplayer(client.spool, client.ledger, gateway.keys)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.gateway.threads
        if replayer is not None:
            # Started before the collector is changed: if it cannot start, the process is
            # left as it was (the finally below is not reached).
            replayer.start()  # also replays what a previous process spooled
        freeze = settings.gateway.freeze_gc
        if freeze:
            gc.collect()  # what startup left as garbage is freed, not frozen for good
            gc.freeze()
        # Each in-flight call holds ~220 tracked objects that outlive the young collections,
        # so at 400 in flight a full collection walks ~90k objects and stalls every request
        # for 40-100 ms; steady state makes ~3 objects of cyclic garbage per request
        # (botocore's per-response parser), so full collections can be rare; middle ones
        # come more often and so walk fewer objects each (defaults.toml).
        thresholds = gc.get_threshold()
        gc.set_threshold(*settings.gateway.gc_thresholds)
        try:
            yield
        finally:
            if replayer is not None:
                replayer.stop()
            gc.set_threshold(*thresholds)
            if freeze:
                gc.unfreeze()
            # Streams still owing their rows, and calls cut off by their deadline that still
            # run, are ledgered while the pool and the ledger are up.
            await gateway.engine.close_streams()
            await gateway.engine.driver.close()
            if gateway.images is not None:
                await gateway.images.aclose()
            gateway.close()
            probe.close()
            if tierwise is None:
                client.close()

    routes = [
        Route("/v1/chat/completions", openai_routes.chat_completions, methods=["POST"]),
        Route("/v1/responses", responses_routes.responses, methods=["POST"]),
        Route("/v1/models", model_routes.list_models, methods=["GET"]),
        Route("/v1/models/{model_id:path}", model_routes.get_model, methods=["GET"]),
        Route("/v1/messages", anthropic_routes.messages, methods=["POST"]),
        Route("/v1/messages/count_tokens", anthropic_routes.count_tokens, methods=["POST"]),
        Route("/v1/spend", admin_routes.spend, methods=["GET"]),
        Route("/v1/credits", admin_routes.credits, methods=["GET"]),
        Route("/v1/captures", admin_routes.captures, methods=["GET"]),
        Route("/metrics", admin_routes.metrics, methods=["GET"]),
        Route("/dashboard", _dashboard, methods=["GET"]),
        Mount("/dashboard/static", StaticFiles(packages=[("tierwise.gateway", "static")])),
        Route("/healthz", health.healthz, methods=["GET"]),
        Route("/openapi.json", openapi.openapi_json, methods=["GET"]),
        Route("/readyz", health.readyz, methods=["GET"]),
    ]
    middleware = [Middleware(access.AccessLog)] if settings.gateway.access_log else []
    origins = settings.gateway.cors_origins
    if origins:
        # Outermost, so a preflight (no API key) is answered before auth or logging. It
        # only adds headers to http.response.start: a stream's body may still bypass it.
        middleware.insert(
            0,
            Middleware(
                CORSMiddleware,
                allow_origins=list(origins),
                allow_methods=["GET", "POST"],
                allow_headers=["*"],
                expose_headers=list(EXPOSED_HEADERS),
                max_age=600,
            ),
        )
    app = _GatewayApp(
        routes=routes,
        middleware=middleware,
        lifespan=lifespan,
        exception_handlers={HTTPException: _http_error, Exception: _unexpected},
    )
    # Paths are served with or without a trailing slash (_GatewayApp), so there is nothing
    # to redirect to: an unknown path is the 404 naming the endpoints served.
    app.router.redirect_slashes = False
    app.state.gateway = gateway
    app.state.ledger_probe = probe
    return app


def app_from_environment() -> Starlette:
    """Factory for ``uvicorn --factory`` (several workers): settings from the environment."""
    from tierwise.gateway.logs import configure_logging

    settings = load_settings(os.environ.get("TIERWISE_CONFIG") or None).settings
    configure_logging(settings.gateway.log_level, settings.gateway.log_format)
    if not settings.gateway.auth and not is_loopback(settings.gateway.host):
        raise ConfigError("refusing to serve without auth on a non-loopback address")
    return create_app(settings)
