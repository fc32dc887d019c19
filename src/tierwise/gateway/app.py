"""The composition root: ``create_app(settings)`` wires the client, keys and routes."""

from __future__ import annotations

import gc
import inspect
import ipaddress
import logging
import os
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any

import anyio
from starlette._exception_handler import wrap_app_handling_exceptions
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Match, Mount, Route, Router
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, ExceptionHandler, Receive, Scope, Send

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
from tierwise.gateway.limits import RateLimits
from tierwise.gateway.service import Gateway
from tierwise.gateway.streaming import RAW_SEND
from tierwise.store.keys import KeyStore
from tierwise.store.sql import SQLLedger

__all__ = ["app_from_environment", "create_app", "is_loopback"]

_log = logging.getLogger("tierwise.gateway")


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


def _dialect(request: Request) -> Dialect:
    return Dialect.ANTHROPIC if request.url.path.startswith("/v1/messages") else Dialect.OPENAI


async def _http_error(request: Request, exc: Exception) -> Response:
    """Unknown paths and wrong methods, in the caller's API format."""
    status = getattr(exc, "status_code", 404)
    message = f"{request.method} {request.url.path}: {getattr(exc, 'detail', 'not found')}"
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
    """Starlette, telling streamed responses where the server's own ``send`` is, and
    dispatching the model-call routes without the router.

    Its middleware (Starlette's error handling, the access log) only reads the
    ``http.response.start`` message: the body messages of a stream, one per event, may go
    to the server directly (:data:`~tierwise.gateway.streaming.RAW_SEND`). Any other
    middleware added to the app turns this off, and the direct dispatch with it.

    Direct dispatch: a POST to a model-call path (:data:`_DIRECT_PATHS`) runs through
    Starlette's own error middleware and the app's middleware into the route's endpoint,
    skipping the exception middleware's second ``Request`` and handler wrap, the walk over
    every route's pattern and ``Route.handle``: per request, ~90 k instructions of the
    ~150 k the framework layers cost (bench/results/request_cpu.txt, section 13). The
    endpoint sees the scope the router would have built and the same exception handlers;
    anything else (another method, a ``root_path``, a path an earlier route would take)
    goes through the whole stack."""

    # Whether only create_app's own middleware is installed.
    raw_send = True
    # path -> (route, the stack that serves it directly); built with the middleware stack.
    _direct: dict[str, tuple[Route, ASGIApp]] | None = None

    def add_middleware(self, *args: Any, **kwargs: Any) -> None:
        self.raw_send = False
        super().add_middleware(*args, **kwargs)

    def build_middleware_stack(self) -> ASGIApp:
        stack = super().build_middleware_stack()
        self._direct = self._direct_stacks() if self.raw_send else {}
        return stack

    def _direct_stacks(self) -> dict[str, tuple[Route, ASGIApp]]:
        """The stack of each model-call route Starlette would reach first for a POST to its
        path: the same error middleware (its handler and debug flag) and user middleware as
        :meth:`build_middleware_stack`, around :class:`_Endpoint` instead of the exception
        middleware and the router."""
        if self.max_body_size is not None:  # Starlette would add its body-limit middleware
            return {}
        error_handler = None
        exception_handlers: dict[Any, ExceptionHandler] = {}
        for key, value in self.exception_handlers.items():
            if key in (500, Exception):
                error_handler = value
            else:
                exception_handlers[key] = value
        # What ExceptionMiddleware puts in the scope for the endpoint's handler wrap.
        handlers = ExceptionMiddleware(self.router, handlers=exception_handlers)
        table = (handlers._exception_handlers, handlers._status_handlers)
        direct: dict[str, tuple[Route, ASGIApp]] = {}
        for path in _DIRECT_PATHS:
            route = _first_route(self.router.routes, path)
            if route is None:
                continue
            app: ASGIApp = _Endpoint(self.router, route, table)
            for cls, args, kwargs in reversed(self.user_middleware):
                app = cls(app, *args, **kwargs)
            app = ServerErrorMiddleware(app, handler=error_handler, debug=self.debug)
            direct[path] = (route, app)
        return direct

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.raw_send and scope["type"] == "http":
            scope[RAW_SEND] = send
        try:
            direct = self._direct
            entry = (
                direct.get(scope["path"])
                if direct and scope["type"] == "http" and scope["method"] == "POST"
                and not scope.get("root_path")
                else None
            )  # fmt: skip
            if entry is not None:
                scope["app"] = self  # as Starlette.__call__
                await entry[1](scope, receive, send)
            else:
                await super().__call__(scope, receive, send)
        except Exception:
            # Starlette's error middleware raises again what _unexpected has answered (500)
            # and logged, for the server to log too: uvicorn would log the traceback with
            # the exception's message, which can quote the request or the answer.
            if scope["type"] != "http":
                raise


# The routes served without the router: the model calls (count_tokens is one too: a Bedrock
# call per request). The rest are rare or cheap already.
_DIRECT_PATHS = ("/v1/chat/completions", "/v1/messages", "/v1/responses",
                 "/v1/messages/count_tokens")  # fmt: skip


def _post_scope(path: str) -> Scope:
    return {"type": "http", "method": "POST", "path": path, "root_path": ""}


def _first_route(routes: list[BaseRoute], path: str) -> Route | None:
    """The route Starlette's router hands a POST to ``path`` (with no ``root_path``): the
    first that matches it fully, when that is a :class:`Route` of an async endpoint taking
    no path parameters (what :class:`_Endpoint` can call as the router would)."""
    scope = _post_scope(path)
    for route in routes:
        match, child = route.matches(scope)
        if match is Match.FULL:
            if (
                type(route) is Route
                and child.get("path_params") == {}
                and inspect.iscoroutinefunction(route.endpoint)
            ):
                return route
            return None
    return None


class _Endpoint:
    """A route's endpoint as the router, ``Route.handle`` and ``request_response`` run it
    for a POST it matches: the scope gets the exception handlers, the router, the route,
    its endpoint and (empty) path parameters, in the router's order; the endpoint's
    response is sent, and an exception with a handler (``HTTPException``: a reply in the
    caller's format) becomes its response, as Starlette's wrap does. Starlette wraps twice
    (exception middleware and route) with the same handlers; once is the same unless a
    handler itself raises, which the app's handlers do not."""

    def __init__(
        self, router: Router, route: Route, handlers: tuple[dict[Any, Any], dict[int, Any]]
    ) -> None:
        self.router = router
        self.route = route
        self.endpoint: Callable[[Request], Awaitable[Response]] = route.endpoint
        self.handlers = handlers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["starlette.exception_handlers"] = self.handlers
        if "router" not in scope:
            scope["router"] = self.router
        scope["route"] = self.route
        scope["endpoint"] = self.endpoint
        scope["path_params"] = dict(scope.get("path_params", {}))
        request = Request(scope, receive, send)
        endpoint = self.endpoint

        async def respond(scope: Scope, receive: Receive, send: Send) -> None:
            response = await endpoint(request)
            await response(scope, receive, send)

        await wrap_app_handling_exceptions(respond, request)(scope, receive, send)


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
    app = _GatewayApp(
        routes=routes,
        middleware=[Middleware(access.AccessLog)] if settings.gateway.access_log else [],
        lifespan=lifespan,
        exception_handlers={HTTPException: _http_error, Exception: _unexpected},
    )
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
