"""What the access log costs per request, in isolation: the middleware, the record the gateway
fills in and the formatted line written to a file, around an app that does nothing else.

Run: python bench/access_log_cost.py [--requests 20000] [--repeats 5]

Each repeat times the same requests three ways (access log off by level, text lines, JSON
lines) in interleaved order; the figure is the median over repeats of microseconds per
request, and "added" is against "off". Compare with the gateway's per-request overhead from
bench/gateway_overhead.py (x-tierwise-overhead-ms). Figures only, no thresholds.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import tempfile
import time
from typing import Any

from tierwise.gateway import access
from tierwise.gateway.logs import configure_logging

INFO: dict[str, Any] = {
    "tier": "haiku",
    "modelId": "global.anthropic.claude-haiku-4-5-20251001-v1:0",
    "costUsd": "0.000498",
    "requestId": "0cd7b2bd633344d584a7f6b0992b2994",
    "attempts": [
        {"kind": "answer", "usage": {"inputTokens": 812, "outputTokens": 98}},
    ],
}


async def _app(scope: Any, receive: Any, send: Any) -> None:
    record = access.current()
    if record is not None:  # what the gateway notes on a real request
        record.key = "search-team"
        record.model = "auto"
        record.call(INFO, 0.8)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


async def _run(n: int) -> float:
    middleware = access.AccessLog(_app)
    scope = {"type": "http", "method": "POST", "path": "/v1/chat/completions"}

    async def receive() -> Any:
        return {"type": "http.request", "body": b""}

    async def send(message: Any) -> None:
        return None

    started = time.perf_counter()
    for _ in range(n):
        await middleware(scope, receive, send)
    return (time.perf_counter() - started) / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    results: dict[str, list[float]] = {"off": [], "text": [], "json": []}
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "access.log")
        for _ in range(args.repeats):
            for mode, times in results.items():
                with open(path, "a", encoding="utf-8") as sink:
                    level = "warning" if mode == "off" else "info"
                    fmt = "json" if mode == "json" else "text"
                    handler = configure_logging(level, fmt, stream=sink)  # type: ignore[arg-type]
                    times.append(asyncio.run(_run(args.requests)))
                    logging.getLogger().removeHandler(handler)
        lines = sum(1 for _ in open(path, encoding="utf-8"))  # noqa: SIM115
    off = statistics.median(results["off"])
    print(f"requests per mode and repeat: {args.requests}, repeats: {args.repeats}")
    print(f"lines written: {lines}")
    for mode, values in results.items():
        median = statistics.median(values)
        added = "" if mode == "off" else f"  added {median - off:6.1f} us"
        print(f"{mode:>5}: {median:6.1f} us/request (min {min(values):.1f}){added}")


if __name__ == "__main__":
    main()
