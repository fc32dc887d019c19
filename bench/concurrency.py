"""Concurrency with real call durations: many slow calls in flight at once, as in production.

Run: python bench/concurrency.py [--clients 400 2000] [--seconds 20] [--stream-s 5]
     [--arrivals lockstep|staggered] [--jitter CV] [--same-prompt] [--no-pin]
     [--litellm PATH_TO_litellm] [--bare] [--stall-probe]

Starts ``tierwise emulator`` (the asyncio server, paced: non-stream answers arrive after 2 s;
streams send their first event after 100 ms, then deltas spread over ~5 s) and
``tierwise serve`` (one worker, no auth, routing on: model "auto", SQLite ledger), then, from
this process, N concurrent keep-alive clients each loop for ``--seconds``:

- direct: Bedrock's wire (Converse / ConverseStream) to the emulator itself;
- gateway: OpenAI ``/v1/chat/completions`` (``stream`` false/true) to tierwise;
- litellm (``--litellm PATH``): the LiteLLM proxy, one worker, same emulator, optional;
- bare (``--bare``): bench/bare_proxy.py, a relay on the gateway's server stack (uvicorn,
  uvloop, httptools) that does no routing, signing or ledger work, on the gateway's CPU: the
  floor of what a gateway on this stack adds under the same load shape.

Reported per mode and client count: completed requests/s and that relative to direct,
errors, latency p50/p99, time to first byte p50/p99 and what the gateway adds to it (TTFT
overhead = gateway - direct, at the same percentile), and the gateway's RSS: idle, at the
peak, and per 1,000 in-flight streams, and how long the gateway's loop thread waited for a
CPU while runnable (``runq``, ms per second of the run: what other jobs on a shared machine
took from it; 0 where the kernel keeps no schedstat). The load generator is a bare asyncio
HTTP/1.1 client (no SDK), pinned with taskset to CPU 1 with the emulator, the gateway alone on CPU 0
(``--no-pin`` to let the scheduler decide), as stated in the output. Figures only; no
thresholds. The machine is shared: compare columns within one run.

Prompts: each request's text ends with its own reference number, as real traffic repeats no
text (the router memoises the last text's features); ``--same-prompt`` sends one text.

Arrivals: ``lockstep`` (default; what wrk does) starts every client within N ms, and since
every answer takes the same time they stay in step: all N requests arrive in one burst each
call period, so the gateway's per-request setup queues behind the burst. ``staggered`` starts
each client at a random offset within one call period (2 s, or ``--stream-s``), the shape of
independent users; the offered load is the same. Each gateway row is followed by its steady
state: the TTFB overhead of the requests started after the first call period (for the gateway
and the direct baseline alike), which leaves out lockstep's opening burst of N connections
and N requests at once; later periods keep whatever spacing the gateway gave the first.

Jitter: ``--jitter CV`` (default 0) makes the emulator vary each answer's time as real calls'
times vary (pacing ``jitter=CV``: TTFT and generation scaled by a lognormal factor per
request, mean 1, that coefficient of variation, from the emulator's seed), so a lockstep start
desynchronises within a few periods instead of bursting forever. One emulator serves the
direct and the gateway runs alike, so the comparison stays fair.

``--stall-probe`` runs the gateway under bench/stall_probe.py and prints, per gateway run,
its event loop's lag (how late a 2 ms timer wakes) and its GC passes by generation (thread
CPU time each): what stalls every request on the loop at once; then the stalls over 15 ms:
where the loop thread spent them (running, waiting for a CPU, neither) and the top sites
of its sampled Python stack.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field

MODEL = "global.anthropic.claude-sonnet-4-5-20250929-v1:0"
CALL_PROMPT = "Summarize in one sentence: the quarterly numbers beat the forecast."
STREAM_PROMPT = "Explain in detail how TCP congestion control works, step by step."
# The emulator answers "explain in detail" with 250-600 tokens drawn from the request's hash;
# a 250-token cap gives every stream (each with its own text, below) the same length.
STREAM_MAX_TOKENS = 250
# Every request's prompt ends with its own reference number (fixed width, so the body's length
# and the precomputed head stay the same): real traffic repeats no text, and the router
# memoises the features of the text it saw last, which a repeated prompt would hit every time
# (~9 us instead of ~0.3 ms per decision). --same-prompt sends every request with ref 0.
REF_SLOT = b"#########"
REF_SUFFIX = " (ref #########)"
NON_STREAM_PACING = "ttft_ms=2000,tps=0"
TTFT_MS = 100
LITELLM_MODEL = "bench-sonnet"


def jitter_cv(text: str) -> float:
    """``--jitter``'s value, refused here (not by the emulator after the stack is up) when the
    emulator's pacing would refuse it."""
    from tierwise.emulator.pacing import Pace

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    try:
        return Pace(jitter=value).jitter
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def with_jitter(pacing: str, jitter: float) -> str:
    """The emulator's ``--pacing`` for ``pacing`` with ``jitter`` (unchanged without)."""
    return f"{pacing},jitter={jitter:g}" if jitter else pacing


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return
        time.sleep(0.1)
    raise RuntimeError(f"port {port} did not come up")


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) ``pid`` has used: a figure other jobs on the machine do
    not inflate, unlike wall-clock throughput."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def runq_wait_s(pid: int) -> float:
    """Seconds ``pid``'s main thread (the gateway's event loop) has waited on a run queue,
    runnable but not running (/proc/PID/schedstat): how much of its wall time other jobs
    took. 0.0 where the kernel does not keep it."""
    try:
        with open(f"/proc/{pid}/schedstat") as f:
            return int(f.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


@dataclass
class Tally:
    done: int = 0
    errors: int = 0
    latency: list[float] = field(default_factory=list)
    ttfb: list[float] = field(default_factory=list)
    # When each completed request started, in seconds from the run's start (same order as ttfb).
    started: list[float] = field(default_factory=list)
    error_kinds: dict[str, int] = field(default_factory=dict)

    def ttfb_after(self, seconds: float) -> list[float]:
        """TTFB of the requests that started after ``seconds``: the steady state, without
        the opening burst in which every client connects and sends at once."""
        return [t for t, at in zip(self.ttfb, self.started, strict=True) if at >= seconds]

    def fail(self, what: str) -> None:
        self.errors += 1
        self.error_kinds[what] = self.error_kinds.get(what, 0) + 1


async def exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, head: bytes, body: bytes
) -> tuple[int, float, bool]:
    """One request on a keep-alive connection: (status, seconds to first body byte, reusable)."""
    started = time.perf_counter()
    writer.write(head + body)
    await writer.drain()
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("closed before a response")
    status = int(status_line.split()[1])
    headers: dict[str, str] = {}
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    first = 0.0
    if headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int((await reader.readline()).split(b";")[0], 16)
            if size == 0:
                await reader.readline()
                break
            await reader.readexactly(size + 2)
            if not first:
                first = time.perf_counter() - started
    else:
        await reader.readexactly(int(headers.get("content-length", "0")))
        first = time.perf_counter() - started
    return status, first, headers.get("connection", "").lower() != "close"


def request_head(port: int, path: str, body: bytes, extra: dict[str, str]) -> bytes:
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        f"Content-Length: {len(body)}",
        "Content-Type: application/json",
        *(f"{k}: {v}" for k, v in extra.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


@dataclass(frozen=True)
class Target:
    name: str
    port: int
    path: str
    body: bytes
    headers: dict[str, str]


def direct(port: int, stream: bool) -> Target:
    op = "converse-stream" if stream else "converse"
    prompt, max_tokens = (STREAM_PROMPT, STREAM_MAX_TOKENS) if stream else (CALL_PROMPT, 60)
    body = {"messages": [{"role": "user", "content": [{"text": prompt + REF_SUFFIX}]}],
            "inferenceConfig": {"maxTokens": max_tokens}}  # fmt: skip
    # The emulator checks a signature's presence, not its value.
    auth = {"Authorization": "Bearer bench"}
    return Target("direct", port, f"/model/{MODEL}/{op}", json.dumps(body).encode(), auth)


def openai(name: str, port: int, stream: bool, model: str = "auto") -> Target:
    prompt, max_tokens = (STREAM_PROMPT, STREAM_MAX_TOKENS) if stream else (CALL_PROMPT, 60)
    body = {"model": model, "messages": [{"role": "user", "content": prompt + REF_SUFFIX}],
            "max_tokens": max_tokens, "stream": stream}  # fmt: skip
    return Target(name, port, "/v1/chat/completions", json.dumps(body).encode(), {})


async def run_load(
    target: Target, clients: int, seconds: float, spread: float = 0.0, distinct: bool = True
) -> tuple[Tally, float]:
    """``clients`` keep-alive loops for ``seconds``; requests started in the window count
    when they complete (the window is closed after the last one ends). ``spread``: each
    client starts after a random delay up to this many seconds (fixed seed). ``distinct``:
    each request carries its own reference number in its prompt."""
    tally = Tally()
    sent = [0]

    def numbered() -> bytes:
        sent[0] += 1
        ref = b"%09d" % (sent[0] if distinct else 0)
        return target.body.replace(REF_SLOT, ref)

    offsets = random.Random(7)
    head = request_head(target.port, target.path, target.body, target.headers)
    began = time.perf_counter()
    stop_at = began + seconds

    async def one_client(index: int) -> None:
        # a 1 ms ramp: no SYN storm
        await asyncio.sleep(index * 0.001 + (offsets.uniform(0, spread) if spread else 0.0))
        conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            try:
                if conn is None:
                    conn = await asyncio.open_connection("127.0.0.1", target.port, limit=1 << 20)
                status, first, keep = await exchange(*conn, head, numbered())
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                tally.fail(type(exc).__name__)
                if conn is not None:
                    conn[1].close()
                conn = None
                await asyncio.sleep(0.05)
                continue
            if status != 200:
                tally.fail(f"HTTP {status}")
            else:
                tally.done += 1
                tally.latency.append(time.perf_counter() - started)
                tally.ttfb.append(first)
                tally.started.append(started - began)
            if not keep:
                conn[1].close()
                conn = None
        if conn is not None:
            conn[1].close()

    await asyncio.gather(*(one_client(i) for i in range(clients)))
    return tally, time.perf_counter() - began


def sample_rss(pid: int, stop: list[bool], peak: list[float]) -> None:
    while not stop[0]:
        peak[0] = max(peak[0], rss_mb(pid))
        time.sleep(0.1)


def pinned(cpus: str | None, argv: list[str]) -> list[str]:
    return ["taskset", "-c", cpus, *argv] if cpus and shutil.which("taskset") else argv


def start_stack(
    pacing: str,
    env: dict[str, str],
    pin: bool,
    litellm: str | None,
    workdir: str,
    gateway_src: str | None = None,
    probe_out: str | None = None,
    bare: bool = False,
) -> tuple[list[subprocess.Popen[bytes]], int, int, int | None, int | None]:
    tw = [sys.executable, "-m", "tierwise"]
    gw = tw
    if probe_out:
        here = os.path.dirname(os.path.abspath(__file__))
        gw = [sys.executable, os.path.join(here, "stall_probe.py"), probe_out]
    emu_port, gw_port = free_port(), free_port()
    procs = [
        subprocess.Popen(
            pinned("1" if pin else None, [*tw, "emulator", "--port", str(emu_port),
                   "--pacing", pacing]),
            env=env, stderr=subprocess.DEVNULL,
        ),
        subprocess.Popen(
            pinned("0" if pin else None, [*gw, "--endpoint-url", f"http://127.0.0.1:{emu_port}",
                   "serve", "--no-auth", "--port", str(gw_port), "--workers", "1"]),
            env={**env, "PYTHONPATH": gateway_src} if gateway_src else env,
            stderr=subprocess.DEVNULL,
        ),
    ]  # fmt: skip
    ll_port = None
    wait_for(emu_port)
    wait_for(gw_port)
    if litellm:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import gateway_overhead as go

        proc, ll_port = go.start_litellm(litellm, emu_port, workdir)
        procs.append(proc)
    bare_port = None
    if bare:
        bare_port = free_port()
        here = os.path.dirname(os.path.abspath(__file__))
        relay = [sys.executable, os.path.join(here, "bare_proxy.py"), "--port", str(bare_port),
                 "--upstream", str(emu_port)]  # fmt: skip
        relay = pinned("0" if pin else None, relay)
        procs.append(subprocess.Popen(relay, env=env, stderr=subprocess.DEVNULL))
        wait_for(bare_port)
    return procs, emu_port, gw_port, ll_port, bare_port


def stop_all(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def probe_stream_pacing(emu_port: int) -> tuple[int, int]:
    """(output tokens, events) of the stream prompt, asked unpaced."""
    import urllib.request

    target = direct(emu_port, stream=True)
    headers = {**target.headers, "x-tierwise-emulator-pacing": "ttft_ms=0,tps=0",
               "Content-Type": "application/json"}  # fmt: skip
    req = urllib.request.Request(f"http://127.0.0.1:{emu_port}{target.path}", target.body, headers)
    with urllib.request.urlopen(req) as response:
        raw = response.read()
    from botocore.eventstream import EventStreamBuffer

    buffer = EventStreamBuffer()
    buffer.add_data(raw)
    events = [json.loads(m.payload) for m in buffer]
    usage = next(e["usage"] for e in events if "usage" in e)
    return int(usage["outputTokens"]), len(events)


def report_rows(
    mode: str,
    clients: int,
    rows: dict[str, tuple[Tally, float]],
    rss: tuple[float, float] | None,
    cpu: dict[str, float],
    queued: dict[str, float] | None = None,
    period: float = 0.0,
) -> list[str]:
    """One row per target; with ``period``, a second gateway row for the steady state: only
    requests started after the first call period, for the gateway and the direct baseline."""
    base_tally, base_s = rows["direct"]
    base_rps = base_tally.done / base_s
    out = []
    for name, (tally, secs) in rows.items():
        rps = tally.done / secs
        over50 = (pct(tally.ttfb, 0.5) - pct(base_tally.ttfb, 0.5)) * 1000
        over99 = (pct(tally.ttfb, 0.99) - pct(base_tally.ttfb, 0.99)) * 1000
        added = "" if name == "direct" else f"{over50:+9.1f} {over99:+9.1f}"
        memory = ""
        if name in cpu and tally.done:
            memory += f"  cpu {cpu[name] * 1000 / tally.done:.2f} ms/req"
        if queued and name in queued:
            memory += f"  runq {queued[name] * 1000 / secs:.0f} ms/s"
        if rss is not None and name == "gateway":
            idle, peak = rss
            memory += f"  rss {idle:.0f}->{peak:.0f} MB"
            if mode == "stream":
                memory += f" ({(peak - idle) * 1000 / clients:.0f} MB per 1,000 in flight)"
        out.append(
            f"{mode:<7}{clients:>6} {name:<8}{rps:>9.1f} {rps / base_rps:>6.2f}x {tally.errors:>6} "
            f"{pct(tally.latency, 0.5) * 1000:>9.0f} {pct(tally.latency, 0.99) * 1000:>9.0f} "
            f"{pct(tally.ttfb, 0.5) * 1000:>9.1f} {pct(tally.ttfb, 0.99) * 1000:>9.1f} "
            f"{added:>19}{memory}" + (f"  errors: {tally.error_kinds}" if tally.error_kinds else "")
        )
        if period and name != "direct":
            mine, base = tally.ttfb_after(period), base_tally.ttfb_after(period)
            if mine and base:
                steady50 = (pct(mine, 0.5) - pct(base, 0.5)) * 1000
                steady99 = (pct(mine, 0.99) - pct(base, 0.99)) * 1000
                out.append(
                    f"{mode:<7}{clients:>6} {name:<8} steady state (requests started after the "
                    f"first {period:g} s: {len(mine)} of {len(tally.ttfb)}; direct {len(base)}): "
                    f"ttfb+ p50 {steady50:+.1f} p99 {steady99:+.1f} ms"
                )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[400, 2000])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--stream-s", type=float, default=5.0, help="target stream duration")
    parser.add_argument("--modes", nargs="+", default=["request", "stream"])
    parser.add_argument(
        "--arrivals",
        choices=["lockstep", "staggered"],
        default="lockstep",
        help="clients start together (lockstep) or spread over one call period (staggered)",
    )
    parser.add_argument(
        "--jitter",
        type=jitter_cv,
        default=0.0,
        metavar="CV",
        help="vary each answer's time around the paced one with this coefficient of variation "
        "(lognormal, seeded; 0: every answer takes exactly the paced time)",
    )
    parser.add_argument("--no-pin", action="store_true", help="do not pin with taskset")
    parser.add_argument(
        "--same-prompt",
        action="store_true",
        help="send every request with the same text (before this flag existed, the only way)",
    )
    parser.add_argument("--litellm", metavar="PATH", help="also the LiteLLM proxy (one worker)")
    parser.add_argument(
        "--bare",
        action="store_true",
        help="also bench/bare_proxy.py: a relay on the same server stack doing no work (the floor)",
    )
    parser.add_argument(
        "--stall-probe",
        action="store_true",
        help="run the gateway under bench/stall_probe.py: loop lag and GC passes per run",
    )
    parser.add_argument(
        "--gateway-src",
        metavar="DIR",
        help="run the gateway from this src/ directory (e.g. an older checkout, to compare)",
    )
    args = parser.parse_args()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    pin = not args.no_pin and bool(shutil.which("taskset"))
    if pin:
        os.sched_setaffinity(0, {1})
    workdir = tempfile.mkdtemp(prefix="tierwise-bench-concurrency-")
    env = {**os.environ, "TIERWISE_LEDGER__URL": f"sqlite:///{workdir}/ledger.db"}
    print(f"# bench/concurrency.py, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
          f"{os.cpu_count()} CPUs; load {os.getloadavg()[0]:.2f} at start")  # fmt: skip
    print("# pinning: " + ("gateway on CPU 0; load generator and emulator on CPU 1 (taskset)"
          if pin else "none (scheduler decides)"))  # fmt: skip
    print(f"# arrivals: {args.arrivals}")
    print("# jitter: " + (f"CV {args.jitter:g}: each answer's time scaled by a lognormal factor "
          "drawn per request (mean 1; the emulator's seed 0), direct and gateway alike"
          if args.jitter else "none: every answer takes exactly the paced time"))  # fmt: skip
    print("# prompts: " + ("the same text every request" if args.same_prompt
          else "each request's text is new (its own reference number)"))  # fmt: skip
    print("# the machine is shared with other jobs: compare columns within this run")
    if args.gateway_src:
        print(f"# gateway code from {args.gateway_src}")
    lines = []
    stalls: list[str] = []
    header = (f"{'mode':<7}{'clients':>6} {'target':<8}{'rps':>9} {'vs dir':>7} {'errors':>6} "
              f"{'lat p50':>9} {'lat p99':>9} {'ttfb p50':>9} {'ttfb p99':>9} "
              f"{'ttfb+ p50':>9} {'ttfb+ p99':>9}  (ms)")  # fmt: skip
    for mode in args.modes:
        stream = mode == "stream"
        pacing = with_jitter(NON_STREAM_PACING, args.jitter)
        probe_out = os.path.join(workdir, f"stalls-{mode}.json") if args.stall_probe else None
        procs, emu_port, gw_port, ll_port, bare_port = start_stack(
            pacing, env, pin, None, workdir, args.gateway_src, probe_out, args.bare
        )
        windows: dict[int, tuple[float, float]] = {}
        on_average = f" on average (jitter CV {args.jitter:g})" if args.jitter else ""
        note = f"non-stream answers after 2 s{on_average} (pacing ttft_ms=2000)"
        if stream:
            tokens, events = probe_stream_pacing(emu_port)
            stop_all(procs)
            tps = tokens / (args.stream_s - TTFT_MS / 1000)
            pacing = with_jitter(f"ttft_ms={TTFT_MS},tps={tps:.1f}", args.jitter)
            gap_ms = (args.stream_s * 1000 - TTFT_MS) / max(1, events - 1)
            note = (
                f"streams: {events} events, first after {TTFT_MS} ms, then one every "
                f"{gap_ms:.0f} ms ({tokens} tokens at {tps:.0f}/s, ~{args.stream_s:g} s)"
                f"{on_average}"
            )
        if stream or args.litellm:
            stop_all(procs)
            procs, emu_port, gw_port, ll_port, bare_port = start_stack(
                pacing, env, pin, args.litellm, workdir, args.gateway_src, probe_out, args.bare
            )
        print(f"# {mode}: emulator pacing {pacing!r}: {note}")
        try:
            gw_pid = procs[1].pid
            warm = [openai("gateway", gw_port, stream)]
            if ll_port is not None:
                warm.append(openai("litellm", ll_port, stream, LITELLM_MODEL))
            if bare_port is not None:
                warm.append(openai("bare", bare_port, stream))
            for target in warm:  # imports, the router's model, connection pools: not measured
                asyncio.run(run_load(target, 20, 0.5))
            for clients in args.clients:
                targets = [direct(emu_port, stream), openai("gateway", gw_port, stream)]
                if ll_port is not None:
                    targets.append(openai("litellm", ll_port, stream, LITELLM_MODEL))
                if bare_port is not None:
                    targets.append(openai("bare", bare_port, stream))
                rows: dict[str, tuple[Tally, float]] = {}
                rss: tuple[float, float] | None = None
                cpu: dict[str, float] = {}
                queued: dict[str, float] = {}
                pids = {"gateway": gw_pid}
                if ll_port is not None:
                    pids["litellm"] = procs[2].pid
                if bare_port is not None:
                    pids["bare"] = procs[-1].pid
                for target in targets:
                    used = cpu_s(pids[target.name]) if target.name in pids else 0.0
                    waited = runq_wait_s(pids[target.name]) if target.name in pids else 0.0
                    idle = rss_mb(gw_pid)
                    stop, peak = [False], [idle]
                    sampler = threading.Thread(target=sample_rss, args=(gw_pid, stop, peak))
                    sampler.start()
                    since = time.time()
                    try:
                        spread = 0.0
                        if args.arrivals == "staggered":
                            spread = args.stream_s if mode == "stream" else 2.0
                        rows[target.name] = asyncio.run(
                            run_load(target, clients, args.seconds, spread, not args.same_prompt)
                        )
                    finally:
                        stop[0] = True
                        sampler.join()
                    if target.name in pids:
                        cpu[target.name] = cpu_s(pids[target.name]) - used
                        queued[target.name] = runq_wait_s(pids[target.name]) - waited
                    if target.name == "gateway":
                        rss = (idle, peak[0])
                        windows[clients] = (since, time.time())
                    time.sleep(1)
                period = args.stream_s if mode == "stream" else 2.0
                lines += report_rows(mode, clients, rows, rss, cpu, queued, period)
                print("\n".join([header, *lines[-len(rows) :]]), flush=True)
        finally:
            stop_all(procs)
        if probe_out and os.path.exists(probe_out):
            import stall_probe

            first = len(stalls)
            for clients, (since, until) in windows.items():
                stalls.append(f"{mode:<7}{clients:>6} gateway " + stall_probe.summary(
                    probe_out, since, until))  # fmt: skip
                stalls += [f"{mode:<7}{clients:>6} gateway {line}" for line in
                           stall_probe.sites(probe_out, since, until)]  # fmt: skip
            print("\n".join(stalls[first:]), flush=True)
    print()
    print(header)
    print("\n".join(lines))
    if stalls:
        print("\n".join(stalls))
    print("(rps = completed requests/s over the run; vs dir = relative to calling the emulator "
          "directly; ttfb = time to the first body byte (a stream's first event); ttfb+ = "
          "gateway - direct at that percentile; cpu = the proxy process's own CPU time per "
          "completed request, which other jobs on the machine do not inflate; runq = ms per second "
          "of the run the gateway's loop thread was runnable but waiting for a CPU: what "
          "other jobs took from it)")  # fmt: skip


if __name__ == "__main__":
    main()
