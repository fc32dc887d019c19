"""A Redis outage of the shared cache state is visible: one WARNING as it starts (the error's
class only, never its text or a key), one INFO as it ends, none per failed retry, and the
gateway's ``tierwise_cache_state_unreachable`` gauge while it lasts. It logged a WARNING at
every retry pause of a long outage (every 5 s) and nothing when Redis came back.

Redis is made unreachable by pointing a client at a dead port (the shared Redis is never
stopped); it "comes back" when the client is pointed at the shared one (DB 13)."""

from __future__ import annotations

import logging
import socket
from typing import Any

import pytest

from tierwise.cache_state import MemoryCacheState, RedisCacheState
from tierwise.core.cache_aware import Prefix
from tierwise.gateway.metrics import Metrics

DEAD = "redis://:hunter2@127.0.0.1:1/13"
LIVE_PORT = 6379


def _records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "tierwise.cache_state"]


def _live() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", LIVE_PORT), timeout=0.5):
            return True
    except OSError:
        return False


def _calls(state: RedisCacheState) -> None:
    """One of each call that reaches Redis."""
    state.mark("m", [Prefix(5000, "5m", "qa-outage-k")])
    state.warm("m", ["qa-outage-k"])
    state.conversation_tier("qa-outage-c")
    state.set_conversation_tier("qa-outage-c", "opus")
    state.seen("qa-outage-s", 300)


def test_a_long_outage_warns_once_without_secrets(caplog: pytest.LogCaptureFixture) -> None:
    now = [1000.0]
    state = RedisCacheState(DEAD, retry_after_s=5, clock=lambda: now[0])
    caplog.set_level(logging.DEBUG, logger="tierwise.cache_state")
    try:
        assert not state.unreachable
        for _ in range(4):  # four retry pauses, every call failing against the dead port
            _calls(state)
            now[0] += 6
        assert state.unreachable
    finally:
        state.close()
    records = _records(caplog)
    assert [r.levelno for r in records] == [logging.WARNING], [r.getMessage() for r in records]
    message = records[0].getMessage()
    assert "Redis unreachable (ConnectionError)" in message
    for secret in ("hunter2", "127.0.0.1", "qa-outage"):
        assert secret not in message


def test_the_end_of_an_outage_is_one_info(caplog: pytest.LogCaptureFixture) -> None:
    if not _live():
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    now = [1000.0]
    state = RedisCacheState(
        DEAD, prefix="tierwise:qa-outage", retry_after_s=5, clock=lambda: now[0]
    )
    caplog.set_level(logging.DEBUG, logger="tierwise.cache_state")
    redis: Any = state._redis
    try:
        _calls(state)
        assert state.unreachable and state.degraded
        # Redis is back at the address: new connections go to the shared one.
        redis.connection_pool.connection_kwargs["port"] = LIVE_PORT
        redis.connection_pool.reset()
        _calls(state)  # inside the pause: Redis is not tried, the outage goes on
        assert state.unreachable
        now[0] += 6
        for _ in range(3):
            _calls(state)
        assert not state.unreachable and not state.degraded
    finally:
        redis.delete(*redis.keys("tierwise:qa-outage:*") or ["tierwise:qa-outage:none"])
        state.close()
    records = _records(caplog)
    assert [r.levelno for r in records] == [logging.WARNING, logging.INFO], [
        r.getMessage() for r in records
    ]
    assert records[1].getMessage().startswith("cache state: Redis answers again after 6 s")


def test_the_gateway_gauge_says_while_redis_is_unreachable() -> None:
    now = [1000.0]
    state = RedisCacheState(DEAD, retry_after_s=5, clock=lambda: now[0])
    metrics = Metrics(lambda: state)

    def gauge() -> float | None:
        return metrics.registry.get_sample_value("tierwise_cache_state_unreachable")

    try:
        assert gauge() == 0.0
        state.warm("m", ["k"])
        assert gauge() == 1.0
        now[0] += 60  # past the pause, still down: still 1
        assert gauge() == 1.0
    finally:
        state.close()
    assert (
        Metrics(MemoryCacheState).registry.get_sample_value("tierwise_cache_state_unreachable")
        == 0.0
    )


def test_the_gateway_scrape_carries_the_gauge(default_settings: Any, tmp_path: Any) -> None:
    from starlette.testclient import TestClient

    from tierwise.client import Tierwise
    from tierwise.gateway import create_app

    settings = default_settings.with_overrides(
        {"cache_state.url": DEAD, "gateway.metrics_token": "scrape-me-0123456789"}
    )
    tw = Tierwise.from_settings(settings, ledger_url=f"sqlite:///{tmp_path / 'm.db'}")
    headers = {"authorization": "Bearer scrape-me-0123456789"}
    with TestClient(create_app(settings, tierwise=tw, auth=True)) as client:
        assert (
            "tierwise_cache_state_unreachable 0.0" in client.get("/metrics", headers=headers).text
        )
        tw.cache_router.state.warm("m", ["k"])  # what routing asks first; Redis is down
        assert (
            "tierwise_cache_state_unreachable 1.0" in client.get("/metrics", headers=headers).text
        )
    tw.close()


class _FailsFirst:
    """The state's lock, with another call's failure slipped in just before it is taken
    (once): the interleaving of a failure between ``_answered``'s unlocked check and its
    lock, forced rather than waited for."""

    def __init__(self, state: RedisCacheState) -> None:
        self._state = state
        self._real = state._lock
        self._pending = True

    def __enter__(self) -> None:
        if self._pending:
            self._pending = False
            self._state._failed(ConnectionError("again"))  # takes the lock itself
        self._real.acquire()

    def __exit__(self, *exc: object) -> None:
        self._real.release()


class _Client:
    def register_script(self, script: str) -> object:
        return object()


def test_a_failure_just_before_an_answer_is_counted_keeps_the_outage_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [1000.0]
    state = RedisCacheState(
        "redis://unused", retry_after_s=5, client=_Client(), clock=lambda: now[0]
    )
    state._failed(ConnectionError("down"))
    now[0] += 6  # the pause is over: a call tries Redis and it answers ...
    state._lock = _FailsFirst(state)  # type: ignore[assignment]
    caplog.set_level(logging.DEBUG, logger="tierwise.cache_state")
    caplog.clear()  # the outage's opening WARNING
    state._answered()  # ... while another call's failure begins a fresh pause
    assert state.unreachable and state.degraded
    assert _records(caplog) == []  # no "answers again" during the fresh pause
    gauge = Metrics(lambda: state).registry.get_sample_value("tierwise_cache_state_unreachable")
    assert gauge == 1.0


def test_the_gauge_reads_the_state_in_use_at_scrape_time(
    default_settings: Any, tmp_path: Any
) -> None:
    # It read the state the gateway was built with: one replaced afterwards (a router given
    # shared state later) never showed its outage.
    from starlette.testclient import TestClient

    from tierwise.client import Tierwise
    from tierwise.gateway import create_app

    settings = default_settings.with_overrides({"gateway.metrics_token": "scrape-me-0123456789"})
    tw = Tierwise.from_settings(settings, ledger_url=f"sqlite:///{tmp_path / 'm.db'}")
    headers = {"authorization": "Bearer scrape-me-0123456789"}
    with TestClient(create_app(settings, tierwise=tw, auth=True)) as client:
        tw.cache_router.state = RedisCacheState(DEAD, retry_after_s=5)
        tw.cache_router.state.warm("m", ["k"])
        scrape = client.get("/metrics", headers=headers).text
    tw.close()
    assert "tierwise_cache_state_unreachable 1.0" in scrape
