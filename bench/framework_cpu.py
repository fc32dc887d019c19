"""What the gateway's web framework layers cost per request, the endpoint's own work aside.

Run: python bench/framework_cpu.py [--path /v1/messages] [--mode app|routed|bare] [-n 20000]

Builds the gateway app (``create_app``, no auth, default settings), replaces the model-call
doors' endpoints with one that returns a small JSON answer at once, and calls the app as an
ASGI app ``-n`` times on one uvloop loop:

- ``app``: the app as ``create_app`` builds it (the doors dispatched directly);
- ``routed``: the same app with the direct dispatch turned off: Starlette's whole stack
  (error middleware, access log, exception middleware, router, route, request_response);
- ``bare``: the stub endpoint and its response only, no app around them (the floor).

Prints the loop thread's CPU per request (noisy on a shared machine). For figures that load
does not move, run it under callgrind at two ``-n`` and divide the difference:
``valgrind --tool=callgrind python bench/framework_cpu.py --mode app -n 500`` (then 2500;
per request = (Ir(2500) - Ir(500)) / 2000). Figures only; no thresholds.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

import uvloop
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, request_response
from starlette.types import Message

DOORS = ("/v1/chat/completions", "/v1/messages", "/v1/responses", "/v1/messages/count_tokens")


async def stub(request: Request) -> Response:
    return JSONResponse({"id": "x", "choices": []}, headers={"x-tierwise-request-id": "r"})


def build(mode: str) -> Any:
    from tierwise.config import load_settings
    from tierwise.gateway import create_app

    settings = load_settings(environ={}).settings.with_overrides({"gateway.auth": False})
    app: Any = create_app(settings)
    for route in app.router.routes:
        if isinstance(route, Route) and route.path in DOORS:
            route.endpoint = stub
            route.app = request_response(stub)
    app.middleware_stack = app.build_middleware_stack()
    if mode == "routed":
        if not hasattr(app, "_direct"):
            print("# this tierwise has no direct dispatch: 'routed' is what it always does")
        app._direct = {}
    return app


async def run(app: Any, path: str, mode: str, n: int) -> float:
    scope0 = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "headers": [(b"host", b"bench"), (b"content-length", b"2")],
        "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 2),
    }  # fmt: skip

    async def receive() -> Message:
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message: Message) -> None:
        return None

    began = time.thread_time()
    for _ in range(n):
        scope = dict(scope0)
        if mode == "bare":
            response = await stub(Request(scope, receive, send))
            await response(scope, receive, send)
        else:
            await app(scope, receive, send)
    return (time.thread_time() - began) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--path", default="/v1/messages", choices=DOORS)
    parser.add_argument("--mode", default="app", choices=["app", "routed", "bare"])
    parser.add_argument("-n", type=int, default=20000, help="requests")
    args = parser.parse_args()
    import tierwise

    app = build(args.mode)
    per = uvloop.run(run(app, args.path, args.mode, args.n))
    load = os.getloadavg()[0]
    print(f"# tierwise from {os.path.dirname(tierwise.__file__)}; load {load:.2f}", file=sys.stderr)
    print(f"{args.mode} {args.path}: {per * 1e6:.2f} us loop CPU per request ({args.n} requests)")


if __name__ == "__main__":
    main()
