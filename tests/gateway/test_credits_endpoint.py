"""``GET /v1/credits``: with no [[credits]] pools it is a 200 with an empty list (it was a
400, which the dashboard showed as a failure); the JSON's burn rates are rounded."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from live_server import run_server
from tierwise.client import Tierwise
from tierwise.config import Settings
from tierwise.gateway import create_app
from tierwise.store import LedgerRow
from tierwise.store.keys import KeyStore


def _row(day: int, cost: str) -> LedgerRow:
    return LedgerRow(
        id=None, ts=datetime.now(UTC) - timedelta(days=day), request_id=f"seed-{day}",
        attempt=1, tier="haiku", model_id="global.anthropic.claude-haiku", input_tokens=10,
        output_tokens=0, cache_read_tokens=0, cache_write_5m_tokens=0, cache_write_1h_tokens=0,
        cost_usd=Decimal(cost), latency_ms=10.0, status="ok",
        route={"tier": "haiku", "reasons": ["seed"]},
    )  # fmt: skip


@pytest.fixture(scope="module")
def no_pools(
    default_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    db: Path = tmp_path_factory.mktemp("credits") / "ledger.db"
    assert not default_settings.credits
    tw = Tierwise.from_settings(default_settings, ledger_url=f"sqlite:///{db}")
    for day in range(3):
        tw.ledger.record(_row(day, "1"))  # $3 over 7 days: 0.428571... a day
    keys = KeyStore(tw.ledger)  # type: ignore[arg-type]
    _, admin = keys.create("ops", admin=True)
    server, thread, url = run_server(
        create_app(default_settings, tierwise=tw, keys=keys, auth=True)
    )
    try:
        yield url, admin
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        tw.close()


def test_no_pools_is_an_empty_list(no_pools: tuple[str, str]) -> None:
    url, admin = no_pools
    r = httpx.get(url + "/v1/credits", headers={"authorization": f"Bearer {admin}"})
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["pools"] == []
    # Without pools every dollar is on the card.
    assert Decimal(data["card_spend_so_far_usd"]) == 3
    assert Decimal(data["burn_7d_usd"]) > 0


def test_the_dashboard_page_still_loads(no_pools: tuple[str, str]) -> None:
    url, _ = no_pools
    page = httpx.get(url + "/dashboard")
    assert page.status_code == 200
    script = httpx.get(url + "/dashboard/static/dashboard.js")
    # The page's script shows an empty pool list as "No credit pools configured."
    assert script.status_code == 200 and "if (!items.length)" in script.text


def test_burn_rates_are_rounded_to_the_micro_dollar(no_pools: tuple[str, str]) -> None:
    # $3 over the last 7 days is 0.428571428571... a day: it printed 28 decimal places.
    url, admin = no_pools
    data = httpx.get(url + "/v1/credits", headers={"authorization": f"Bearer {admin}"}).json()
    assert data["burn_7d_usd"] == "0.428571"
    assert data["burn_30d_usd"] == "0.100000"
