"""Inputs a fuzzer found answered with 500: each is a clear 400 in the caller's API format."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

BIG = "1" + "0" * 5000  # a JSON integer past Python's 4,300-digit int/str limit


def _post(gateway, path: str, raw: str) -> httpx.Response:  # type: ignore[no-untyped-def]
    return httpx.post(
        gateway.url + path,
        content=raw.encode(),
        headers={"authorization": f"Bearer {gateway.key}", "content-type": "application/json"},
        timeout=30,
    )


@pytest.mark.parametrize(
    ("path", "body", "param"),
    [
        ("/v1/chat/completions",
         '{"model": "haiku", "messages": [{"role": "user", "content": "hi"}],'
         ' "reasoning_effort": ["high"]}',
         "reasoning_effort"),
        ("/v1/responses",
         '{"model": "haiku", "input": "hi", "reasoning": {"effort": ["high"]}}',
         "reasoning.effort"),
    ],
)  # fmt: skip
def test_reasoning_effort_that_is_not_a_string_is_a_400(
    gateway: Any, path: str, body: str, param: str
) -> None:
    r = _post(gateway, path, body)
    assert r.status_code == 400, r.text
    assert r.json()["error"]["param"] == param


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/chat/completions",
         '{"model": "haiku", "messages": [{"role": "user", "content": "hi"}], "max_tokens": %s}'),
        ("/v1/messages",
         '{"model": "haiku", "max_tokens": %s, "messages": [{"role": "user", "content": "hi"}]}'),
        ("/v1/messages/count_tokens",
         '{"model": "haiku", "messages": [{"role": "user", "content": "hi"}], "x": %s}'),
        ("/v1/chat/completions",
         '{"model": "haiku", "messages": [{"role": "assistant", "content": null, "tool_calls":'
         ' [{"id": "c", "type": "function", "function": {"name": "f", "arguments":'
         ' "{\\"a\\": %s}"}}]}, {"role": "tool", "tool_call_id": "c", "content": "x"},'
         ' {"role": "user", "content": "hi"}]}'),
    ],
)  # fmt: skip
def test_an_integer_longer_than_4300_digits_is_a_400(gateway, path: str, body: str) -> None:  # type: ignore[no-untyped-def]
    r = _post(gateway, path, body % BIG)
    assert r.status_code == 400, r.text
    assert "4,300" in r.text or "not valid JSON" in r.text


def test_anthropic_error_shape_for_a_huge_integer(gateway) -> None:  # type: ignore[no-untyped-def]
    r = _post(gateway, "/v1/messages", f'{{"model": "haiku", "max_tokens": {BIG}}}')
    assert r.status_code == 400
    assert r.json()["type"] == "error"
    assert r.json()["error"]["type"] == "invalid_request_error"


@pytest.mark.parametrize("since", ["99999999d", "99999999w", "9" * 5000 + "h"])
def test_spend_since_past_the_calendar_is_a_400(gateway, since: str) -> None:  # type: ignore[no-untyped-def]
    _, admin = gateway.keys.create("ops", admin=True)
    r = httpx.get(
        gateway.url + "/v1/spend",
        params={"since": since},
        headers={"authorization": f"Bearer {admin}"},
    )
    assert r.status_code == 400, r.text
    assert "since" in r.json()["error"]["message"]


@pytest.mark.parametrize(
    ("headers", "message", "hint"),
    [
        (
            {"x-tierwise-min-tier": "opus", "x-tierwise-max-tier": "haiku"},
            "x-tierwise-min-tier opus is above x-tierwise-max-tier haiku",
            "send x-tierwise-min-tier at or below x-tierwise-max-tier",
        ),
        (
            {"x-tierwise-max-tier": "ultra"},
            "x-tierwise-max-tier: 'ultra' is not a tier",
            "send haiku, sonnet or opus",
        ),
    ],
)
@pytest.mark.parametrize("path", ["/v1/chat/completions", "/v1/messages"])
def test_tier_headers_that_contradict_or_are_unknown_name_the_header(  # type: ignore[no-untyped-def]
    gateway, path: str, headers: dict[str, str], message: str, hint: str
) -> None:
    # They said "min tier opus is above max tier haiku (set min_tier at or below max_tier, or
    # use force_tier for one tier)" and "unknown tier 'ultra'": names a gateway client cannot
    # send.
    r = httpx.post(
        gateway.url + path,
        json={"model": "auto", "max_tokens": 50, "messages": [{"role": "user", "content": "hi"}]},
        headers={"authorization": f"Bearer {gateway.key}", **headers},
        timeout=30,
    )
    assert r.status_code == 400, r.text
    text = r.json()["error"]["message"]
    assert text.startswith(message) and hint in text, text
    assert "force_tier" not in text


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/chat/completions",
         '{"model": "haiku", "messages": [{"role": "user", "content": ""}]}'),
        ("/v1/chat/completions",
         '{"model": "haiku", "messages": [{"role": "user", "content": "  "}]}'),
        ("/v1/messages",
         '{"model": "haiku", "max_tokens": 10,'
         ' "messages": [{"role": "user", "content": [{"type": "text", "text": " "}]}]}'),
    ],
)  # fmt: skip
def test_a_blank_message_is_a_400_before_any_call(gateway: Any, path: str, body: str) -> None:
    before = len(gateway.tierwise.ledger.rows())
    r = _post(gateway, path, body)
    assert r.status_code == 400, r.text
    assert "blank" in r.text or "empty" in r.text
    # Refused before Bedrock: no round trip, no error row.
    assert len(gateway.tierwise.ledger.rows()) == before
