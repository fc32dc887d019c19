"""InvokeModel and its response stream through the real anthropic SDK (AnthropicBedrock)."""

from __future__ import annotations

import json
from typing import Any

import anthropic
import jsonschema
import pytest
from emulator_testdata import SONNET, SONNET_BASE

WEATHER_SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "days": {"type": "integer", "minimum": 1}},
    "required": ["city", "days"],
}
LONG_SYSTEM = "You are a careful assistant. " * 250


def test_messages_create(claude: Any) -> None:
    message = claude.messages.create(
        model=SONNET, max_tokens=300, messages=[{"role": "user", "content": "Hello there"}]
    )
    assert message.type == "message"
    assert message.role == "assistant"
    assert message.model == "claude-sonnet-4-5-20250929"
    assert message.id.startswith("msg_bdrk_")
    assert message.content[0].type == "text"
    assert message.content[0].text.startswith("[tierwise emulator]")
    assert message.stop_reason == "end_turn"
    assert message.usage.input_tokens > 0
    assert message.usage.output_tokens == -(-len(message.content[0].text) // 4)


def test_stream_helper_matches_create(claude: Any) -> None:
    kwargs: dict[str, Any] = {
        "model": SONNET,
        "max_tokens": 300,
        "messages": [{"role": "user", "content": "Describe a river"}],
    }
    created = claude.messages.create(**kwargs)
    with claude.messages.stream(**kwargs) as stream:
        pieces = list(stream.text_stream)
        final = stream.get_final_message()
    assert len(pieces) > 1
    assert "".join(pieces) == created.content[0].text
    assert final.content[0].text == created.content[0].text
    assert final.usage.output_tokens == created.usage.output_tokens
    assert final.stop_reason == "end_turn"


def test_raw_stream_events(claude: Any) -> None:
    events = list(
        claude.messages.create(
            model=SONNET,
            max_tokens=300,
            stream=True,
            messages=[{"role": "user", "content": "hi"}],
        )
    )
    kinds = [e.type for e in events]
    assert kinds[0] == "message_start"
    assert kinds[1] == "content_block_start"
    assert kinds[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    assert events[-2].usage.output_tokens > 0


def test_tool_use_and_thinking_via_invoke(claude: Any) -> None:
    message = claude.messages.create(
        model=SONNET,
        max_tokens=3000,
        thinking={"type": "enabled", "budget_tokens": 1024},
        tools=[{"name": "get_weather", "description": "w", "input_schema": WEATHER_SCHEMA}],
        messages=[{"role": "user", "content": "Use get_weather for Oslo"}],
    )
    types = [b.type for b in message.content]
    assert types[0] == "thinking"
    assert types[-1] == "tool_use"
    assert message.stop_reason == "tool_use"
    jsonschema.validate(message.content[-1].input, WEATHER_SCHEMA)


def test_streamed_tool_use_assembles(claude: Any) -> None:
    with claude.messages.stream(
        model=SONNET,
        max_tokens=500,
        tool_choice={"type": "any"},
        tools=[{"name": "get_weather", "description": "w", "input_schema": WEATHER_SCHEMA}],
        messages=[{"role": "user", "content": "Weather in Rome"}],
    ) as stream:
        final = stream.get_final_message()
    (block,) = final.content
    assert block.type == "tool_use"
    jsonschema.validate(block.input, WEATHER_SCHEMA)


def test_cache_control_caches_through_invoke(claude: Any) -> None:
    kwargs: dict[str, Any] = {
        "model": SONNET,
        "max_tokens": 100,
        "system": [{"type": "text", "text": LONG_SYSTEM, "cache_control": {"type": "ephemeral"}}],
        "messages": [{"role": "user", "content": "hi"}],
    }
    first = claude.messages.create(**kwargs).usage
    second = claude.messages.create(**kwargs).usage
    assert first.cache_creation_input_tokens > 0
    assert first.cache_read_input_tokens == 0
    assert second.cache_read_input_tokens == first.cache_creation_input_tokens
    assert second.input_tokens == first.input_tokens


def test_count_tokens_of_an_invoke_body_matches(claude: Any, runtime: Any) -> None:
    body = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 100,
        "system": "Be brief.",
        "messages": [{"role": "user", "content": "Count me, please"}],
    }
    counted = runtime.count_tokens(
        modelId=SONNET_BASE, input={"invokeModel": {"body": json.dumps(body).encode()}}
    )["inputTokens"]
    response = runtime.invoke_model(modelId=SONNET, body=json.dumps(body))
    answer = json.loads(response["body"].read())
    assert counted == answer["usage"]["input_tokens"]
    headers = response["ResponseMetadata"]["HTTPHeaders"]
    assert headers["x-amzn-bedrock-input-token-count"] == str(counted)


def test_invoke_stream_through_boto3(runtime: Any) -> None:
    body = {
        "anthropic_version": "bedrock-2023-05-31",
        "max_tokens": 50,
        "messages": [{"role": "user", "content": "hi"}],
    }
    response = runtime.invoke_model_with_response_stream(modelId=SONNET, body=json.dumps(body))
    events = [json.loads(e["chunk"]["bytes"]) for e in response["body"]]
    assert events[0]["type"] == "message_start"
    metrics = events[-1]["amazon-bedrock-invocationMetrics"]
    assert metrics["outputTokenCount"] == events[-2]["usage"]["output_tokens"]


HI = {"role": "user", "content": "hi"}


def _invoke_body(**fields: Any) -> dict[str, Any]:
    return {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 5, "messages": [HI], **fields}


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"max_tokens": 10, "messages": []}, "required key [anthropic_version]"),
        ({"anthropic_version": "bedrock-2023-05-31", "messages": []}, "required key [max_tokens]"),
        (
            {
                "anthropic_version": "bedrock-2023-05-31",
                "max_tokens": 5,
                "messages": [],
                "bogus": 1,
            },
            "extraneous key [bogus]",
        ),
        # Each of these was accepted, or an internal error (500), before.
        (
            _invoke_body(anthropic_version="claude-3-sonnet-20240229-v1:0"),
            "Invalid API version: claude-3-sonnet-20240229-v1:0",  # as in boto/boto3#4218
        ),
        (_invoke_body(system=5), "#/system: expected type: String or JSONArray, found: Integer"),
        (_invoke_body(tools="lookup"), "#/tools: expected type: JSONArray, found: String"),
        (_invoke_body(tools=[None]), "#/tools/0: expected type: JSONObject, found: Null"),
        (_invoke_body(tool_choice="auto"), "#/tool_choice: expected type: JSONObject"),
        (
            _invoke_body(messages=[{"role": "user", "content": 5}]),
            "#/messages/0/content: expected type: String or JSONArray, found: Integer",
        ),
    ],
)
def test_malformed_invoke_body(runtime: Any, body: dict[str, Any], fragment: str) -> None:
    with pytest.raises(runtime.exceptions.ValidationException) as info:
        runtime.invoke_model(modelId=SONNET, body=json.dumps(body))
    assert fragment in info.value.response["Error"]["Message"]
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


@pytest.mark.parametrize("empty", ["", []])
def test_an_empty_message_reads_as_claude_says_it(runtime: Any, empty: Any) -> None:
    """Claude's message, passed on by InvokeModel (konveyor/kai#645); the emulator answered
    Converse's "The content field in the Message object at messages.0 is empty"."""
    body = _invoke_body(messages=[{"role": "user", "content": empty}])
    with pytest.raises(runtime.exceptions.ValidationException) as info:
        runtime.invoke_model(modelId=SONNET, body=json.dumps(body))
    assert info.value.response["Error"]["Message"] == (
        "messages.0: all messages must have non-empty content except for the optional final "
        "assistant message"
    )
    # The optional final assistant message may be empty: it is no prefill.
    body = _invoke_body(messages=[HI, {"role": "assistant", "content": empty}])
    answer = json.loads(runtime.invoke_model(modelId=SONNET, body=json.dumps(body))["body"].read())
    assert answer["type"] == "message"


@pytest.mark.parametrize(
    ("text", "converse", "invoke"),
    [
        # Bedrock's own check on Converse; Claude's on InvokeModel (anomalyco/opencode#15715).
        (
            "",
            "The text field in the ContentBlock object at messages.0.content.0 is blank.",
            "messages: text content blocks must be non-empty",
        ),
        # Whitespace passes Bedrock's check and reaches Claude on both doors
        # (NousResearch/hermes-agent#63983 quotes it through Converse).
        (
            "  \n",
            "The model returned the following errors: messages: text content blocks must "
            "contain non-whitespace text",
            "messages: text content blocks must contain non-whitespace text",
        ),
    ],
)
def test_blank_text_reads_as_each_door_says_it(
    runtime: Any, text: str, converse: str, invoke: str
) -> None:
    with pytest.raises(runtime.exceptions.ValidationException) as info:
        runtime.converse(modelId=SONNET, messages=[{"role": "user", "content": [{"text": text}]}])
    assert info.value.response["Error"]["Message"].startswith(converse)
    body = _invoke_body(messages=[{"role": "user", "content": [{"type": "text", "text": text}]}])
    with pytest.raises(runtime.exceptions.ValidationException) as info:
        runtime.invoke_model(modelId=SONNET, body=json.dumps(body))
    assert info.value.response["Error"]["Message"] == invoke


def test_sdk_sees_bedrock_errors(claude: Any) -> None:
    with pytest.raises(anthropic.BadRequestError, match="on-demand throughput"):
        claude.messages.create(
            model="anthropic.claude-sonnet-4-5-20250929-v1:0",
            max_tokens=10,
            messages=[{"role": "user", "content": "hi"}],
        )


def test_cut_stream_surfaces_as_an_sdk_error(claude: Any) -> None:
    stream = claude.messages.create(
        model=SONNET,
        max_tokens=300,
        stream=True,
        messages=[{"role": "user", "content": "hi"}],
        extra_headers={"x-tierwise-emulator-cut-stream-after": "2"},
    )
    seen = []
    with pytest.raises(anthropic.APIError, match="interrupted"):
        for event in stream:
            seen.append(event.type)
    assert seen == ["message_start", "content_block_start"]
