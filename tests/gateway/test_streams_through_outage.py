"""Streams delivered while the ledger database goes down: the test's own PostgreSQL cluster
(never the shared one) is stopped while streams are open on both SDK doors and started again
after they end. Each delivered stream keeps its row (spooled, then replayed) and its key is
charged exactly its rows, nothing left reserved."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from live_server import spool_empty, start_gateway, wait_until
from pg import Cluster, throwaway_cluster
from tierwise.config import Settings
from tierwise.emulator import Emulator, Faults
from tierwise.emulator.pacing import Pacing
from tierwise.store import open_ledger
from tierwise.store.keys import KeyStore
from tierwise.store.sql import SQLLedger

ASK = "Write a long essay about the history of the printing press, in detail."
BODIES = {
    "/v1/chat/completions": {
        "model": "haiku", "stream": True, "max_tokens": 60,
        "messages": [{"role": "user", "content": ASK}],
    },
    "/v1/messages": {
        "model": "haiku", "stream": True, "max_tokens": 60,
        "messages": [{"role": "user", "content": ASK}],
    },
}  # fmt: skip


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    with throwaway_cluster() as c:
        yield c


@pytest.fixture(scope="module")
def paced(default_settings: Settings) -> Iterator[Emulator]:
    # 60 tokens at 20 a second: each stream is open for about 3 s.
    faults = Faults(pacing=Pacing.parse("ttft_ms=50,tps=20"))
    with Emulator(default_settings, port=0, faults=faults).start() as emu:
        yield emu


def test_streams_open_as_the_database_goes_keep_their_rows_and_charges(
    cluster: Cluster, paced: Emulator, tmp_path: Path
) -> None:
    ledger = open_ledger(cluster.url)
    assert isinstance(ledger, SQLLedger)
    keys = KeyStore(ledger)
    key, secret = keys.create("streams", budget_usd=Decimal("100"))
    spool = tmp_path / "spool.jsonl"
    proc, url = start_gateway(
        paced.url, cluster.url, env={"TIERWISE_LEDGER__SPOOL_PATH": str(spool)}
    )
    opened = threading.Barrier(2 * len(BODIES) + 1)
    delivered: list[tuple[str, str]] = []
    lock = threading.Lock()

    def stream(path: str) -> None:
        headers = {"authorization": f"Bearer {secret}"}
        with httpx.stream("POST", url + path, json=BODIES[path], headers=headers, timeout=60) as r:
            chunks = r.iter_bytes()
            first = next(chunks)
            opened.wait(30)
            body = first + b"".join(chunks)
        assert r.status_code == 200, body
        with lock:
            delivered.append((r.headers["x-tierwise-request-id"], body.decode()))

    try:
        workers = [
            threading.Thread(target=stream, args=(path,)) for path in BODIES for _ in range(2)
        ]
        for w in workers:
            w.start()
        opened.wait(30)  # every stream has sent its first bytes
        cluster.stop()
        for w in workers:
            w.join(60)
        cluster.start()
        wait_until(lambda: spool_empty(spool), 30)
    finally:
        proc.terminate()
        proc.wait(10)
    assert len(delivered) == 2 * len(BODIES)
    assert spool.exists(), "the streams ended while the database was down: rows spooled"
    rows = [r for r in ledger.rows() if r.api_key_id == key.id]
    assert sorted(r.request_id for r in rows) == sorted(rid for rid, _ in delivered)
    assert all(r.output_tokens > 0 and r.cost_usd > 0 for r in rows)
    after = keys.get(key.id)
    ledger.close()
    assert after is not None and after.reserved_usd == 0
    assert after.spent_usd == sum((r.cost_usd for r in rows), Decimal(0))
