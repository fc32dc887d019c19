"""Prometheus metrics for one gateway app (its own registry: no process-global state)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from tierwise.core.pricing import Usage

if TYPE_CHECKING:
    from tierwise.cache_state import CacheState

__all__ = ["Metrics"]

M = TypeVar("M", Counter, Histogram)

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
_OVERHEAD_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25)


class Metrics:
    def __init__(self, cache_state: CacheState | None = None) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        if cache_state is not None:
            # Read at scrape time: an outage begins and ends inside calls, not at requests.
            Gauge(
                "tierwise_cache_state_unreachable",
                "1 while the shared cache state (Redis) is unreachable and this process "
                "routes on its own memory",
                registry=r,
            ).set_function(lambda: float(cache_state.unreachable))
        self.requests = Counter(
            "tierwise_requests", "Requests answered", ["api", "tier"], registry=r
        )
        self.attempts = Counter(
            "tierwise_attempts", "Model calls by outcome", ["tier", "outcome"], registry=r
        )
        self.escalations = Counter("tierwise_escalations", "Requests escalated a tier", registry=r)
        self.tokens = Counter(
            "tierwise_tokens", "Tokens by kind and tier", ["kind", "tier"], registry=r
        )
        self.cost = Counter("tierwise_cost_usd", "Cost in USD by tier", ["tier"], registry=r)
        self.latency = Histogram(
            "tierwise_request_seconds",
            "Request latency",
            ["api"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.overhead = Histogram(
            "tierwise_overhead_seconds", "Time in tierwise, Bedrock excluded", ["api"],
            buckets=_OVERHEAD_BUCKETS, registry=r,
        )  # fmt: skip
        self.errors = Counter(
            "tierwise_errors", "Failed requests by error class", ["error"], registry=r
        )
        self.cache_hit_ratio = Gauge(
            "tierwise_cache_hit_ratio", "Cache-read share of prompt tokens so far", registry=r
        )
        self._read = 0
        self._prompt = 0
        # ``labels()`` validates and locks on every call; the label sets are few (api, tier,
        # outcome, token kind), so each child is looked up once and kept.
        self._children: dict[tuple[int, tuple[str, ...]], Any] = {}

    def _child(self, metric: M, *labels: str) -> M:
        key = (id(metric), labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child

    def observe(
        self, api: str, info: Mapping[str, Any], latency_s: float, overhead_s: float
    ) -> None:
        tier = str(info.get("tier") or "passthrough")
        self._child(self.requests, api, tier).inc()
        self._child(self.latency, api).observe(latency_s)
        self._child(self.overhead, api).observe(overhead_s)
        self.observe_spent(info)
        if info.get("escalated"):
            self.escalations.inc()

    def observe_spent(self, info: Mapping[str, Any]) -> None:
        """A request's billed calls (cost, attempts, tokens): an answered request's, or a
        failed one's (its error's ``spent``), which the ledger and access log count too."""
        tier = str(info.get("tier") or "passthrough")
        self._child(self.cost, tier).inc(float(Decimal(str(info.get("costUsd") or "0"))))
        steps = info.get("attempts") or [
            {"tier": tier, "outcome": "accepted", "usage": info.get("usage")}
        ]
        for step in steps:
            step_tier = str(step.get("tier") or tier)
            self._child(self.attempts, step_tier, str(step.get("outcome", "accepted"))).inc()
            usage = Usage.from_converse(step.get("usage") or {})
            for kind, n in (
                ("input", usage.input), ("output", usage.output), ("cache_read", usage.cache_read),
                ("cache_write", usage.cache_write),
            ):  # fmt: skip
                if n:
                    self._child(self.tokens, kind, step_tier).inc(n)
            self._read += usage.cache_read
            self._prompt += usage.prompt_total
        if self._prompt:
            self.cache_hit_ratio.set(self._read / self._prompt)

    def observe_error(self, error: BaseException) -> None:
        self._child(self.errors, type(error).__name__).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
