"""Cache-aware routing end to end against the emulator (whose prompt cache counts reads and
writes as Bedrock does), with in-process and Redis-shared state."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from tierwise.cache_state import MemoryCacheState, RedisCacheState
from tierwise.client import Tierwise
from tierwise.config import Settings
from tierwise.core.cache_aware import Prefix

DOC = (
    "Policy 4.2: refunds on annual plans are prorated by month and go to the original "
    "payment method. "
) * 2000  # ~48k tokens
SYSTEM = [{"text": "You label support tickets with one label only: billing, technical, "
                   "account. Reference policies:\n" + DOC}]  # fmt: skip


def ticket(text: str) -> dict[str, Any]:
    return {"system": SYSTEM, "messages": [{"role": "user", "content": [{"text": text}]}]}


@pytest.fixture
def tw(emu_settings: Settings, ledger_url: str) -> Iterator[Tierwise]:
    with Tierwise.from_settings(emu_settings, ledger_url=ledger_url) as client:
        yield client


def test_a_warm_sonnet_prefix_wins_over_a_cold_haiku(tw: Tierwise) -> None:
    cold = tw.converse(modelId="haiku", **ticket("Ticket: I was charged twice this month."))
    tw.cache_router.state = type(tw.cache_router.state)()  # forget what that call warmed
    assert tw.route(ticket("Ticket: the app will not start.")).tier.value == "haiku"
    # another service pins Sonnet on the same prefix, warming Sonnet's cache
    tw.converse(modelId="sonnet", **ticket("Ticket: my invoice is wrong."))
    tw.converse(modelId="sonnet", **ticket("Ticket: please refund me."))
    routed = tw.converse(**ticket("Ticket: the app will not start."))
    info = routed["tierwise"]
    assert info["tier"] == "sonnet"
    cache = info["route"]["cache"]
    assert cache["preferred"] == "haiku" and cache["tier"] == "sonnet"
    assert "haiku allowed" in info["route"]["reasons"][-1]
    assert routed["usage"].get("cacheReadInputTokens", 0) > 40_000
    # and it really was cheaper than the cold haiku call it replaced
    costs = {o["tier"]: float(o["cost_usd"]) for o in cache["options"]}
    assert costs["sonnet"] < costs["haiku"]
    assert float(info["costUsd"]) < float(cold["tierwise"]["costUsd"])
    # the ledger keeps the choice, so spend reports can show what it saved
    from tierwise.core.spend import report
    from tierwise.reports import spend_rows

    summary = report(spend_rows(tw.ledger.rows()), tw.settings.all_rates())
    assert summary.cache_aware_moves == 1
    assert float(summary.cache_aware_saved) == pytest.approx(float(cache["saving_usd"]))
    assert summary.to_dict()["savings"]["cache_aware_moves"] == 1


def test_cache_awareness_can_be_turned_off(emu_settings: Settings, ledger_url: str) -> None:
    settings = emu_settings.with_overrides({"cache_state.enabled": False})
    with Tierwise.from_settings(settings, ledger_url=ledger_url) as tw:
        tw.converse(modelId="sonnet", **ticket("Ticket: my invoice is wrong."))
        tw.converse(modelId="sonnet", **ticket("Ticket: please refund me."))
        routed = tw.converse(**ticket("Ticket: the app will not start."))
        assert routed["tierwise"]["tier"] == "haiku"
        assert "cache" not in routed["tierwise"]["route"]


def test_warm_prefixes_expire_with_their_ttl() -> None:
    now = [0.0]
    state = MemoryCacheState(clock=lambda: now[0])
    state.mark("m", [Prefix(5000, "5m", "a"), Prefix(9000, "1h", "b")])
    assert state.warm("m", ["a", "b", "c"]) == {"a", "b"}
    assert state.warm("other-model", ["a"]) == set()
    now[0] = 301.0
    assert state.warm("m", ["a", "b"]) == {"b"}
    now[0] = 3601.0
    assert state.warm("m", ["a", "b"]) == set()
    state.set_conversation_tier("c1", "sonnet")
    assert state.conversation_tier("c1") == "sonnet"


def test_a_conversation_stays_where_its_cache_is(tw: Tierwise) -> None:
    logs = "ERROR 12:00:01 worker-3 timeout talking to the ledger database. " * 400
    history = [
        {"role": "user", "content": [{"text": "Review this incident report. " + DOC[:60000]}]},
        {"role": "assistant", "content": [{"text": "Here is my review."}]},
        {"role": "user", "content": [{"text": "Here are the logs, go deeper: " + logs}]},
    ]
    first = tw.converse(modelId="sonnet", messages=history)
    assert first["usage"]["cacheWriteInputTokens"] > 10_000
    turn = [*history, {"role": "assistant", "content": [{"text": "Done."}]},
            {"role": "user", "content": [{"text": "thanks!"}]}]  # fmt: skip
    assert tw.route({"messages": turn}).tier.value == "haiku"  # alone, it is chit-chat
    second = tw.converse(messages=turn)
    cache = second["tierwise"]["route"]["cache"]
    assert second["tierwise"]["tier"] == "sonnet"
    assert cache["preferred"] == "haiku" and cache["tier"] == "sonnet"
    assert second["usage"]["cacheReadInputTokens"] > 10_000  # the conversation's cache, read


def _redis_url() -> str | None:
    url = os.environ.get("TIERWISE_TEST_REDIS", "redis://127.0.0.1:6379/15")
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return url
    except OSError:
        if os.environ.get("TIERWISE_CI"):
            raise
        return None


@pytest.fixture
def redis_url() -> Iterator[str]:
    url = _redis_url()
    if url is None:
        pytest.skip("Redis is not running on 127.0.0.1:6379 (set TIERWISE_TEST_REDIS)")
    import redis

    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


def test_two_gateways_share_warm_state_through_redis(
    emu_settings: Settings, tmp_path: Any, redis_url: str
) -> None:
    settings = emu_settings.with_overrides({"cache_state.url": redis_url})
    a = Tierwise.from_settings(settings, ledger_url=f"sqlite:///{tmp_path / 'a.db'}")
    b = Tierwise.from_settings(settings, ledger_url=f"sqlite:///{tmp_path / 'b.db'}")
    try:
        # replica A warms Sonnet's cache
        a.converse(modelId="sonnet", **ticket("Ticket: my invoice is wrong."))
        a.converse(modelId="sonnet", **ticket("Ticket: please refund me."))
        # replica B has never seen this prefix itself, but Redis tells it Sonnet is warm
        routed = b.converse(**ticket("Ticket: the app will not start."))
        assert routed["tierwise"]["tier"] == "sonnet"
        assert routed["tierwise"]["route"]["cache"]["preferred"] == "haiku"
    finally:
        a.close()
        b.close()


def test_a_redis_outage_falls_back_to_local_state() -> None:
    dead = RedisCacheState("redis://127.0.0.1:1/0", retry_after_s=60)
    prefix = Prefix(5000, "5m", "k")
    dead.mark("m", [prefix])  # no exception: the mark lands in local memory
    assert dead.degraded
    assert dead.warm("m", ["k"]) == {"k"}
    dead.set_conversation_tier("c", "opus")
    assert dead.conversation_tier("c") == "opus"
    dead.close()
