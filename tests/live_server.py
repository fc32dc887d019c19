"""Serving an ASGI app on a free loopback port for a test (shared by the gateway tests).

A plain module rather than conftest.py: test files import these helpers by name, and every
test folder has its own conftest, so ``from conftest import ...`` depended on which folder
pytest collected first.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn

__all__ = [
    "START_TIMEOUT_S",
    "free_port",
    "kill_under_load",
    "run_server",
    "spool_empty",
    "start_gateway",
    "wait_until",
]


def wait_until(
    check: Callable[[], bool], timeout: float = 30.0, what: str = "the condition"
) -> None:
    """Poll ``check`` until it holds: what another process or thread does after a response
    (an upstream noticing a hang-up, a spool draining) lands a moment later, later still on a
    loaded machine. ``timeout`` only bounds a failure, it is not a latency bar."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out after {timeout:g} s waiting for {what}"
        time.sleep(0.05)


def spool_empty(path: Path) -> bool:
    """Whether a gateway's ledger spool holds no row (not written yet, or replayed)."""
    return not path.exists() or not path.read_text().strip()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# How long a server may take to start before a test fails: a start takes a second or two on
# a quiet machine and tens of seconds at load 30+ (30 s was not enough there). A server that
# exits fails at once, with its stderr, whatever this bound.
START_TIMEOUT_S = 180.0


def run_server(app: Any) -> tuple[uvicorn.Server, threading.Thread, str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("gateway thread exited before it started (its error is above)")
        if time.monotonic() > deadline:
            raise RuntimeError(f"gateway did not start within {START_TIMEOUT_S:g} s")
        time.sleep(0.02)
    return server, thread, f"http://127.0.0.1:{port}"


def start_gateway(
    emu_url: str,
    db: str,
    *,
    args: Sequence[str] = (),
    serve_args: Sequence[str] = (),
    env: dict[str, str] | None = None,
    timeout_s: float = START_TIMEOUT_S,
) -> tuple[subprocess.Popen[bytes], str]:
    """``tierwise serve`` as its own process on ``db``, in front of the emulator at
    ``emu_url``; returns the process and its base URL once /healthz answers. A process that
    exits first fails at once with its stderr; one still starting is waited for up to
    ``timeout_s`` (then killed, with its stderr so far)."""
    port = free_port()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("TIERWISE_")}
    environ.update(env or {})
    # A file, not a pipe: nothing reads a pipe while the gateway runs, and a full one would
    # block its logging.
    with tempfile.TemporaryFile() as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-c", "from tierwise.cli.app import main; main()",
             "--endpoint-url", emu_url, "--db", db, *args, "serve", "--port", str(port),
             *serve_args],
            env=environ, stdout=subprocess.DEVNULL, stderr=stderr,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + timeout_s
        while (code := proc.poll()) is None and time.monotonic() < deadline:
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    return proc, url
            except httpx.HTTPError:
                time.sleep(0.1)
        if code is None:
            proc.kill()
            proc.wait(10)
            why = f"did not answer /healthz within {timeout_s:g} s"
        else:
            why = f"exited with code {code} before it started"
        stderr.seek(0)
        said = stderr.read().decode("utf-8", "replace").strip()
    raise RuntimeError(f"tierwise serve {why}; its stderr:\n{said or '(empty)'}")


@dataclass
class EmulatedGateway:
    """A gateway in a thread over an in-process emulator, with its client and key store."""

    url: str
    keys: Any  # tierwise.store.keys.KeyStore
    tierwise: Any  # tierwise.client.Tierwise
    emulator: Any  # tierwise.emulator.Emulator
    settings: Any  # tierwise.config.Settings


@contextmanager
def emulated_gateway(
    settings: Any, db: Path, overrides: Mapping[str, Any]
) -> Iterator[EmulatedGateway]:
    """Emulator, settings pointed at it (plus ``overrides``), a SQLite ledger at ``db``, API
    keys and a live gateway; all torn down on exit."""
    from tierwise.client import Tierwise
    from tierwise.emulator import Emulator
    from tierwise.gateway import create_app
    from tierwise.store.keys import KeyStore

    with Emulator(settings, port=0).start() as emu:
        settings = settings.with_overrides({"endpoint_url": emu.url, **overrides})
        tw = Tierwise.from_settings(settings, ledger_url=f"sqlite:///{db}")
        keys = KeyStore(tw.ledger)
        server, thread, url = run_server(create_app(settings, tierwise=tw, keys=keys, auth=True))
        try:
            yield EmulatedGateway(url, keys, tw, emu, settings)
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            tw.close()


def kill_under_load(
    proc: subprocess.Popen[bytes],
    requests: Sequence[Callable[[httpx.Client], str | None]],
    *,
    at_least: int,
    within_s: float,
) -> list[str]:
    """Runs each of ``requests`` in a loop on its own thread (one returns the request id of a
    response delivered whole, or None), SIGKILLs the gateway once more than ``at_least``
    were delivered (a fixed sleep delivered too few under load), and returns their ids."""
    delivered: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def load(request: Callable[[httpx.Client], str | None]) -> None:
        with httpx.Client(timeout=10) as client:
            while not stop.is_set():
                try:
                    rid = request(client)
                except httpx.HTTPError:
                    return
                if rid:
                    with lock:
                        delivered.append(rid)

    threads = [threading.Thread(target=load, args=(r,)) for r in requests]
    for t in threads:
        t.start()
    deadline = time.monotonic() + within_s
    while True:
        with lock:
            running = len(delivered) > at_least
        if running or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    stop.set()
    for t in threads:
        t.join(15)
    assert len(delivered) > at_least, "the load must have been running when the gateway died"
    return delivered
