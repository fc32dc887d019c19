"""Every generated token is billed: a stream the client hangs up on is ledgered and charged
with non-zero tokens, Bedrock's own usage when it arrives in time, else an estimate."""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from live_server import emulated_gateway
from tierwise.client import Tierwise
from tierwise.config import Settings
from tierwise.emulator import Emulator
from tierwise.store import LedgerRow
from tierwise.store.keys import KeyStore

ESSAY = "Write a long essay about the history of the printing press, in detail."
BODIES: dict[str, dict[str, Any]] = {
    "/v1/chat/completions": {
        "model": "haiku", "stream": True, "max_tokens": 2000,
        "messages": [{"role": "user", "content": ESSAY}],
    },
    "/v1/messages": {
        "model": "haiku", "stream": True, "max_tokens": 2000,
        "messages": [{"role": "user", "content": ESSAY}],
    },
}  # fmt: skip


@pytest.fixture(scope="module")
def live(
    default_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, KeyStore, Tierwise, Emulator]]:
    db: Path = tmp_path_factory.mktemp("abandon") / "ledger.db"
    overrides = {"retry.base_delay_s": 0.0, "retry.max_attempts": 1}
    with emulated_gateway(default_settings, db, overrides) as gw:
        yield gw.url, gw.keys, gw.tierwise, gw.emulator


def hang_up_after_first_chunk(url: str, path: str, key: str) -> None:
    with (
        httpx.Client(timeout=30) as client,
        client.stream(
            "POST", url + path, json=BODIES[path], headers={"authorization": f"Bearer {key}"}
        ) as response,
    ):
        assert response.status_code == 200
        next(response.iter_raw())
    # Leaving both blocks closes the connection: the client has hung up.


def row_of(tw: Tierwise, key_id: str) -> LedgerRow:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        rows = [r for r in tw.ledger.rows() if r.api_key_id == key_id]
        if rows:
            (row,) = rows
            return row
        time.sleep(0.05)
    raise AssertionError("the abandoned stream was never ledgered")


def settled(keys: KeyStore, key_id: str) -> tuple[Decimal, Decimal]:
    deadline = time.monotonic() + 5
    while True:
        key = keys.get(key_id)
        assert key is not None
        if key.reserved_usd == 0 or time.monotonic() > deadline:
            return key.spent_usd, key.reserved_usd
        time.sleep(0.05)


@pytest.mark.parametrize("path", sorted(BODIES))
def test_an_abandoned_stream_is_billed_with_bedrocks_usage(
    live: tuple[str, KeyStore, Tierwise, Emulator], path: str
) -> None:
    url, keys, tw, emu = live
    emu.faults.cut_stream_after = None
    key, secret = keys.create("abandon", budget_usd=Decimal("10"))
    hang_up_after_first_chunk(url, path, secret)
    row = row_of(tw, key.id)
    assert row.input_tokens > 0 and row.output_tokens > 0
    assert not (row.metadata or {}).get("estimated"), "Bedrock's usage arrived in time"
    assert settled(keys, key.id) == (row.cost_usd, 0)
    assert row.cost_usd > 0


@pytest.mark.parametrize("path", sorted(BODIES))
def test_without_a_usage_event_the_row_is_estimated_and_still_charged(
    live: tuple[str, KeyStore, Tierwise, Emulator], path: str
) -> None:
    url, keys, tw, emu = live
    emu.faults.cut_stream_after = 4  # the stream never reaches its usage event
    try:
        key, secret = keys.create("abandon", budget_usd=Decimal("10"))
        hang_up_after_first_chunk(url, path, secret)
        row = row_of(tw, key.id)
    finally:
        emu.faults.cut_stream_after = None
    assert row.metadata is not None and row.metadata["estimated"] is True
    assert "output counted from the text that arrived" in row.metadata["estimate"]
    assert row.input_tokens > 0 and row.output_tokens > 0
    assert settled(keys, key.id) == (row.cost_usd, 0)
    assert row.cost_usd > 0
