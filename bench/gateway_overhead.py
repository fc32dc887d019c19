"""What the gateway adds on top of Bedrock: requests/s and added latency at several loads.

Run: python bench/gateway_overhead.py [--seconds 4] [--concurrency 1 4 16] [--rates 100 200 300]
     [--http-client botocore|lean] [--auth] [--workers N] [--litellm PATH_TO_litellm]
     [--serve-log FILE] [--log-level info|warning] [--log-format text|json]

The gateway writes its log (one access line per request at the default level ``info``) to
``--serve-log`` (default: discarded); ``--log-level warning`` turns the access log off, to
measure what it costs.

Starts ``tierwise emulator`` and ``tierwise serve`` (routing on: model "auto", loopback; no
auth, or with ``--auth`` an API key with a budget and an rpm limit, so every request is
verified, rate-limited, budget-checked and charged in the ledger's database) as separate
processes, then drives (a) the emulator directly through boto3 and
(b) the gateway's /v1/chat/completions with the same prompt, from this process:

- closed loop at each concurrency level (throughput and latency under saturation), and
- open loop at fixed arrival rates (latency at a given load; measured from each request's
  scheduled start, so a stalled server cannot hide queueing).

The gateway client is a bare keep-alive ``http.client`` connection per thread, so the
numbers are the gateway's, not an SDK's. Streams report time to first event. Also prints
the distribution of the gateway's own ``x-tierwise-overhead-ms``. Figures only; no
thresholds. Everything shares this machine's cores: the client, the gateway and the emulator.

``--litellm PATH`` adds a baseline: (c) the LiteLLM proxy, one worker, in front of the same
emulator (its Bedrock Converse route, same model), driven like the gateway at every load
with the same prompt; extra columns give its rps, p50 and p99 and what it adds to the direct
call, and two closing lines compare what each proxy adds. PATH is the ``litellm`` executable
of a separate venv (``pip install 'litellm[proxy]'``); LiteLLM is not a tierwise dependency.
It runs with no master key (like the gateway's --no-auth), no database, telemetry off, the
bundled model-cost map (no download) and logging at ERROR; its output goes to a temporary
log that is printed if it fails to start. With both proxies and the client on two cores,
the three compete for CPU, so compare them within one run.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
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
LITELLM_MODEL = "bench-sonnet"
LITELLM_CONFIG = """\
model_list:
  - model_name: {name}
    litellm_params:
      model: bedrock/converse/{model}
      aws_bedrock_runtime_endpoint: http://127.0.0.1:{emu_port}
      aws_region_name: us-east-1
      aws_access_key_id: x
      aws_secret_access_key: y
litellm_settings:
  telemetry: false
general_settings:
  dangerously_permit_weak_or_unset_master_key: true
  disable_spend_logs: true
"""
LITELLM_ENV = {
    "LITELLM_LOG": "ERROR",
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    "LITELLM_TELEMETRY_DISABLED": "true",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(port: int, path: str = "/healthz", timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", path)
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"port {port} did not come up")


def start_litellm(
    executable: str, emu_port: int, workdir: str
) -> tuple[subprocess.Popen[bytes], int]:
    """Starts the LiteLLM proxy (one worker) in front of the emulator; waits until it answers."""
    port = free_port()
    config = os.path.join(workdir, "litellm.yaml")
    with open(config, "w") as f:
        f.write(LITELLM_CONFIG.format(name=LITELLM_MODEL, model=MODEL, emu_port=emu_port))
    log_path = os.path.join(workdir, "litellm.log")
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [executable, "--config", config, "--host", "127.0.0.1", "--port", str(port),
             "--num_workers", "1"],
            env={**os.environ, **LITELLM_ENV},
            cwd=workdir,  # keeps it from reading a .env in the caller's directory
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        wait_for(port, "/health/liveliness", timeout=120)
    except RuntimeError:
        stop(proc)
        with open(log_path, errors="replace") as f:
            sys.stderr.write(f.read()[-3000:])
        raise RuntimeError(f"LiteLLM proxy did not come up (log above, from {log_path})") from None
    return proc, port


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b > 0 else "n/a"


def p50_p99(samples: list[tuple[float, float]]) -> tuple[float, float]:
    latencies = [x for x, _ in samples]
    return pct(latencies, 0.5), pct(latencies, 0.99)


class GatewayClient:
    """One keep-alive connection per thread; returns (ms to answer or first event, overhead).

    Works for any OpenAI-style /v1/chat/completions server; overhead is NaN for servers that
    do not send ``x-tierwise-overhead-ms``.
    """

    def __init__(self, port: int, model: str = "auto", key: str | None = None) -> None:
        self.port = port
        self.body = {**BODY, "model": model}
        self.headers = {"content-type": "application/json"}
        if key is not None:
            self.headers["authorization"] = f"Bearer {key}"
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
        payload = json.dumps({**self.body, "stream": True} if stream else self.body)
        conn = self._conn()
        conn.request("POST", "/v1/chat/completions", payload, self.headers)
        response = conn.getresponse()
        if response.status != 200:
            raise RuntimeError(
                f"port {self.port} answered {response.status}: {response.read()[:200]!r}"
            )
        overhead = float(response.headers.get("x-tierwise-overhead-ms", "nan"))
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
    parser.add_argument("--workers", type=int, default=1, help="gateway worker processes")
    parser.add_argument(
        "--auth",
        action="store_true",
        help="serve with API keys: one key with a budget and an rpm limit for every request",
    )
    parser.add_argument(
        "--litellm",
        metavar="PATH",
        help="litellm executable (its own venv): also measure the LiteLLM proxy, one worker",
    )
    parser.add_argument("--serve-log", metavar="FILE", help="write the gateway's log here")
    parser.add_argument("--log-level", default="info", help="the gateway's --log-level")
    parser.add_argument("--log-format", default="text", help="the gateway's --log-format")
    args = parser.parse_args()
    emu_port, gw_port = free_port(), free_port()
    db = f"/tmp/tierwise-bench-{gw_port}.db"
    env = {
        **os.environ,
        "TIERWISE_LEDGER__URL": f"sqlite:///{db}",
        "TIERWISE_RETRY__HTTP_CLIENT": args.http_client,
    }
    tw = [sys.executable, "-m", "tierwise"]
    key: str | None = None
    if args.auth:  # budget and rpm high enough never to refuse, but checked on every request
        created = subprocess.run(
            [*tw, "keys", "create", "--name", "bench", "--budget-usd", "1000000",
             "--rpm", "1000000"],
            env=env, capture_output=True, text=True, check=True,
        )  # fmt: skip
        key = next(w for w in created.stdout.split() if w.startswith("tw_"))
    emulator = subprocess.Popen(
        [*tw, "emulator", "--port", str(emu_port)], env=env, stderr=subprocess.DEVNULL
    )
    gateway = subprocess.Popen(
        [*tw, "--endpoint-url", f"http://127.0.0.1:{emu_port}", "serve",
         *([] if args.auth else ["--no-auth"]), "--port", str(gw_port),
         "--workers", str(args.workers), "--log-level", args.log_level,
         "--log-format", args.log_format],
        env=env,
        stderr=open(args.serve_log, "w") if args.serve_log else subprocess.DEVNULL,  # noqa: SIM115
    )  # fmt: skip
    procs = [emulator, gateway]
    workdir = tempfile.TemporaryDirectory(prefix="tierwise-bench-litellm-")
    try:
        wait_for(emu_port, "/_emulator/stats")  # both: a slow emulator failed warm-up
        wait_for(gw_port)
        runtime = boto3.client(
            "bedrock-runtime",
            endpoint_url=f"http://127.0.0.1:{emu_port}",
            region_name="us-east-1",
            aws_access_key_id="x",
            aws_secret_access_key="y",
            config=Config(max_pool_connections=64, retries={"total_max_attempts": 1}),
        )
        client = GatewayClient(gw_port, key=key)
        litellm: GatewayClient | None = None
        if args.litellm:
            proc, ll_port = start_litellm(args.litellm, emu_port, workdir.name)
            procs.append(proc)
            litellm = GatewayClient(ll_port, LITELLM_MODEL)
        for _ in range(50):  # warm up connections, caches and the router
            direct_call(runtime, False, time.perf_counter())
            client.call(False, time.perf_counter())
            if litellm is not None:
                litellm.call(False, time.perf_counter())
        header = (
            f"{'mode':<8}{'load':>9}{'direct rps':>12}{'gw rps':>8}{'direct p50':>12}"
            f"{'gw p50':>9}{'added p50':>11}{'direct p99':>12}{'gw p99':>9}{'added p99':>11}"
            f"{'overhead p50/p99 (header)':>28}"
        )
        if litellm is not None:
            header += (
                f"{'litellm rps':>13}{'ll p50':>10}{'ll added p50':>14}{'ll p99':>11}"
                f"{'ll added p99':>14}"
            )
        print(header)
        # closed-loop rows per mode: (load, gw rps, gw added p50, litellm rps, litellm added p50)
        compared: dict[str, list[tuple[str, float, float, float, float]]] = {}
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
                (d50, d99), (g50, g99) = p50_p99(d), p50_p99(g)
                oh = [y for _, y in g]
                row = (
                    f"{mode:<8}{label:>9}{d_rps:>12.0f}{g_rps:>8.0f}{d50:>10.2f}ms"
                    f"{g50:>7.2f}ms{g50 - d50:>9.2f}ms{d99:>10.2f}ms{g99:>7.2f}ms"
                    f"{g99 - d99:>9.2f}ms{pct(oh, 0.5):>15.2f}/{pct(oh, 0.99):.2f}ms"
                )
                if litellm is not None:
                    ll, ll_rps = drive(lambda t0, s=stream: litellm.call(s, t0))
                    ll50, ll99 = p50_p99(ll)
                    row += (
                        f"{ll_rps:>13.0f}{ll50:>8.2f}ms{ll50 - d50:>12.2f}ms{ll99:>9.2f}ms"
                        f"{ll99 - d99:>12.2f}ms"
                    )
                    if label.startswith("c="):
                        compared.setdefault(mode, []).append(
                            (label, g_rps, g50 - d50, ll_rps, ll50 - d50)
                        )
                print(row)
        print("(stream latencies are time to first event; added = gateway - direct)")
        if litellm is not None:
            print(
                "(ll = the LiteLLM proxy, one worker, same emulator; ll added = LiteLLM - direct)"
            )
            for mode, rows in compared.items():
                label, _, gw_added, _, ll_added = rows[0]
                gw_peak, ll_peak = max(r[1] for r in rows), max(r[3] for r in rows)
                print(
                    f"tierwise vs LiteLLM, {mode}: added p50 at {label} {gw_added:.2f} vs "
                    f"{ll_added:.2f} ms ({ratio(gw_added, ll_added)}); best closed-loop rps "
                    f"{gw_peak:.0f} vs {ll_peak:.0f} ({ratio(gw_peak, ll_peak)})"
                )
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            stop(proc)
        workdir.cleanup()
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(db + suffix):
                os.remove(db + suffix)


if __name__ == "__main__":
    main()
