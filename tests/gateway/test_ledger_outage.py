"""A ledger that survives its database: the test's own PostgreSQL cluster (never the shared
one) is stopped and restarted under load. No delivered response loses its row (rows of calls
made while it was down are spooled and replayed, also by a gateway restarted during the
outage), and the only errors are 503s with retry-after, never 500."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from live_server import spool_empty, start_gateway, wait_until
from pg import Cluster, throwaway_cluster
from tierwise.config import Settings
from tierwise.emulator import Emulator, Faults
from tierwise.store import open_ledger
from tierwise.store.keys import KeyStore
from tierwise.store.sql import SQLLedger

BODY = {"model": "haiku", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 20}


@dataclass
class Load:
    """Requests in a loop on a few threads, every answer kept."""

    url: Callable[[], str]
    headers: dict[str, str]
    threads: int = 6
    stop: threading.Event = field(default_factory=threading.Event)
    answers: list[tuple[int, str | None, str | None]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    workers: list[threading.Thread] = field(default_factory=list)

    def _run(self) -> None:
        with httpx.Client(timeout=30) as client:
            while not self.stop.is_set():
                try:
                    r = client.post(
                        self.url() + "/v1/chat/completions", json=BODY, headers=self.headers
                    )
                except httpx.HTTPError:
                    time.sleep(0.05)  # the gateway is restarting: no answer, nothing delivered
                    continue
                with self.lock:
                    self.answers.append(
                        (r.status_code, r.headers.get("x-tierwise-request-id"),
                         r.headers.get("retry-after"))
                    )  # fmt: skip

    def __enter__(self) -> Load:
        self.workers = [threading.Thread(target=self._run) for _ in range(self.threads)]
        for w in self.workers:
            w.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for w in self.workers:
            w.join(30)

    def since(self, mark: int) -> list[tuple[int, str | None, str | None]]:
        with self.lock:
            return self.answers[mark:]

    def mark(self) -> int:
        with self.lock:
            return len(self.answers)


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    with throwaway_cluster() as c:
        yield c


@pytest.fixture(scope="module")
def emulator(default_settings: Settings) -> Iterator[Emulator]:
    # Calls take a moment, so some are in flight whenever the database goes.
    with Emulator(default_settings, port=0, faults=Faults(latency_ms=150)).start() as emu:
        yield emu


def test_keyed_load_through_an_outage_gets_only_503s_and_loses_no_row(
    cluster: Cluster, emulator: Emulator, tmp_path: Path
) -> None:
    ledger = open_ledger(cluster.url)
    assert isinstance(ledger, SQLLedger)
    keys = KeyStore(ledger)
    key, secret = keys.create("load", budget_usd=Decimal("100"))
    spool = tmp_path / "spool.jsonl"
    proc, url = start_gateway(
        emulator.url, cluster.url, env={"TIERWISE_LEDGER__SPOOL_PATH": str(spool)}
    )
    try:
        with Load(lambda: url, {"authorization": f"Bearer {secret}"}) as load:
            time.sleep(1.5)
            cluster.stop()
            down = load.mark()
            # Calls in flight spool their rows within the pool's 2 s wait; the outage lasts
            # well past that, so later requests meet it and are refused.
            time.sleep(5.0)
            ready = httpx.get(url + "/readyz", timeout=5)
            assert ready.status_code == 503
            cluster.start()
            time.sleep(0.5)
            wait_until(lambda: any(s == 200 for s, _, _ in load.since(load.mark() - 1)), 20)
            time.sleep(1.0)
        wait_until(lambda: spool_empty(spool))
    finally:
        proc.terminate()
        proc.wait(10)
    statuses = {s for s, _, _ in load.answers}
    assert statuses <= {200, 503}, statuses
    refused = [a for a in load.answers if a[0] == 503]
    assert refused, "requests arriving while the database was down are refused"
    assert all(retry for _, _, retry in refused), "every 503 says when to retry"
    assert any(s == 200 for s, _, _ in load.answers[:down])
    delivered = [rid for s, rid, _ in load.answers if s == 200]
    rows = ledger.rows()
    recorded = {r.request_id for r in rows}
    assert [rid for rid in delivered if rid not in recorded] == []
    # Spooled rows were charged on replay: the key's spend is its rows, nothing reserved.
    after = keys.get(key.id)
    assert after is not None and after.reserved_usd == 0
    assert after.spent_usd == sum((r.cost_usd for r in rows if r.api_key_id == key.id), Decimal(0))
    ledger.close()


def test_keyless_rows_spool_across_a_gateway_restart_during_the_outage(
    cluster: Cluster, emulator: Emulator, tmp_path: Path
) -> None:
    spool = tmp_path / "spool.jsonl"
    env = {"TIERWISE_LEDGER__SPOOL_PATH": str(spool)}
    current: dict[str, str] = {}

    def serve() -> subprocess.Popen[bytes]:
        proc, current["url"] = start_gateway(
            emulator.url, cluster.url, env=env, serve_args=["--no-auth"]
        )
        return proc

    proc = serve()
    try:
        with Load(lambda: current["url"], {}) as load:
            time.sleep(1.0)
            cluster.stop()
            time.sleep(1.5)
            # Restart the gateway while the database is still down.
            proc.terminate()
            proc.wait(10)
            assert not spool_empty(spool), "answers served during the outage were spooled"
            proc = serve()
            time.sleep(1.5)
            cluster.start()
            time.sleep(1.0)
        wait_until(lambda: spool_empty(spool))
    finally:
        proc.terminate()
        proc.wait(10)
    statuses = {s for s, _, _ in load.answers}
    assert statuses == {200}, statuses  # keyless requests are served through the outage
    ledger = open_ledger(cluster.url)
    rows = ledger.rows()
    ledger.close()
    delivered = [rid for s, rid, _ in load.answers if s == 200]
    recorded = [r.request_id for r in rows]
    assert [rid for rid in delivered if rid not in recorded] == []
    assert len(recorded) == len(set(recorded)), "each spooled row was replayed once"


def test_spool_serves_a_budgeted_key_through_an_outage_within_its_budget(
    cluster: Cluster, emulator: Emulator, tmp_path: Path
) -> None:
    """``[ledger] on_outage = "spool"``: a key this gateway has seen is served while the
    database is down, its budget enforced in the gateway from what it last read plus what it
    has reserved and spent since (429 when it does not fit, never 503 or 500); the spooled
    rows are charged on replay and the spend stays within the budget."""
    ledger = open_ledger(cluster.url)
    assert isinstance(ledger, SQLLedger)
    keys = KeyStore(ledger)
    _, probe = keys.create("probe")
    spool = tmp_path / "spool.jsonl"
    env = {"TIERWISE_LEDGER__SPOOL_PATH": str(spool), "TIERWISE_LEDGER__ON_OUTAGE": "spool"}
    proc, url = start_gateway(emulator.url, cluster.url, env=env)
    answers: list[tuple[int, str | None]] = []
    try:
        with httpx.Client(timeout=30) as client:

            def ask(secret: str) -> httpx.Response:
                r = client.post(
                    url + "/v1/chat/completions", json=BODY,
                    headers={"authorization": f"Bearer {secret}"},
                )  # fmt: skip
                answers.append((r.status_code, r.headers.get("x-tierwise-request-id")))
                return r

            cost = Decimal(ask(probe).headers["x-tierwise-cost-usd"])
            # Room for about ten calls; each reserves its worst case, more than it costs.
            budget = cost * 10
            key, secret = keys.create("small", budget_usd=budget)
            assert ask(secret).status_code == 200  # the gateway has read the key
            cluster.stop()
            during: list[httpx.Response] = []
            for _ in range(40):
                during.append(ask(secret))
                if during[-1].status_code == 429:
                    break
            cluster.start()
        wait_until(lambda: spool_empty(spool))
    finally:
        proc.terminate()
        proc.wait(10)
    statuses = [r.status_code for r in during]
    assert set(statuses) <= {200, 429}, statuses
    assert statuses.count(200) >= 1, "the key was served during the outage"
    assert statuses[-1] == 429, "the budget was enforced during the outage"
    assert "counted in this process" in during[-1].json()["error"]["message"]
    rows = ledger.rows()
    recorded = {r.request_id for r in rows}
    assert [rid for s, rid in answers if s == 200 and rid not in recorded] == []
    after = keys.get(key.id)
    assert after is not None and after.reserved_usd == 0
    spent = sum((r.cost_usd for r in rows if r.api_key_id == key.id), Decimal(0))
    assert after.spent_usd == spent <= budget
    ledger.close()
