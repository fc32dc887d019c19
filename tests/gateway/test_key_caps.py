"""A key's tier cap and budget hold whatever the model is called: any case, another
geography's profile, an ARN, or a model in no tier."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from tierwise.core.tiers import Tier

OPUS = "global.anthropic.claude-opus-4-5-20251101-v1:0"
SONNET = "global.anthropic.claude-sonnet-4-5-20250929-v1:0"


def post(gateway, key: str, model: str, **headers: str) -> httpx.Response:  # type: ignore[no-untyped-def]
    body = {"model": model, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 20}
    headers = {"authorization": f"Bearer {key}", **headers}
    return httpx.post(gateway.url + "/v1/chat/completions", json=body, headers=headers)


@pytest.mark.parametrize(
    "model",
    [
        "Opus",
        "OPUS",
        "eu." + OPUS.removeprefix("global."),
        "arn:aws:bedrock:us-east-1:123456789012:inference-profile/" + OPUS,
        "us.anthropic.claude-opus-4-1-20250805-v1:0",  # in no configured tier
    ],
)
def test_a_capped_key_cannot_reach_opus_by_another_name(gateway, model: str) -> None:  # type: ignore[no-untyped-def]
    key = gateway.new_key(max_tier=Tier.SONNET, budget_usd=Decimal("1"))
    before = len(gateway.tierwise.ledger.rows())
    answer = post(gateway, key, model)
    assert answer.status_code == 400, answer.text
    assert "error" in answer.json()
    assert len(gateway.tierwise.ledger.rows()) == before


def test_a_budgeted_key_is_charged_for_the_tiers_model_spelled_otherwise(gateway) -> None:  # type: ignore[no-untyped-def]
    # The tier's profile as an ARN (another geography's profile, such as eu., would do in
    # an EU Region; Bedrock in us-east-1 refuses it: tests/gateway/test_region_profiles.py).
    api_key, key = gateway.keys.create("geo", budget_usd=Decimal("1"))
    answer = post(
        gateway, key, f"arn:aws:bedrock:us-east-1:123456789012:inference-profile/{SONNET}"
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["x-tierwise-tier"] == "sonnet"
    cost = Decimal(answer.headers["x-tierwise-cost-usd"])
    assert cost > 0
    assert gateway.keys.get(api_key.id).spent_usd == cost


def test_a_key_without_cap_or_budget_may_pass_any_model_through(gateway) -> None:  # type: ignore[no-untyped-def]
    key = gateway.new_key()
    answer = post(gateway, key, "us.anthropic.claude-opus-4-1-20250805-v1:0")
    assert answer.status_code == 200, answer.text
    assert answer.headers["x-tierwise-tier"] == "passthrough"


def test_tier_names_and_auto_in_any_case(gateway) -> None:  # type: ignore[no-untyped-def]
    key = gateway.new_key(max_tier=Tier.SONNET)
    assert post(gateway, key, "AUTO").status_code == 200
    assert post(gateway, key, "Haiku").headers["x-tierwise-tier"] == "haiku"


def test_hints_that_contradict_the_cap_or_the_model_are_refused(gateway) -> None:  # type: ignore[no-untyped-def]
    capped = gateway.new_key(max_tier=Tier.SONNET)
    above_cap = post(gateway, capped, "auto", **{"x-tierwise-min-tier": "opus"})
    assert above_cap.status_code == 400 and "above this key's cap" in above_cap.text
    free = gateway.new_key()
    pinned = post(gateway, free, "opus", **{"x-tierwise-max-tier": "haiku"})
    assert pinned.status_code == 400 and "outside the requested tiers" in pinned.text
    inside = post(gateway, free, "sonnet", **{"x-tierwise-max-tier": "sonnet"})
    assert inside.status_code == 200


def test_a_capped_keys_refusal_of_an_unknown_model_suggests_only_tiers_it_may_use(gateway) -> None:  # type: ignore[no-untyped-def]
    key = gateway.new_key(max_tier=Tier.HAIKU, budget_usd=Decimal("1"))
    answer = post(gateway, key, "us.anthropic.claude-opus-4-1-20250805-v1:0")
    assert answer.status_code == 400, answer.text
    message = answer.json()["error"]["message"]
    # It suggested sonnet and opus, which this key is refused.
    assert "use auto or haiku," in message
    assert "sonnet" not in message and "opus or" not in message
