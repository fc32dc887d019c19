"""How the async Bedrock client should do its I/O: measured, not assumed.

Run: python bench/async_transport.py [--clients 400] [--seconds 10]

Starts ``tierwise emulator`` (asyncio server; calls and streams answer after 2 s, as a slow
model does) and drives it from this process with ``--clients`` concurrent callers, two ways:

- ``threads``: the synchronous BedrockClient in a thread pool (the previous AsyncBedrockClient:
  one thread per in-flight call, 50 threads, as many pooled connections);
- ``greenlet``: AsyncBedrockClient now (BedrockClient run on the event loop through the
  greenlet bridge and the asyncio transport: no thread per call);

and reports completed calls/s, CPU seconds per 1,000 calls (this process) and the peak
thread count. aiobotocore and httpx are measured against the greenlet path by
bench/async_candidates.py (each in its own process; aiobotocore from its own venv, as it pins
botocore). Figures only.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from concurrency import free_port, wait_for

from tierwise.bedrock import AsyncBedrockClient, BedrockClient
from tierwise.config import load_settings

MODEL = "global.anthropic.claude-sonnet-4-5-20250929-v1:0"
REQUEST: dict[str, Any] = {
    "messages": [{"role": "user", "content": [{"text": "Explain TCP slow start in detail."}]}],
    "inferenceConfig": {"maxTokens": 300},
}


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def closed_loop(call: Any, clients: int, seconds: float) -> tuple[int, int, int, float]:
    began = time.perf_counter()
    stop_at = began + seconds
    done = errors = 0
    peak_threads = threading.active_count()

    async def worker() -> None:
        nonlocal done, errors, peak_threads
        while time.perf_counter() < stop_at:
            try:
                await call()
                done += 1
            except Exception:
                errors += 1
            peak_threads = max(peak_threads, threading.active_count())

    await asyncio.gather(*(worker() for _ in range(clients)))
    return done, errors, peak_threads, time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=400)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    port = free_port()
    emulator = subprocess.Popen(
        [sys.executable, "-m", "tierwise", "emulator", "--port", str(port), "--pacing",
         "ttft_ms=2000,tps=0"],
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for(port)
        settings = load_settings(environ={}).settings.with_overrides(
            {"endpoint_url": f"http://127.0.0.1:{port}"}
        )
        print(f"# bench/async_transport.py, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
              f", {args.clients} clients, {args.seconds:g} s each; load "
              f"{os.getloadavg()[0]:.2f} (shared machine)")  # fmt: skip
        print(f"{'how':<10}{'kind':<8}{'calls/s':>9}{'errors':>8}{'CPU s/1k':>10}{'threads':>9}")
        sync = BedrockClient(settings)
        pool = ThreadPoolExecutor(50)
        green = AsyncBedrockClient(settings)

        async def threads_call() -> None:
            await asyncio.get_running_loop().run_in_executor(
                pool, lambda: sync.converse([MODEL], REQUEST)
            )

        async def threads_stream() -> None:
            def read() -> None:
                with sync.converse_stream([MODEL], REQUEST) as s:
                    for _ in s.events:
                        pass

            await asyncio.get_running_loop().run_in_executor(pool, read)

        async def green_call() -> None:
            await green.converse([MODEL], REQUEST)

        async def green_stream() -> None:
            s = await green.converse_stream([MODEL], REQUEST)
            async with s:
                async for _ in s:
                    pass

        runs = [
            ("threads", "call", threads_call),
            ("greenlet", "call", green_call),
            ("threads", "stream", threads_stream),
            ("greenlet", "stream", green_stream),
        ]
        for how, kind, call in runs:
            before = cpu_s()
            done, errors, peak, took = asyncio.run(closed_loop(call, args.clients, args.seconds))
            used = cpu_s() - before
            print(f"{how:<10}{kind:<8}{done / took:>9.1f}{errors:>8}"
                  f"{used * 1000 / max(1, done):>10.2f}{peak:>9}", flush=True)  # fmt: skip
        pool.shutdown()
    finally:
        emulator.terminate()
        emulator.wait(10)


if __name__ == "__main__":
    main()
