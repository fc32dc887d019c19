"""Adaptive thinking: passed through where Bedrock takes it (Claude 4.6), replaced by
budgeted thinking where it would be refused (Claude 4.5), never a 400 from tierwise."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tierwise.client import Tierwise
from tierwise.config import Settings
from tierwise.core.sampling import settle_adaptive_thinking

ADAPTIVE = {"thinking": {"type": "adaptive"}}
ASK = [{"role": "user", "content": [{"text": "Plan a three-step migration."}]}]
SONNET_46 = "global.anthropic.claude-sonnet-4-6"


def _takes(model_id: str) -> bool:
    return "4-6" in model_id


def test_kept_where_every_model_takes_it() -> None:
    request = {"messages": ASK, "additionalModelRequestFields": ADAPTIVE}
    assert settle_adaptive_thinking(request, [SONNET_46], _takes) == (request, ())


def test_replaced_by_a_budget_that_fits_max_tokens() -> None:
    request = {
        "messages": ASK,
        "inferenceConfig": {"maxTokens": 3000},
        "additionalModelRequestFields": {**ADAPTIVE, "top_k": 5},
    }
    settled, notes = settle_adaptive_thinking(request, ["global.x-4-5", SONNET_46], _takes)
    assert notes == ("adaptive_thinking",)
    # 3000 - the answer's minimum room, as fit_thinking_budget leaves it
    thinking = settled["additionalModelRequestFields"]["thinking"]
    assert thinking["type"] == "enabled" and 1024 <= thinking["budget_tokens"] < 3000
    assert settled["additionalModelRequestFields"]["top_k"] == 5
    assert request["additionalModelRequestFields"]["thinking"] == {"type": "adaptive"}


def test_without_max_tokens_the_answer_keeps_room() -> None:
    settled, _ = settle_adaptive_thinking(
        {"messages": ASK, "additionalModelRequestFields": ADAPTIVE}, ["m-4-5"], _takes
    )
    budget = settled["additionalModelRequestFields"]["thinking"]["budget_tokens"]
    assert settled["inferenceConfig"]["maxTokens"] > budget


def test_no_room_leaves_thinking_off() -> None:
    settled, notes = settle_adaptive_thinking(
        {
            "messages": ASK,
            "inferenceConfig": {"maxTokens": 500},
            "additionalModelRequestFields": ADAPTIVE,
        },
        ["m-4-5"],
        _takes,
    )
    assert "additionalModelRequestFields" not in settled and notes == ("adaptive_thinking",)


@pytest.fixture
def tw46(emu_settings: Settings, ledger_url: str) -> Iterator[Tierwise]:
    s = emu_settings.with_overrides(
        {
            "tiers.sonnet.model_id": SONNET_46,
            "tiers.sonnet.alternates": ["us.anthropic.claude-sonnet-4-6"],
        }
    )
    with Tierwise.from_settings(s, ledger_url=ledger_url) as client:
        yield client


def test_sonnet_46_thinks_adaptively(tw46: Tierwise) -> None:
    response = tw46.converse(
        modelId="sonnet", messages=ASK, additionalModelRequestFields=ADAPTIVE,
        inferenceConfig={"maxTokens": 2000},
    )  # fmt: skip
    assert "dropped" not in response["tierwise"]
    content = response["output"]["message"]["content"]
    assert any("reasoningContent" in b for b in content)


def test_raw_opus_46_keeps_adaptive(tw46: Tierwise) -> None:
    response = tw46.converse(
        modelId="global.anthropic.claude-opus-4-6-v1", messages=ASK,
        additionalModelRequestFields=ADAPTIVE, inferenceConfig={"maxTokens": 2000},
    )  # fmt: skip
    assert "dropped" not in response["tierwise"]


def test_anthropic_door_takes_adaptive_on_a_45_tier(gateway: Any) -> None:
    import anthropic

    client = anthropic.Anthropic(base_url=gateway.url, api_key=gateway.key, max_retries=0)
    raw = client.messages.with_raw_response.create(
        model="sonnet",
        max_tokens=3000,
        messages=[{"role": "user", "content": "Plan a three-step migration."}],
        extra_body={"thinking": {"type": "adaptive"}},
    )
    message = raw.parse()
    assert raw.headers["x-tierwise-dropped"] == "adaptive_thinking"
    assert any(block.type == "thinking" for block in message.content)
