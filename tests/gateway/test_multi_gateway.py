"""Several gateway processes on one PostgreSQL ledger: shared budgets, and no delivered
response missing from the ledger after the gateway is killed with SIGKILL under load."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import httpx
import pytest

from live_server import free_port
from pg import pg_schema_url
from tierwise.config import Settings
from tierwise.emulator import Emulator
from tierwise.store import open_ledger
from tierwise.store.keys import KeyStore
from tierwise.store.sql import SQLLedger


@pytest.fixture
def pg_url() -> Iterator[str]:
    with pg_schema_url() as url:
        yield url


@pytest.fixture
def emulator(default_settings: Settings) -> Iterator[Emulator]:
    with Emulator(default_settings, port=0).start() as emu:
        yield emu


def start_gateway(emu_url: str, db: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIERWISE_")}
    proc = subprocess.Popen(
        [sys.executable, "-c", "from tierwise.cli.app import main; main()",
         "--endpoint-url", emu_url, "--db", db, "serve", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("gateway did not start")


def ask(url: str, key: str) -> httpx.Response:
    return httpx.post(
        url + "/v1/chat/completions",
        json={"model": "haiku", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 20},
        headers={"authorization": f"Bearer {key}"},
        timeout=30,
    )


def test_two_gateways_share_one_budget(pg_url: str, emulator: Emulator) -> None:
    ledger = open_ledger(pg_url)
    assert isinstance(ledger, SQLLedger)
    keys = KeyStore(ledger)
    _, probe = keys.create("probe")
    gateways = [start_gateway(emulator.url, pg_url) for _ in range(2)]
    try:
        unit = Decimal(ask(gateways[0][1], probe).headers["x-tierwise-cost-usd"])
        budget = unit * 10
        key, secret = keys.create("shared", budget_usd=budget)
        with ThreadPoolExecutor(20) as pool:
            responses = list(pool.map(lambda i: ask(gateways[i % 2][1], secret), range(100)))
    finally:
        for proc, _ in gateways:
            proc.terminate()
            proc.wait(10)
    ok = [r for r in responses if r.status_code == 200]
    assert all(r.status_code in (200, 429) for r in responses)
    spent = keys.get(key.id).spent_usd  # type: ignore[union-attr]
    assert spent == sum(Decimal(r.headers["x-tierwise-cost-usd"]) for r in ok)
    assert len(ok) >= 10
    assert spent < budget + unit * 20  # at most what was in flight when the budget ran out
    ledger.close()


def test_sigkill_under_load_loses_no_delivered_response(pg_url: str, emulator: Emulator) -> None:
    ledger = open_ledger(pg_url)
    assert isinstance(ledger, SQLLedger)
    _, secret = KeyStore(ledger).create("load")
    proc, url = start_gateway(emulator.url, pg_url)
    delivered: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def load() -> None:
        with httpx.Client(timeout=10) as client:
            while not stop.is_set():
                try:
                    r = client.post(
                        url + "/v1/chat/completions",
                        json={"model": "auto", "messages": [{"role": "user", "content": "hi"}]},
                        headers={"authorization": f"Bearer {secret}"},
                    )
                except httpx.HTTPError:
                    return
                if r.status_code == 200:
                    with lock:
                        delivered.append(r.headers["x-tierwise-request-id"])

    threads = [threading.Thread(target=load) for _ in range(8)]
    for t in threads:
        t.start()
    time.sleep(1.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    stop.set()
    for t in threads:
        t.join(15)
    assert len(delivered) > 20, "the load must have been running when the gateway died"
    recorded = {r.request_id for r in ledger.rows()}
    missing = [rid for rid in delivered if rid not in recorded]
    assert missing == []
    ledger.close()
