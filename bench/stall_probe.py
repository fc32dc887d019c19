"""Run the ``tierwise`` CLI (same arguments) with an event-loop stall probe in the gateway.

Run: python bench/stall_probe.py OUT.json --endpoint-url URL serve --no-auth ...
     (bench/concurrency.py --stall-probe starts its gateway this way and prints a summary)

What it records, for ``tierwise serve`` (one worker):

- loop lag: a task sleeps 2 ms and notes how late it wakes (the wait a request arriving at
  that moment would have had before the loop looked at it);
- every cyclic-GC pass (``gc.callbacks``): its generation and its thread CPU time, which
  other jobs on the machine do not inflate (the GC holds the loop while it runs);
- stall sites: while that timer is more than ``STALL_S`` (15 ms) late, the loop thread's
  Python stack, up to ``SAMPLES`` times a stall: a SIGALRM every ``SAMPLE_S`` (2 ms) is
  handled on the loop (main) thread at its next bytecode boundary, so a sample lands where
  the loop's time goes (sampling from another thread with ``sys._current_frames`` needs the
  GIL, and so lands only where the loop releases it, e.g. os.urandom); a long C call shows
  as its caller. A watchdog thread reads the loop thread's CPU time and run-queue wait
  (/proc/self/task/TID/schedstat) every 2 ms, so each stall splits into: the loop ran (the
  stack says where), it waited for a CPU (other jobs, or the gateway's own threads on its
  pinned CPU), neither (the GIL, or a system call); it notes which other threads were busy
  and their CPU time. :func:`sites` groups the samples by request step (``PHASES``).

Each sample carries its wall-clock time, so a window (one load run) can be summarised
afterwards with :func:`summary` and :func:`sites`. Written to OUT.json when uvicorn shuts
down. The probe costs ~500 wake-ups/s, 500 signals/s and the watchdog's reads; compare runs
that both have it. Figures only; no thresholds.
"""

from __future__ import annotations

import asyncio
import collections
import gc
import json
import os
import signal
import sys
import threading
import time
from types import FrameType
from typing import Any

PERIOD_S = 0.002
STALL_S = 0.015
SAMPLE_S = 0.002
SAMPLES = 30
# Code whose frames name a stall site (the innermost of these, and the tierwise frame under
# it); a path matches by its directory inside site-packages or src/.
SITES = ("tierwise", "botocore", "aiobotocore", "starlette", "uvicorn", "anyio", "httpx",
         "httpcore", "h11", "httptools", "sqlite3", "json", "asyncio", "concurrent")  # fmt: skip


# Where the loop's own frames start (asyncio's Handle._run; under uvloop, whose loop has no
# Python frames, asyncio.run's).
LOOP_FILES = ("asyncio/events.py", "asyncio/base_events.py", "asyncio/runners.py")


# Steps of a request, by the module of a sample's area (first match wins), to sum the
# samples of one step spread over many modules.
PHASES = (
    ("GC pass or the probe", ("bench/stall_probe.py",)),
    ("stream relay", ("tierwise/gateway/streaming.py", "tierwise/bedrock/aio_transport.py",
                      "tierwise/bedrock/eventstream.py", "tierwise/core/metering.py",
                      "tierwise/waits.py", "tierwise/core/deadline.py", "uvicorn/")),
    ("routing", ("tierwise/core/difficulty.py", "tierwise/core/class_model.py",
                 "tierwise/core/cue_scan.py", "tierwise/core/signals.py",
                 "tierwise/core/routing.py",
                 "tierwise/core/classes.py", "tierwise/core/tokens.py", "tierwise/core/caching.py",
                 "tierwise/core/sampling.py", "tierwise/core/rules.py", "tierwise/cache_router.py",
                 "tierwise/core/preflight.py", "tierwise/core/structured.py")),
    ("Bedrock call (botocore build, sign, parse)", ("tierwise/bedrock/", "botocore/")),
    ("engine, ledger hop, pricing", ("tierwise/engine/", "tierwise/gateway/service.py",
                                     "tierwise/client.py", "tierwise/core/pricing.py",
                                     "concurrent/")),
    ("request in, conversion, auth", ("tierwise/gateway/", "tierwise/core/convert/",
                                      "tierwise/config.py", "starlette/")),
)  # fmt: skip


def phase(where: str) -> str:
    leaf, here = where.split(" < ", 1)[0], area(where)
    if leaf.startswith("bench/stall_probe.py"):
        return PHASES[0][0]
    return next((name for name, heads in PHASES if here.startswith(heads)), "other")


def area(where: str) -> str:
    """A site's area: the module of its innermost tierwise frame, else its leaf's package."""
    names = where.split(" < ")
    ours = [n for n in names if n.startswith("tierwise/")]
    return (ours[0] if ours else names[0]).split(":")[0]


def _where(frame: FrameType) -> str:
    path = frame.f_code.co_filename
    parts = path.replace("\\", "/").split("/")
    for i in range(len(parts) - 1, -1, -1):
        if parts[i] in SITES:
            path = "/".join(parts[i:])
            break
    else:
        path = "/".join(parts[-2:])
    return f"{path}:{frame.f_code.co_name}:{frame.f_lineno}"


def site(frame: FrameType | None) -> str:
    """A sample's site: the innermost frame, then the innermost tierwise frame (the caller's
    step), then the outermost tierwise frame of the running callback (the request's path)."""
    stack = []
    while frame is not None:
        if frame.f_code.co_filename.endswith(LOOP_FILES):
            break  # the loop's machinery below the running callback says nothing
        stack.append(frame)
        frame = frame.f_back
    if not stack:
        return "asyncio loop machinery (between callbacks: select, timers, ready queue)"
    leaf = _where(stack[0])
    ours = [f for f in stack if "/tierwise/" in f.f_code.co_filename.replace("\\", "/")]
    names = [leaf]
    for f in ours[:1] + ours[-1:]:
        where = _where(f)
        if where not in names:
            names.append(where)
    return " < ".join(names)


def _others_cpu(tid: int) -> float:
    """On-CPU seconds of the process's other threads (ledger writes, the watchdog): pinned
    with the loop thread, their CPU time is part of its run-queue wait."""
    total = 0.0
    for task in os.listdir("/proc/self/task"):
        if int(task) != tid:
            total += _schedstat(int(task))[0]
    return total


def _schedstat(tid: int) -> tuple[float, float]:
    """(on-CPU s, run-queue wait s) of one thread; zeros where the kernel keeps none."""
    try:
        with open(f"/proc/self/task/{tid}/schedstat") as f:
            run, wait = f.read().split()[:2]
        return int(run) / 1e9, int(wait) / 1e9
    except (OSError, ValueError):
        return 0.0, 0.0


IDLE = ("threading.py:wait", "queue.py:get", "selectors.py:select", "thread.py:_worker",
        "threading.py:_wait_for_tstate_lock")  # fmt: skip


def busy_threads(frames: dict[int, FrameType], skip: set[int]) -> list[str]:
    """Sites of the other threads that were not parked (candidates for holding the GIL)."""
    out = []
    for ident, frame in frames.items():
        if ident in skip:
            continue
        leaf = _where(frame)
        if not any(idle + ":" in leaf for idle in IDLE):
            out.append(site(frame))
    return out


def watchdog(state: dict[str, Any], loop: asyncio.AbstractEventLoop, stalls: list[Any]) -> None:
    """Runs in its own thread: samples the loop thread while the probe's timer is late."""
    tid = state["tid"]
    skip = {state["ident"], threading.get_ident()}
    # ~1 s of readings, kept across stalls, so back-to-back stalls still find one before due
    seen: collections.deque[tuple[float, float, float]] = collections.deque(maxlen=512)
    while True:
        time.sleep(SAMPLE_S)
        now = time.perf_counter()
        seen.append((now, *_schedstat(tid)))
        tick, due = state["tick"], state["due"]
        if now - due <= STALL_S:
            continue
        # The loop thread's counters at the last reading before the timer was due.
        t0, cpu0, runq0 = next((r for r in reversed(seen) if r[0] <= due), seen[0])
        others0 = _others_cpu(tid)  # from here on only: too many threads to read every poll
        others: list[str] = []
        ready, looks = 0, 0
        while state["tick"] == tick:
            if looks < SAMPLES:
                looks += 1
                # asyncio's ready queue; uvloop keeps its own out of reach (-1)
                ready = max(ready, len(loop._ready)) if hasattr(loop, "_ready") else -1
                others += busy_threads(sys._current_frames(), skip)
            time.sleep(SAMPLE_S)
        cpu1, runq1 = _schedstat(tid)
        others1 = _others_cpu(tid)
        t1 = time.perf_counter()
        began = time.time() - (t1 - due)
        # span: the readings' interval, which holds the stall and up to SAMPLE_S either side
        stalls.append(
            [began, tick, t1 - t0, cpu1 - cpu0, runq1 - runq0, ready, others, others1 - others0]
        )


def install(out: str) -> None:
    lags: list[tuple[float, float]] = []
    passes: list[tuple[float, int, float]] = []
    began = [0.0, 0.0]

    def on_gc(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            began[0], began[1] = time.time(), time.thread_time()
        else:
            passes.append((began[0], int(info["generation"]), time.thread_time() - began[1]))

    stalls: list[Any] = []
    state: dict[str, Any] = {"tick": 0, "due": float("inf")}
    samples: dict[int, list[str]] = {}

    def on_alarm(signum: int, frame: FrameType | None) -> None:
        # Runs on the loop (main) thread at its next bytecode boundary, wherever it is: a
        # sample from another thread would wait for the GIL and so land only where the loop
        # releases it (os.urandom, socket calls), not where its time goes.
        if time.perf_counter() - state["due"] > STALL_S:
            got = samples.setdefault(state["tick"], [])
            if len(got) < SAMPLES:
                got.append(site(frame))

    async def probe() -> None:
        state["ident"], state["tid"] = threading.get_ident(), threading.get_native_id()
        loop = asyncio.get_running_loop()
        threading.Thread(target=watchdog, args=(state, loop, stalls), daemon=True).start()
        signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, SAMPLE_S, SAMPLE_S)
        while True:
            wall, start = time.time(), time.perf_counter()
            state["due"] = start + PERIOD_S
            await asyncio.sleep(PERIOD_S)
            lags.append((wall, time.perf_counter() - start - PERIOD_S))
            state["tick"] += 1  # after the append: the stalled tick's lag is lags[tick]

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
        signal.setitimer(signal.ITIMER_REAL, 0)
        dump = {"lags": lags, "gc": passes, "thresholds": gc.get_threshold()}
        dump |= {"stalls": stalls, "samples": samples}
        with open(out, "w") as f:
            json.dump(dump, f)
        await shutdown(self, *args, **kwargs)

    server.startup = probed_startup  # type: ignore[method-assign]
    server.shutdown = probed_shutdown  # type: ignore[method-assign]


def summary(path: str, since: float, until: float) -> str:
    """One line: loop lag percentiles and GC passes between two wall-clock times."""
    with open(path) as f:
        data = json.load(f)
    lags: list[float] = sorted(lag for at, lag in data["lags"] if since <= at <= until)
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


def sites(path: str, since: float, until: float, top: int = 6) -> list[str]:
    """Lines: the stalls over ``STALL_S`` between two wall-clock times, what the loop thread
    did in them, and the top sites of the loop's stack samples, weighted by stall length."""
    with open(path) as f:
        data = json.load(f)
    lags, passes = data["lags"], data["gc"]
    seen = {rec[1]: rec for rec in data.get("stalls", [])}
    taken = {int(tick): got for tick, got in data.get("samples", {}).items()}
    rows = []
    for tick, (at, lag) in enumerate(lags):
        if lag > STALL_S and since <= at <= until:
            gc_s = sum(c for when, _, c in passes if at <= when <= at + lag + PERIOD_S)
            _, _, span, cpu, runq, ready, others, mates = seen.get(
                tick, [0, 0, 0.0, 0.0, 0.0, 0, [], 0.0]
            )
            rows.append((lag, span, cpu, runq, gc_s, ready, taken.get(tick, []), others, mates))
    if not rows:
        return [f"stalls > {STALL_S * 1000:.0f} ms: none"]
    total = sum(r[0] for r in rows)
    caught = [r for r in rows if r[1] > 0]
    span, cpu, runq, gcs, mates = (sum(r[i] for r in caught) for i in (1, 2, 3, 4, 8))
    lags_ms = sorted(r[0] * 1000 for r in rows)
    out = [
        f"stalls > {STALL_S * 1000:.0f} ms: {len(rows)}, {total * 1000:.0f} ms in all "
        f"(p50 {lags_ms[len(lags_ms) // 2]:.0f}, max {lags_ms[-1]:.0f} ms); over "
        f"{span * 1000:.0f} ms around the {len(caught)} the watchdog caught "
        f"(it needs the GIL in time) the loop thread ran {cpu * 1000:.0f} ms "
        f"(GC passes {gcs * 1000:.0f}), waited for a CPU {runq * 1000:.0f} ms, neither (GIL or "
        f"a system call) {(span - cpu - runq) * 1000:.0f} ms; the gateway's other threads ran "
        f"{mates * 1000:.0f} ms (counted from detection on); "
        f"{sum(bool(r[6]) for r in rows)} with stack samples"
    ]
    weight: collections.Counter[str] = collections.Counter()
    areas: collections.Counter[str] = collections.Counter()
    phases: collections.Counter[str] = collections.Counter()
    hits: collections.Counter[str] = collections.Counter()
    busy: collections.Counter[str] = collections.Counter()
    for lag, *_, got, others, _ in rows:
        for where in got:
            weight[where] += lag * 1000 / len(got)
            areas[area(where)] += lag * 1000 / len(got)
            phases[phase(where)] += lag * 1000 / len(got)
        hits.update(set(got))
        busy.update(set(others))
    sampled = sum(areas.values())
    if not sampled:
        return out
    out.append(
        "  by step: "
        + ", ".join(f"{a} {ms:.0f} ms ({ms / sampled:.0%})" for a, ms in phases.most_common())
    )
    out.append(
        "  by area (stall ms, shared among each stall's samples): "
        + ", ".join(f"{a} {ms:.0f} ({ms / sampled:.0%})" for a, ms in areas.most_common(top + 4))
    )
    for where, ms in weight.most_common(top):
        out.append(f"  {ms:6.0f} ms  in {hits[where]:>3} stalls  {where}")
    for lag, span, cpu, runq, gc_s, _, got, _, _ in sorted(rows, key=lambda r: -r[0])[:3]:
        kinds = collections.Counter(area(where) for where in got)
        out.append(
            f"  longest {lag * 1000:.0f} ms: ran {cpu * 1000:.0f} (GC {gc_s * 1000:.0f}), "
            f"runq {runq * 1000:.0f} ms of {span * 1000:.0f}; {len(got)} samples: "
            + ", ".join(f"{a} {n}" for a, n in kinds.most_common(5))
        )
    for where, n in busy.most_common(3):
        out.append(f"  other thread busy in {n:>3} stalls  {where}")
    return out


if __name__ == "__main__":
    install(sys.argv[1])
    sys.argv = ["tierwise", *sys.argv[2:]]
    from tierwise.cli.app import main

    main()
