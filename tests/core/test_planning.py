"""The planner core: model normalisation, the five strategies' prices, cache simulation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from tierwise.config import load_settings
from tierwise.core.planning import Invocation, Planner, PlannerConfig, RouteChoice, normalise_model
from tierwise.core.pricing import Usage, price
from tierwise.core.tiers import Tier

SETTINGS = load_settings(environ={}).settings
SONNET = "anthropic.claude-sonnet-4-5-20250929-v1:0"
T0 = datetime(2026, 10, 1, 12, tzinfo=UTC)
LONG_SYSTEM = "Classify the ticket. " + " ".join(
    f"rule {i} about refunds and invoices" for i in range(900)
)


def _config(route: Any = None, **kw: Any) -> PlannerConfig:
    s = SETTINGS
    return PlannerConfig(
        rates=s.all_rates(),
        tier_models={t: s.tier(t).model_id for t in Tier.ordered()},
        cache_min_tokens={t: s.tier(t).cache_min_tokens for t in Tier.ordered()},
        supports_caching={t: True for t in Tier.ordered()},
        route=route or (lambda r: RouteChoice(Tier.SONNET, "triage")),
        tier_of=s.tier_of_model,
        **kw,
    )


def _req(user: str, system: str = LONG_SYSTEM) -> dict[str, Any]:
    return {
        "system": [{"text": system}],
        "messages": [{"role": "user", "content": [{"text": user}]}],
    }


@pytest.mark.parametrize(
    ("model_id", "tier", "kind", "base"),
    [
        (
            "anthropic.claude-3-5-haiku-20241022-v1:0",
            Tier.HAIKU,
            "bare",
            "anthropic.claude-3-5-haiku-20241022-v1:0",
        ),
        (f"us.{SONNET}", Tier.SONNET, "geographic", SONNET),
        (f"global.{SONNET}", Tier.SONNET, "global", SONNET),
        (
            f"arn:aws:bedrock:us-east-2:123456789012:inference-profile/eu.{SONNET}",
            Tier.SONNET,
            "arn",
            SONNET,
        ),
        (
            "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc",
            Tier.OPUS,
            "application",
            "anthropic.claude-opus-4-5-20251101-v1:0",
        ),
        ("amazon.nova-lite-v1:0", None, "bare", "amazon.nova-lite-v1:0"),
    ],
)
def test_normalise_model(model_id: str, tier: Tier | None, kind: str, base: str) -> None:
    apps = {
        "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc": (
            "anthropic.claude-opus-4-5-20251101-v1:0"
        )
    }
    ref = normalise_model(model_id, tier_of=SETTINGS.tier_of_model, applications=apps)
    assert (ref.tier, ref.kind, ref.base_id) == (tier, kind, base)


def test_each_strategy_is_priced_through_core_pricing() -> None:
    usage = Usage(input=1000, output=200, cache_read=500)
    inv = Invocation(T0, f"us.{SONNET}", usage, _req("hello"))
    result = Planner(_config(route=lambda r: RouteChoice(Tier.HAIKU, "triage"))).add_all([inv])
    rates = SETTINGS.all_rates()
    assert result.totals["as_is"] == price(usage, rates[Tier.SONNET], model_id=f"us.{SONNET}").total
    plain = Usage(input=1500, output=200)
    assert (
        result.totals["routed"]
        == price(plain, rates[Tier.HAIKU], model_id=SETTINGS.tier(Tier.HAIKU).model_id).total
    )
    assert (
        result.totals["all_sonnet"]
        == price(usage, rates[Tier.SONNET], model_id=SETTINGS.tier(Tier.SONNET).model_id).total
    )
    assert result.tier_mix_as_is == {"sonnet": 1} and result.tier_mix_routed == {"haiku": 1}
    assert result.classes["triage"].requests == 1


def test_shared_prefix_is_written_once_then_read_within_the_ttl() -> None:
    planner = Planner(_config())
    for i, minutes in enumerate([0, 2, 4]):
        planner.add(
            Invocation(
                T0 + timedelta(minutes=minutes),
                f"global.{SONNET}",
                Usage(input=6000, output=10),
                _req(f"ticket {i}"),
            )
        )
    r = planner.result
    assert (r.cache_writes, r.cache_reads) == (1, 2)
    assert r.totals["routed_cached"] < r.totals["routed"]
    # 10 minutes later the 5-minute TTL has lapsed: written again, not read.
    planner.add(
        Invocation(
            T0 + timedelta(minutes=14), f"global.{SONNET}", Usage(input=6000, output=10), _req("x")
        )
    )
    assert (r.cache_writes, r.cache_reads) == (2, 2)


def test_one_hour_ttl_keeps_the_prefix() -> None:
    planner = Planner(_config(ttl="1h"))
    for minutes in (0, 30):
        planner.add(
            Invocation(
                T0 + timedelta(minutes=minutes), SONNET, Usage(input=6000, output=10), _req("q")
            )
        )
    assert (planner.result.cache_writes, planner.result.cache_reads) == (1, 1)


def test_prefix_below_the_tiers_minimum_is_not_cached() -> None:
    # Haiku's minimum is 4,096 tokens: a ~2,000-token prefix never caches there.
    short = "Label it. " + " ".join(f"rule {i}" for i in range(700))
    planner = Planner(_config(route=lambda r: RouteChoice(Tier.HAIKU, "triage")))
    for minutes in (0, 1):
        planner.add(
            Invocation(
                T0 + timedelta(minutes=minutes),
                SONNET,
                Usage(input=2200, output=5),
                _req("a", short),
            )
        )
    assert planner.result.cache_writes == 0
    assert planner.result.totals["routed_cached"] == planner.result.totals["routed"]


def test_batch_tag_and_batch_classes_price_at_the_batch_discount() -> None:
    usage = Usage(input=1000, output=1000)
    planner = Planner(
        _config(
            batch_classes=frozenset({"summarization"}),
            route=lambda r: RouteChoice(Tier.SONNET, r["messages"][0]["content"][0]["text"]),
        )
    )
    planner.add(Invocation(T0, SONNET, usage, _req("triage", "short"), batchable=True))
    planner.add(Invocation(T0, SONNET, usage, _req("summarization", "short")))
    planner.add(Invocation(T0, SONNET, usage, _req("chat", "short")))
    r = planner.result
    assert r.batchable == 2
    full = price(
        usage, SETTINGS.rates(Tier.SONNET), model_id=SETTINGS.tier(Tier.SONNET).model_id
    ).total
    assert r.totals["routed_cached_batch"] == full * Decimal("0.5") * 2 + full


def test_a_guarded_request_is_not_priced_at_the_batch_discount() -> None:
    # tierwise batch runs a guarded record on demand (batch jobs carry no guardrail): the
    # batch strategy priced it at half price all the same.
    usage = Usage(input=1000, output=1000)
    planner = Planner(
        _config(
            batch_classes=frozenset({"summarization"}),
            route=lambda r: RouteChoice(Tier.SONNET, r["messages"][0]["content"][0]["text"]),
        )
    )
    ledgered = Invocation(
        T0, SONNET, usage, _req("summarization", "short"), fixed_cost=Decimal("0.0006")
    )
    captured = Invocation(
        T0,
        SONNET,
        usage,
        {**_req("summarization", "short"), "guardrailConfig": {"guardrailIdentifier": "g"}},
        batchable=True,
    )
    r = planner.add_all([ledgered, captured])
    assert r.batchable == 0
    assert r.totals["routed_cached_batch"] == r.totals["routed_cached"]


def test_no_body_keeps_the_logged_tier_and_ledger_routes_are_used() -> None:
    planner = Planner(_config())
    planner.add(Invocation(T0, f"us.{SONNET}", Usage(input=10, output=10)))
    planner.add(
        Invocation(
            T0,
            f"us.{SONNET}",
            Usage(input=10, output=10),
            route=RouteChoice(Tier.HAIKU, "extraction"),
        )
    )
    r = planner.result
    assert r.no_body == 1
    assert r.tier_mix_routed == {"sonnet": 1, "haiku": 1}
    assert "extraction" in r.classes


def test_a_redacted_body_keeps_its_recorded_route_but_still_caches() -> None:
    # The router would send these to Opus; a redacted capture keeps the decision recorded
    # with it (made on the full text), and its shared prefix is still simulated in the cache.
    planner = Planner(_config(lambda r: RouteChoice(Tier.OPUS, "proof")))
    recorded = RouteChoice(Tier.SONNET, "triage")
    for i in range(2):
        planner.add(
            Invocation(
                T0 + timedelta(seconds=i),
                SONNET,
                Usage(input=6000, output=10),
                _req(f"[EMAIL] asks {i}"),
                route=recorded,
                redacted=True,
            )
        )
    planner.add(Invocation(T0, SONNET, Usage(input=10, output=1), _req("x"), redacted=True))
    r = planner.result
    assert r.tier_mix_routed == {"sonnet": 2, "opus": 1}  # no recorded route: routed
    assert (r.redacted, r.recorded_routes) == (3, 2)
    assert r.cache_reads == 1 and r.cache_writes >= 1


def test_prefix_cache_is_bounded() -> None:
    planner = Planner(_config(max_prefixes=2))
    for i in range(10):
        planner.add(
            Invocation(T0, SONNET, Usage(input=6000, output=1), _req("q", LONG_SYSTEM + str(i)))
        )
    assert len(planner._cache) == 2


def test_daily_series_and_waterfall_add_up() -> None:
    planner = Planner(_config())
    for day in range(3):
        planner.add(
            Invocation(
                T0 + timedelta(days=day),
                f"global.{SONNET}",
                Usage(input=6000, output=100),
                _req("q"),
            )
        )
    r = planner.result
    assert sum(r.daily_series("as_is").values()) == r.totals["as_is"]
    steps = r.waterfall()
    assert steps[0][1] + steps[1][1] + steps[2][1] + steps[3][1] == steps[4][1]


def test_a_guardrails_charge_counts_in_every_strategy() -> None:
    # A ledger row's guardrail assessments were billed besides the model, and any tier pays
    # them: without them the as-is cost (and the saving's share of it) was understated.
    usage = Usage(input=1000, output=200)
    plain = Invocation(T0, f"us.{SONNET}", usage, _req("hello"))
    guarded = Invocation(T0, f"us.{SONNET}", usage, _req("hello"), fixed_cost=Decimal("0.0006"))
    route = lambda r: RouteChoice(Tier.HAIKU, "triage")  # noqa: E731
    base = Planner(_config(route=route)).add_all([plain])
    result = Planner(_config(route=route)).add_all([guarded])
    for name, total in result.totals.items():
        assert total == base.totals[name] + Decimal("0.0006"), name
    assert result.savings("routed") == base.savings("routed")
    assert result.classes["triage"].costs[0] == base.classes["triage"].costs[0] + Decimal("0.0006")
