"""Ledger rows priced by profile kind, service tier and context band, end to end: Tierwise
over real boto3 and HTTP against the emulator, which reports ``serviceTier`` as Bedrock does.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from tierwise.client import Tierwise
from tierwise.config import Settings
from tierwise.core.pricing import price
from tierwise.core.tiers import Tier


@pytest.fixture
def tw(emu_settings: Settings, ledger_url: str) -> Iterator[Tierwise]:
    s = emu_settings.with_overrides({"retry.max_attempts": 1, "caching.mode": "off"})
    with Tierwise.from_settings(s, ledger_url=ledger_url) as client:
        yield client


def _ask(text: str = "Summarize the refund policy in two sentences.") -> dict[str, Any]:
    return {
        "messages": [{"role": "user", "content": [{"text": text}]}],
        "inferenceConfig": {"maxTokens": 200},
    }


def _row(tw: Tierwise, response: dict[str, Any]) -> Any:
    (row,) = tw.ledger.rows(request_id=response["tierwise"]["requestId"])
    return row


@pytest.mark.parametrize("tier_name", ["priority", "flex", "default"])
def test_served_service_tier_is_reported_and_billed(tw: Tierwise, tier_name: str) -> None:
    response = tw.converse(modelId="sonnet", serviceTier={"type": tier_name}, **_ask())
    assert response["serviceTier"] == {"type": tier_name}
    row = _row(tw, response)
    rates = tw.settings.rates(Tier.SONNET)
    standard = price(row.usage, rates, model_id=row.model_id).total
    factor = {"priority": Decimal("1.75"), "flex": Decimal("0.50"), "default": Decimal(1)}
    assert row.cost_usd == standard * factor[tier_name]
    assert row.cost_usd > 0
    assert (row.metadata or {}).get("service_tier") == (
        None if tier_name == "default" else tier_name
    )


def test_stream_bills_the_service_tier_in_its_metadata(tw: Tierwise) -> None:
    response = tw.converse_stream(modelId="haiku", serviceTier={"type": "flex"}, **_ask())
    events = list(response["stream"])
    metadata = next(e["metadata"] for e in events if "metadata" in e)
    assert metadata["serviceTier"] == {"type": "flex"}
    row = _row(tw, response)
    rates = tw.settings.rates(Tier.HAIKU)
    assert row.cost_usd == price(row.usage, rates).total / 2


def test_failover_to_a_geographic_profile_costs_ten_percent_more(
    tw: Tierwise, live_emulator: Any
) -> None:
    sonnet = tw.settings.tier(Tier.SONNET)
    live_emulator.inject("throttle", count=1, model_id=sonnet.model_id)
    response = tw.converse(modelId="sonnet", **_ask())
    assert response["tierwise"]["modelId"] == sonnet.alternates[0]
    rows = tw.ledger.rows(request_id=response["tierwise"]["requestId"])
    answered = [r for r in rows if r.status == "ok"]
    assert [r.model_id for r in answered] == [sonnet.alternates[0]]
    usage = answered[0].usage
    at_global = price(usage, tw.settings.rates(Tier.SONNET)).total
    assert answered[0].cost_usd == at_global * Decimal("1.10")


def test_long_prompt_is_billed_at_the_long_context_band(tw: Tierwise) -> None:
    # ~270k tokens of text on Sonnet 4.5 with the 1M-context beta.
    text = "The quarterly ledger lists revenue by region and product line. " * 17_000
    request = _ask(text + "\nWhich region grew fastest?")
    request["additionalModelRequestFields"] = {"anthropic_beta": ["context-1m-2025-08-07"]}
    response = tw.converse(modelId="sonnet", **request)
    row = _row(tw, response)
    assert row.usage.prompt_total > 200_000
    # Every token at $6 in / $22.50 out (global profile, default tier).
    expected = (Decimal(row.usage.input) * 6 + Decimal(row.usage.output) * Decimal("22.50")) / (
        Decimal(1_000_000)
    )
    assert row.cost_usd == expected
    # ... which is about twice the one-rate price the ledger used to book.
    one_rate = Decimal(row.usage.input) * 3 + Decimal(row.usage.output) * 15
    assert row.cost_usd > Decimal("1.9") * one_rate / Decimal(1_000_000)
