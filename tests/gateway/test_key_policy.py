"""Validators and escalation configured per API key."""

from __future__ import annotations

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
    assert off.headers["x-tierwise-attempts"] == "1"


def test_bad_key_policies_are_refused(gateway) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidRequestError, match="unknown validator"):
        gateway.new_key(policy={"validate": {"jsonschema": {}}})
    with pytest.raises(InvalidRequestError, match="unknown key policy"):
        gateway.new_key(policy={"retry": 3})
