"""Validators and escalation configured per API key."""

from __future__ import annotations

import time

import httpx
import pytest

from tierwise.errors import InvalidRequestError


def test_key_policy_validates_and_escalates(gateway) -> None:  # type: ignore[no-untyped-def]
    key = gateway.new_key(policy={"validate": {"refusal": True}, "escalate": True})
    plain = gateway.new_key()
    gateway.emulator.misbehave("refusal", tier="haiku")
    body = {"model": "haiku", "messages": [{"role": "user", "content": "hello"}]}
    strict = httpx.post(gateway.url + "/v1/chat/completions", json=body,
                        headers={"authorization": f"Bearer {key}"})  # fmt: skip
    assert strict.status_code == 200
    assert strict.headers["x-tierwise-tier"] == "sonnet"
    assert strict.headers["x-tierwise-attempts"] == "2"
    assert "can't help" not in strict.json()["choices"][0]["message"]["content"]
    loose = httpx.post(gateway.url + "/v1/chat/completions", json=body,
                       headers={"authorization": f"Bearer {plain}"})  # fmt: skip
    assert loose.headers["x-tierwise-tier"] == "haiku"
    assert "can't help" in loose.json()["choices"][0]["message"]["content"]
    # The caller can still turn escalation off for one request.
    headers = {"authorization": f"Bearer {key}", "x-tierwise-escalate": "false"}
    off = httpx.post(gateway.url + "/v1/chat/completions", json=body, headers=headers)
    # ... and then the rejected answer is an error (422, which SDKs do not retry), not a 200.
    assert off.status_code == 422
    assert off.json()["error"]["code"] == "answer_rejected"
    assert "escalation is off" in off.json()["error"]["message"]
    assert off.headers["x-tierwise-request-id"]


def test_bad_key_policies_are_refused(gateway) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidRequestError, match="unknown validator"):
        gateway.new_key(policy={"validate": {"jsonschema": {}}})
    with pytest.raises(InvalidRequestError, match="unknown key policy"):
        gateway.new_key(policy={"retry": 3})


@pytest.mark.parametrize("stream", [False, True])
def test_a_client_that_hangs_up_gets_no_escalation_but_is_charged(gateway, stream: bool) -> None:  # type: ignore[no-untyped-def]
    """The attempt in flight when the client disconnects completes and is ledgered and
    charged; the escalation it would have earned is not run for nobody."""
    api_key, key = gateway.keys.create(
        "hangs-up", policy={"validate": {"refusal": True}, "escalate": True}
    )
    key_id = api_key.id
    gateway.emulator.misbehave("refusal", tier="haiku")
    body = {"model": "haiku", "stream": stream, "messages": [{"role": "user", "content": "hi"}]}
    headers = {"authorization": f"Bearer {key}"}
    url = gateway.url + "/v1/chat/completions"
    # Connected throughout: the refusal escalates to Sonnet (two ledger rows).
    before = len(gateway.tierwise.ledger.rows())
    assert httpx.post(url, json=body, headers=headers).status_code == 200
    assert len(gateway.tierwise.ledger.rows()) == before + 2
    spent = gateway.keys.get(key_id).spent_usd
    gateway.emulator.faults.latency_ms = 400
    try:
        with pytest.raises(httpx.TimeoutException):
            httpx.post(url, json=body, headers=headers, timeout=0.15)
        time.sleep(1.5)  # long enough for the first attempt and an escalation to finish
    finally:
        gateway.emulator.faults.latency_ms = 0
    rows = gateway.tierwise.ledger.rows()[before + 2 :]
    assert [(r.tier, r.status) for r in rows] == [("haiku", "rejected")]
    assert gateway.keys.get(key_id).spent_usd == spent + rows[0].cost_usd > spent
