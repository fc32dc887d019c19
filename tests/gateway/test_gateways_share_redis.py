"""Two gateway replicas, each its own process state, client and ledger, share warm-prefix
state through Redis (issue 19): the prefix one replica's answers warmed on Sonnet, the other
routes on; a replica with in-process state, having seen none of it, does not."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from live_server import run_server
from redis_namespace import RedisNamespace, redis_namespace
from tierwise.client import Tierwise
from tierwise.config import Settings
from tierwise.gateway import create_app

# Tests use DBs 8-15; this one's keys live under a prefix of the test's own, deleted after.
REDIS_URL = "redis://127.0.0.1:6379/9"

DOC = (
    "Policy 4.2: refunds on annual plans are prorated by month and go to the original "
    "payment method. "
) * 2000  # ~48k tokens: cacheable on every tier
SYSTEM = (
    "You label support tickets with one label only: billing, technical, account. "
    "Reference policies:\n" + DOC
)


@pytest.fixture
def redis_db() -> Iterator[RedisNamespace]:
    with redis_namespace(REDIS_URL) as ns:
        yield ns


@contextmanager
def _replica(settings: Settings, db: Path) -> Iterator[str]:
    """One gateway replica on its own port, client and ledger; its URL."""
    tw = Tierwise.from_settings(settings, ledger_url=f"sqlite:///{db}")
    server, thread, url = run_server(create_app(settings, tierwise=tw, auth=False))
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        tw.close()


def _ticket(url: str, model: str, text: str) -> httpx.Response:
    body: dict[str, Any] = {
        "model": model,
        "max_tokens": 20,
        "system": SYSTEM,
        "messages": [{"role": "user", "content": text}],
    }
    response = httpx.post(f"{url}/v1/messages", json=body, timeout=30)
    assert response.status_code == 200, response.text
    return response


def test_a_second_gateway_routes_on_the_cache_the_first_one_warmed(
    emu_settings: Settings, tmp_path: Path, redis_db: RedisNamespace
) -> None:
    shared = emu_settings.with_overrides(redis_db.overrides)
    with ExitStack() as stack:
        a = stack.enter_context(_replica(shared, tmp_path / "a.db"))
        b = stack.enter_context(_replica(shared, tmp_path / "b.db"))
        alone = stack.enter_context(_replica(emu_settings, tmp_path / "alone.db"))
        # another service pins Sonnet on replica A: Sonnet's cache holds the prefix
        _ticket(a, "sonnet", "Ticket: my invoice is wrong.")
        _ticket(a, "sonnet", "Ticket: please refund me.")

        # replica B never saw the prefix; Redis tells it Sonnet has it warm
        routed = _ticket(b, "auto", "Ticket: the app will not start.")
        assert routed.headers["x-tierwise-tier"] == "sonnet"
        reason = routed.headers["x-tierwise-route-reason"]
        assert "warm on sonnet" in reason, reason
        assert routed.json()["usage"]["cache_read_input_tokens"] > 40_000

        # a replica on its own memory routes the same ticket to Haiku, as the router prefers
        cold = _ticket(alone, "auto", "Ticket: the app will not start.")
        assert cold.headers["x-tierwise-tier"] == "haiku", cold.headers["x-tierwise-route-reason"]
