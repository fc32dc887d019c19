"""Every mid-stream exception Bedrock can send, end to end: the emulator sends it after some
output, boto3 raises it, tierwise raises the matching typed error and ledgers the partial
answer (estimated usage), through Python and both gateway doors."""

from __future__ import annotations

import json
from typing import Any

import pytest

from emulator_clients import make_runtime
from tierwise.client import Tierwise
from tierwise.config import Settings
from tierwise.errors import (
    InvalidRequestError,
    ModelOutputError,
    ThrottledError,
    TierwiseError,
    UnavailableError,
)

KINDS: dict[str, type[TierwiseError]] = {
    "throttlingException": ThrottledError,
    "internalServerException": UnavailableError,
    "serviceUnavailableException": UnavailableError,
    "validationException": InvalidRequestError,
    "modelStreamErrorException": ModelOutputError,
}
ASK = {
    "messages": [{"role": "user", "content": [{"text": "Write a paragraph about rivers."}]}],
    "inferenceConfig": {"maxTokens": 400},
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_boto3_sees_each_exception_mid_stream(
    kind: str, emu_settings: Settings, live_emulator: Any
) -> None:
    from botocore.exceptions import EventStreamError

    runtime = make_runtime(emu_settings.endpoint_url)
    model = emu_settings.tier_named("sonnet")
    assert model is not None
    profile = emu_settings.tier(model).model_id
    live_emulator.inject_stream_error(kind, after=3)
    seen: list[dict[str, Any]] = []
    with pytest.raises(EventStreamError) as info:
        for event in runtime.converse_stream(modelId=profile, **ASK)["stream"]:
            seen.append(event)
    assert info.value.response["Error"]["Code"] == kind
    assert len(seen) == 3 and "messageStart" in seen[0]
    # InvokeModelWithResponseStream ends the same way.
    live_emulator.inject_stream_error(kind, after=2)
    body = json.dumps(
        {
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": 300,
            "messages": [{"role": "user", "content": "Hi"}],
        }
    )
    with pytest.raises(EventStreamError) as info:
        list(runtime.invoke_model_with_response_stream(modelId=profile, body=body)["body"])
    assert info.value.response["Error"]["Code"] == kind


@pytest.mark.parametrize("kind", list(KINDS))
def test_python_client_raises_the_typed_error_and_ledgers_the_partial_answer(
    kind: str, tw: Tierwise, live_emulator: Any
) -> None:
    live_emulator.inject_stream_error(kind, after=5)
    response = tw.converse_stream(modelId="sonnet", **ASK)
    text = ""
    with pytest.raises(KINDS[kind]) as info:
        for event in response["stream"]:
            text += event.get("contentBlockDelta", {}).get("delta", {}).get("text", "")
    assert info.value.response["Error"]["Code"] == kind  # boto3-compatible, as raised
    assert text, "some of the answer arrived before the error"
    (row,) = tw.ledger.rows(request_id=response["tierwise"]["requestId"])
    assert row.status == "error" and row.error_class == KINDS[kind].__name__
    assert row.output_tokens > 0 and row.cost_usd > 0, "the partial answer is billed"
    assert (row.metadata or {}).get("estimated") is True


@pytest.mark.parametrize("kind", list(KINDS))
def test_openai_stream_ends_with_an_error_event(kind: str, gateway: Any) -> None:
    import openai

    client = openai.OpenAI(base_url=gateway.url + "/v1", api_key=gateway.key, max_retries=0)
    gateway.emulator.inject_stream_error(kind, after=5)
    raw = client.chat.completions.with_raw_response.create(
        model="sonnet",
        messages=[{"role": "user", "content": "Write a paragraph about rivers."}],
        stream=True,
    )
    text = ""
    with pytest.raises(openai.APIError):
        for chunk in raw.parse():
            if chunk.choices:
                text += chunk.choices[0].delta.content or ""
    assert text
    rows = gateway.tierwise.ledger.rows(request_id=raw.headers["x-tierwise-request-id"])
    assert [r.status for r in rows] == ["error"]
    assert rows[0].output_tokens > 0 and rows[0].cost_usd > 0


@pytest.mark.parametrize("kind", list(KINDS))
def test_anthropic_stream_ends_with_an_error_event(kind: str, gateway: Any) -> None:
    import anthropic

    client = anthropic.Anthropic(base_url=gateway.url, api_key=gateway.key, max_retries=0)
    gateway.emulator.inject_stream_error(kind, after=5)
    raw = client.messages.with_raw_response.create(
        model="sonnet",
        max_tokens=400,
        messages=[{"role": "user", "content": "Write a paragraph about rivers."}],
        stream=True,
    )
    text = ""
    with pytest.raises(anthropic.APIError):
        for event in raw.parse():
            if event.type == "content_block_delta" and event.delta.type == "text_delta":
                text += event.delta.text
    assert text
    rows = gateway.tierwise.ledger.rows(request_id=raw.headers["x-tierwise-request-id"])
    assert [r.status for r in rows] == ["error"]
    assert rows[0].output_tokens > 0 and rows[0].cost_usd > 0
