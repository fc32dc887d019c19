"""/metrics from the gateway's plain tallies is byte for byte what prometheus_client's metric
objects showed for the same observations: the observations of real calls, streams and
errors through every door replayed into both, and edge cases (NaN, bounds, negative
amounts, created series off) fed to both. The reference is the gateway's metrics as they
were before the tallies (main 408d7ba), kept here verbatim."""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import httpx
import prometheus_client
import prometheus_client.metrics
import prometheus_client.values
import pytest
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from live_server import emulated_gateway
from tierwise.config import Settings
from tierwise.core.pricing import Usage
from tierwise.errors import InvalidRequestError, ThrottledError, UnavailableError
from tierwise.gateway import service
from tierwise.gateway.metrics import Metrics

M = TypeVar("M", Counter, Histogram)

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
_OVERHEAD_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25)


class Reference:
    """src/tierwise/gateway/metrics.py at 3754f1c: prometheus_client's metric objects."""

    def __init__(self, cache_state: Any = None) -> None:
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


Observation = tuple[str, tuple[Any, ...]]


class Clock:
    """time.time for both: each observation at its own second, so a series made at a
    different observation than before shows a different ``_created``."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


class CacheState:
    unreachable = True


def replay(
    observations: list[Observation], monkeypatch: pytest.MonkeyPatch, cache_state: Any = None
) -> tuple[list[bytes], list[bytes]]:
    """Each implementation's /metrics after each observation (and before any)."""
    clock = Clock()
    monkeypatch.setattr(time, "time", clock)
    old = Reference(cache_state)
    new = Metrics(None if cache_state is None else lambda: cache_state)
    before, after = [old.render()], [new.render()]
    for i, (method, args) in enumerate(observations):
        clock.now = 1_700_000_001.0 + i
        outcomes = []
        for metrics, renders in ((old, before), (new, after)):
            try:
                getattr(metrics, method)(*copy.deepcopy(args))
                outcomes.append(None)
            except Exception as exc:  # the same failure, with the same effects so far
                outcomes.append((type(exc), str(exc)))
            renders.append(metrics.render())
        assert outcomes[0] == outcomes[1], (method, args)
    return before, after


def info(tier: str | None, cost: Any, *steps: dict[str, Any], **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"costUsd": cost, **extra}
    if tier is not None:
        out["tier"] = tier
    if steps:
        out["attempts"] = list(steps)
    return out


def step(tier: str | None, outcome: str | None, **usage: int) -> dict[str, Any]:
    out: dict[str, Any] = {"usage": dict(usage)}
    if tier is not None:
        out["tier"] = tier
    if outcome is not None:
        out["outcome"] = outcome
    return out


EDGES: list[Observation] = [
    ("observe", ("openai", info("haiku", "0.000123", step("haiku", "accepted", inputTokens=30, outputTokens=12)), 0.01, 0.002)),  # noqa: E501
    ("observe", ("openai", info("haiku", "0.000123", step("haiku", "accepted", inputTokens=30, outputTokens=12)), 0.005, 0.0005)),  # noqa: E501  bounds exactly
    ("observe", ("anthropic", info("sonnet", Decimal("0.0101"), step("haiku", "rejected", inputTokens=5, outputTokens=9), step("sonnet", "accepted", inputTokens=5, outputTokens=40, cacheReadInputTokens=1024, cacheWriteInputTokens=300), escalated=True), 2.4999, 0.0021)),  # noqa: E501
    ("observe", ("responses", info(None, None, usage={"inputTokens": 3, "outputTokens": 0}), 130.0, 0.3)),  # noqa: E501  passthrough, past every bound
    ("observe", ("openai", info("opus", 0.3, step(None, None, inputTokens=1, outputTokens=1, cacheWriteInputTokens=50, cacheDetails=[{"ttl": "1h", "inputTokens": 20}, {"ttl": "5m", "inputTokens": 30}])), 0.0, 0.0)),  # noqa: E501  no step tier or outcome; cache write by TTL
    ("observe", ("openai", info("haiku", "1E-7", step("haiku", "accepted")), float("nan"), float("inf"))),  # noqa: E501
    ("observe", ("openai", info("haiku", "0", step("haiku", "accepted", inputTokens=7)), -0.25, -1.0)),  # noqa: E501  negative times
    ("observe_error", (ThrottledError("slow down"),)),
    ("observe_error", (InvalidRequestError("bad"),)),
    ("observe_error", (ThrottledError("again"),)),
    ("observe_spent", (info("haiku", "0.0012", step("haiku", "rejected", inputTokens=40, outputTokens=5)),)),  # noqa: E501
    ("observe_spent", (info("sonnet", "-0.5", step("sonnet", "error")),)),  # a negative cost: refused  # noqa: E501
    ("observe_spent", (info("haiku", "0.1", step("haiku", "accepted", inputTokens=-3)),)),
    ("observe", ("openai", info("haiku", "0.000123", step("haiku", "accepted", inputTokens=30, outputTokens=12)), 0.0249999, 0.00999)),  # noqa: E501
    ("observe_error", (UnavailableError("gone"),)),
    ("observe", ("anthropic", info("haiku", "0.02", step("haiku", "accepted", inputTokens=10, cacheReadInputTokens=90)), 1, 0.002)),  # noqa: E501  int amounts
]  # fmt: skip


@pytest.mark.parametrize("cache_state", [None, CacheState()])
def test_edge_cases_render_the_same_bytes(
    monkeypatch: pytest.MonkeyPatch, cache_state: Any
) -> None:
    before, after = replay(EDGES, monkeypatch, cache_state)
    assert after == before
    assert (b"tierwise_cache_state_unreachable 1.0" in after[-1]) == (cache_state is not None)
    assert b"tierwise_escalations_total 1.0" in after[-1]  # the cases did reach every series
    assert b'le="+Inf"' in after[-1] and b"tierwise_cost_usd_created" in after[-1]


def test_without_created_series_too(monkeypatch: pytest.MonkeyPatch) -> None:
    prometheus_client.disable_created_metrics()
    try:
        before, after = replay(EDGES, monkeypatch)
    finally:
        prometheus_client.enable_created_metrics()
    assert after == before
    assert b"_created" not in after[-1]


def test_sample_values_read_through_the_registry() -> None:
    metrics = Metrics()
    metrics.observe("openai", EDGES[0][1][1], 0.01, 0.002)
    value = metrics.registry.get_sample_value
    assert value("tierwise_tokens_total", {"kind": "input", "tier": "haiku"}) == 30
    assert value("tierwise_request_seconds_bucket", {"api": "openai", "le": "0.01"}) == 1
    assert value("tierwise_request_seconds_bucket", {"api": "openai", "le": "0.005"}) == 0


def test_an_observation_touches_no_prometheus_client_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The tallies are the gateway's own: prometheus_client's locked values (and its label
    lookups) are not used per observation, only when /metrics is read."""
    metrics = Metrics()

    def refused(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a prometheus_client value or child was used")

    monkeypatch.setattr(prometheus_client.values.MutexValue, "inc", refused)
    monkeypatch.setattr(prometheus_client.values.MutexValue, "set", refused)
    monkeypatch.setattr(prometheus_client.metrics.MetricWrapperBase, "labels", refused)
    for method, args in EDGES[:5]:
        getattr(metrics, method)(*copy.deepcopy(args))
    metrics.observe_error(ThrottledError("slow down"))
    monkeypatch.undo()
    assert b"tierwise_errors_total" in metrics.render()


# -- the observations of real traffic ---------------------------------------------------


class Recording(Metrics):
    """The gateway's metrics, keeping each observation it is given (not the ones its own
    methods make of each other)."""

    log: list[Observation]

    def __init__(self, cache_state: Any = None) -> None:
        super().__init__(cache_state)
        self.log = []
        self._depth = 0
        RECORDINGS.append(self)

    def _record(self, method: str, args: tuple[Any, ...]) -> None:
        if self._depth == 0:
            self.log.append((method, copy.deepcopy(args)))

    def observe(
        self, api: str, info: Mapping[str, Any], latency_s: float, overhead_s: float
    ) -> None:
        self._record("observe", (api, dict(info), latency_s, overhead_s))
        self._depth += 1
        try:
            super().observe(api, info, latency_s, overhead_s)
        finally:
            self._depth -= 1

    def observe_spent(self, info: Mapping[str, Any]) -> None:
        self._record("observe_spent", (dict(info),))
        super().observe_spent(info)

    def observe_error(self, error: BaseException) -> None:
        self._record("observe_error", (error,))
        super().observe_error(error)


RECORDINGS: list[Recording] = []


@pytest.fixture(scope="module")
def traffic(
    default_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[Observation]]:
    """A mix through a live gateway: calls and streams through the three doors, routed and
    pinned, a 400, throttled calls and streams, a stream cut mid-way."""
    mp = pytest.MonkeyPatch()
    mp.setattr(service, "Metrics", Recording)
    db: Path = tmp_path_factory.mktemp("metrics") / "ledger.db"
    overrides = {"retry.base_delay_s": 0.0, "retry.max_attempts": 1}
    try:
        with emulated_gateway(default_settings, db, overrides) as gw:
            _, secret = gw.keys.create("metrics", budget_usd=Decimal("100"))
            headers = {"authorization": f"Bearer {secret}", "anthropic-version": "2023-06-01"}
            faults = gw.emulator.faults
            with httpx.Client(base_url=gw.url, headers=headers, timeout=30) as client:

                def post(path: str, body: dict[str, Any]) -> None:
                    if body.get("stream"):
                        with client.stream("POST", path, json=body) as reply:
                            reply.read()
                    else:
                        client.post(path, json=body)

                for n, model in enumerate(("auto", "auto", "haiku", "sonnet")):
                    ask = f"Name a colour ({n})."
                    messages = [{"role": "user", "content": ask}]
                    for stream in (False, True):
                        post(
                            "/v1/chat/completions",
                            {
                                "model": model,
                                "messages": messages,
                                "max_tokens": 40,
                                "stream": stream,
                            },
                        )
                        post(
                            "/v1/messages",
                            {
                                "model": model,
                                "messages": messages,
                                "max_tokens": 40,
                                "stream": stream,
                            },
                        )
                        post(
                            "/v1/responses",
                            {
                                "model": model,
                                "input": ask,
                                "max_output_tokens": 40,
                                "stream": stream,
                            },
                        )
                post("/v1/chat/completions", {"model": "haiku", "messages": [], "max_tokens": 5})
                post("/v1/messages", {"model": "haiku", "max_tokens": -1, "messages": []})
                faults.throttle_rate = 1.0
                for stream in (False, True):
                    post(
                        "/v1/chat/completions",
                        {
                            "model": "auto",
                            "messages": [{"role": "user", "content": "Hi"}],
                            "max_tokens": 20,
                            "stream": stream,
                        },
                    )
                    post(
                        "/v1/messages",
                        {
                            "model": "haiku",
                            "messages": [{"role": "user", "content": "Hi"}],
                            "max_tokens": 20,
                            "stream": stream,
                        },
                    )
                faults.throttle_rate = 0.0
                faults.cut_stream_after = 4
                post(
                    "/v1/chat/completions",
                    {
                        "model": "haiku",
                        "messages": [{"role": "user", "content": "Write a long story."}],
                        "max_tokens": 300,
                        "stream": True,
                    },
                )
                post(
                    "/v1/messages",
                    {
                        "model": "haiku",
                        "messages": [{"role": "user", "content": "Write a long story."}],
                        "max_tokens": 300,
                        "stream": True,
                    },
                )
                faults.cut_stream_after = None
                cached = [
                    {
                        "type": "text",
                        "text": "Be brief. " * 3000,
                        "cache_control": {"type": "ephemeral"},
                    }
                ]
                for _ in range(2):  # a cache write, then a cache read
                    post(
                        "/v1/messages",
                        {
                            "model": "haiku",
                            "system": cached,
                            "messages": [{"role": "user", "content": "Hi"}],
                            "max_tokens": 20,
                        },
                    )
                _, admin = gw.keys.create("metrics-admin", admin=True)
                rendered = client.get("/metrics", headers={"authorization": f"Bearer {admin}"}).text
            (recording,) = RECORDINGS
            yield [*recording.log, ("render", (rendered,))]
    finally:
        mp.undo()
        RECORDINGS.clear()


def test_real_traffic_renders_the_same_bytes(
    traffic: list[Observation], monkeypatch: pytest.MonkeyPatch
) -> None:
    *observations, (_, (live,)) = traffic
    methods = [method for method, _ in observations]
    # The mix reached what it was meant to: answers, billed failures and errors.
    assert methods.count("observe") >= 20
    assert "observe_error" in methods and "observe_spent" in methods
    errors = {type(args[0]).__name__ for method, args in observations if method == "observe_error"}
    assert len(errors) >= 2, errors
    apis = {args[0] for method, args in observations if method == "observe"}
    assert apis == {"openai", "anthropic"}  # the Responses door counts as "openai"
    before, after = replay(observations, monkeypatch)
    assert after == before
    # And the live gateway's /metrics is those observations' (up to _created).
    assert _without_created(live.encode()) == _without_created(after[-1])


def _without_created(text: bytes) -> list[bytes]:
    """The lines but the ``_created`` ones and the cache-state gauge (the live gateway's
    routing has a cache state, the replay none; the gauge is compared in the edge cases)."""
    return [
        line
        for line in text.splitlines()
        if b"_created" not in line and b"tierwise_cache_state_unreachable" not in line
    ]
