"""Run the ``tierwise`` CLI (same arguments) with an event-loop stall probe in the gateway.

Run: python bench/stall_probe.py OUT.json --endpoint-url URL serve --no-auth ...
     (bench/concurrency.py --stall-probe starts its gateway this way and prints a summary)

What it records, for ``tierwise serve`` (one worker):

- loop lag: a task sleeps 2 ms and notes how late it wakes (the wait a request arriving at
  that moment would have had before the loop looked at it);
- every cyclic-GC pass (``gc.callbacks``): its generation and its thread CPU time, which
  other jobs on the machine do not inflate (the GC holds the loop while it runs).

Each sample carries its wall-clock time, so a window (one load run) can be summarised
afterwards with :func:`summary`. Written to OUT.json when uvicorn shuts down. The probe
costs ~500 wake-ups/s; compare runs that both have it. Figures only; no thresholds.
"""

from __future__ import annotations

import asyncio
import gc
import json
import sys
import time
from typing import Any

PERIOD_S = 0.002


def install(out: str) -> None:
    lags: list[tuple[float, float]] = []
    passes: list[tuple[float, int, float]] = []
    began = [0.0, 0.0]

    def on_gc(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            began[0], began[1] = time.time(), time.thread_time()
        else:
            passes.append((began[0], int(info["generation"]), time.thread_time() - began[1]))

    async def probe() -> None:
        while True:
            wall, start = time.time(), time.perf_counter()
            await asyncio.sleep(PERIOD_S)
            lags.append((wall, time.perf_counter() - start - PERIOD_S))

    import uvicorn.server

    server = uvicorn.server.Server
    startup, shutdown = server.startup, server.shutdown
    tasks: list[asyncio.Task[None]] = []

    async def probed_startup(self: Any, *args: Any, **kwargs: Any) -> None:
        await startup(self, *args, **kwargs)
        gc.callbacks.append(on_gc)  # after the app's startup: serving only
        tasks.append(asyncio.get_running_loop().create_task(probe()))

    async def probed_shutdown(self: Any, *args: Any, **kwargs: Any) -> None:
        # uvicorn re-raises SIGTERM after shutting down, so atexit would never run
        with open(out, "w") as f:
            json.dump({"lags": lags, "gc": passes, "thresholds": gc.get_threshold()}, f)
        await shutdown(self, *args, **kwargs)

    server.startup = probed_startup  # type: ignore[method-assign]
    server.shutdown = probed_shutdown  # type: ignore[method-assign]


def summary(path: str, since: float, until: float) -> str:
    """One line: loop lag percentiles and GC passes between two wall-clock times."""
    with open(path) as f:
        data = json.load(f)
    lags = sorted(lag for at, lag in data["lags"] if since <= at <= until)
    if not lags:
        return "stalls: no samples"

    def q(p: float) -> float:
        return lags[min(len(lags) - 1, int(p * len(lags)))] * 1000

    out = (
        f"loop lag p50 {q(0.5):.1f} p99 {q(0.99):.1f} p99.9 {q(0.999):.1f} "
        f"max {lags[-1] * 1000:.0f} ms; gc {tuple(data['thresholds'])}:"
    )
    for gen in (0, 1, 2):
        cpu = sorted(c for at, g, c in data["gc"] if g == gen and since <= at <= until)
        if cpu:
            out += (
                f" gen{gen} {len(cpu)}x p50 {cpu[len(cpu) // 2] * 1000:.1f} "
                f"max {cpu[-1] * 1000:.1f} ms cpu"
            )
        else:
            out += f" gen{gen} 0x"
    return out


if __name__ == "__main__":
    install(sys.argv[1])
    sys.argv = ["tierwise", *sys.argv[2:]]
    from tierwise.cli.app import main

    main()
