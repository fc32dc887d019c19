"""Every generated token is billed whatever the client does: a client that hangs up on a
call (not a stream) while Bedrock is still answering gets no answer, but the answer Bedrock
generates is billed, ledgered and charged to its key, and its hold settled."""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from live_server import EmulatedGateway, emulated_gateway
from tierwise.config import Settings

ASK = "Write a long essay about the history of the printing press, in detail."
BODIES: dict[str, dict[str, Any]] = {
    "/v1/chat/completions": {
        "model": "haiku", "max_tokens": 300, "messages": [{"role": "user", "content": ASK}],
    },
    "/v1/messages": {
        "model": "haiku", "max_tokens": 300, "messages": [{"role": "user", "content": ASK}],
    },
    "/v1/responses": {"model": "haiku", "max_output_tokens": 300, "input": ASK},
}  # fmt: skip


@pytest.fixture(scope="module")
def live(
    default_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EmulatedGateway]:
    db: Path = tmp_path_factory.mktemp("hangup") / "ledger.db"
    overrides = {"retry.base_delay_s": 0.0, "retry.max_attempts": 1}
    with emulated_gateway(default_settings, db, overrides) as gw:
        yield gw


@pytest.mark.parametrize("path", sorted(BODIES))
def test_a_call_the_client_hangs_up_on_is_billed(live: EmulatedGateway, path: str) -> None:
    live.emulator.faults.latency_ms = 1500
    key, secret = live.keys.create("hangup", budget_usd=Decimal("10"))
    try:
        with pytest.raises(httpx.ReadTimeout):
            httpx.post(
                live.url + path, json=BODIES[path],
                headers={"authorization": f"Bearer {secret}"}, timeout=0.4,
            )  # fmt: skip
        deadline = time.monotonic() + 15
        rows: list[Any] = []
        while time.monotonic() < deadline:
            rows = [r for r in live.tierwise.ledger.rows() if r.api_key_id == key.id]
            current = live.keys.get(key.id)
            if rows and current is not None and current.reserved_usd == 0:
                break
            time.sleep(0.05)
    finally:
        live.emulator.faults.latency_ms = 0
    assert len(rows) == 1, "the answer Bedrock generated was never ledgered"
    (row,) = rows
    assert row.output_tokens > 0 and row.cost_usd > 0
    current = live.keys.get(key.id)
    assert current is not None
    assert (current.spent_usd, current.reserved_usd) == (row.cost_usd, 0)
