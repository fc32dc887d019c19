"""Several gateway processes on one PostgreSQL ledger: no delivered response missing from
the ledger after the gateway is killed with SIGKILL under load (shared budgets:
tests/gateway/test_budget_caps.py)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from live_server import kill_under_load, start_gateway
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


def ask(url: str, key: str) -> httpx.Response:
    return httpx.post(
        url + "/v1/chat/completions",
        json={"model": "haiku", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 20},
        headers={"authorization": f"Bearer {key}"},
        timeout=30,
    )


def test_sigkill_under_load_loses_no_delivered_response(pg_url: str, emulator: Emulator) -> None:
    ledger = open_ledger(pg_url)
    assert isinstance(ledger, SQLLedger)
    _, secret = KeyStore(ledger).create("load")
    proc, url = start_gateway(emulator.url, pg_url)

    def call(client: httpx.Client) -> str | None:
        r = client.post(
            url + "/v1/chat/completions",
            json={"model": "auto", "messages": [{"role": "user", "content": "hi"}]},
            headers={"authorization": f"Bearer {secret}"},
        )
        return r.headers["x-tierwise-request-id"] if r.status_code == 200 else None

    delivered = kill_under_load(proc, [call] * 8, at_least=20, within_s=30)
    recorded = {r.request_id for r in ledger.rows()}
    missing = [rid for rid in delivered if rid not in recorded]
    assert missing == []
    ledger.close()
