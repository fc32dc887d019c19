"""Thread wake-ups per call: what handing each call's ledger row to a worker thread costs.

Run: python bench/ledger_handoff.py [--rate 150] [--calls 1500] [--burst 1] [--call-ms 200]

Starts ``tierwise emulator`` as its own process (non-stream answers after ``--call-ms``),
builds the gateway app in this process (``create_app``, no auth, routing on: model "auto",
SQLite ledger in a temporary directory, keyless calls, as bench/concurrency.py's) and sends
it ``--calls`` non-stream chat completions as an ASGI app at a fixed offered load: arrivals
at ``--rate`` per second, Poisson (seeded: the same schedule every run), or in bursts of
``--burst`` at once (every ``burst / rate`` s, as lockstep clients arrive). Many calls are in
flight at once, so rows meet in the ledger's queue as they do under load.

Reported, from /proc/self/task/* between the end of a warm-up and the end of the run, per
call: the context switches (voluntary + involuntary) of the event-loop thread and of the
gateway's worker threads, their CPU (schedstat: ns on a CPU) and how long the loop thread
waited for a CPU while runnable (schedstat ``runq``, ms per s); and, where the code batches
rows, how many ledger writes carried them. Each switch of a worker thread is one wake-up
(it sleeps between jobs); the loop's are its sleeps in epoll and its preemptions. The
client side of the calls runs on the same loop in both old and new code. Compare an older
checkout with ``PYTHONPATH=/path/to/old/src``. Figures only; no thresholds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from concurrency import free_port, stop_all, wait_for
from request_cpu import body, gateway_app


@dataclass
class Task:
    name: str
    switches: int
    cpu_s: float
    runq_s: float


def tasks() -> dict[int, Task]:
    """This process's threads now: name, context switches, CPU, time waiting for a CPU."""
    out: dict[int, Task] = {}
    for entry in Path("/proc/self/task").iterdir():
        try:
            status = (entry / "status").read_text()
            schedstat = (entry / "schedstat").read_text().split()
        except OSError:
            continue  # ended meanwhile
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        switches = int(fields["voluntary_ctxt_switches"]) + int(
            fields["nonvoluntary_ctxt_switches"]
        )
        name = fields["Name"].strip()
        # schedstat: ns on a CPU, ns runnable waiting for one (utime's ticks miss short runs)
        out[int(entry.name)] = Task(
            name, switches, int(schedstat[0]) / 1e9, int(schedstat[1]) / 1e9
        )
    return out


def group(tid: int) -> str:
    """The loop thread, the gateway's worker pool, or another thread (Python 3.11 does not
    give its threads' names to the OS: they are read from ``threading``)."""
    if tid == threading.get_native_id():
        return "loop"
    names = {t.native_id: t.name for t in threading.enumerate()}
    if names.get(tid, "").startswith("tierwise-gateway"):
        return "workers"
    return "other"


def delta(before: dict[int, Task], after: dict[int, Task]) -> dict[str, Task]:
    sums: dict[str, Task] = {}
    for tid, now in after.items():
        then = before.get(tid, Task(now.name, 0, 0.0, 0.0))
        key = group(tid)
        total = sums.setdefault(key, Task(key, 0, 0.0, 0.0))
        total.switches += now.switches - then.switches
        total.cpu_s += now.cpu_s - then.cpu_s
        total.runq_s += now.runq_s - then.runq_s
    return sums


async def call(app: Any, payload: bytes) -> None:
    scope = {
        "type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": "/v1/chat/completions", "raw_path": b"/v1/chat/completions",
        "query_string": b"", "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode())],
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000),
    }  # fmt: skip
    sent = False
    done = asyncio.Event()
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": payload, "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body" and not message.get("more_body"):
            done.set()

    await app(scope, receive, send)
    if status != 200:
        raise RuntimeError(f"gateway answered HTTP {status}")


async def offer(app: Any, count: int, rate: float, burst: int, first: int) -> None:
    """``count`` calls at ``rate`` per second (Poisson, or bursts of ``burst``)."""
    rng = random.Random(0)
    loop = asyncio.get_running_loop()
    start = loop.time()
    at = 0.0
    running: list[asyncio.Task[None]] = []
    for i in range(count):
        if burst > 1:
            at = (i // burst) * burst / rate
        else:
            at += rng.expovariate(rate)
        wait = start + at - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        running.append(asyncio.ensure_future(call(app, body(False, first + i))))
    await asyncio.gather(*running)


async def main_async(args: argparse.Namespace, url: str) -> dict[str, Any]:
    async with gateway_app(url, "ledger-handoff") as app:
        driver = app.state.gateway.engine.driver
        await offer(app, 100, args.rate, args.burst, 10_000_000)  # warm-up, not measured
        writes0, rows0 = getattr(driver, "row_writes", None), getattr(driver, "rows_written", 0)
        before, began = tasks(), time.monotonic()
        await offer(app, args.calls, args.rate, args.burst, 0)
        after, wall = tasks(), time.monotonic() - began
        writes = None if writes0 is None else driver.row_writes - writes0
        rows = driver.rows_written - rows0 if writes0 is not None else None
        return {"delta": delta(before, after), "wall": wall, "writes": writes, "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=150.0, help="offered calls per second")
    parser.add_argument("--calls", type=int, default=1500, help="measured calls")
    parser.add_argument("--burst", type=int, default=1, help="calls arriving at once (1: Poisson)")
    parser.add_argument("--call-ms", type=int, default=200, help="the emulator's answer time")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args()
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(name, "bench")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    import uvloop

    import tierwise

    port = free_port()
    emulator = subprocess.Popen(
        [sys.executable, "-m", "tierwise", "emulator", "--port", str(port),
         "--pacing", f"ttft_ms={args.call_ms},tps=0"],
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for(port)
        load = os.getloadavg()[0]
        out = uvloop.run(main_async(args, f"http://127.0.0.1:{port}"))
    finally:
        stop_all([emulator])
    shape = f"bursts of {args.burst}" if args.burst > 1 else "Poisson arrivals"
    print(f"# bench/ledger_handoff.py, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
          f"load {load:.2f} at start; tierwise from "
          f"{os.path.dirname(os.path.dirname(tierwise.__file__))}")  # fmt: skip
    print(f"# {args.calls} calls at {args.rate:g}/s ({shape}), answers after {args.call_ms} ms, "
          f"in {out['wall']:.1f} s")  # fmt: skip
    n = args.calls
    d = out["delta"]
    for key in ("loop", "workers", "other"):
        t = d.get(key)
        if t is None:
            continue
        extra = f"  runq {t.runq_s * 1000 / out['wall']:.1f} ms/s" if key == "loop" else ""
        print(f"{key:8} switches/call {t.switches / n:6.2f}  cpu/call {t.cpu_s * 1e3 / n:6.3f} ms"
              f"{extra}")  # fmt: skip
    if out["writes"] is not None:
        print(f"ledger writes {out['writes']} for {out['rows']} rows "
              f"({out['rows'] / max(1, out['writes']):.2f} rows per write)")  # fmt: skip
    else:
        print("ledger writes: one per row (no batching in this code)")
    if args.json:
        print(json.dumps({k: vars(v) for k, v in d.items()} | {"wall": out["wall"]}))


if __name__ == "__main__":
    main()
