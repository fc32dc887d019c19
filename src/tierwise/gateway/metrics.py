"""Prometheus metrics for one gateway app (its own registry: no process-global state).

The tallies are plain floats in dicts keyed by label values, handed to the registry by a
collector when /metrics is read. prometheus_client's metric objects validate, check and lock
on every increment and every histogram bucket (~94 k instructions a call for the eight
updates of an answered request); the gateway updates and reads its metrics on the event
loop only, so none of that buys anything here. What /metrics shows is what those objects
showed for the same observations, byte for byte: the same families in the same order, the
series in the order first seen, values added up in the same order from 0.0, ``_created``
taken when a series is first seen (tests/gateway/test_metrics_equivalence.py)."""

from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import prometheus_client.metrics
from prometheus_client import CollectorRegistry, Gauge, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.utils import INF, floatToGoString

if TYPE_CHECKING:
    from tierwise.cache_state import CacheState

__all__ = ["Metrics"]

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
_OVERHEAD_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25)
_NEGATIVE = "Counters can only be incremented by non-negative amounts."  # prometheus_client's

# A counter's series: [value, created]. A histogram's: [sum, created, count per bucket...].
Series = list[float]


def _created_series() -> bool:
    """Whether counters and histograms show ``_created`` samples: prometheus_client's own
    switch (PROMETHEUS_DISABLE_CREATED_SERIES, disable_created_metrics()), read as its
    metrics read it at each collection."""
    return bool(getattr(prometheus_client.metrics, "_use_created", True))


class _Histogram:
    """One labelled histogram's series (``observe`` as prometheus_client's: the sum, then
    the first bucket whose bound is at or above the amount; NaN counts in none)."""

    __slots__ = ("bounds", "labels", "series")

    def __init__(self, buckets: Iterable[float]) -> None:
        self.bounds = [*(float(b) for b in buckets), INF]
        # The ``le`` labels as prometheus_client writes them (its helper is untyped).
        self.labels = tuple(floatToGoString(b) for b in self.bounds)  # type: ignore[no-untyped-call]
        self.series: dict[tuple[str, ...], Series] = {}

    def observe(self, key: tuple[str, ...], amount: float) -> None:
        series = self.series.get(key)
        if series is None:
            series = self.series[key] = [0.0, time.time(), *([0.0] * len(self.bounds))]
        series[0] += amount
        i = bisect_left(self.bounds, amount)
        if amount <= self.bounds[i]:  # false only for NaN (bisect puts it first)
            series[2 + i] += 1


class Metrics:
    def __init__(self, cache_state: Callable[[], CacheState] | None = None) -> None:
        """``cache_state`` gives the cache state in use when /metrics is read (the router's
        state may be replaced after the gateway is built)."""
        self.registry = CollectorRegistry()
        if cache_state is not None:
            # Read at scrape time: an outage begins and ends inside calls, not at requests.
            Gauge(
                "tierwise_cache_state_unreachable",
                "1 while the shared cache state (Redis) is unreachable and this process "
                "routes on its own memory",
                registry=self.registry,
            ).set_function(lambda: float(cache_state().unreachable))
        # Counters by label values (as in the old metric objects' label order).
        self._requests: dict[tuple[str, str], Series] = {}  # api, tier
        self._attempts: dict[tuple[str, str], Series] = {}  # tier, outcome
        self._escalations: Series = [0.0, time.time()]  # unlabelled: made with the metrics
        self._tokens: dict[tuple[str, str], Series] = {}  # kind, tier
        self._cost: dict[tuple[str], Series] = {}  # tier
        self._errors: dict[tuple[str], Series] = {}  # error
        self._latency = _Histogram(_LATENCY_BUCKETS)
        self._overhead = _Histogram(_OVERHEAD_BUCKETS)
        self._ratio = 0.0
        self._read = 0
        self._prompt = 0
        self.registry.register(_Collector(self))

    @staticmethod
    def _inc(counter: dict[Any, Series], key: tuple[str, ...], amount: float = 1) -> None:
        series = counter.get(key)
        if series is None:
            series = counter[key] = [0.0, time.time()]
        if amount < 0:
            raise ValueError(_NEGATIVE)
        series[0] += amount

    def observe(
        self, api: str, info: Mapping[str, Any], latency_s: float, overhead_s: float
    ) -> None:
        tier = str(info.get("tier") or "passthrough")
        self._inc(self._requests, (api, tier))
        key = (api,)
        self._latency.observe(key, latency_s)
        self._overhead.observe(key, overhead_s)
        self.observe_spent(info)
        if info.get("escalated"):
            self._escalations[0] += 1

    def observe_spent(self, info: Mapping[str, Any]) -> None:
        """A request's billed calls (cost, attempts, tokens): an answered request's, or a
        failed one's (its error's ``spent``), which the ledger and access log count too."""
        tier = str(info.get("tier") or "passthrough")
        self._inc(self._cost, (tier,), float(Decimal(str(info.get("costUsd") or "0"))))
        steps = info.get("attempts") or [
            {"tier": tier, "outcome": "accepted", "usage": info.get("usage")}
        ]
        tokens = self._tokens
        for step in steps:
            step_tier = str(step.get("tier") or tier)
            self._inc(self._attempts, (step_tier, str(step.get("outcome", "accepted"))))
            usage = step.get("usage") or {}
            # Usage.from_converse's counts: its cache writes split by TTL add up to the
            # total written, which is all the metrics show.
            read = int(usage.get("cacheReadInputTokens") or 0)
            written = int(usage.get("cacheWriteInputTokens") or 0)
            prompt = int(usage.get("inputTokens") or 0)
            for kind, n in (
                ("input", prompt), ("output", int(usage.get("outputTokens") or 0)),
                ("cache_read", read), ("cache_write", written),
            ):  # fmt: skip
                if n:
                    self._inc(tokens, (kind, step_tier), n)
            self._read += read
            self._prompt += prompt + read + written
        if self._prompt:
            self._ratio = self._read / self._prompt

    def observe_error(self, error: BaseException) -> None:
        self._inc(self._errors, (type(error).__name__,))

    def render(self) -> bytes:
        return generate_latest(self.registry)


def _counter(
    name: str, documentation: str, labelnames: tuple[str, ...], series: Mapping[Any, Series]
) -> Metric:
    metric = Metric(name, documentation, "counter")
    created = _created_series()
    for values, (value, made) in series.items():
        labels = dict(zip(labelnames, values, strict=True))
        metric.add_sample(name + "_total", labels, value)
        if created:
            metric.add_sample(name + "_created", dict(labels), made)
    return metric


def _histogram(name: str, documentation: str, labelname: str, histogram: _Histogram) -> Metric:
    metric = Metric(name, documentation, "histogram")
    created = _created_series()
    nonnegative = histogram.bounds[0] >= 0
    for (value,), series in histogram.series.items():
        acc = 0.0
        for le, count in zip(histogram.labels, series[2:], strict=True):
            acc += count
            metric.add_sample(name + "_bucket", {labelname: value, "le": le}, acc)
        metric.add_sample(name + "_count", {labelname: value}, acc)
        if nonnegative:
            metric.add_sample(name + "_sum", {labelname: value}, series[0])
        if created:
            metric.add_sample(name + "_created", {labelname: value}, series[1])
    return metric


class _Collector:
    """The metrics' families, in the order the old metric objects were registered."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def collect(self) -> Iterator[Metric]:
        m = self._metrics
        yield _counter("tierwise_requests", "Requests answered", ("api", "tier"), m._requests)
        yield _counter(
            "tierwise_attempts", "Model calls by outcome", ("tier", "outcome"), m._attempts
        )
        yield _counter(
            "tierwise_escalations", "Requests escalated a tier", (), {(): m._escalations}
        )
        yield _counter("tierwise_tokens", "Tokens by kind and tier", ("kind", "tier"), m._tokens)
        yield _counter("tierwise_cost_usd", "Cost in USD by tier", ("tier",), m._cost)
        yield _histogram("tierwise_request_seconds", "Request latency", "api", m._latency)
        yield _histogram(
            "tierwise_overhead_seconds", "Time in tierwise, Bedrock excluded", "api", m._overhead
        )
        yield _counter("tierwise_errors", "Failed requests by error class", ("error",), m._errors)
        ratio = Metric(
            "tierwise_cache_hit_ratio", "Cache-read share of prompt tokens so far", "gauge"
        )
        ratio.add_sample("tierwise_cache_hit_ratio", {}, m._ratio)
        yield ratio
