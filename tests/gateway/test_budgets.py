"""Budgets under concurrency: no lost charges, bounded overspend, no false rejections."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import httpx

CONCURRENCY = 25


def fire(gateway, key: str, n: int) -> list[httpx.Response]:  # type: ignore[no-untyped-def]
    body = {"model": "haiku", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 20}

    def one(_: int) -> httpx.Response:
        return httpx.post(
            gateway.url + "/v1/chat/completions",
            json=body,
            headers={"authorization": f"Bearer {key}"},
            timeout=30,
        )

    with ThreadPoolExecutor(CONCURRENCY) as pool:
        return list(pool.map(one, range(n)))


def test_many_concurrent_requests_never_lose_a_charge_or_overspend_beyond_in_flight(
    gateway,  # type: ignore[no-untyped-def]
) -> None:
    unit = Decimal(
        httpx.post(
            gateway.url + "/v1/chat/completions",
            json={
                "model": "haiku",
                "messages": [{"role": "user", "content": "hi"}],
                "max_tokens": 20,
            },
            headers={"authorization": f"Bearer {gateway.key}"},
        ).headers["x-tierwise-cost-usd"]
    )
    budget = unit * 10
    key = gateway.new_key(budget_usd=budget)
    key_id = key.split("_")[1]
    responses = fire(gateway, key, 100)
    ok = [r for r in responses if r.status_code == 200]
    refused = [r for r in responses if r.status_code == 429]
    assert len(ok) + len(refused) == 100
    assert all("budget" in r.json()["error"]["message"] for r in refused)
    charged = sum(Decimal(r.headers["x-tierwise-cost-usd"]) for r in ok)
    spent = gateway.keys.get(key_id).spent_usd
    assert spent == charged, "every delivered response is charged exactly once"
    assert len(ok) >= 10, "requests that fit the budget are never refused"
    # Overspend is bounded by what was in flight when the budget ran out (< CONCURRENCY).
    assert spent < budget + unit * CONCURRENCY


def test_a_request_that_fits_is_never_refused(gateway) -> None:  # type: ignore[no-untyped-def]
    key = gateway.new_key(budget_usd=Decimal("50"))
    responses = fire(gateway, key, 60)
    assert [r.status_code for r in responses] == [200] * 60
