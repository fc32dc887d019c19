"""Issue 13's async transport candidates, measured against the one tierwise built.

Run: nice python bench/async_candidates.py [--quick] [--repeats 3] [--calls 50 400]
     [--streams 400] [--hold 2000] [--hold-candidates tierwise aiobotocore] [--stream-s 5]
     [--aiobotocore-python /tmp/aiobc-venv/bin/python] [--no-pin]

Issue 13 named two candidates for an async Bedrock path, "aiobotocore, or httpx with
botocore's own signer and event-stream parser; choose by measurement". tierwise built a third
(botocore on the event loop through a greenlet bridge, tierwise.bedrock.aio). This script
drives the same requests through each, against the same emulator:

- ``tierwise``: :class:`tierwise.bedrock.AsyncBedrockClient`, the Bedrock layer the gateway
  and AsyncTierwise use (no routing or ledger: transports are compared); streams are read in
  batches, as the gateway reads them;
- ``aiobotocore``: its ``bedrock-runtime`` client. aiobotocore pins exact botocore versions,
  so it runs from a throwaway venv (``--aiobotocore-python``; e.g.
  ``python3 -m venv /tmp/aiobc-venv && /tmp/aiobc-venv/bin/pip install aiobotocore``), never
  tierwise's; skipped (and said so) when that interpreter is missing;
- ``httpx``: ``httpx.AsyncClient`` with botocore's SigV4Auth and EventStreamBuffer, the
  minimal client below (credentials resolved once through botocore's chain; no retries, no
  error-code mapping: the least such a client would do).

Each candidate runs in its own process (``--worker``), pinned to CPU 0; the emulators
(``tierwise emulator``, asyncio server) run pinned to CPU 1 (``--no-pin``: neither). For each
concurrency N a worker makes one warm-up request to an instant model (Haiku: loads the
service model and parsers), then one measured round of N concurrent requests to the paced
model (Sonnet), which opens its N connections: calls answer after 2 s; streams send their
first event after 100 ms, then 250 tokens' deltas over ~``--stream-s`` s. ``--calls`` and
``--streams`` rows run ``--repeats`` times; the ``--hold`` row (2,000 streams) once, after
them, as it is the slowest, and without httpx unless ``--hold-candidates`` names it (over a
minute alone: httpcore's pool scans every connection per request). Reported per row:
completed/s and that relative to the emulator's ideal (N / the paced answer time), errors,
the worker's own CPU time (getrusage: other jobs on the machine do not inflate it) per
request over the measured round, and, for streams, its RSS growth from after the warm-up to
the peak of the measured round per 1,000 in-flight streams. Candidates alternate order
between repeats. Figures only, no thresholds; the machine may be shared (the load average is
printed): compare candidates within one run.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import quote

CANDIDATES = ("tierwise", "aiobotocore", "httpx")
KINDS = ("call", "stream")
PACED = "global.anthropic.claude-sonnet-4-5-20250929-v1:0"
INSTANT = "global.anthropic.claude-haiku-4-5-20251001-v1:0"
REGION = "us-east-1"
CALL_PROMPT = "Summarize in one sentence: the quarterly numbers beat the forecast."
STREAM_PROMPT = "Explain in detail how TCP congestion control works, step by step."
# The emulator answers "explain in detail" with 250-600 tokens; the cap makes every stream 250.
STREAM_MAX_TOKENS = 250
CALL_ANSWER_S = 2.0
STREAM_TTFT_MS = 100
DEFAULT_AIOBC = "/tmp/aiobc-venv/bin/python"


def request(kind: str) -> dict[str, Any]:
    """The Converse request body (without modelId) every candidate sends."""
    prompt, max_tokens = (
        (STREAM_PROMPT, STREAM_MAX_TOKENS) if kind == "stream" else (CALL_PROMPT, 60)
    )
    return {
        "messages": [{"role": "user", "content": [{"text": prompt}]}],
        "inferenceConfig": {"maxTokens": max_tokens},
    }


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--quick", action="store_true", help="one repeat: calls at 50, streams at 400, no --hold"
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--calls", type=int, nargs="*", default=[50, 400])
    parser.add_argument("--streams", type=int, nargs="*", default=[400])
    parser.add_argument(
        "--hold",
        type=int,
        default=2000,
        help="streams held at once, run once after the repeats (0: skip)",
    )
    # httpx's pool (httpcore) scans every connection and queued request for each request it
    # places: at 2,000 its row alone takes over a minute, so a full run leaves it out unless
    # asked (its 400 rows show the trend).
    parser.add_argument(
        "--hold-candidates",
        nargs="*",
        choices=CANDIDATES,
        default=["tierwise", "aiobotocore"],
        help="the candidates of the --hold row",
    )
    parser.add_argument("--stream-s", type=float, default=5.0)
    parser.add_argument("--candidates", nargs="*", choices=CANDIDATES, default=list(CANDIDATES))
    parser.add_argument("--aiobotocore-python", default=DEFAULT_AIOBC)
    parser.add_argument("--no-pin", action="store_true", help="do not pin with taskset")
    parser.add_argument(
        "--httpx-pool",
        type=int,
        default=0,
        help="httpx: connections per AsyncClient, requests spread over N / this many clients "
        "(0: one client; its pool's cost per request grows with its connections)",
    )
    # A worker: one candidate, one kind, one N, against a running emulator; prints a JSON line.
    parser.add_argument("--worker", choices=CANDIDATES, help=argparse.SUPPRESS)
    parser.add_argument("--kind", choices=KINDS, default="call", help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.repeats, args.calls, args.streams, args.hold = 1, [50], [400], 0
    if (
        args.repeats < 1
        or min(args.hold, args.httpx_pool) < 0
        or any(n < 1 for n in [*args.calls, *args.streams])
    ):
        parser.error("--repeats and every N must be >= 1, --hold and --httpx-pool >= 0")
    return args


def order(candidates: Sequence[str], repeat: int) -> list[str]:
    """The candidates' order in ``repeat``: rotated each time, so none always runs first (on
    a cold machine) or last."""
    shift = repeat % len(candidates) if candidates else 0
    return [*candidates[shift:], *candidates[:shift]]


# --- worker side: no tierwise import here (the aiobotocore venv has no tierwise) -----------


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


Call = Callable[[str], Awaitable[None]]
# A candidate ready to run: one request (call or stream, to a model ID) and how to close it.
Client = tuple[Call, Callable[[], Awaitable[None]]]


async def tierwise_client(base: str, kind: str, n: int) -> Client:
    from tierwise.bedrock import AsyncBedrockClient
    from tierwise.config import load_settings

    settings = load_settings(environ={}).settings.with_overrides({"endpoint_url": base})
    client = AsyncBedrockClient(settings)
    body = request(kind)

    async def call(model: str) -> None:
        await client.converse([model], body)

    async def stream(model: str) -> None:
        s = await client.converse_stream([model], body)
        async with s:
            async for _ in s.batches():
                pass

    return (stream if kind == "stream" else call), client.aclose


async def aiobotocore_client(base: str, kind: str, n: int) -> Client:
    # Only in the aiobotocore venv.
    from aiobotocore.config import AioConfig  # type: ignore[import-not-found]
    from aiobotocore.session import get_session  # type: ignore[import-not-found]

    config = AioConfig(max_pool_connections=n, read_timeout=120, connect_timeout=60)
    context = get_session().create_client(
        "bedrock-runtime", region_name=REGION, endpoint_url=base, config=config
    )
    client = await context.__aenter__()
    body = request(kind)

    async def call(model: str) -> None:
        await client.converse(modelId=model, **body)

    async def stream(model: str) -> None:
        response = await client.converse_stream(modelId=model, **body)
        events = response["stream"]
        try:
            async for _ in events:
                pass
        finally:
            events.close()

    async def close() -> None:
        await context.__aexit__(None, None, None)

    return (stream if kind == "stream" else call), close


class HttpxBedrock:
    """The httpx candidate: httpx for the I/O, botocore for SigV4 and the event stream."""

    def __init__(self, base: str, n: int, pool: int = 0) -> None:
        """``pool``: connections per httpx client, requests spread over ``n / pool`` clients
        in turn (0: one client for all ``n``)."""
        import itertools

        import botocore.session
        import httpx
        from botocore.auth import SigV4Auth

        credentials = botocore.session.get_session().get_credentials()
        assert credentials is not None, "no AWS credentials in the chain"
        self._signer = SigV4Auth(credentials, "bedrock", REGION)
        self._base = base
        size = pool or n
        limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
        self.pools = [
            httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(120.0))
            for _ in range(-(-n // size))
        ]
        self._next = itertools.cycle(self.pools)

    async def aclose(self) -> None:
        await asyncio.gather(*(p.aclose() for p in self.pools))

    def _signed(
        self, model: str, op: str, body: dict[str, Any]
    ) -> tuple[str, bytes, dict[str, str]]:
        from botocore.awsrequest import AWSRequest

        url = f"{self._base}/model/{quote(model, safe='')}/{op}"
        data = json.dumps(body).encode()
        aws = AWSRequest("POST", url, data=data, headers={"Content-Type": "application/json"})
        self._signer.add_auth(aws)
        return url, data, dict(aws.headers.items())

    async def converse(self, model: str, body: dict[str, Any]) -> dict[str, Any]:
        url, data, headers = self._signed(model, "converse", body)
        response = await next(self._next).post(url, content=data, headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"HTTP {response.status_code}")
        parsed: dict[str, Any] = response.json()
        return parsed

    async def converse_stream(
        self, model: str, body: dict[str, Any]
    ) -> AsyncIterator[dict[str, Any]]:
        from botocore.eventstream import EventStreamBuffer

        url, data, headers = self._signed(model, "converse-stream", body)
        http = next(self._next)
        async with http.stream("POST", url, content=data, headers=headers) as response:
            if response.status_code != 200:
                raise RuntimeError(f"HTTP {response.status_code}")
            buffer = EventStreamBuffer()
            async for chunk in response.aiter_raw():
                buffer.add_data(chunk)
                for message in buffer:
                    # botocore-stubs type it wrongly (int)
                    head = cast(dict[str, Any], message.headers)
                    if head.get(":message-type") != "event":
                        raise RuntimeError(f"stream {head.get(':exception-type')}")
                    yield {head[":event-type"]: json.loads(message.payload)}


async def httpx_client(base: str, kind: str, n: int, pool: int = 0) -> Client:
    client = HttpxBedrock(base, n, pool)
    body = request(kind)

    async def call(model: str) -> None:
        await client.converse(model, body)

    async def stream(model: str) -> None:
        async for _ in client.converse_stream(model, body):
            pass

    return (stream if kind == "stream" else call), client.aclose


BUILDERS = {"tierwise": tierwise_client, "aiobotocore": aiobotocore_client, "httpx": httpx_client}


async def one_round(call: Call, model: str, n: int) -> tuple[int, dict[str, int]]:
    errors: dict[str, int] = {}

    async def guarded() -> bool:
        try:
            await call(model)
            return True
        except Exception as exc:
            errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
            return False

    done = sum(await asyncio.gather(*(guarded() for _ in range(n))))
    return done, errors


async def work(
    candidate: str, kind: str, n: int, port: int, answer_s: float, httpx_pool: int = 0
) -> dict[str, Any]:
    base = f"http://127.0.0.1:{port}"
    builders: dict[str, Callable[[str, str, int], Awaitable[Client]]] = {
        **BUILDERS,
        "httpx": functools.partial(httpx_client, pool=httpx_pool),
    }
    call, close = await builders[candidate](base, kind, n)
    # One request to the instant model first: the lazy loading (service model, parsers) is
    # not what N in flight cost. The measured round opens its N connections itself.
    _, warm_errors = await one_round(call, INSTANT, 1)
    idle_rss = rss_mb()
    peak = [idle_rss]

    async def sample() -> None:
        # RSS while the N paced requests are in flight (not a thread: nothing else runs here)
        for _ in range(8):
            await asyncio.sleep(answer_s / 10)
            peak[0] = max(peak[0], rss_mb())

    sampler = asyncio.ensure_future(sample())
    cpu0, t0 = cpu_s(), time.perf_counter()
    done, errors = await one_round(call, PACED, n)
    wall, cpu = time.perf_counter() - t0, cpu_s() - cpu0
    sampler.cancel()
    await close()
    return {
        "candidate": candidate,
        "kind": kind,
        "n": n,
        "done": done,
        "errors": errors,
        "warm_errors": warm_errors,
        "wall_s": wall,
        "cpu_s": cpu,
        "idle_rss_mb": idle_rss,
        "peak_rss_mb": peak[0],
    }


# --- driver side --------------------------------------------------------------------------


@dataclass
class Row:
    """One worker's figures."""

    candidate: str
    kind: str
    n: int
    done: int
    errors: dict[str, int]
    wall_s: float
    cpu_s: float
    idle_rss_mb: float
    peak_rss_mb: float
    ideal_s: float
    warm_errors: dict[str, int] = field(default_factory=dict)

    @property
    def per_s(self) -> float:
        return self.done / self.wall_s if self.wall_s > 0 else 0.0

    @property
    def vs_ideal(self) -> float:
        return self.per_s / (self.n / self.ideal_s)

    @property
    def cpu_ms(self) -> float:
        """Client CPU ms per completed request."""
        return self.cpu_s * 1000 / max(1, self.done)

    @property
    def rss_per_1k(self) -> float:
        """MB of client RSS per 1,000 requests in flight (growth from after the warm-up)."""
        return (self.peak_rss_mb - self.idle_rss_mb) * 1000 / self.n

    @property
    def error_count(self) -> int:
        return self.n - self.done


def row_from(payload: dict[str, Any], ideal_s: float) -> Row:
    return Row(
        candidate=payload["candidate"],
        kind=payload["kind"],
        n=payload["n"],
        done=payload["done"],
        errors=payload["errors"],
        wall_s=payload["wall_s"],
        cpu_s=payload["cpu_s"],
        idle_rss_mb=payload["idle_rss_mb"],
        peak_rss_mb=payload["peak_rss_mb"],
        ideal_s=ideal_s,
        warm_errors=payload.get("warm_errors", {}),
    )


HEADER = (
    f"{'candidate':<12}{'kind':<7}{'N':>6}{'done/s':>9}{'vs ideal':>9}{'errors':>8}"
    f"{'CPU ms/req':>11}{'RSS MB':>8}{'MB/1k':>7}"
)


def format_row(row: Row, errors_shown: int | None = None) -> str:
    """``errors_shown``: the errors column, where it is not this row's own (a sum)."""
    rss = f"{row.peak_rss_mb:>8.0f}{row.rss_per_1k:>7.1f}" if row.kind == "stream" else " " * 15
    errors = f"{row.error_count if errors_shown is None else errors_shown:>8}"
    return (
        f"{row.candidate:<12}{row.kind:<7}{row.n:>6}{row.per_s:>9.1f}{row.vs_ideal:>9.2f}"
        f"{errors}{row.cpu_ms:>11.2f}{rss}"
    )


def summary(rows: Sequence[Row], baseline: str = "tierwise") -> list[str]:
    """Per kind and N: each candidate's median over repeats, and its CPU per request
    relative to ``baseline``'s in the same repeat (median of those ratios)."""
    lines = [HEADER + f"{'CPU vs ' + baseline:>18}"]
    keys = sorted({(r.kind, r.n) for r in rows}, key=lambda k: (KINDS.index(k[0]), k[1]))
    for kind, n in keys:
        for candidate in CANDIDATES:
            mine = [r for r in rows if (r.candidate, r.kind, r.n) == (candidate, kind, n)]
            if not mine:
                continue
            base = [r for r in rows if (r.candidate, r.kind, r.n) == (baseline, kind, n)]
            ratios = [m.cpu_ms / b.cpu_ms for m, b in zip(mine, base, strict=False) if b.cpu_ms]
            med = Row(
                candidate,
                kind,
                n,
                done=int(statistics.median(r.done for r in mine)),
                errors={},
                wall_s=statistics.median(r.wall_s for r in mine),
                cpu_s=statistics.median(r.cpu_s for r in mine),
                idle_rss_mb=statistics.median(r.idle_rss_mb for r in mine),
                peak_rss_mb=statistics.median(r.peak_rss_mb for r in mine),
                ideal_s=mine[0].ideal_s,
            )
            ratio = f"{statistics.median(ratios):>18.2f}" if ratios else ""
            lines.append(format_row(med, sum(r.error_count for r in mine)) + ratio)
    return lines


def pinned(cpu: str | None, argv: list[str]) -> list[str]:
    return ["taskset", "-c", cpu, *argv] if cpu is not None else argv


def worker_env() -> dict[str, str]:
    """Static SigV4 credentials for every candidate (the emulator checks a signature's
    presence); no profile, config file, bearer token or instance metadata lookups."""
    drop = {"AWS_PROFILE", "AWS_BEARER_TOKEN_BEDROCK", "AWS_SESSION_TOKEN", "PYTHONPATH"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(
        AWS_ACCESS_KEY_ID="AKIDBENCH",
        AWS_SECRET_ACCESS_KEY="bench-secret",
        AWS_DEFAULT_REGION=REGION,
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE="/dev/null",
        AWS_SHARED_CREDENTIALS_FILE="/dev/null",
    )
    return env


def run_worker(
    python: str,
    candidate: str,
    kind: str,
    n: int,
    port: int,
    ideal_s: float,
    pin: bool,
    src: str,
    httpx_pool: int = 0,
) -> Row:
    argv = [
        python,
        os.path.abspath(__file__),
        "--worker",
        candidate,
        "--kind",
        kind,
        "--n",
        str(n),
        "--port",
        str(port),
        "--httpx-pool",
        str(httpx_pool),
    ]
    env = worker_env()
    if candidate == "tierwise":
        env["PYTHONPATH"] = src
    out = subprocess.run(
        pinned("0" if pin else None, argv),
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode != 0 or not lines:
        raise RuntimeError(f"{candidate} {kind} {n} failed:\n{out.stderr[-2000:]}")
    return row_from(json.loads(lines[-1]), ideal_s)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if args.worker:
        ideal = CALL_ANSWER_S if args.kind == "call" else args.stream_s
        done = work(args.worker, args.kind, args.n, args.port, ideal, args.httpx_pool)
        print(json.dumps(asyncio.run(done)))
        return
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, here)
    from concurrency import STREAM_PROMPT as CONC_PROMPT
    from concurrency import free_port, probe_stream_pacing, stop_all, wait_for

    # probe_stream_pacing asks concurrency.py's stream prompt: the same as ours.
    assert CONC_PROMPT == STREAM_PROMPT
    src = os.path.join(os.path.dirname(here), "src")
    pin = not args.no_pin and bool(shutil.which("taskset"))
    candidates = list(args.candidates)
    if "aiobotocore" in candidates and not os.path.exists(args.aiobotocore_python):
        print(f"# aiobotocore skipped: {args.aiobotocore_python} not found")
        candidates.remove("aiobotocore")
    pythons = {
        "tierwise": sys.executable,
        "httpx": sys.executable,
        "aiobotocore": args.aiobotocore_python,
    }
    tw = [sys.executable, "-m", "tierwise", "emulator"]
    procs: list[subprocess.Popen[bytes]] = []
    emu_env = {**os.environ, "PYTHONPATH": src}
    try:

        def emulator(pacing: str) -> int:
            """A paced emulator on CPU 1 (with pinning), up; its port."""
            port = free_port()
            argv = [*tw, "--port", str(port), "--pacing", pacing]
            procs.append(
                subprocess.Popen(
                    pinned("1" if pin else None, argv), env=emu_env, stderr=subprocess.DEVNULL
                )
            )
            wait_for(port)
            return port

        ports = {"call": emulator(f"sonnet:ttft_ms={CALL_ANSWER_S * 1000:.0f},tps=0")}
        # The stream's tokens (asked with an unpaced header) set the pace that spreads them.
        tokens, events = probe_stream_pacing(ports["call"])
        tps = tokens / (args.stream_s - STREAM_TTFT_MS / 1000)
        ports["stream"] = emulator(f"sonnet:ttft_ms={STREAM_TTFT_MS},tps={tps:.1f}")
        versions = (
            subprocess.run(
                [
                    args.aiobotocore_python,
                    "-c",
                    "import aiobotocore, botocore, aiohttp; print(aiobotocore.__version__, "
                    "botocore.__version__, aiohttp.__version__)",
                ],
                capture_output=True,
                text=True,
                check=False,
            ).stdout.split()
            if "aiobotocore" in candidates
            else []
        )
        import botocore
        import httpx

        print(
            f"# bench/async_candidates.py, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
            f"load average {os.getloadavg()[0]:.2f} at start (shared machine: compare "
            f"candidates within this run)"
        )
        print(
            "# pinning: "
            + ("each client process on CPU 0, the emulators on CPU 1 (taskset)" if pin else "none")
        )
        print(
            f"# calls: Sonnet answers after {CALL_ANSWER_S:g} s; streams: first event after "
            f"{STREAM_TTFT_MS} ms, then {events} events ({tokens} tokens at {tps:.0f}/s, "
            f"~{args.stream_s:g} s). "
            "One warm-up request (Haiku, instant) per worker first."
        )
        print(
            f"# tierwise + httpx: botocore {botocore.__version__}, httpx {httpx.__version__}"
            + (
                f"; aiobotocore {versions[0]} (botocore {versions[1]}, aiohttp {versions[2]}, "
                f"own venv)"
                if len(versions) == 3
                else ""
            )
        )
        pools = f"one AsyncClient per {args.httpx_pool} connections" if args.httpx_pool else ""
        print(f"# httpx: {pools or 'one AsyncClient (one connection pool) for all N'}")
        if args.hold:
            print(
                f"# the {args.hold}-stream row: once, after the repeats, for "
                f"{' '.join(c for c in candidates if c in args.hold_candidates)}"
            )
        plan = [("call", n) for n in args.calls] + [("stream", n) for n in args.streams]
        rows: list[Row] = []
        print(HEADER + f"{'repeat':>8}")
        runs = [(repeat, kind, n) for repeat in range(args.repeats) for kind, n in plan]
        if args.hold:
            runs.append((args.repeats, "stream", args.hold))
        for repeat, kind, n in runs:
            ideal = CALL_ANSWER_S if kind == "call" else args.stream_s
            for candidate in order(candidates, repeat):
                if repeat == args.repeats and candidate not in args.hold_candidates:
                    continue
                row = run_worker(
                    pythons[candidate],
                    candidate,
                    kind,
                    n,
                    ports[kind],
                    ideal,
                    pin,
                    src,
                    args.httpx_pool,
                )
                rows.append(row)
                label = "once" if repeat == args.repeats else str(repeat + 1)
                print(format_row(row) + f"{label:>8}", flush=True)
                if row.errors or row.warm_errors:
                    print(f"  errors by type: {row.errors}; in the warm-up: {row.warm_errors}")
        print(
            f"\n# median over {args.repeats} repeat(s) (the --hold row: its one run); errors "
            f"summed; load average "
            f"{os.getloadavg()[0]:.2f} at the end"
        )
        for line in summary(rows):
            print(line)
        print(
            "(done/s: completed requests/s of the measured round; vs ideal: that over N / "
            "the paced answer time; CPU ms/req: the client process's user+system CPU over "
            "the measured round per completed request; RSS MB: its peak; MB/1k: growth "
            "from after the warm-up to that peak per 1,000 streams in flight)"
        )
    finally:
        stop_all(procs)


if __name__ == "__main__":
    main()
