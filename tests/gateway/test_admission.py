"""Admission and edges: key headers, budgets in both dialects, limits, unknown paths, stream
trailers, and disconnects that still charge the key."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import anthropic
import httpx
import openai
import pytest

from tierwise.errors import RateLimitedError
from tierwise.gateway.auth import presented_key
from tierwise.gateway.limits import InMemoryRateLimits

HI = [{"role": "user", "content": "hi"}]


def test_key_is_read_from_bearer_or_x_api_key() -> None:
    assert presented_key({"authorization": "Bearer tw_a_b"}) == "tw_a_b"
    assert presented_key({"authorization": "bearer  tw_a_b "}) == "tw_a_b"
    assert presented_key({"x-api-key": "tw_c_d"}) == "tw_c_d"
    assert presented_key({"authorization": "Bearer tw_a_b", "x-api-key": "tw_c_d"}) == "tw_a_b"
    assert presented_key({"authorization": "Basic xyz"}) == ""


def test_in_memory_limits_slide_over_the_minute() -> None:
    now = [1000.0]
    limits = InMemoryRateLimits(clock=lambda: now[0])
    limits.hit("k", 2)
    now[0] += 30
    limits.hit("k", 2)
    with pytest.raises(RateLimitedError) as refused:
        limits.hit("k", 2)
    assert refused.value.retry_after == pytest.approx(30.0)
    limits.hit("other", 2)  # per key
    now[0] += 30.5  # the first hit has left the window
    limits.hit("k", 2)
    limits.hit("k", None)  # no limit


def test_missing_and_revoked_keys_are_401_in_each_dialect(gateway) -> None:  # type: ignore[no-untyped-def]
    missing = httpx.post(gateway.url + "/v1/chat/completions", json={"messages": HI})
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "invalid_api_key"
    key = gateway.new_key()
    gateway.keys.revoke(key.split("_")[1])
    revoked = httpx.post(gateway.url + "/v1/messages", json={}, headers={"x-api-key": key})
    assert revoked.status_code == 401
    assert revoked.json() == {
        "type": "error",
        "error": {"type": "authentication_error", "message": revoked.json()["error"]["message"]},
    }


def test_a_budget_too_small_is_the_sdks_own_429_in_each_dialect(gateway) -> None:  # type: ignore[no-untyped-def]
    key = gateway.new_key(budget_usd=Decimal("0.0000001"))
    oai = openai.OpenAI(base_url=gateway.url + "/v1", api_key=key, max_retries=0)
    with pytest.raises(openai.RateLimitError) as quota:
        oai.chat.completions.create(model="haiku", messages=HI)  # its worst case does not fit
    assert quota.value.code == "insufficient_quota"
    message = quota.value.message
    assert "budget of $0.0000001" in message and "$0.00 is spent" in message
    assert "reserves up to $" in message
    assert "retry-after" not in quota.value.response.headers  # waiting will not help
    ant = anthropic.Anthropic(base_url=gateway.url, api_key=key, max_retries=0)
    with pytest.raises(anthropic.RateLimitError) as limited:
        ant.messages.create(model="haiku", max_tokens=10, messages=HI)  # type: ignore[arg-type]
    assert limited.value.status_code == 429
    assert "budget of $0.0000001" in limited.value.message
    assert gateway.keys.get(key.split("_")[1]).spent_usd == 0, "nothing was called"


def test_fifty_concurrent_requests_never_pass_the_budget(gateway) -> None:  # type: ignore[no-untyped-def]
    body = {"model": "haiku", "messages": HI, "max_tokens": 20}
    probe = httpx.post(
        gateway.url + "/v1/chat/completions",
        json=body,
        headers={"authorization": f"Bearer {gateway.key}"},
    )
    unit = Decimal(probe.headers["x-tierwise-cost-usd"])
    assert unit > 0
    budget = unit * 5
    key = gateway.new_key(budget_usd=budget)
    concurrency = 50

    def one(_: int) -> httpx.Response:
        return httpx.post(
            gateway.url + "/v1/chat/completions",
            json=body,
            headers={"x-api-key": key},
            timeout=60,
        )

    with ThreadPoolExecutor(concurrency) as pool:
        responses = list(pool.map(one, range(150)))
    ok = [r for r in responses if r.status_code == 200]
    assert {r.status_code for r in responses} <= {200, 429}
    spent = gateway.keys.get(key.split("_")[1]).spent_usd
    assert spent == sum(Decimal(r.headers["x-tierwise-cost-usd"]) for r in ok)
    assert len(ok) >= 1
    assert spent <= budget  # a cap: each call reserved its worst case first
    after = one(0)
    assert after.status_code == 429 and after.json()["error"]["code"] == "insufficient_quota"


def test_unknown_paths_and_methods_answer_in_the_api_format(gateway) -> None:  # type: ignore[no-untyped-def]
    openai_style = httpx.get(gateway.url + "/v1/nope")
    assert openai_style.status_code == 404 and "error" in openai_style.json()
    wrong_method = httpx.get(gateway.url + "/v1/messages")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["type"] == "error"


def test_bad_escalate_header_is_400(gateway) -> None:  # type: ignore[no-untyped-def]
    response = httpx.post(
        gateway.url + "/v1/chat/completions",
        json={"model": "haiku", "messages": HI},
        headers={"authorization": f"Bearer {gateway.key}", "x-tierwise-escalate": "maybe"},
    )
    assert response.status_code == 400
    assert "x-tierwise-escalate" in response.json()["error"]["message"]


def test_stream_headers_up_front_and_cost_in_the_trailer(gateway) -> None:  # type: ignore[no-untyped-def]
    body = {"model": "sonnet", "messages": HI, "stream": True}
    headers = {"authorization": f"Bearer {gateway.key}"}
    with httpx.stream(
        "POST", gateway.url + "/v1/chat/completions", json=body, headers=headers
    ) as response:
        assert response.headers["x-tierwise-tier"] == "sonnet"
        assert "sonnet" in response.headers["x-tierwise-model-id"]
        assert "pinned" in response.headers["x-tierwise-route-reason"]
        text = response.read().decode()
    trailer = next(line for line in text.splitlines() if line.startswith(": tierwise"))
    cost = Decimal(trailer.split("cost_usd=")[1].split()[0])
    rows = gateway.tierwise.ledger.rows(request_id=response.headers["x-tierwise-request-id"])
    assert [r.cost_usd for r in rows] == [cost] and cost > 0
    assert text.rstrip().endswith("data: [DONE]")


def test_disconnect_mid_stream_charges_the_key(gateway) -> None:  # type: ignore[no-untyped-def]
    key = gateway.new_key(budget_usd=Decimal("10"))
    key_id = key.split("_")[1]
    body = {"model": "sonnet", "max_tokens": 2000, "stream": True, "messages": HI}
    headers = {"authorization": f"Bearer {key}"}
    with httpx.stream(
        "POST", gateway.url + "/v1/chat/completions", json=body, headers=headers
    ) as response:
        request_id = response.headers["x-tierwise-request-id"]
        for _ in response.iter_bytes():
            break
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not gateway.tierwise.ledger.rows(request_id=request_id):
        time.sleep(0.05)
    (row,) = gateway.tierwise.ledger.rows(request_id=request_id)
    while time.monotonic() < deadline and gateway.keys.get(key_id).spent_usd != row.cost_usd:
        time.sleep(0.05)
    assert gateway.keys.get(key_id).spent_usd == row.cost_usd
