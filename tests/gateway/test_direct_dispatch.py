"""The model-call routes are dispatched without Starlette's router (bench/results/
request_cpu.txt, section 13): what a request sees and gets back must be what the whole
stack gives it, for answers, handled and unhandled errors, and the access log."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, Router, request_response
from starlette.types import Message, Receive, Scope, Send

from tierwise.config import Settings
from tierwise.gateway import create_app
from tierwise.gateway.access import ACCESS_LOGGER
from tierwise.gateway.streaming import RAW_SEND

_DOORS = ("/v1/chat/completions", "/v1/messages", "/v1/responses", "/v1/messages/count_tokens")


class _Seen:
    """What the test endpoints saw of their scope."""

    def __init__(self) -> None:
        self.scopes: list[dict[str, Any]] = []


def _comparable(scope: Scope) -> dict[str, Any]:
    """The scope, its keys in order, with the app's own objects (two apps are compared)
    named by what they are."""
    handlers, statuses = scope["starlette.exception_handlers"]
    named = {
        "app": scope["app"] is scope["router"] or type(scope["app"]).__name__,
        "router": scope["router"] is scope["app"].router,
        "route": (scope["route"].path, scope["route"].methods),
        "endpoint": scope["endpoint"].__qualname__,
        "starlette.exception_handlers": (
            [(cls.__name__, getattr(h, "__qualname__", None)) for cls, h in handlers.items()],
            statuses,
        ),
        RAW_SEND: callable(scope[RAW_SEND]),
    }
    return {k: named.get(k, v) for k, v in scope.items()}


def _endpoints(seen: _Seen) -> dict[str, Any]:
    async def answer(request: Request) -> Response:
        seen.scopes.append(_comparable(request.scope) | {"body": await request.body()})
        return JSONResponse({"ok": request.url.path}, headers={"x-tierwise-request-id": "r1"})

    async def http_error(request: Request) -> Response:
        raise HTTPException(status_code=409, detail="taken")

    async def crash(request: Request) -> Response:
        raise RuntimeError("the message must not leave")

    class _HalfSent(Response):
        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            await send({"type": "http.response.start", "status": 200, "headers": []})
            raise RuntimeError("failed after the start")

    async def half(request: Request) -> Response:
        return _HalfSent()

    return {"answer": answer, "http_error": http_error, "crash": crash, "half": half}


def _app(settings: Settings, endpoint: Any, *, routed: bool, middleware: bool = False) -> Any:
    """The gateway app with every door's endpoint replaced by ``endpoint``; ``routed``
    turns the direct dispatch off (the whole Starlette stack, as before)."""
    app: Any = create_app(settings.with_overrides({"gateway.access_log": True}), auth=False)
    for route in app.router.routes:
        if isinstance(route, Route) and route.path in _DOORS:
            route.endpoint = endpoint
            route.app = request_response(endpoint)
    if middleware:

        class _Pass:
            def __init__(self, inner: Any) -> None:
                self.inner = inner

            async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
                await self.inner(scope, receive, send)

        app.add_middleware(_Pass)
    app.middleware_stack = app.build_middleware_stack()
    if routed:
        app._direct = {}
    return app


async def _request(
    app: Any, path: str, method: str = "POST", root_path: str = ""
) -> tuple[list[Message], str | None]:
    scope = {
        "type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1", "method": method, "scheme": "http", "path": path,
        "raw_path": path.encode(), "query_string": b"", "root_path": root_path,
        "headers": [(b"host", b"testserver"), (b"content-type", b"application/json")],
        "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000),
    }  # fmt: skip
    sent: list[Message] = []
    received = False

    async def receive() -> Message:
        nonlocal received
        if not received:
            received = True
            return {"type": "http.request", "body": b'{"a": 1}', "more_body": False}
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    raised = None
    try:
        await app(scope, receive, send)
    except Exception as exc:  # the app lets none out for http: this would be a change
        raised = type(exc).__name__
    return sent, raised


def _access_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    lines = []
    for record in caplog.records:
        if record.name == ACCESS_LOGGER:
            fields = dict(record.access)  # type: ignore[attr-defined]
            fields["latency_ms"] = None  # a timing
            if fields["request_id"] not in ("r1", None):  # a fresh uuid4 per request
                fields["request_id"] = len(fields["request_id"])
            lines.append(fields)
    return lines


def _masked(messages: list[Message]) -> list[Message]:
    """The messages with the access log's fresh request id (uuid4 hex) replaced by its
    length."""
    out = []
    for message in messages:
        headers = [
            (k, str(len(v)).encode() if k == b"x-tierwise-request-id" and v != b"r1" else v)
            for k, v in message.get("headers", ())
        ]
        out.append({**message, "headers": headers} if "headers" in message else message)
    return out


@pytest.mark.parametrize("kind", ["answer", "http_error", "crash", "half"])
@pytest.mark.parametrize("path", _DOORS)
def test_direct_dispatch_answers_as_the_router_does(
    default_settings: Settings, caplog: pytest.LogCaptureFixture, kind: str, path: str
) -> None:
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    results = []
    for routed in (True, False):
        seen = _Seen()
        app = _app(default_settings, _endpoints(seen)[kind], routed=routed)
        caplog.clear()
        sent, raised = asyncio.run(_request(app, path))
        results.append((_masked(sent), raised, _access_lines(caplog), seen.scopes))
    assert results[0] == results[1]
    sent, raised, lines, scopes = results[1]
    assert raised is None and len(lines) == 1
    status = {"answer": 200, "http_error": 409, "crash": 500, "half": 200}[kind]
    assert sent[0]["status"] == status
    if kind == "answer":
        (scope,) = scopes
        assert scope["route"][0] == path and scope["path_params"] == {}
        assert scope["body"] == b'{"a": 1}' and scope["router"] and scope["app"] == "_GatewayApp"


def _router_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    routed = Router.__call__

    async def counting(self: Router, scope: Scope, receive: Receive, send: Send) -> None:
        calls.append(scope["path"])
        await routed(self, scope, receive, send)

    monkeypatch.setattr(Router, "__call__", counting)
    return calls


def test_model_calls_skip_the_router(
    default_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _router_calls(monkeypatch)
    app = _app(default_settings, _endpoints(_Seen())["answer"], routed=False)
    for path in _DOORS:
        sent, _ = asyncio.run(_request(app, path))
        assert sent[0]["status"] == 200
    assert calls == []


@pytest.mark.parametrize(
    ("path", "method", "root_path", "middleware"),
    [
        ("/v1/chat/completions", "GET", "", False),  # 405 from the route
        ("/v1/messages", "PUT", "", False),
        ("/api/v1/messages", "POST", "/api", False),  # behind a proxy's prefix
        ("/v1/messages", "POST", "", True),  # other middleware: the whole stack
        ("/v1/models", "GET", "", False),
        ("/v1/chat/completions/", "POST", "", False),  # not a door's path
    ],
)
def test_everything_else_goes_through_the_router(
    default_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    path: str,
    method: str,
    root_path: str,
    middleware: bool,
) -> None:
    calls = _router_calls(monkeypatch)
    results = []
    for routed in (True, False):
        app = _app(default_settings, _endpoints(_Seen())["answer"], routed=routed,
                   middleware=middleware)  # fmt: skip
        results.append(_masked(asyncio.run(_request(app, path, method, root_path))[0]))
    assert results[0] == results[1]
    assert calls == [path, path]
