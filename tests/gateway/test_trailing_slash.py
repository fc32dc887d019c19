"""A route with a trailing slash is served as the route without it: Starlette answered
``/v1/chat/completions/`` with a 307 to the path without the slash, which POST clients do
not all follow (httpx and the SDKs by default do not; some follow it as a GET)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

HI = [{"role": "user", "content": "hi"}]


@pytest.mark.parametrize(
    ("path", "body", "dialect"),
    [
        ("/v1/chat/completions/", {"model": "haiku", "messages": HI}, "openai"),
        ("/v1/responses/", {"model": "haiku", "input": "hi"}, "openai"),
        ("/v1/messages/", {"model": "haiku", "max_tokens": 16, "messages": HI}, "anthropic"),
        ("/v1/messages/count_tokens/", {"model": "haiku", "messages": HI}, "anthropic"),
    ],
)
def test_post_routes_answer_with_a_trailing_slash(
    gateway: Any, path: str, body: dict[str, Any], dialect: str
) -> None:
    headers = (
        {"x-api-key": gateway.key, "anthropic-version": "2023-06-01"}
        if dialect == "anthropic"
        else {"authorization": f"Bearer {gateway.key}"}
    )
    with_slash = httpx.post(gateway.url + path, json=body, headers=headers)
    assert with_slash.status_code == 200, (
        with_slash.status_code,
        with_slash.headers,
        with_slash.text,
    )
    without = httpx.post(gateway.url + path.rstrip("/"), json=body, headers=headers)
    assert with_slash.json().keys() == without.json().keys()


@pytest.mark.parametrize(
    "path", ["/v1/models/", "/v1/models/haiku/", "/healthz/", "/openapi.json/"]
)
def test_get_routes_answer_with_a_trailing_slash(gateway: Any, path: str) -> None:
    headers = {"authorization": f"Bearer {gateway.key}"}
    with_slash = httpx.get(gateway.url + path, headers=headers)
    assert with_slash.status_code == 200, (with_slash.status_code, with_slash.text)
    assert with_slash.json() == httpx.get(gateway.url + path[:-1], headers=headers).json()


def test_an_unknown_path_with_a_slash_is_the_404_not_a_redirect(gateway: Any) -> None:
    for path in ("/v1/embeddings/", "/v1/chat/completions//"):
        r = httpx.post(
            gateway.url + path, json={}, headers={"authorization": f"Bearer {gateway.key}"}
        )
        assert r.status_code == 404, (path, r.status_code, r.headers)
        assert "this gateway serves POST /v1/chat/completions" in r.json()["error"]["message"]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("POST", "/v1/embeddings/", 404), ("GET", "/v1/chat/completions/", 405)],
)
def test_a_404_or_405_quotes_the_path_as_sent(
    gateway: Any, method: str, path: str, status: int
) -> None:
    # It quoted the path with the slash taken off, which the caller never sent.
    r = httpx.request(
        method, gateway.url + path, headers={"authorization": f"Bearer {gateway.key}"}
    )
    assert r.status_code == status, (r.status_code, r.text)
    assert r.json()["error"]["message"].startswith(f"{method} {path}: ")
