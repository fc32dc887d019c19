"""A request's route record is built once and its cache points placed once, and nothing
anyone reads changes (issue 13).

The route record is kept on the plan and shared by the ledger rows, the response's
``tierwise`` section and a capture; the cache router's placement of the chosen tier goes to
the planner's request as sent and to learning from the answer. Both are checked against the
paths they replaced (a record built per reader, every placement made again): plans, route
records and the requests as sent on the held-out corpus and its long, string-content, tool,
sampling and thinking variants under several hints; ledger rows and response bodies of
calls and streams through the emulator. And the counts: one record build per call (two per
stream: the caller's opening section is its own), one placement per priced option.
"""

from __future__ import annotations

import functools
import itertools
import json
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
from test_route_cpu import _requests
from test_route_once import _planner

from tierwise import cache_router as cache_router_module
from tierwise.cache_state import MemoryCacheState
from tierwise.client import Tierwise
from tierwise.config import Prices, Settings
from tierwise.core import cache_aware, routing
from tierwise.core.caching import SharedPlacement
from tierwise.core.hints import Hints
from tierwise.core.tiers import Tier
from tierwise.engine import plan as plan_module
from tierwise.engine.plan import Plan, Planner

HINTS = [None, Hints(max_tier=Tier.SONNET), Hints(high_stakes=True)]

TOOLS = {
    "tools": [
        {
            "toolSpec": {
                "name": "lookup",
                "description": "Look a record up by id.",
                "inputSchema": {
                    "json": {"type": "object", "required": ["id"], "properties": {"id": {}}}
                },
            }
        }
    ]
}


@functools.cache
def _variants() -> list[dict[str, Any]]:
    """The corpus (short, long, string content) and, on its long requests, what settling and
    placement read besides text: tools (their schema keys out of order), a caller's own
    cache point, sampling fields a model refuses, a thinking budget and adaptive thinking."""
    out = list(_requests())
    long = [r for r in out if len(json.dumps(r)) > 20_000 and isinstance(r.get("messages"), list)]
    for i, request in enumerate(long):
        kind = i % 5
        if kind == 0:
            out.append({**request, "toolConfig": TOOLS})
        elif kind == 1:
            system = [*(request.get("system") or [{"text": "Be brief."}])]
            if isinstance(request.get("system"), str):
                system = [{"text": request["system"]}]
            out.append({**request, "system": [*system, {"cachePoint": {"type": "default"}}]})
        elif kind == 2:
            inference = {"maxTokens": 3000, "temperature": 0.4, "topP": 0.9}
            out.append({**request, "inferenceConfig": inference})
        elif kind == 3:
            thinking = {"thinking": {"type": "enabled", "budget_tokens": 2048}}
            out.append(
                {
                    **request,
                    "inferenceConfig": {"maxTokens": 8000},
                    "additionalModelRequestFields": thinking,
                }
            )
        else:
            adaptive = {"thinking": {"type": "adaptive"}}
            out.append({**request, "additionalModelRequestFields": adaptive})
    return out


def _old_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    """The paths replaced: a record built for every reader, every placement made again,
    a tier's rates built for every price."""
    monkeypatch.setattr(Plan, "route_record", Plan.build_route_record)
    monkeypatch.setattr(SharedPlacement, "apply", lambda self, request, policy: None)
    monkeypatch.setattr(Settings, "rates", lambda self, tier: self._prices(tier).rates())


def _step_clock(planner: Planner) -> None:
    """The cache router's state on a clock that steps per reading: the reuse forecast
    reads the age of a prefix seen before, which wall time would vary from run to run."""
    assert planner.cache_router is not None
    planner.cache_router.state = MemoryCacheState(clock=itertools.count(0.0, 0.25).__next__)


def _dump(value: Any) -> str:
    return json.dumps(value, default=repr)


def _planned(settings: Settings) -> tuple[list[str], int]:
    """Every plan's repr, route record (read twice) and request as sent; how many plans
    took the cache router's placement."""
    planner = _planner(settings)
    _step_clock(planner)
    out = []
    shared = 0
    for request in _variants():
        for hints in HINTS:
            plan = planner.plan("auto", request, hints)
            settled, dropped = planner.settle_sampling(request, plan)
            sent = planner.prepare(settled, plan)
            if plan.placement is not None:
                policy = settings.cache_policy(plan.tier) if plan.tier else None
                shared += policy is not None and plan.placement.apply(settled, policy) is not None
            out.append(_dump([repr(plan), plan.route_record(), plan.route_record(), dropped, sent]))
    return out, shared


def test_plans_records_and_requests_as_sent_are_the_old_paths(
    default_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast, shared = _planned(default_settings)
    with monkeypatch.context() as m:
        _old_paths(m)
        slow, _ = _planned(default_settings)
    assert len(fast) == len(slow) == len(_variants()) * len(HINTS)
    for a, b in zip(fast, slow, strict=True):
        assert a == b
    assert shared > 50  # the placement really was taken, not placed again


VOLATILE_SUMMARY = ("latencyMs", "upstreamMs", "requestId", "ledgerId")


def _answers(tw: Tierwise, requests: list[dict[str, Any]]) -> list[str]:
    """Response bodies (calls) and ``tierwise`` sections (streams, opening and completed),
    then every ledger row, without what differs run to run (ids, times, latencies)."""
    out = []
    for i, request in enumerate(requests):
        stream = i % 3 == 2
        kwargs = {"modelId": "auto", **request}
        kwargs.setdefault("inferenceConfig", {"maxTokens": 400})
        if stream:
            answer = tw.converse_stream(**kwargs)
            opening = _steady(answer["tierwise"])
            events = [_timeless(e) for e in answer["stream"]]
            out.append(_dump([opening, events, _steady(answer["tierwise"])]))
        else:
            response = tw.converse(**kwargs)
            steady = {**_timeless(response), "tierwise": _steady(response["tierwise"])}
            out.append(_dump(steady))
    for row in tw.ledger.rows():
        kept = (row.attempt, row.tier, row.model_id, row.input_tokens, row.output_tokens,
                row.cache_read_tokens, row.cache_write_5m_tokens, row.cache_write_1h_tokens,
                str(row.cost_usd), row.status, row.error_class, row.stop_reason,
                row.api_key_id, row.route, row.rejection_reason, row.metadata)  # fmt: skip
        out.append(_dump(kept))
    return out


def _timeless(answer: Mapping[str, Any]) -> dict[str, Any]:
    """A response or stream event without the emulator's measured latency."""
    out = {k: v for k, v in answer.items() if k not in ("metrics", "ResponseMetadata")}
    if isinstance(out.get("metadata"), Mapping):
        out["metadata"] = _timeless(out["metadata"])
    return out


def _steady(summary: Mapping[str, Any]) -> dict[str, Any]:
    info = {k: v for k, v in summary.items() if k not in VOLATILE_SUMMARY}
    if "attempts" in info:
        info["attempts"] = [
            {k: v for k, v in a.items() if k not in ("latencyMs", "ledgerId")}
            for a in info["attempts"]
        ]
    return info


def _sample() -> list[dict[str, Any]]:
    """Every 7th variant a client takes (string content is the gateway's, converted before
    it reaches the client), then the long ones again: short and long requests, each kind of
    variant, 1 in 3 streamed."""
    blocks = [
        r
        for r in _variants()
        if not isinstance(r.get("system"), str)
        and all(isinstance(m.get("content"), list) for m in r["messages"])
    ]
    sample = blocks[::7]
    # A long request's second call reads what its first wrote: learning from that read
    # takes the shared placement too.
    return [*sample, *(r for r in sample if len(json.dumps(r)) > 20_000)]


def _client(settings: Settings, url: str) -> Tierwise:
    tw = Tierwise.from_settings(settings, ledger_url=url)
    _step_clock(tw.planner)
    return tw


def test_ledger_rows_and_responses_are_the_old_paths(
    emu_settings: Settings,
    live_emulator: Any,
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    requests = _sample()
    taken = 0
    apply = SharedPlacement.apply

    def counted(self: SharedPlacement, request: Mapping[str, Any], policy: Any) -> Any:
        nonlocal taken
        out = apply(self, request, policy)
        taken += out is not None
        return out

    with monkeypatch.context() as m:
        m.setattr(SharedPlacement, "apply", counted)
        with _client(emu_settings, f"sqlite:///{tmp_path / 'new.db'}") as tw:
            fast = _answers(tw, requests)
    assert taken > 10  # sent and learned from with the cache router's placement
    live_emulator.reset()  # the emulator's own cache starts cold again
    with monkeypatch.context() as m:
        _old_paths(m)
        with _client(emu_settings, f"sqlite:///{tmp_path / 'old.db'}") as tw:
            slow = _answers(tw, requests)
    assert len(fast) == len(slow) > len(requests)
    for a, b in zip(fast, slow, strict=True):
        assert a == b
    # Long requests were cached and read back: the shared placement and learning ran.
    assert any('"cache"' in a for a in fast)
    assert sum(json.loads(a)[5] > 0 for a in fast[len(requests) :]) > 3


def _counting(
    monkeypatch: pytest.MonkeyPatch, target: Any, name: str, counts: Counter[str]
) -> None:
    original: Callable[..., Any] = getattr(target, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        counts[name] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(target, name, counted)


@pytest.fixture
def counts(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    seen: Counter[str] = Counter()
    _counting(monkeypatch, routing.Decision, "to_dict", seen)
    for module in (cache_router_module, plan_module):
        original = module.place_cache_points

        def placed(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
            seen["place_cache_points"] += 1
            return _original(*args, **kwargs)

        monkeypatch.setattr(module, "place_cache_points", placed)
    yield seen


def test_a_call_builds_its_route_record_once(tw: Tierwise, counts: Counter[str]) -> None:
    response = tw.converse(
        modelId="auto", messages=[{"role": "user", "content": [{"text": "Is 7 prime?"}]}]
    )
    assert response["tierwise"]["route"]["tier"]
    assert counts["to_dict"] == 1  # was 2: the ledger row's and the response's


def test_a_stream_builds_its_route_record_twice(tw: Tierwise, counts: Counter[str]) -> None:
    answer = tw.converse_stream(
        modelId="auto", messages=[{"role": "user", "content": [{"text": "Is 7 prime?"}]}]
    )
    opening = answer["tierwise"]["route"]
    opening["tier"] = "changed by the caller"
    list(answer["stream"])
    # was 3: the opening section's, the ledger row's and the completed section's
    assert counts["to_dict"] == 2
    (row,) = tw.ledger.rows(request_id=answer["tierwise"]["requestId"])
    assert row.route is not None and row.route["tier"] == answer["tierwise"]["route"]["tier"]
    assert row.route["tier"] != "changed by the caller"


LONG = "Clause 7.3: deliveries late by more than ten working days may be refused in full. " * 700


def test_a_long_request_is_placed_once_per_priced_option(
    tw: Tierwise, counts: Counter[str]
) -> None:
    messages = [
        {"role": "user", "content": [{"text": "Summarise the contract terms below.\n\n" + LONG}]}
    ]
    before = datetime.now(UTC)
    for _ in range(2):  # the second reads what the first wrote: learning places too
        response = tw.converse(modelId="auto", messages=messages)
    route = response["tierwise"]["route"]
    assert "cache" in route and response["usage"]["cacheReadInputTokens"] > 0
    rows = tw.ledger.rows(since=before)
    assert len(rows) == 2
    # The cache router places each option's request once; the request as sent and the
    # learning from each answer take the chosen option's (was: +2 per request).
    options = sum(len(r.route["cache"]["options"]) for r in rows if r.route)
    assert counts["place_cache_points"] == options


def test_a_tiers_rates_are_built_once(
    emu_settings: Settings, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: Counter[str] = Counter()
    _counting(monkeypatch, Prices, "rates", built)
    settings = emu_settings.with_overrides({})  # its own, not yet read
    with _client(settings, f"sqlite:///{tmp_path / 'l.db'}") as tw:
        for text in ("Is 7 prime?", "Is 9 prime?", "Is 11 prime?"):
            tw.converse(
                modelId=Tier.HAIKU.value, messages=[{"role": "user", "content": [{"text": text}]}]
            )
    assert built["rates"] == 1  # was one per priced call


def test_replaced_prices_are_read_anew(default_settings: Settings) -> None:
    before = default_settings.rates(Tier.SONNET)
    tiers = dict(default_settings.tiers)
    sonnet = tiers[Tier.SONNET]
    tiers[Tier.SONNET] = sonnet.model_copy(
        update={"prices": sonnet.prices.model_copy(update={"input": before.input * 2})}
    )
    # model_copy shares the instance dict, the kept rates with it
    dearer = default_settings.model_copy(update={"tiers": tiers})
    assert dearer.rates(Tier.SONNET).input == before.input * 2
    assert default_settings.rates(Tier.SONNET) == before


def test_a_one_off_long_request_digests_each_option_once(
    default_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    digests: Counter[str] = Counter()
    # choose_tier's own default and the cache router's reuse forecast: either may digest.
    _counting(monkeypatch, cache_aware, "prefixes", digests)
    _counting(monkeypatch, cache_router_module, "prefixes", digests)
    planner = _planner(default_settings)
    request = {
        "system": [{"text": LONG}],
        "messages": [
            {"role": "user", "content": [{"text": "Which clause covers late deliveries?"}]}
        ],
    }
    plan = planner.plan("auto", request)
    assert plan.cache is not None and len(plan.cache.options) >= 2
    # was one more: the routed tier's, once for the reuse forecast and once to price it
    assert digests["prefixes"] == len(plan.cache.options)
