"""The gateway's metrics count what a request's calls were billed, also when the request
then failed (a rejected answer before a failed escalation): the ledger and the access log
count those calls, and tierwise_cost_usd did not."""

from __future__ import annotations

from typing import Any, cast

from tierwise.errors import UnavailableError
from tierwise.gateway.errors import Dialect
from tierwise.gateway.metrics import Metrics
from tierwise.gateway.openai_routes import failure


class _Gateway:
    def __init__(self) -> None:
        self.metrics = Metrics()


def test_a_failure_after_billed_calls_counts_their_cost_and_tokens() -> None:
    gw = _Gateway()
    exc = UnavailableError("sonnet is unavailable")
    exc.billed = True
    # what the engine sets on an error after billed calls (Engine.run)
    exc.spent = {
        "tier": "haiku",
        "modelId": "m",
        "requestId": "r1",
        "attempts": [
            {
                "attempt": 1, "kind": "answer", "tier": "haiku", "outcome": "rejected",
                "costUsd": "0.0012", "usage": {"inputTokens": 40, "outputTokens": 5},
            }
        ],
        "costUsd": "0.0012",
    }  # fmt: skip
    reply = failure(exc, Dialect.OPENAI, cast(Any, gw))
    assert reply.status_code == 503
    value = gw.metrics.registry.get_sample_value
    assert value("tierwise_cost_usd_total", {"tier": "haiku"}) == 0.0012
    assert value("tierwise_tokens_total", {"kind": "output", "tier": "haiku"}) == 5
    assert value("tierwise_attempts_total", {"tier": "haiku", "outcome": "rejected"}) == 1
    assert value("tierwise_errors_total", {"error": "UnavailableError"}) == 1
    # a failed request is no answered one
    assert value("tierwise_requests_total", {"api": "openai", "tier": "haiku"}) is None
