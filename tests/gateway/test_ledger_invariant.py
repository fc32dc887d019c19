"""The money invariant: a delivered response always has its ledger row, whatever happens
after the delivery (here, SIGKILL under load). With API keys (rows settled with their
reservation): tests/gateway/test_multi_gateway.py."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from live_server import start_gateway
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
    delivered: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def load(stream: bool) -> None:
        with httpx.Client(timeout=10) as client:
            while not stop.is_set():
                body = {"model": "auto", "messages": [{"role": "user", "content": "hi"}]}
                try:
                    if stream:
                        with client.stream(
                            "POST", url + "/v1/chat/completions", json={**body, "stream": True}
                        ) as r:
                            text = b"".join(r.iter_bytes())
                            done = r.status_code == 200 and b"data: [DONE]" in text
                            rid = r.headers.get("x-tierwise-request-id")
                    else:
                        r = client.post(url + "/v1/chat/completions", json=body)
                        done = r.status_code == 200
                        rid = r.headers.get("x-tierwise-request-id")
                except httpx.HTTPError:
                    return
                if done and rid:
                    with lock:
                        delivered.append(rid)

    threads = [threading.Thread(target=load, args=(n % 2 == 0,)) for n in range(8)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60
    while True:
        with lock:
            running = len(delivered) > 40
        if running or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    stop.set()
    for t in threads:
        t.join(15)
    assert len(delivered) > 40, "the load must have been running when the gateway died"
    ledger = open_ledger(db)
    recorded = {r.request_id for r in ledger.rows()}
    ledger.close()
    missing = [rid for rid in delivered if rid not in recorded]
    assert missing == []
