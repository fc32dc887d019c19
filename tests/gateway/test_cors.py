"""``[gateway] cors_origins``: browser apps (an OpenAI or Anthropic SDK in a web page) call
the gateway from the origins listed. Without it a browser's preflight was a 405 and every
cross-origin call was refused by the browser, whatever the key."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from live_server import EmulatedGateway, emulated_gateway
from tierwise.config import Settings
from tierwise.errors import ConfigError

APP = "https://app.example.com"
HI = {"model": "haiku", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture(scope="module")
def gw(
    default_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EmulatedGateway]:
    db: Path = tmp_path_factory.mktemp("cors") / "ledger.db"
    with emulated_gateway(default_settings, db, {"gateway.cors_origins": [APP]}) as gateway:
        yield gateway


def _key(gw: EmulatedGateway) -> str:
    return str(gw.keys.create("web", budget_usd=Decimal("1"))[1])


def test_a_preflight_from_an_allowed_origin_is_answered_without_a_key(
    gw: EmulatedGateway,
) -> None:
    for path in ("/v1/chat/completions", "/v1/messages"):
        reply = httpx.options(
            gw.url + path,
            headers={
                "origin": APP,
                "access-control-request-method": "POST",
                "access-control-request-headers": "authorization, content-type, x-api-key, "
                "anthropic-version, anthropic-dangerous-direct-browser-access",
            },
        )
        assert reply.status_code == 200, reply.text
        assert reply.headers["access-control-allow-origin"] == APP
        assert "POST" in reply.headers["access-control-allow-methods"]
        assert "x-api-key" in reply.headers["access-control-allow-headers"].lower()


@pytest.mark.parametrize("stream", [False, True])
def test_answers_to_an_allowed_origin_carry_cors_headers(gw: EmulatedGateway, stream: bool) -> None:
    reply = httpx.post(
        gw.url + "/v1/chat/completions",
        json={**HI, "stream": stream},
        headers={"origin": APP, "authorization": f"Bearer {_key(gw)}"},
    )
    assert reply.status_code == 200, reply.text
    assert reply.headers["access-control-allow-origin"] == APP
    exposed = reply.headers["access-control-expose-headers"]
    assert "x-tierwise-tier" in exposed and "x-tierwise-cost-usd" in exposed
    # An error too: the page can read why it was refused.
    refused = httpx.post(gw.url + "/v1/messages", json=HI, headers={"origin": APP})
    assert refused.status_code == 401
    assert refused.headers["access-control-allow-origin"] == APP


def test_another_origin_gets_no_cors_headers(gw: EmulatedGateway) -> None:
    preflight = httpx.options(
        gw.url + "/v1/chat/completions",
        headers={"origin": "https://evil.example", "access-control-request-method": "POST"},
    )
    assert "access-control-allow-origin" not in preflight.headers
    reply = httpx.post(
        gw.url + "/v1/chat/completions",
        json=HI,
        headers={"origin": "https://evil.example", "authorization": f"Bearer {_key(gw)}"},
    )
    assert "access-control-allow-origin" not in reply.headers


@pytest.mark.parametrize("origin", ["https://app.example.com/", "app.example.com", "*.x.com"])
def test_a_value_that_is_not_an_origin_is_refused(default_settings: Settings, origin: str) -> None:
    with pytest.raises((ConfigError, ValueError), match="is not an origin"):
        default_settings.with_overrides({"gateway.cors_origins": [origin]})
