"""A model ID Bedrock in the client's Region refuses as "The provided model identifier is
invalid." (a geographic profile of another geography, an ARN of another Region) is refused
before any call, by the doors (the SDKs' NotFoundError, as Bedrock's own answer maps) and
the client, saying why. The emulator's own answers: tests/emulator/test_emu_converse.py."""

from __future__ import annotations

from typing import Any

import anthropic
import openai
import pytest

from tierwise.errors import ModelNotAvailableError

HAIKU = "anthropic.claude-haiku-4-5-20251001-v1:0"
OTHER_REGION = [
    pytest.param(f"eu.{HAIKU}", "eu. profiles are offered only", id="eu-profile"),
    pytest.param(
        f"arn:aws:bedrock:us-west-2:123456789012:inference-profile/us.{HAIKU}",
        "the ARN is in us-west-2",
        id="arn-other-region",
    ),
    pytest.param(
        "arn:aws:bedrock:eu-west-1:123456789012:application-inference-profile/a1b2c3d4e5f6",
        "the ARN is in eu-west-1",
        id="application-arn-other-region",
    ),
]


def _counts(gateway: Any) -> tuple[int, int]:
    return gateway.emulator.stats["total"], len(gateway.tierwise.ledger.rows())


@pytest.mark.parametrize(("model", "why"), OTHER_REGION)
@pytest.mark.parametrize("sdk", ["openai", "anthropic"])
def test_the_doors_refuse_a_profile_of_another_region(
    gateway: Any, sdk: str, model: str, why: str
) -> None:
    key = gateway.new_key()  # no budget or cap: a model in no tier is passed through
    before = _counts(gateway)
    if sdk == "openai":
        oai = openai.OpenAI(base_url=gateway.url + "/v1", api_key=key, max_retries=0)
        with pytest.raises(openai.NotFoundError) as caught:
            oai.chat.completions.create(model=model, messages=[{"role": "user", "content": "hi"}])
        message = str(caught.value.message)
    else:
        claude = anthropic.Anthropic(base_url=gateway.url, api_key=key, max_retries=0)
        with pytest.raises(anthropic.NotFoundError) as fail:
            claude.messages.create(
                model=model, max_tokens=10, messages=[{"role": "user", "content": "hi"}]
            )
        message = str(fail.value.message)
    assert "Bedrock in us-east-1 (this client's Region) refuses model" in message
    assert why in message, message
    assert _counts(gateway) == before


@pytest.mark.parametrize(("model", "why"), OTHER_REGION)
def test_the_client_refuses_a_profile_of_another_region(gateway: Any, model: str, why: str) -> None:
    before = _counts(gateway)
    with pytest.raises(ModelNotAvailableError) as caught:
        gateway.tierwise.converse(
            modelId=model, messages=[{"role": "user", "content": [{"text": "hi"}]}]
        )
    assert why in caught.value.message and "set `region`" in caught.value.hint
    assert _counts(gateway) == before


def test_a_profile_of_the_clients_region_is_sent(gateway: Any) -> None:
    arn = f"arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.{HAIKU}"
    response = gateway.tierwise.converse(
        modelId=arn, messages=[{"role": "user", "content": [{"text": "hi"}]}]
    )
    assert response["stopReason"] == "end_turn"
