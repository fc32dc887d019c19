"""The emulator reports the service tier a call was served on, as Bedrock does: Converse
and ConverseStream in ``serviceTier``, InvokeModel in the X-Amzn-Bedrock-Service-Tier header."""

from __future__ import annotations

import json
from typing import Any

import pytest
from emulator_testdata import HAIKU, user

BODY = json.dumps(
    {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 50,
        "messages": [{"role": "user", "content": "Hi"}],
    }
)


@pytest.mark.parametrize("tier", ["priority", "default", "flex", "reserved"])
def test_each_door_reports_the_tier(runtime: Any, tier: str) -> None:
    converse = runtime.converse(modelId=HAIKU, messages=[user("Hi")], serviceTier={"type": tier})
    assert converse["serviceTier"] == {"type": tier}
    events = list(
        runtime.converse_stream(modelId=HAIKU, messages=[user("Hi")], serviceTier={"type": tier})[
            "stream"
        ]
    )
    assert events[-1]["metadata"]["serviceTier"] == {"type": tier}
    invoked = runtime.invoke_model(modelId=HAIKU, body=BODY, serviceTier=tier)
    assert invoked["serviceTier"] == tier
    streamed = runtime.invoke_model_with_response_stream(modelId=HAIKU, body=BODY, serviceTier=tier)
    assert streamed["serviceTier"] == tier
    list(streamed["body"])


def test_no_tier_asked_none_reported(runtime: Any) -> None:
    assert "serviceTier" not in runtime.converse(modelId=HAIKU, messages=[user("Hi")])
    assert "serviceTier" not in runtime.invoke_model(modelId=HAIKU, body=BODY)


def test_unknown_tier_is_refused(runtime: Any) -> None:
    with pytest.raises(runtime.exceptions.ValidationException, match=r"serviceTier\.type"):
        runtime.converse(modelId=HAIKU, messages=[user("Hi")], serviceTier={"type": "turbo"})
    with pytest.raises(runtime.exceptions.ValidationException, match=r"serviceTier\.type"):
        runtime.invoke_model(modelId=HAIKU, body=BODY, serviceTier="turbo")
