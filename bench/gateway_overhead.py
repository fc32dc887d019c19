"""What the gateway adds on top of Bedrock: requests/s and added latency at several loads.

Run: python bench/gateway_overhead.py [--seconds 5] [--concurrency 1 8 32]
Starts `tierwise emulator` and `tierwise serve` (routing on, no auth, loopback) as separate
processes, then drives (a) the emulator directly through boto3 and (b) the gateway through
httpx with the same prompt, closed-loop at each concurrency level. Prints throughput,
p50/p99 latency of each path, the added latency, the gateway's own x-tierwise-overhead-ms,
and time to first token for streams. Figures only; no thresholds.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable

import boto3
import httpx
from botocore.config import Config

PROMPT = "Summarize in one sentence: the quarterly numbers beat the forecast."


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(url: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def drive(call: Callable[[], float], concurrency: int, seconds: float) -> tuple[list[float], float]:
    latencies: list[float] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def worker() -> None:
        mine = []
        while time.monotonic() < stop:
            mine.append(call())
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, len(latencies) / (time.monotonic() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    args = parser.parse_args()
    emu_port, gw_port = free_port(), free_port()
    env = {**os.environ, "TIERWISE_LEDGER__URL": f"sqlite:////tmp/tierwise-bench-{gw_port}.db"}
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
        wait_for(f"http://127.0.0.1:{gw_port}/healthz")
        runtime = boto3.client(
            "bedrock-runtime",
            endpoint_url=f"http://127.0.0.1:{emu_port}",
            region_name="us-east-1",
            aws_access_key_id="x",
            aws_secret_access_key="y",
            config=Config(max_pool_connections=64, retries={"total_max_attempts": 1}),
        )
        model = "global.anthropic.claude-sonnet-4-5-20250929-v1:0"
        messages = [{"role": "user", "content": [{"text": PROMPT}]}]
        http = httpx.Client(limits=httpx.Limits(max_connections=64), timeout=30)
        body = {
            "model": "auto",
            "messages": [{"role": "user", "content": PROMPT}],
            "max_tokens": 60,
        }
        overheads: list[float] = []

        def direct() -> float:
            t = time.perf_counter()
            runtime.converse(modelId=model, messages=messages, inferenceConfig={"maxTokens": 60})
            return (time.perf_counter() - t) * 1000

        def via_gateway() -> float:
            t = time.perf_counter()
            r = http.post(f"http://127.0.0.1:{gw_port}/v1/chat/completions", json=body)
            elapsed = (time.perf_counter() - t) * 1000
            overheads.append(float(r.headers["x-tierwise-overhead-ms"]))
            return elapsed

        def direct_ttft() -> float:
            t = time.perf_counter()
            stream = runtime.converse_stream(
                modelId=model, messages=messages, inferenceConfig={"maxTokens": 60}
            )["stream"]
            first = None
            for _ in stream:
                first = first or (time.perf_counter() - t) * 1000
            return first or 0.0

        def gateway_ttft() -> float:
            t = time.perf_counter()
            first = None
            with http.stream(
                "POST",
                f"http://127.0.0.1:{gw_port}/v1/chat/completions",
                json={**body, "stream": True},
            ) as r:
                for _ in r.iter_bytes():
                    first = first or (time.perf_counter() - t) * 1000
            return first or 0.0

        for fn in (direct, via_gateway):  # warm up connections and caches
            for _ in range(20):
                fn()
        overheads.clear()
        columns = [("mode", 12), ("conc", 5), ("direct rps", 12), ("gw rps", 9)]
        columns += [("direct p50", 12), ("gw p50", 9), ("added p50", 11)]
        columns += [("direct p99", 12), ("gw p99", 9), ("added p99", 11)]
        print(
            "".join(
                f"{name:<{w}}" if i == 0 else f"{name:>{w}}" for i, (name, w) in enumerate(columns)
            )
        )
        for mode, (a, b) in {
            "request": (direct, via_gateway),
            "stream TTFT": (direct_ttft, gateway_ttft),
        }.items():
            for conc in args.concurrency:
                d_lat, d_rps = drive(a, conc, args.seconds)
                g_lat, g_rps = drive(b, conc, args.seconds)
                d50, g50, d99, g99 = (
                    pct(d_lat, 0.5),
                    pct(g_lat, 0.5),
                    pct(d_lat, 0.99),
                    pct(g_lat, 0.99),
                )
                head = f"{mode:<12}{conc:>5}{d_rps:>12.0f}{g_rps:>9.0f}"
                p50s = f"{d50:>10.2f}ms{g50:>7.2f}ms{g50 - d50:>9.2f}ms"
                p99s = f"{d99:>10.2f}ms{g99:>7.2f}ms{g99 - d99:>9.2f}ms"
                print(head + p50s + p99s)
        print(
            f"x-tierwise-overhead-ms (non-streaming, all loads): p50 {pct(overheads, 0.5):.3f} "
            f"p90 {pct(overheads, 0.9):.3f} p99 {pct(overheads, 0.99):.3f} "
            f"mean {statistics.fmean(overheads):.3f} (n={len(overheads)})"
        )
    finally:
        gateway.terminate()
        emulator.terminate()
        gateway.wait(10)
        emulator.wait(10)


if __name__ == "__main__":
    main()
