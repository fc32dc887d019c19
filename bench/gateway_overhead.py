"""What the gateway adds on top of Bedrock: requests/s and added latency at several loads.

Run: python bench/gateway_overhead.py [--seconds 4] [--concurrency 1 4 16] [--rates 100 200 300]
     [--http-client botocore|lean]

Starts ``tierwise emulator`` and ``tierwise serve`` (routing on: model "auto", no auth,
loopback) as separate processes, then drives (a) the emulator directly through boto3 and
(b) the gateway's /v1/chat/completions with the same prompt, from this process:

- closed loop at each concurrency level (throughput and latency under saturation), and
- open loop at fixed arrival rates (latency at a given load; measured from each request's
  scheduled start, so a stalled server cannot hide queueing).

The gateway client is a bare keep-alive ``http.client`` connection per thread, so the
numbers are the gateway's, not an SDK's. Streams report time to first event. Also prints
the distribution of the gateway's own ``x-tierwise-overhead-ms``. Figures only; no
thresholds. Everything shares this machine's cores: the client, the gateway and the emulator.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import boto3
from botocore.config import Config

PROMPT = "Summarize in one sentence: the quarterly numbers beat the forecast."
MODEL = "global.anthropic.claude-sonnet-4-5-20250929-v1:0"
MESSAGES = [{"role": "user", "content": [{"text": PROMPT}]}]
BODY = {"model": "auto", "messages": [{"role": "user", "content": PROMPT}], "max_tokens": 60}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"port {port} did not come up")


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


class GatewayClient:
    """One keep-alive connection per thread; returns (ms to answer or first event, overhead)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.local = threading.local()

    def _conn(self) -> http.client.HTTPConnection:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            conn.connect()
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.local.conn = conn
        return conn

    def call(self, stream: bool, t0: float) -> tuple[float, float]:
        payload = json.dumps({**BODY, "stream": True} if stream else BODY)
        conn = self._conn()
        conn.request("POST", "/v1/chat/completions", payload, {"content-type": "application/json"})
        response = conn.getresponse()
        if response.status != 200:
            raise RuntimeError(f"gateway answered {response.status}: {response.read()[:200]!r}")
        overhead = float(response.headers["x-tierwise-overhead-ms"])
        if not stream:
            response.read()
            return (time.perf_counter() - t0) * 1000, overhead
        first = 0.0
        while line := response.readline():
            if not first and line.startswith(b"data: "):
                first = (time.perf_counter() - t0) * 1000
        return first, overhead


def direct_call(runtime: Any, stream: bool, t0: float) -> tuple[float, float]:
    if not stream:
        runtime.converse(modelId=MODEL, messages=MESSAGES, inferenceConfig={"maxTokens": 60})
        return (time.perf_counter() - t0) * 1000, 0.0
    events = runtime.converse_stream(
        modelId=MODEL, messages=MESSAGES, inferenceConfig={"maxTokens": 60}
    )["stream"]
    first = 0.0
    for _ in events:
        first = first or (time.perf_counter() - t0) * 1000
    return first, 0.0


Call = Callable[[float], tuple[float, float]]


def closed_loop(call: Call, concurrency: int, seconds: float) -> tuple[list[Any], float]:
    samples: list[tuple[float, float]] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def worker() -> None:
        mine = []
        while time.monotonic() < stop:
            mine.append(call(time.perf_counter()))
        with lock:
            samples.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return samples, len(samples) / (time.monotonic() - start)


def open_loop(
    call: Call, rate: float, seconds: float, workers: int = 32
) -> tuple[list[Any], float]:
    """Requests scheduled every 1/rate s; latency counts from the scheduled time."""
    n = int(rate * seconds)
    start = time.perf_counter() + 0.05
    schedule = [start + i / rate for i in range(n)]
    samples: list[tuple[float, float]] = []
    lock = threading.Lock()
    next_index = [0]

    def worker() -> None:
        mine = []
        while True:
            with lock:
                i = next_index[0]
                next_index[0] += 1
            if i >= n:
                break
            delay = schedule[i] - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            mine.append(call(schedule[i]))
        with lock:
            samples.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return samples, n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--rates", type=float, nargs="+", default=[100, 200, 300])
    parser.add_argument(
        "--http-client",
        choices=["botocore", "lean"],
        default="botocore",
        help="the gateway's [retry] http_client (the direct baseline always uses botocore's)",
    )
    args = parser.parse_args()
    emu_port, gw_port = free_port(), free_port()
    db = f"/tmp/tierwise-bench-{gw_port}.db"
    env = {
        **os.environ,
        "TIERWISE_LEDGER__URL": f"sqlite:///{db}",
        "TIERWISE_RETRY__HTTP_CLIENT": args.http_client,
    }
    tw = [sys.executable, "-c", "from tierwise.cli.app import main; main()"]
    emulator = subprocess.Popen(
        [*tw, "emulator", "--port", str(emu_port)], env=env, stderr=subprocess.DEVNULL
    )
    gateway = subprocess.Popen(
        [*tw, "--endpoint-url", f"http://127.0.0.1:{emu_port}", "serve", "--no-auth",
         "--port", str(gw_port)],
        env=env,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for(gw_port)
        runtime = boto3.client(
            "bedrock-runtime",
            endpoint_url=f"http://127.0.0.1:{emu_port}",
            region_name="us-east-1",
            aws_access_key_id="x",
            aws_secret_access_key="y",
            config=Config(max_pool_connections=64, retries={"total_max_attempts": 1}),
        )
        client = GatewayClient(gw_port)
        for _ in range(50):  # warm up connections, caches and the router
            direct_call(runtime, False, time.perf_counter())
            client.call(False, time.perf_counter())
        print(
            f"{'mode':<8}{'load':>9}{'direct rps':>12}{'gw rps':>8}{'direct p50':>12}"
            f"{'gw p50':>9}{'added p50':>11}{'direct p99':>12}{'gw p99':>9}{'added p99':>11}"
            f"{'overhead p50/p99 (header)':>28}"
        )
        for stream in (False, True):
            mode = "stream" if stream else "request"
            loads: list[tuple[str, Callable[[Call], tuple[list[Any], float]]]] = [
                (f"c={c}", lambda fn, c=c: closed_loop(fn, c, args.seconds))
                for c in args.concurrency
            ]
            loads += [
                (f"{r:.0f}/s", lambda fn, r=r: open_loop(fn, r, args.seconds)) for r in args.rates
            ]
            for label, drive in loads:
                d, d_rps = drive(lambda t0, s=stream: direct_call(runtime, s, t0))
                g, g_rps = drive(lambda t0, s=stream: client.call(s, t0))
                dl, gl, oh = [x for x, _ in d], [x for x, _ in g], [y for _, y in g]
                d50, g50, d99, g99 = pct(dl, 0.5), pct(gl, 0.5), pct(dl, 0.99), pct(gl, 0.99)
                print(
                    f"{mode:<8}{label:>9}{d_rps:>12.0f}{g_rps:>8.0f}{d50:>10.2f}ms"
                    f"{g50:>7.2f}ms{g50 - d50:>9.2f}ms{d99:>10.2f}ms{g99:>7.2f}ms"
                    f"{g99 - d99:>9.2f}ms{pct(oh, 0.5):>15.2f}/{pct(oh, 0.99):.2f}ms"
                )
        print("(stream latencies are time to first event; added = gateway - direct)")
    finally:
        gateway.terminate()
        emulator.terminate()
        gateway.wait(10)
        emulator.wait(10)
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(db + suffix):
                os.remove(db + suffix)


if __name__ == "__main__":
    main()
