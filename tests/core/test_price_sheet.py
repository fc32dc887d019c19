"""The price sheet: context bands, profile kinds and service tiers, from configuration.

Each band, profile kind and service tier is priced here against a hand computation; the
schema checks refuse sheets that could not price a call the way Bedrock bills it.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tierwise.config import load_settings
from tierwise.core.pricing import (
    Band,
    ProfileKind,
    Rates,
    ServiceTier,
    Usage,
    price,
    profile_kind,
    service_tier_of,
)
from tierwise.core.tiers import Tier
from tierwise.errors import ConfigError

SETTINGS = load_settings(environ={}).settings
SONNET = SETTINGS.rates(Tier.SONNET)
HAIKU = SETTINGS.rates(Tier.HAIKU)
SONNET_GLOBAL = "global.anthropic.claude-sonnet-4-5-20250929-v1:0"


# -- context bands ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("usage", "expected"),
    [
        # Standard band: 200,000 in x $3 + 1,000 out x $15 = 0.6 + 0.015
        (Usage(input=200_000, output=1_000), Decimal("0.615")),
        # One token over: every token at $6 / $22.50: 1.200006 + 0.0225
        (Usage(input=200_001, output=1_000), Decimal("1.222506")),
        # The 270k-token request: 270,000 x 6 + 533 x 22.5 = 1.62 + 0.0119925
        (Usage(input=270_000, output=533), Decimal("1.6319925")),
        # Cache reads and writes count toward the threshold and take the band's rates:
        # 1,000 in x 6 + 150,000 read x 0.60 + 60,000 5m-write x 7.50 + 10,000 1h x 12
        # = 0.006 + 0.09 + 0.45 + 0.12
        (
            Usage(input=1_000, cache_read=150_000, cache_write_5m=60_000, cache_write_1h=10_000),
            Decimal("0.666"),
        ),
    ],
    ids=["at-200k", "above-200k", "issue-270k", "cached-prompt-above-200k"],
)
def test_sonnet_long_context_band(usage: Usage, expected: Decimal) -> None:
    assert price(usage, SONNET, model_id=SONNET_GLOBAL).total == expected


def test_output_tokens_do_not_select_the_band() -> None:
    # 150k in + 100k out: the prompt is under 200k, so standard rates: 0.45 + 1.5
    assert price(Usage(input=150_000, output=100_000), SONNET).total == Decimal("1.95")


def test_models_without_a_band_keep_one_rate() -> None:
    # Haiku 4.5 has no 1M context and no band: 300k in x $1 = $0.30
    assert HAIKU.bands == ()
    assert price(Usage(input=300_000), HAIKU).total == Decimal("0.3")


def test_the_highest_band_passed_applies() -> None:
    two = Rates(
        input=Decimal(1),
        output=Decimal(1),
        cache_write_5m=Decimal(1),
        cache_write_1h=Decimal(1),
        cache_read=Decimal(1),
        bands=(
            Band(500, Decimal(3), Decimal(3), Decimal(3), Decimal(3), Decimal(3)),
            Band(100, Decimal(2), Decimal(2), Decimal(2), Decimal(2), Decimal(2)),
        ),
    )
    per = Decimal(1_000_000)
    assert price(Usage(input=100), two).total == Decimal(100) / per
    assert price(Usage(input=101), two).total == Decimal(202) / per
    assert price(Usage(input=501), two).total == Decimal(1503) / per


def test_batch_discount_applies_to_the_band() -> None:
    # 300k x $6 x 0.5 = $0.90
    assert price(Usage(input=300_000), SONNET, batch=True).total == Decimal("0.9")


# -- profile kinds --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model_id", "kind"),
    [
        ("global.anthropic.claude-sonnet-4-5-20250929-v1:0", ProfileKind.GLOBAL),
        ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", ProfileKind.GEOGRAPHIC),
        ("eu.anthropic.claude-sonnet-4-5-20250929-v1:0", ProfileKind.GEOGRAPHIC),
        ("apac.anthropic.claude-sonnet-4-5-20250929-v1:0", ProfileKind.GEOGRAPHIC),
        ("jp.anthropic.claude-sonnet-4-5-20250929-v1:0", ProfileKind.GEOGRAPHIC),
        ("us-gov.anthropic.claude-sonnet-4-5-20250929-v1:0", ProfileKind.GEOGRAPHIC),
        ("anthropic.claude-sonnet-4-5-20250929-v1:0", ProfileKind.BASE),
        (
            "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0",
            ProfileKind.BASE,
        ),
        (
            "arn:aws:bedrock:us-east-1:123456789012:inference-profile/"
            "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
            ProfileKind.GLOBAL,
        ),
        (
            "arn:aws:bedrock:us-east-1:123456789012:inference-profile/"
            "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
            ProfileKind.GEOGRAPHIC,
        ),
        (
            "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6",
            ProfileKind.APPLICATION,
        ),
    ],
)
def test_profile_kind_of_ids_and_arns(model_id: str, kind: ProfileKind) -> None:
    assert profile_kind(model_id) is kind


@pytest.mark.parametrize(
    ("model_id", "expected"),
    [
        # 1M in x $3 = $3 at the global profile; geographic, application and base +10%
        ("global.anthropic.claude-sonnet-4-5-20250929-v1:0", Decimal("3")),
        ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", Decimal("3.3")),
        (
            "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6",
            Decimal("3.3"),
        ),
        ("anthropic.claude-sonnet-4-5-20250929-v1:0", Decimal("3.3")),
    ],
    ids=["global", "geographic", "application", "base"],
)
def test_each_profile_kind_has_its_price(model_id: str, expected: Decimal) -> None:
    usage = Usage(input=100_000, output=0)
    assert price(usage, SONNET, model_id=model_id).total * 10 == expected


def test_unknown_model_id_is_priced_as_global_only_without_an_id() -> None:
    usage = Usage(input=1_000_000)
    assert price(usage, HAIKU).total == Decimal("1")  # no id: the tier's list (global) price
    assert price(usage, HAIKU, model_id="us.anthropic.claude-haiku-4-5-20251001-v1:0").total == (
        Decimal("1.1")
    )


# -- service tiers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("served", "expected"),
    [
        (None, Decimal("3")),
        ({"type": "default"}, Decimal("3")),
        ({"type": "priority"}, Decimal("5.25")),
        ({"type": "flex"}, Decimal("1.5")),
        ({"type": "reserved"}, Decimal("3")),
        ("flex", Decimal("1.5")),
        (ServiceTier.PRIORITY, Decimal("5.25")),
    ],
    ids=["none", "default", "priority", "flex", "reserved", "name", "enum"],
)
def test_each_service_tier_has_its_price(served: object, expected: Decimal) -> None:
    # 100k in x $3 (under the band) x the tier's multiplier (priority 1.75, flex 0.50), x10
    assert price(Usage(input=100_000), SONNET, service_tier=served).total * 10 == expected


def test_tiers_kinds_and_bands_compose() -> None:
    # 300k in on us. (1.10) at priority (1.75), above the band ($6): 1.8 x 1.925 = 3.465
    cost = price(
        Usage(input=300_000),
        SONNET,
        model_id="us.anthropic.claude-sonnet-4-5-20250929-v1:0",
        service_tier={"type": "priority"},
    )
    assert cost.total == Decimal("3.465")


def test_batch_ignores_the_service_tier() -> None:
    # 100k x $3 x 0.5 = $0.15, priority or not
    usage = Usage(input=100_000)
    assert price(usage, SONNET, batch=True, service_tier="priority").total == Decimal("0.15")


def test_unknown_service_tier_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown service tier 'turbo'"):
        service_tier_of({"type": "turbo"})


# -- the schema -----------------------------------------------------------------------------


def _load(**overrides: object) -> None:
    load_settings(environ={}, overrides=overrides)


def test_schema_refuses_unknown_profile_kind() -> None:
    with pytest.raises(ConfigError, match=r"tiers\.sonnet\.prices\.profiles"):
        _load(**{"tiers.sonnet.prices.profiles": {"regional": "1.1"}})


def test_schema_refuses_unknown_service_tier() -> None:
    with pytest.raises(ConfigError, match=r"tiers\.haiku\.prices\.service_tiers"):
        _load(**{"tiers.haiku.prices.service_tiers": {"turbo": "2"}})


def test_schema_refuses_non_positive_multiplier() -> None:
    with pytest.raises(ConfigError, match="must be above 0"):
        _load(**{"tiers.opus.prices.service_tiers": {"flex": "0"}})


def test_schema_refuses_bad_and_duplicate_bands() -> None:
    band = {
        "above_prompt_tokens": 200000,
        "input": "6",
        "output": "22.5",
        "cache_write_5m": "7.5",
        "cache_write_1h": "12",
        "cache_read": "0.6",
    }
    with pytest.raises(ConfigError, match="share one above_prompt_tokens"):
        _load(**{"tiers.opus.prices.bands": [band, band]})
    with pytest.raises(ConfigError, match="cache_read"):
        _load(**{"tiers.opus.prices.bands": [{k: v for k, v in band.items() if k != "cache_read"}]})
    with pytest.raises(ConfigError, match="above_prompt_tokens"):
        _load(**{"tiers.opus.prices.bands": [{**band, "above_prompt_tokens": 0}]})


def test_price_sheets_take_the_same_schema() -> None:
    sheet = {
        "input": "3",
        "output": "15",
        "cache_write_5m": "3.75",
        "cache_write_1h": "6",
        "cache_read": "0.3",
        "profiles": {"geographic": "1.2"},
    }
    s = load_settings(
        environ={},
        overrides={"price_sheets": {"mine": {"sonnet": sheet}}, "price_sheet": "mine"},
    ).settings
    rates = s.rates(Tier.SONNET)
    assert rates.factor(ProfileKind.GEOGRAPHIC) == Decimal("1.2")
    with pytest.raises(ConfigError, match="profiles"):
        load_settings(
            environ={},
            overrides={"price_sheets": {"bad": {"sonnet": {**sheet, "profiles": {"x": "1"}}}}},
        )
