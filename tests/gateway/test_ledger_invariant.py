"""The money invariant: a delivered response always has its ledger row, whatever happens
after the delivery (here, SIGKILL under load). With API keys (rows settled with their
reservation): tests/gateway/test_multi_gateway.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from live_server import kill_under_load, start_gateway
from tierwise.config import Settings
from tierwise.emulator import Emulator
from tierwise.store import open_ledger


@pytest.fixture
def emulator(default_settings: Settings) -> Any:
    with Emulator(default_settings, port=0).start() as emu:
        yield emu


def test_sigkill_under_load_loses_no_delivered_response_without_keys(
    tmp_path: Path, emulator: Emulator
) -> None:
    """Without API keys no row holds a reservation (the rows are written as they are, not
    with a budget's settlement): calls and streams delivered before a SIGKILL all have
    their rows, since a response is delivered only after its row is committed."""
    db = f"sqlite:///{tmp_path}/ledger.db"
    proc, url = start_gateway(emulator.url, db, serve_args=["--no-auth"])
    body = {"model": "auto", "messages": [{"role": "user", "content": "hi"}]}

    def call(client: httpx.Client) -> str | None:
        r = client.post(url + "/v1/chat/completions", json=body)
        return r.headers.get("x-tierwise-request-id") if r.status_code == 200 else None

    def stream(client: httpx.Client) -> str | None:
        with client.stream(
            "POST", url + "/v1/chat/completions", json={**body, "stream": True}
        ) as r:
            text = b"".join(r.iter_bytes())
            done = r.status_code == 200 and b"data: [DONE]" in text
            return r.headers.get("x-tierwise-request-id") if done else None

    delivered = kill_under_load(proc, [stream, call] * 4, at_least=40, within_s=60)
    ledger = open_ledger(db)
    recorded = {r.request_id for r in ledger.rows()}
    ledger.close()
    missing = [rid for rid in delivered if rid not in recorded]
    assert missing == []
