"""Budgets are caps, held by reservation, across gateways: two gateway processes on one
ledger (SQLite file, then PostgreSQL), 100 concurrent requests each, one small budget."""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from live_server import start_gateway
from pg import pg_schema_url
from tierwise.config import Settings
from tierwise.emulator import Emulator
from tierwise.store import open_ledger
from tierwise.store.keys import KeyStore
from tierwise.store.sql import SQLLedger

BODY = {"model": "haiku", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 20}
PER_GATEWAY = 100
REFUSAL = re.compile(
    r"budget of \$([\d.]+) cannot cover this request: \$([\d.]+) is spent and \$([\d.]+)"
    r" reserved by requests in flight, and this request reserves up to \$([\d.]+)"
)


@pytest.fixture(scope="module")
def emulator(default_settings: Settings) -> Iterator[Emulator]:
    with Emulator(default_settings, port=0).start() as emu:
        yield emu


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'shared.db'}"
        return
    with pg_schema_url() as url:
        yield url


def ask(url: str, key: str) -> httpx.Response:
    return httpx.post(
        url + "/v1/chat/completions",
        json=BODY,
        headers={"authorization": f"Bearer {key}"},
        timeout=60,
    )


def refusal(response: httpx.Response) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """(budget, spent, reserved, this reservation) as the 429's message states them."""
    match = REFUSAL.search(response.json()["error"]["message"])
    assert match, response.text
    budget, spent, reserved, wanted = (Decimal(g) for g in match.groups())
    return budget, spent, reserved, wanted


def fire(gateways: list[str], key: str) -> list[httpx.Response]:
    """PER_GATEWAY concurrent requests to each gateway, all at once."""
    jobs = [url for url in gateways for _ in range(PER_GATEWAY)]
    with ThreadPoolExecutor(len(jobs)) as pool:
        return list(pool.map(lambda url: ask(url, key), jobs))


def run_on_two_gateways(db_url: str, emulator: Emulator, budget_in_worst_cases: int) -> None:
    ledger = open_ledger(db_url)
    assert isinstance(ledger, SQLLedger)
    keys = KeyStore(ledger)
    procs = [start_gateway(emulator.url, db_url) for _ in range(2)]
    try:
        urls = [url for _, url in procs]
        _, tiny = keys.create("probe", budget_usd=Decimal("0.000000001"))
        worst = refusal(ask(urls[0], tiny))[3]  # the worst case of one request
        budget = worst * budget_in_worst_cases
        key, secret = keys.create("shared", budget_usd=budget)
        responses = fire(urls, secret)
    finally:
        for proc, _ in procs:
            proc.terminate()
            proc.wait(10)
    ok = [r for r in responses if r.status_code == 200]
    refused = [r for r in responses if r.status_code == 429]
    assert len(ok) + len(refused) == len(responses), {r.status_code for r in responses}
    settled = sum((row.cost_usd for row in ledger.rows() if row.api_key_id == key.id), Decimal(0))
    after = keys.get(key.id)
    assert after is not None
    ledger.close()
    assert settled <= budget, f"settled ${settled} passed the budget ${budget}"
    assert after.spent_usd == settled, "the key is charged exactly what the ledger holds"
    assert after.reserved_usd == 0, "every reservation was settled or released"
    delivered = sum(Decimal(r.headers["x-tierwise-cost-usd"]) for r in ok)
    assert delivered == settled, "every delivered response is charged, nothing else"
    assert min(Decimal(r.headers["x-tierwise-cost-usd"]) for r in ok) > 0
    for r in refused:  # no refusal while the budget sufficed: each one really did not fit
        stated_budget, spent, reserved, wanted = refusal(r)
        assert stated_budget == budget
        assert spent + reserved + wanted > budget
    # Until a refusal, reservations only grew by worst cases: that many always fit.
    assert len(ok) >= min(budget_in_worst_cases, len(responses))
    if budget_in_worst_cases >= len(responses):
        assert refused == []


def test_two_gateways_keep_settled_costs_within_a_small_budget(
    db_url: str, emulator: Emulator
) -> None:
    run_on_two_gateways(db_url, emulator, budget_in_worst_cases=15)


def test_two_gateways_refuse_nothing_while_the_budget_suffices(
    db_url: str, emulator: Emulator
) -> None:
    run_on_two_gateways(db_url, emulator, budget_in_worst_cases=2 * PER_GATEWAY)
