"""The gateway's own CPU per request: before the first byte, and per streamed event.

Run: python bench/request_cpu.py [--streams 300] [--calls 300] [--stream-ms 150] [--repeats 3]
     [--distinct] [--long TOKENS] [--door openai|anthropic|responses] [--loop uvloop|asyncio]
     [--profile FILE]

Why CPU and not latency: on a shared machine wall time measures the neighbours; the CPU a
request costs the gateway's event loop is what queues other requests' first bytes behind it
(bench/results/concurrency.txt, sections H and I).

Starts ``tierwise emulator`` as its own process (so its CPU is not counted), builds the
gateway app in this process (``create_app``, no auth, routing on: model "auto", SQLite
ledger in a temporary directory, the default settings otherwise) and calls it directly as
an ASGI app on one event loop, one request at a time (uvicorn's request parse and socket
writes, ~0.1 ms per request and a few us per event, are not included). With nothing else on
the loop, the event-loop thread's CPU (``time.thread_time``) between two points is that
request's own:

- ``first byte``: from the ASGI call to the first body message with content (for a stream,
  its first event; for a call, the whole answer): routing, plan, the Bedrock request
  (serialise, sign, send, response head), failover bookkeeping and the first event;
- ``per event``: a stream's loop CPU from its first byte to its last body message, divided
  by its body messages after the first (paced, the upstream events arrive one read at a
  time, as at 400 paced clients, and each is one message: 77 events, ~76 messages, the
  last with the closing comment); the stream's end, ledger handoff included, is in it;
- ``process``: the whole process's CPU (every thread: the ledger row's insert too) per
  request.

The emulator paces streams (``--stream-ms`` for the ~77 events of the stream prompt), so
each event is its own read; calls answer at once. Every request carries the same prompt, as
bench/concurrency.py's do, unless ``--distinct`` (a numbered prompt per request): the router
keeps the previous request's text features, so repeating a prompt leaves most of the
routing decision's cost out. Each figure is the median over
``--repeats`` rounds (warm-up first, not measured). Compare an older checkout in the same
session with ``PYTHONPATH=/path/to/old/src python bench/request_cpu.py`` (this script
imports tierwise from wherever Python finds it and says which). ``--profile FILE`` writes a
cProfile of the measured calls and streams to FILE.call and FILE.stream (read them with
``python -m pstats``). Figures only; no
thresholds.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from concurrency import (
    CALL_PROMPT,
    STREAM_MAX_TOKENS,
    STREAM_PROMPT,
    free_port,
    probe_stream_pacing,
    stop_all,
    wait_for,
)


@dataclass
class Sample:
    first_ms: list[float] = field(default_factory=list)
    event_us: list[float] = field(default_factory=list)
    process_ms: list[float] = field(default_factory=list)
    events: int = 0
    messages: int = 0  # body messages the measured requests sent (a stream's: its batches + 1)
    requests: int = 0


def document(tokens: int) -> str:
    """A report of about ``tokens`` tokens (tierwise's estimate), the same every call."""
    lines = []
    for i in range(max(1, tokens // 16)):
        lines.append(f"Depot {i % 23} shipped {i * 37 % 1000} pallets in week {i % 52}; "
                     f"{i * 11 % 17} arrived late.")  # fmt: skip
    return "Weekly depot report:\n" + "\n".join(lines)


# The doors the requests may go through (--door): Chat Completions, the Messages API (its
# system prompt at the top level) or the Responses API (the prompt as its input, a system
# prompt as its instructions).
DOORS = {
    "openai": "/v1/chat/completions",
    "anthropic": "/v1/messages",
    "responses": "/v1/responses",
}


def body(stream: bool, number: int | None = None, long: int = 0, door: str = "openai") -> bytes:
    prompt, max_tokens = (STREAM_PROMPT, STREAM_MAX_TOKENS) if stream else (CALL_PROMPT, 60)
    if number is not None:
        prompt += f" (request {number})"
    if door == "responses":
        request: dict[str, Any] = {"model": "auto", "input": prompt,
                                   "max_output_tokens": max_tokens, "stream": stream}  # fmt: skip
        if long:
            request["instructions"] = document(long)
        return json.dumps(request).encode()
    messages: list[dict[str, Any]] = [{"role": "user", "content": prompt}]
    fields: dict[str, Any] = {}
    if long and door == "anthropic":
        fields["system"] = document(long)
    elif long:
        messages.insert(0, {"role": "system", "content": document(long)})
    return json.dumps(
        {"model": "auto", "messages": messages, "max_tokens": max_tokens, "stream": stream,
         **fields}
    ).encode()  # fmt: skip


async def one(
    app: Any, payload: bytes, stream: bool, door: str = "openai"
) -> tuple[float, float, int, float]:
    """(loop CPU s to the first byte, loop CPU s after it, body messages, process CPU s)."""
    scope = {
        "type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": DOORS[door], "raw_path": DOORS[door].encode(),
        "query_string": b"", "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), (b"content-type", b"application/json"),
                    (b"anthropic-version", b"2023-06-01"),
                    (b"content-length", str(len(payload)).encode())],
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000),
    }  # fmt: skip
    sent = False
    done = asyncio.Event()
    first = last = 0.0
    messages = 0
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": payload, "more_body": False}
        await done.wait()  # the client stays connected until the response ends
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal first, last, messages, status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            if message.get("body"):
                messages += 1
                if not first:
                    first = time.thread_time()
            if not message.get("more_body"):
                last = time.thread_time()
                done.set()

    began, began_process = time.thread_time(), time.process_time()
    await app(scope, receive, send)
    if status != 200:
        raise RuntimeError(f"gateway answered HTTP {status}")
    return first - began, last - first, messages, time.process_time() - began_process


async def rounds(
    app: Any,
    stream: bool,
    count: int,
    repeats: int,
    events: int,
    profile: str | None,
    distinct: bool = False,
    long: int = 0,
    door: str = "openai",
) -> Sample:
    numbers = itertools.count()

    def payload() -> bytes:
        return body(stream, next(numbers) if distinct else None, long, door)

    for _ in range(20):  # imports, the router's model, pools: not measured
        await one(app, payload(), stream, door)
    sample = Sample(events=events)
    profiler = cProfile.Profile() if profile else None
    for _ in range(repeats):
        first = after = process = 0.0
        later = 0  # body messages after each request's first
        if profiler is not None:
            profiler.enable()
        for _ in range(count):
            f, a, m, p = await one(app, payload(), stream, door)
            first, after, process = first + f, after + a, process + p
            later += m - 1
            sample.messages += m
            sample.requests += 1
        if profiler is not None:
            profiler.disable()
        sample.first_ms.append(first * 1000 / count)
        sample.process_ms.append(process * 1000 / count)
        if stream:
            sample.event_us.append(after * 1e6 / max(1, later))
    if profiler is not None and profile:
        profiler.dump_stats(f"{profile}.{'stream' if stream else 'call'}")
    return sample


async def _lifespan(app: Any) -> tuple[asyncio.Task[None], asyncio.Queue[dict[str, Any]]]:
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    started = asyncio.Event()

    async def send(message: dict[str, Any]) -> None:
        if message["type"].endswith(".failed"):
            raise RuntimeError(message.get("message", "lifespan failed"))
        started.set()

    task = asyncio.create_task(app({"type": "lifespan", "asgi": {"version": "3.0"}},
                                   inbox.get, send))  # fmt: skip
    await inbox.put({"type": "lifespan.startup"})
    await started.wait()
    return task, inbox


@asynccontextmanager
async def gateway_app(url: str, bench: str) -> AsyncIterator[Any]:
    """The gateway app in this process, started (its lifespan) and shut down after: no
    auth, default settings on the emulator at ``url``, a SQLite ledger in a temporary
    directory named for ``bench``. What bench/ledger_handoff.py drives too."""
    from tierwise.client import Tierwise
    from tierwise.config import load_settings
    from tierwise.gateway import create_app

    settings = load_settings(None).settings.with_overrides(
        {"endpoint_url": url, "gateway.auth": False}
    )
    workdir = tempfile.mkdtemp(prefix=f"tierwise-bench-{bench}-")
    tw = Tierwise.from_settings(settings, ledger_url=f"sqlite:///{workdir}/ledger.db")
    app = create_app(settings, tierwise=tw, auth=False)
    task, inbox = await _lifespan(app)
    try:
        yield app
    finally:
        await inbox.put({"type": "lifespan.shutdown"})
        await task
        tw.close()


async def main_async(args: argparse.Namespace, url: str, events: int) -> dict[str, Sample]:
    async with gateway_app(url, "request-cpu") as app:
        out = {}
        if args.calls:
            out["call"] = await rounds(
                app, False, args.calls, args.repeats, 1, args.profile, args.distinct, args.long,
                args.door,
            )  # fmt: skip
        if args.streams:
            out["stream"] = await rounds(
                app, True, args.streams, args.repeats, events, args.profile, args.distinct,
                args.long, args.door,
            )  # fmt: skip
        return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--streams", type=int, default=300, help="streams per round")
    parser.add_argument("--calls", type=int, default=300, help="non-stream calls per round")
    parser.add_argument("--stream-ms", type=float, default=150.0, help="a paced stream's length")
    parser.add_argument("--repeats", type=int, default=3, help="rounds (the median is shown)")
    parser.add_argument("--profile", metavar="FILE", help="cProfile the measured requests")
    parser.add_argument(
        "--distinct",
        action="store_true",
        help="a different prompt per request (the same prompt, as bench/concurrency.py "
        "sends, lets the router reuse the previous request's features)",
    )
    parser.add_argument(
        "--long",
        type=int,
        default=0,
        metavar="TOKENS",
        help="a system prompt of about TOKENS tokens, the same every request: above the "
        "cache minimums, so the cache router chooses, points are placed and answers read "
        "the cache (0: none)",
    )
    parser.add_argument(
        "--door", choices=sorted(DOORS), default="openai",
        help="the API the requests use: Chat Completions, Anthropic's Messages or Responses",
    )  # fmt: skip
    parser.add_argument(
        "--loop", choices=["uvloop", "asyncio"], default="uvloop",
        help="the event loop (uvicorn runs uvloop when it is installed, as here)",
    )  # fmt: skip
    args = parser.parse_args()
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(name, "bench")  # the emulator checks that a signature exists
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    import tierwise

    tw_cmd = [sys.executable, "-m", "tierwise", "emulator"]
    port = free_port()
    probe = subprocess.Popen([*tw_cmd, "--port", str(port)], stderr=subprocess.DEVNULL)
    try:
        wait_for(port)
        tokens, events = probe_stream_pacing(port)
    finally:
        stop_all([probe])
    tps = tokens / (args.stream_ms / 1000)
    pacing = f"ttft_ms=0,tps={tps:.1f}"
    port = free_port()
    emulator = subprocess.Popen(
        [*tw_cmd, "--port", str(port), "--pacing", pacing], stderr=subprocess.DEVNULL
    )
    try:
        wait_for(port)
        print(f"# bench/request_cpu.py, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
              f"load {os.getloadavg()[0]:.2f} at start; tierwise from "
              f"{os.path.dirname(os.path.dirname(tierwise.__file__))}")  # fmt: skip
        print(
            f"# streams: {events} events over ~{args.stream_ms:g} ms (emulator pacing "
            f"{pacing!r}); calls answer at once; {args.repeats} rounds of "
            f"{args.streams} streams and {args.calls} calls, one at a time; {args.loop}; "
            + (
                "a distinct prompt per request"
                if args.distinct
                else "the same prompt every request"
            )
            + (f"; a {args.long}-token system prompt" if args.long else "")
            + f"; door {DOORS[args.door]}"
        )
        run = main_async(args, f"http://127.0.0.1:{port}", events)
        if args.loop == "uvloop":
            import uvloop

            samples = uvloop.run(run)
        else:
            samples = asyncio.run(run)
    finally:
        stop_all([emulator])
        print(f"# load {os.getloadavg()[0]:.2f} at end")

    def med(values: list[float]) -> str:
        return f"{statistics.median(values):8.3f}" if values else "       -"

    print(f"{'mode':<7} {'first byte ms':>13} {'per event us':>13} {'process ms/req':>15}  "
          "(loop-thread CPU; medians of rounds)")  # fmt: skip
    for mode, s in samples.items():
        print(f"{mode:<7} {med(s.first_ms):>13} {med(s.event_us):>13} {med(s.process_ms):>15}"
              f"   rounds: first {[round(x, 3) for x in s.first_ms]}"
              + (f" event {[round(x, 1) for x in s.event_us]}" if s.event_us else "")
              + f"; {s.messages / max(1, s.requests):.1f} body messages per request")  # fmt: skip


if __name__ == "__main__":
    main()
