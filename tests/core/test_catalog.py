"""Choosing the newest Claude profile per tier from catalog IDs."""

from __future__ import annotations

import pytest

from tierwise.core import catalog
from tierwise.core.catalog import foundation_model_id, newest_per_tier, parse_claude_id
from tierwise.core.tiers import Tier

IDS = [
    "global.anthropic.claude-haiku-4-5-20251001-v1:0",
    "us.anthropic.claude-haiku-4-5-20251001-v1:0",
    "us.anthropic.claude-3-5-haiku-20241022-v1:0",
    "global.anthropic.claude-sonnet-4-20250514-v1:0",
    "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
    "us.anthropic.claude-3-7-sonnet-20250219-v1:0",
    "global.anthropic.claude-opus-4-1-20250805-v1:0",
    "global.anthropic.claude-opus-4-5-20251101-v1:0",
    "anthropic.claude-opus-4-5-20251101-v1:0",
    "amazon.nova-pro-v1:0",
]


def test_parses_both_spellings() -> None:
    old = parse_claude_id("us.anthropic.claude-3-7-sonnet-20250219-v1:0")
    new = parse_claude_id("global.anthropic.claude-sonnet-4-5-20250929-v1:0")
    assert old is not None and new is not None
    assert (old.tier, old.version, old.date, old.geo) == (Tier.SONNET, (3, 7), "20250219", "us")
    assert (new.tier, new.version, new.date, new.geo) == (Tier.SONNET, (4, 5), "20250929", "global")


def test_undated_and_arn_ids() -> None:
    undated = parse_claude_id("global.anthropic.claude-sonnet-4-6")
    assert undated is not None and undated.version == (4, 6) and undated.date == ""
    arn = parse_claude_id(
        "arn:aws:bedrock:us-east-1:123456789012:inference-profile/"
        "us.anthropic.claude-haiku-4-5-20251001-v1:0"
    )
    assert arn is not None and arn.tier is Tier.HAIKU and arn.geo == "us"


def test_non_claude_ids_are_ignored() -> None:
    assert parse_claude_id("amazon.nova-pro-v1:0") is None
    assert parse_claude_id("anthropic.titan") is None


def test_newest_per_tier_prefers_version_then_date() -> None:
    assert newest_per_tier(IDS) == {
        Tier.HAIKU: "global.anthropic.claude-haiku-4-5-20251001-v1:0",
        Tier.SONNET: "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
        Tier.OPUS: "global.anthropic.claude-opus-4-5-20251101-v1:0",
    }


def test_newest_per_tier_filters_by_geography() -> None:
    assert newest_per_tier(IDS, geo="us") == {
        Tier.HAIKU: "us.anthropic.claude-haiku-4-5-20251001-v1:0",
        Tier.SONNET: "us.anthropic.claude-3-7-sonnet-20250219-v1:0",
    }
    newer = [*IDS, "global.anthropic.claude-sonnet-4-6"]
    assert newest_per_tier(newer)[Tier.SONNET] == "global.anthropic.claude-sonnet-4-6"


def test_foundation_model_id_strips_geography_and_only_real_arns() -> None:
    from tierwise.core.catalog import foundation_model_id

    model = "anthropic.claude-haiku-4-5-20251001-v1:0"
    assert foundation_model_id("global." + model) == model
    assert foundation_model_id("eu." + model) == model
    arn = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us." + model
    assert foundation_model_id(arn) == model
    assert foundation_model_id("x/global." + model) == "x/global." + model


def test_foundation_model_id_substitutes_once_per_id(monkeypatch: pytest.MonkeyPatch) -> None:
    """A call looks its model up three times: the prefix is taken off once per ID."""
    real = catalog._PROFILE_PREFIX
    texts: list[str] = []

    class Counting:
        def sub(self, replacement: str, text: str) -> str:
            texts.append(text)
            return real.sub(replacement, text)

    monkeypatch.setattr(catalog, "_PROFILE_PREFIX", Counting())
    ident = f"eu.anthropic.claude-sonnet-4-5-{id(texts)}-v1:0"  # not looked up before
    arn = f"arn:aws:bedrock:eu-west-1:1:inference-profile/{ident}"
    for _ in range(3):
        assert foundation_model_id(ident) == f"anthropic.claude-sonnet-4-5-{id(texts)}-v1:0"
        assert foundation_model_id(arn) == foundation_model_id(ident)
    assert texts == [ident, ident]  # the ID, then the ARN's tail
