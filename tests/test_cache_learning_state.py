"""What the router learns from Bedrock's usage lands in the cache state at Bedrock's counts,
and lives as long as Bedrock keeps the entry: a read starts its TTL over (in process and in
Redis), and Redis's own expiry ends it.

The usage is what Bedrock reports for the request as sent, with its tokenizer counting 0.9
of our estimate (``RATIO``): the estimate never equals Bedrock's count."""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tierwise.cache_router import CacheRouter
from tierwise.cache_state import MemoryCacheState, RedisCacheState
from tierwise.config import Settings
from tierwise.core.cache_aware import Prefix, lookup_keys, prefixes
from tierwise.core.caching import place_cache_points
from tierwise.core.pricing import Usage
from tierwise.core.tiers import Tier
from tierwise.core.tokens import count_request

DOC = "Policy 4.2: refunds on annual plans are prorated by month and go to the original. " * 900
REQUEST = {
    "system": [{"text": "You label support tickets: billing, technical, account.\n" + DOC}],
    "messages": [{"role": "user", "content": [{"text": "Ticket: the app will not start."}]}],
}
RATIO = 0.9
# Redis DB 11, keys under a prefix of this run's own: nothing else's keys are touched.
REDIS_URL = "redis://127.0.0.1:6379/11"


def sent(settings: Settings) -> tuple[list[Prefix], int]:
    """The request's cache points as sent to Sonnet, and its estimated prompt."""
    placed = place_cache_points(REQUEST, settings.cache_policy(Tier.SONNET)).request
    points = prefixes(placed, settings.tier(Tier.SONNET).cache_min_tokens)
    assert points
    return points, count_request(placed)


def reported(settings: Settings, *, read: bool) -> tuple[Usage, int]:
    """Bedrock's usage for the request (its prefix read, or written), and the prefix's count
    in it."""
    points, estimated = sent(settings)
    prefix = round(points[-1].tokens * RATIO)
    rest = round((estimated - points[-1].tokens) * RATIO)
    if read:
        return Usage(input=rest, cache_read=prefix, output=20), prefix
    return Usage(input=rest, cache_write_5m=prefix, output=20), prefix


def warm(router: CacheRouter, settings: Settings) -> set[str]:
    points, _ = sent(settings)
    return router.state.warm(settings.tier(Tier.SONNET).model_id, lookup_keys(points))


def test_a_read_starts_the_ttl_over(default_settings: Settings) -> None:
    now = [0.0]
    router = CacheRouter(default_settings, MemoryCacheState(clock=lambda: now[0]))
    model = default_settings.tier(Tier.SONNET).model_id
    router.learn(REQUEST, Tier.SONNET, model, reported(default_settings, read=False)[0])
    assert warm(router, default_settings)
    now[0] = 250.0
    router.learn(REQUEST, Tier.SONNET, model, reported(default_settings, read=True)[0])
    now[0] = 500.0  # 500 s after the write, 250 after the read: still warm
    assert warm(router, default_settings)
    now[0] = 551.0  # 301 s after the read
    assert warm(router, default_settings) == set()


@pytest.fixture
def redis_state() -> Iterator[tuple[RedisCacheState, Any, str]]:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            pass
    except OSError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    import redis

    prefix = f"tierwise:test-learning:{uuid.uuid4().hex}"
    client = redis.Redis.from_url(REDIS_URL)
    state = RedisCacheState(REDIS_URL, prefix=prefix)
    try:
        yield state, client, prefix
    finally:
        state.close()
        keys = list(client.scan_iter(f"{prefix}:*"))
        if keys:
            client.delete(*keys)
        client.close()


def test_redis_keeps_bedrocks_count_and_expires_the_entry_itself(
    default_settings: Settings, redis_state: tuple[RedisCacheState, Any, str]
) -> None:
    state, client, prefix = redis_state
    router = CacheRouter(default_settings, state)
    model = default_settings.tier(Tier.SONNET).model_id
    usage, count = reported(default_settings, read=False)
    router.learn(REQUEST, Tier.SONNET, model, usage)
    points, _ = sent(default_settings)
    key = f"{prefix}:{model}:{points[-1].key}"
    # Bedrock's count of the prefix is what the shared state keeps, for the write's 5 minutes
    assert int(client.get(key)) == count != points[-1].tokens
    assert 290 < client.ttl(key) <= 300
    # 290 s on, a read starts the entry's TTL over in Redis
    client.expire(key, 10)
    router.learn(REQUEST, Tier.SONNET, model, reported(default_settings, read=True)[0])
    assert 290 < client.ttl(key) <= 300
    assert warm(router, default_settings) == {points[-1].key}
    # and when Redis expires it, no replica holds it warm
    client.pexpire(key, 1)
    time.sleep(0.05)
    assert warm(router, default_settings) == set()


def test_a_turns_read_through_its_window_refreshes_the_entry_that_was_warm(
    default_settings: Settings,
) -> None:
    # A log dump (Bedrock counts it 1.3x our estimate), then a short prose follow-up (1.0x):
    # the follow-up's one point reads the first turn's entry through its lookback window,
    # and, scaled by the call's ratio, a block the call never wrote sits nearer the read.
    first = {"messages": [{"role": "user", "content": [{"text": "log line " * 3000}]}]}
    follow = [{"text": f"tool output {i} " + "z" * 40} for i in range(3)]
    second = {"messages": [*first["messages"],
                           {"role": "assistant", "content": [{"text": "Noted."}]},
                           {"role": "user", "content": follow}]}  # fmt: skip
    policy, model = default_settings.cache_policy(Tier.HAIKU), "haiku-model"
    minimum = default_settings.tier(Tier.HAIKU).cache_min_tokens
    (entry,) = prefixes(place_cache_points(first, policy).request, minimum)
    (turn,) = prefixes(place_cache_points(second, policy).request, minimum)
    assert entry.key in dict(turn.positions()).values()
    router = CacheRouter(default_settings, MemoryCacheState())
    read = round(entry.tokens * 1.3)
    router.learn(first, Tier.HAIKU, model, Usage(cache_write_5m=read, output=20))
    written = turn.tokens - entry.tokens
    router.learn(second, Tier.HAIKU, model, Usage(cache_read=read, cache_write_5m=written))
    assert router.state.warm(model, lookup_keys([turn])) == {entry.key, turn.key}
