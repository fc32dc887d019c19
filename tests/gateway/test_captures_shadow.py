"""Capture and shadow mode through the gateway, per key; captures are for admins only."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from openai import OpenAI

from tierwise.errors import InvalidRequestError

CLASSIFY = (
    "Classify this ticket as billing, technical or account. Reply with the label only. "
    "Ticket: I was charged twice, mail me at jane@example.com"
)


def test_a_key_can_run_in_shadow_mode_and_capture_its_traffic(gateway: Any) -> None:
    key = gateway.new_key(policy={"routing_mode": "shadow", "capture_rate": 1.0})
    client = OpenAI(base_url=f"{gateway.url}/v1", api_key=key)
    raw = client.chat.completions.with_raw_response.create(
        model="opus", messages=[{"role": "user", "content": CLASSIFY}]
    )
    assert raw.headers["x-tierwise-tier"] == "opus"  # shadow mode: the asked-for model
    request_id = raw.headers["x-tierwise-request-id"]
    (row,) = gateway.tierwise.ledger.rows(request_id=request_id)
    assert row.route["shadow"]["tier"] in ("haiku", "sonnet", "opus")

    admin = gateway.new_key(admin=True)
    listed = httpx.get(
        f"{gateway.url}/v1/captures", headers={"authorization": f"Bearer {admin}"}, timeout=10
    )
    assert listed.status_code == 200
    mine = [c for c in listed.json()["data"] if c["request_id"] == request_id]
    assert len(mine) == 1
    text = mine[0]["request"]["messages"][0]["content"][0]["text"]
    assert "jane@example.com" not in text and "[EMAIL]" in text


def test_captures_need_an_admin_key(gateway: Any) -> None:
    plain = httpx.get(
        f"{gateway.url}/v1/captures", headers={"authorization": f"Bearer {gateway.key}"}
    )
    assert plain.status_code == 403
    anonymous = httpx.get(f"{gateway.url}/v1/captures")
    assert anonymous.status_code == 401
    admin = gateway.new_key(admin=True)
    for limit in ("abc", "²"):  # '²' passes str.isdigit() and int() refuses it: was a 500
        bad = httpx.get(
            f"{gateway.url}/v1/captures",
            params={"limit": limit},
            headers={"authorization": f"Bearer {admin}"},
        )
        assert bad.status_code == 400, bad.text
        assert "limit" in bad.json()["error"]["message"]


def test_keys_without_capture_store_no_prompt_text(gateway: Any) -> None:
    key = gateway.new_key()
    OpenAI(base_url=f"{gateway.url}/v1", api_key=key).chat.completions.create(
        model="haiku", messages=[{"role": "user", "content": "nothing to keep here"}]
    )
    admin = gateway.new_key(admin=True)
    data = httpx.get(
        f"{gateway.url}/v1/captures", headers={"authorization": f"Bearer {admin}"}
    ).json()["data"]
    assert all("nothing to keep" not in str(c["request"]) for c in data)


@pytest.mark.parametrize(
    "policy",
    [{"routing_mode": "guess"}, {"capture_rate": 2}, {"capture_rate": True}, {"other": 1}],
)
def test_bad_key_policies_are_refused(gateway: Any, policy: dict[str, Any]) -> None:
    with pytest.raises(InvalidRequestError):
        gateway.new_key(policy=policy)
