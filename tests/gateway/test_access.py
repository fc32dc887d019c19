"""Who may read what: admin endpoints and /metrics (organisation-wide spend)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from tierwise.client import Tierwise
from tierwise.config import Settings
from tierwise.gateway import create_app
from tierwise.store.keys import KeyStore


def _bearer(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


@pytest.mark.parametrize("path", ["/v1/spend", "/metrics"])
def test_a_valid_key_without_admin_gets_403_and_no_key_401(gateway, path: str) -> None:  # type: ignore[no-untyped-def]
    plain = gateway.new_key()
    _, admin = gateway.keys.create("ops", admin=True)
    assert httpx.get(gateway.url + path).status_code == 401
    assert httpx.get(gateway.url + path, headers=_bearer("tw_nope_nope")).status_code == 401
    denied = httpx.get(gateway.url + path, headers=_bearer(plain))
    assert denied.status_code == 403
    assert denied.json()["error"]["type"] == "permission_error"
    message = denied.json()["error"]["message"]
    assert message.count("admin key") == 1 and "tierwise keys create --admin" in message
    assert httpx.get(gateway.url + path, headers=_bearer(admin)).status_code == 200


def _app(settings: Settings, tmp_path: Path, *, auth: bool, token: str) -> tuple[TestClient, str]:
    settings = settings.with_overrides({"gateway.metrics_token": token})
    tw = Tierwise.from_settings(settings, ledger_url=f"sqlite:///{tmp_path / 'm.db'}")
    keys = KeyStore(tw.ledger)  # type: ignore[arg-type]
    _, plain = keys.create("app")
    return TestClient(create_app(settings, tierwise=tw, keys=keys, auth=auth)), plain


def test_the_metrics_token_opens_metrics_and_nothing_else(
    default_settings: Settings, tmp_path: Path
) -> None:
    client, plain = _app(default_settings, tmp_path, auth=True, token="scrape-me-0123456789")
    with client:
        ok = client.get("/metrics", headers=_bearer("scrape-me-0123456789"))
        assert ok.status_code == 200
        assert "tierwise_cost_usd" in ok.text
        assert client.get("/metrics", headers=_bearer("scrape-me-wrong")).status_code == 401
        assert client.get("/metrics", headers=_bearer(plain)).status_code == 403
        # The token is no API key: it opens neither spend nor the model APIs.
        assert client.get("/v1/spend", headers=_bearer("scrape-me-0123456789")).status_code == 401


def test_with_auth_off_a_set_token_is_still_required(
    default_settings: Settings, tmp_path: Path
) -> None:
    client, _ = _app(default_settings, tmp_path, auth=False, token="scrape-me-0123456789")
    with client:
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers=_bearer("scrape-me-0123456789")).status_code == 200
    open_client, _ = _app(default_settings, tmp_path, auth=False, token="")
    with open_client:
        assert open_client.get("/metrics").status_code == 200
