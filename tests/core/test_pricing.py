"""Pricing against hand computations (USD per 1M tokens; exact decimals)."""

from decimal import Decimal

import pytest

from tierwise.config import load_settings
from tierwise.core.pricing import Cost, Rates, Usage, price
from tierwise.core.tiers import Tier

SONNET = Rates(
    input=Decimal("3"),
    output=Decimal("15"),
    cache_write_5m=Decimal("3.75"),
    cache_write_1h=Decimal("6"),
    cache_read=Decimal("0.30"),
    batch_discount=Decimal("0.5"),
)
OPUS = Rates(
    input=Decimal("5"),
    output=Decimal("25"),
    cache_write_5m=Decimal("6.25"),
    cache_write_1h=Decimal("10"),
    cache_read=Decimal("0.50"),
)


def test_uncached_call() -> None:
    # 1,200 in x $3/M = $0.0036; 350 out x $15/M = $0.00525; total $0.00885
    cost = price(Usage(input=1200, output=350), SONNET)
    assert cost == Cost(input=Decimal("0.0036"), output=Decimal("0.00525"))
    assert cost.total == Decimal("0.00885")


def test_cache_write_5m_from_converse_usage() -> None:
    usage = Usage.from_converse(
        {"inputTokens": 20, "outputTokens": 100, "totalTokens": 4120, "cacheWriteInputTokens": 4000}
    )
    assert (usage.cache_write_5m, usage.cache_write_1h) == (4000, 0)
    # 20 x 3 = 60; 100 x 15 = 1500; 4000 x 3.75 = 15000 -> 16560 / 1M = $0.01656
    assert price(usage, SONNET).total == Decimal("0.01656")


def test_cache_write_1h_and_mixed_ttls_via_cache_details() -> None:
    usage = Usage.from_converse(
        {
            "inputTokens": 10,
            "outputTokens": 0,
            "totalTokens": 3010,
            "cacheWriteInputTokens": 3000,
            "cacheDetails": [
                {"ttl": "1h", "inputTokens": 2000},
                {"ttl": "5m", "inputTokens": 1000},
            ],
        }
    )
    assert (usage.cache_write_1h, usage.cache_write_5m) == (2000, 1000)
    # 10 x 3 = 30; 2000 x 6 = 12000; 1000 x 3.75 = 3750 -> 15780 / 1M = $0.01578
    cost = price(usage, SONNET)
    assert cost.cache_write == Decimal("0.01575")
    assert cost.total == Decimal("0.01578")


def test_cache_read() -> None:
    usage = Usage.from_converse(
        {"inputTokens": 50, "outputTokens": 200, "totalTokens": 4250, "cacheReadInputTokens": 4000}
    )
    # 50 x 3 = 150; 200 x 15 = 3000; 4000 x 0.30 = 1200 -> 4350 / 1M = $0.00435
    assert price(usage, SONNET).total == Decimal("0.00435")
    assert price(usage, SONNET).cache_read == Decimal("0.0012")


def test_batch_is_half_price_on_every_component() -> None:
    usage = Usage(input=1000, output=1000, cache_read=1000, cache_write_5m=1000)
    # on demand: 3 + 15 + 0.30 + 3.75 = 22.05 per 1M x 1000 = $0.02205; batch: $0.011025
    assert price(usage, SONNET).total == Decimal("0.02205")
    assert price(usage, SONNET, batch=True).total == Decimal("0.011025")


def test_counterfactual_price_on_another_tier() -> None:
    usage = Usage(input=1200, output=350, cache_read=4000)
    # On Opus: 1200 x 5 = 6000; 350 x 25 = 8750; 4000 x 0.5 = 2000 -> 16750 / 1M = $0.01675
    assert price(usage, OPUS).total == Decimal("0.01675")
    # On Sonnet: 3600 + 5250 + 1200 = 10050 -> $0.01005
    assert price(usage, SONNET).total == Decimal("0.01005")


def test_tiny_amounts_stay_exact() -> None:
    haiku = load_settings(environ={}).settings.rates(Tier.HAIKU)
    assert price(Usage(output=1), haiku).total == Decimal("0.000005")
    assert price(Usage(input=1), haiku).total == Decimal("0.000001")
    assert isinstance(price(Usage(input=3), haiku).total, Decimal)


def test_default_price_sheets() -> None:
    settings = load_settings(environ={}).settings
    assert settings.rates(Tier.HAIKU).input == Decimal("1.00")
    assert settings.rates(Tier.OPUS).output == Decimal("25.00")
    assert settings.rates(Tier.SONNET).cache_write_1h == Decimal("6.00")
    rep = load_settings(environ={"TIERWISE_PRICE_SHEET": "representative-2026"}).settings
    assert (rep.rates(Tier.HAIKU).input, rep.rates(Tier.HAIKU).output) == (
        Decimal("0.25"),
        Decimal("1.25"),
    )
    assert rep.rates(Tier.OPUS).output == Decimal("75.00")


def test_usage_round_trip_and_missing_fields() -> None:
    usage = Usage(input=5, output=7, cache_read=11, cache_write_5m=13, cache_write_1h=17)
    assert Usage.from_converse(usage.to_converse()) == usage
    assert Usage.from_converse({}) == Usage()
    assert usage.total == 5 + 7 + 11 + 13 + 17
    with pytest.raises(AttributeError):
        usage.input = 3  # type: ignore[misc]
