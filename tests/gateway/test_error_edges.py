"""Error paths a reviewer found returning the wrong status: each must be the API's own 4xx."""

from __future__ import annotations

import anthropic
import httpx
import openai
import pytest

from tierwise.errors import (
    AccessDeniedError,
    ExhaustedError,
    ModelAccessDeniedError,
    ThrottledError,
    UnavailableError,
    UpstreamError,
)
from tierwise.gateway.errors import Dialect, error_reply


def test_a_body_nested_too_deeply_is_400_in_each_dialect(gateway) -> None:  # type: ignore[no-untyped-def]
    body = b"[" * 100_000 + b"]" * 100_000
    for path, key_header in (
        ("/v1/chat/completions", {"authorization": f"Bearer {gateway.key}"}),
        ("/v1/messages", {"x-api-key": gateway.key}),
    ):
        answer = httpx.post(gateway.url + path, content=body, headers=key_header)
        assert answer.status_code == 400, answer.text
        assert "nested too deeply" in answer.text


def test_access_denied_everywhere_is_403_not_a_retryable_503(gateway) -> None:  # type: ignore[no-untyped-def]
    gateway.emulator.inject(kind="access_denied", count=100)
    try:
        oa = openai.OpenAI(base_url=gateway.url + "/v1", api_key=gateway.key, max_retries=0)
        with pytest.raises(openai.PermissionDeniedError):
            oa.chat.completions.create(model="haiku", messages=[{"role": "user", "content": "hi"}])
        an = anthropic.Anthropic(base_url=gateway.url, api_key=gateway.key, max_retries=0)
        with pytest.raises(anthropic.PermissionDeniedError) as denied:
            an.messages.create(
                model="haiku", max_tokens=10, messages=[{"role": "user", "content": "hi"}]
            )
        assert "retry-after" not in denied.value.response.headers
    finally:
        gateway.emulator.reset()


def test_an_unpaired_surrogate_is_400_before_any_call_and_a_pair_is_fine(gateway) -> None:  # type: ignore[no-untyped-def]
    headers = {"authorization": f"Bearer {gateway.key}", "content-type": "application/json"}
    url = gateway.url + "/v1/chat/completions"
    calls = gateway.emulator.stats["total"]
    lone = b'{"model": "haiku", "messages": [{"role": "user", "content": "\\ud800 hi"}]}'
    answer = httpx.post(url, content=lone, headers=headers)
    assert answer.status_code == 400 and "surrogate" in answer.text
    assert gateway.emulator.stats["total"] == calls
    pair = b'{"model": "haiku", "messages": [{"role": "user", "content": "\\ud83d\\ude00 hi"}]}'
    assert httpx.post(url, content=pair, headers=headers).status_code == 200


def test_openai_errors_name_the_offending_field(gateway) -> None:  # type: ignore[no-untyped-def]
    client = openai.OpenAI(base_url=gateway.url + "/v1", api_key=gateway.key, max_retries=0)
    with pytest.raises(openai.BadRequestError) as bad:
        client.chat.completions.create(
            model="auto", messages=[{"role": "user", "content": "hi"}], temperature=1.7
        )
    assert bad.value.param == "temperature"


def test_an_upstream_failure_names_the_request_id_of_its_ledger_rows(gateway) -> None:  # type: ignore[no-untyped-def]
    gateway.emulator.inject(kind="unavailable", count=100)
    try:
        for stream in (False, True):
            answer = httpx.post(
                gateway.url + "/v1/chat/completions",
                json={"model": "haiku", "stream": stream,
                      "messages": [{"role": "user", "content": "hi"}]},
                headers={"authorization": f"Bearer {gateway.key}"},
            )  # fmt: skip
            assert answer.status_code == 503
            rows = gateway.tierwise.ledger.rows(request_id=answer.headers["x-tierwise-request-id"])
            assert rows and all(r.status == "error" for r in rows)
    finally:
        gateway.emulator.reset()


@pytest.mark.parametrize(
    "body",
    [
        # A surrogate half as raw (CESU-style) bytes rather than a \u escape.
        b'{"model": "haiku", "messages": [{"role": "user", "content": "hi \xed\xa0\x80 x"}]}',
        '{"model": "haiku", "messages": [{"role": "user", "content": "hi"}]}'.encode("utf-16"),
    ],
)
def test_a_body_that_is_not_utf8_is_400_before_any_call(gateway, body: bytes) -> None:  # type: ignore[no-untyped-def]
    calls = gateway.emulator.stats["total"]
    answer = httpx.post(
        gateway.url + "/v1/chat/completions",
        content=body,
        headers={"authorization": f"Bearer {gateway.key}", "content-type": "application/json"},
    )
    assert answer.status_code == 400 and "UTF-8" in answer.text
    assert gateway.emulator.stats["total"] == calls


@pytest.mark.parametrize(
    ("last", "status"),
    [
        (ThrottledError("throttled"), 429),
        (ModelAccessDeniedError("no model access"), 403),
        # An expired or unknown token is fixed by refreshing credentials, not by the caller.
        (AccessDeniedError("expired token"), 503),
        (UnavailableError("down"), 503),
        (None, 503),
    ],
)
@pytest.mark.parametrize("dialect", list(Dialect))
def test_exhaustion_is_mapped_by_the_last_errors_class_not_an_aws_code(
    last: UpstreamError | None, status: int, dialect: Dialect
) -> None:
    # The gateway reads no AWS error codes: a misleading code must not change the status.
    err = ExhaustedError("every profile failed", attempts=[], code="ThrottlingException", last=last)
    # Anthropic's "overloaded" is its own 529 (the SDK's OverloadedError).
    expected = 529 if status == 503 and dialect is Dialect.ANTHROPIC else status
    assert error_reply(err, dialect).status == expected
