"""The dashboard in a real browser (headless Chromium) on a seeded ledger, plus the JSON API
and /metrics behind it."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from live_server import run_server
from pg import in_ci
from tierwise.client import Tierwise
from tierwise.config import Settings
from tierwise.gateway import create_app
from tierwise.store import LedgerRow
from tierwise.store.keys import KeyStore

ARTIFACTS = Path(os.environ.get("TIERWISE_TEST_ARTIFACTS", "test-artifacts"))
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"


def seed_row(day: int, tier: str, cost: str, tokens: int, reason: str) -> LedgerRow:
    return LedgerRow(
        id=None, ts=datetime.now(UTC) - timedelta(days=day), request_id=f"seed-{day}-{tier}",
        attempt=1, tier=tier, model_id=f"global.anthropic.claude-{tier}", input_tokens=tokens,
        output_tokens=0, cache_read_tokens=0, cache_write_5m_tokens=0, cache_write_1h_tokens=0,
        cost_usd=Decimal(cost), latency_ms=10.0, status="ok",
        route={"tier": tier, "reasons": [reason]},
    )  # fmt: skip


@pytest.fixture(scope="module")
def dashboard(
    default_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str, str]]:
    db = tmp_path_factory.mktemp("dash") / "ledger.db"
    today = datetime.now(UTC).date()
    settings = default_settings.with_overrides(
        {
            "credits": [
                {"name": "AWS Activate", "amount": "100", "start": str(today - timedelta(days=90)),
                 "expires": str(today + timedelta(days=200)), "covers": "all AWS"},
            ]
        }
    )  # fmt: skip
    tw = Tierwise.from_settings(settings, ledger_url=f"sqlite:///{db}")
    # Haiku: 1M input tokens at $1/M = $1 a day; Opus: 1M at $5/M = $5 a day; 5 days each.
    for day in range(5):
        tw.ledger.record(seed_row(day, "haiku", "1", 1_000_000, "short classification prompt"))
        tw.ledger.record(seed_row(day, "opus", "5", 1_000_000, "multi-step proof requested"))
    keys = KeyStore(tw.ledger)  # type: ignore[arg-type]
    _, admin = keys.create("ops", admin=True)
    _, plain = keys.create("app")
    server, thread, url = run_server(create_app(settings, tierwise=tw, keys=keys, auth=True))
    try:
        yield url, admin, plain
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        tw.close()


def test_spend_and_credits_json_need_an_admin_key(dashboard: tuple[str, str, str]) -> None:
    url, admin, plain = dashboard
    assert httpx.get(url + "/v1/spend").status_code == 401
    assert (
        httpx.get(url + "/v1/spend", headers={"authorization": f"Bearer {plain}"}).status_code
        == 403  # a valid key without the right
    )
    data = httpx.get(url + "/v1/spend", headers={"authorization": f"Bearer {admin}"}).json()
    assert data["total"]["cost_usd"] == "30"
    # All-Opus: 10M input tokens at $5/M = $50, so $20 saved.
    assert data["savings"]["vs_all_opus_usd"] == "20"
    assert data["tier_mix"] == {"haiku": 0.5, "opus": 0.5}
    credits = httpx.get(url + "/v1/credits", headers={"authorization": f"Bearer {admin}"}).json()
    assert credits["pools"][0]["balance_usd"] == "70"


def test_a_bad_since_names_the_query_parameter(dashboard: tuple[str, str, str]) -> None:
    # It named the CLI's flag: "--since 'bogus' is not a duration or a date".
    url, admin, _ = dashboard
    for path in ("/v1/spend", "/v1/captures"):
        response = httpx.get(
            url + path, params={"since": "bogus"}, headers={"authorization": f"Bearer {admin}"}
        )
        assert response.status_code == 400, path
        message = response.json()["error"]["message"]
        assert message.startswith("since 'bogus' is not a duration or a date"), message


def test_metrics_in_prometheus_format(dashboard: tuple[str, str, str]) -> None:
    url, admin, _ = dashboard
    text = httpx.get(url + "/metrics", headers={"authorization": f"Bearer {admin}"}).text
    assert "# TYPE tierwise_requests_total counter" in text
    assert "tierwise_cache_hit_ratio" in text


def test_dashboard_renders_the_seeded_numbers_in_chromium(dashboard: tuple[str, str, str]) -> None:
    url, admin, _ = dashboard
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if in_ci():
            pytest.fail("playwright is required in CI for the browser test")
        pytest.skip("playwright not installed (pip install -e '.[dev,browser]')")
    if not Path(CHROMIUM).exists():
        if in_ci():
            pytest.fail(f"Chromium not found at {CHROMIUM}; .ci/run installs it")
        pytest.skip("Chromium not installed (apt-get install chromium)")
    errors: list[str] = []
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )  # fmt: skip
        page = browser.new_page(viewport={"width": 1280, "height": 1400})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{url}/dashboard#key={admin}")
        page.wait_for_function(
            "document.getElementById('status').textContent.startsWith('Updated')"
        )
        assert page.inner_text("#total-spend") == "$30.00"
        assert page.inner_text("#saved-opus") == "$20.00"
        assert page.inner_text("#escalation") == "0.0%"
        assert page.locator("#chart-daily rect[data-tier=opus]").count() == 5
        assert page.locator("#chart-mix rect.bar").count() == 2
        assert page.locator("#latest tbody tr").count() == 10
        assert "multi-step proof requested" in page.inner_text("#latest")
        assert "AWS Activate" in page.inner_text("#chart-credits")
        page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
        browser.close()
    assert errors == []
