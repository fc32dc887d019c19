"""Requests Bedrock would refuse are refused by the doors and the client before any call:
a 400 naming the field, no Bedrock round trip and no error ledger row."""

from __future__ import annotations

import base64
from decimal import Decimal
from typing import Any

import httpx
import pytest
from gateway_testdata import tiny_png

from tierwise.core import preflight
from tierwise.core.preflight import sniff_image
from tierwise.errors import InvalidRequestError

USER = {"role": "user", "content": "hi"}
FN = {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}
TEXT_URL = "data:image/png;base64," + base64.b64encode(b"just some text, no image").decode()
PNG_URL = "data:image/png;base64," + base64.b64encode(tiny_png()).decode()

CHAT_CASES = [
    pytest.param(
        {"tools": [FN], "tool_choice": {"type": "function", "function": {"name": "other"}}},
        "tool_choice",
        id="chat-tool-choice-not-in-tools",
    ),
    pytest.param(
        {"tools": [{"type": "function", "function": {"name": "look up", "parameters": {}}}]},
        "tools[0]",
        id="chat-tool-name-with-space",
    ),
    pytest.param(
        {"tools": [{"type": "function", "function": {"name": "x" * 65, "parameters": {}}}]},
        "tools[0]",
        id="chat-tool-name-too-long",
    ),
    pytest.param(
        {
            "messages": [
                {
                    "role": "user",
                    "content": [{"type": "image_url", "image_url": {"url": TEXT_URL}}],
                }
            ]
        },
        "messages[0]",
        id="chat-data-url-not-an-image",
    ),
    pytest.param(
        {
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "image_url",
                            "image_url": {"url": "data:text/plain;base64,aGk="},
                        }
                    ],
                }
            ]
        },
        "messages[0]",
        id="chat-data-url-text-mime",
    ),
    pytest.param(
        {
            "tools": [
                {"type": "function", "function": {"name": "t", "parameters": {"type": "string"}}}
            ]
        },
        "tools[0].function.parameters",
        id="chat-tool-schema-not-an-object",
    ),
    pytest.param(
        {
            "tools": [FN],
            "messages": [
                USER,
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "call 1|a",
                            "type": "function",
                            "function": {"name": "lookup", "arguments": "{}"},
                        }
                    ],
                },
                {"role": "tool", "tool_call_id": "call 1|a", "content": "found"},
            ],
        },
        "messages[1]",
        id="chat-tool-call-id-bedrock-refuses",
    ),
]


def _counts(gateway: Any) -> tuple[int, int]:
    return gateway.emulator.stats["total"], len(gateway.tierwise.ledger.rows())


@pytest.mark.parametrize(("extra", "param"), CHAT_CASES)
def test_chat_completions_refuses_before_bedrock(
    gateway: Any, extra: dict[str, Any], param: str
) -> None:
    before = _counts(gateway)
    body = {"model": "haiku", "messages": [USER], **extra}
    r = httpx.post(
        gateway.url + "/v1/chat/completions",
        json=body,
        headers={"authorization": f"Bearer {gateway.key}"},
        timeout=30,
    )
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error["param"] is not None and error["param"].startswith(param), error
    assert _counts(gateway) == before


ANTHROPIC_CASES = [
    pytest.param(
        {
            "tools": [
                {
                    "name": "lookup",
                    "input_schema": {"type": "object"},
                    "cache_control": {"type": "ephemeral"},
                }
            ],
            "system": [
                {
                    "type": "text",
                    "text": "Policy.",
                    "cache_control": {"type": "ephemeral", "ttl": "1h"},
                }
            ],
        },
        "1h cache point after a 5m one",
        id="messages-1h-cache-point-after-a-5m-one",
    ),
    pytest.param(
        {
            "tools": [{"name": "lookup", "input_schema": {"type": "object"}}],
            "tool_choice": {"type": "tool", "name": "other"},
        },
        "tool_choice",
        id="messages-tool-choice-not-in-tools",
    ),
    pytest.param(
        {"tools": [{"name": "look.up", "input_schema": {"type": "object"}}]},
        "tools",
        id="messages-tool-name-with-dot",
    ),
    pytest.param(
        {
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "image",
                            "source": {
                                "type": "base64",
                                "media_type": "image/png",
                                "data": TEXT_URL.split(",", 1)[1],
                            },
                        }
                    ],
                }
            ]
        },
        "messages",
        id="messages-image-that-is-not-an-image",
    ),
    pytest.param(
        {"tools": [{"name": "lookup", "input_schema": {"type": "array"}}]},
        "tools[0].input_schema",
        id="messages-tool-schema-not-an-object",
    ),
    pytest.param(
        {
            "tools": [{"name": "lookup", "input_schema": {"type": "object"}}],
            "messages": [
                USER,
                {
                    "role": "assistant",
                    "content": [
                        {"type": "tool_use", "id": "t1", "name": "lookup", "input": "A-17"}
                    ],
                },
                {
                    "role": "user",
                    "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "ok"}],
                },
            ],
        },
        "toolUse.input",
        id="messages-tool-use-input-not-an-object",
    ),
    pytest.param(
        {
            "messages": [
                USER,
                {
                    "role": "assistant",
                    "content": [
                        {"type": "thinking", "thinking": "Say hello."},
                        {"type": "text", "text": "Hello."},
                    ],
                },
                {"role": "user", "content": "Again?"},
            ]
        },
        "is a thinking block without its signature",
        id="messages-thinking-without-signature",
    ),
]


@pytest.mark.parametrize(("extra", "param"), ANTHROPIC_CASES)
def test_messages_refuses_before_bedrock(gateway: Any, extra: dict[str, Any], param: str) -> None:
    before = _counts(gateway)
    body = {"model": "haiku", "max_tokens": 50, "messages": [USER], **extra}
    r = httpx.post(
        gateway.url + "/v1/messages",
        json=body,
        headers={"x-api-key": gateway.key},
        timeout=30,
    )
    assert r.status_code == 400, r.text
    assert r.json()["error"]["type"] == "invalid_request_error"
    assert param in r.json()["error"]["message"], r.text
    assert _counts(gateway) == before


TOOL = {"toolSpec": {"name": "lookup", "inputSchema": {"json": {"type": "object"}}}}
USE = {"toolUse": {"toolUseId": "t1", "name": "lookup", "input": {}}}
RESULT = {"toolResult": {"toolUseId": "t1", "content": [{"text": "ok"}]}}

CLIENT_CASES = [
    pytest.param(
        {"toolConfig": {"tools": [TOOL], "toolChoice": {"tool": {"name": "other"}}}},
        "toolConfig.toolChoice",
        id="client-tool-choice-not-in-tools",
    ),
    pytest.param(
        {
            "messages": [
                {"role": "user", "content": [{"text": "hi"}]},
                {"role": "assistant", "content": [USE]},
                {"role": "user", "content": [RESULT]},
            ]
        },
        "toolConfig",
        id="client-tool-result-without-tool-config",
    ),
    pytest.param(
        {
            "toolConfig": {
                "tools": [{"toolSpec": {"name": "a/b", "inputSchema": {"json": {}}}}],
            }
        },
        "toolConfig.tools[0].toolSpec.name",
        id="client-tool-name-with-slash",
    ),
    pytest.param(
        {
            "toolConfig": {
                "tools": [{"toolSpec": {"name": "t", "inputSchema": {"json": {"type": "string"}}}}],
            }
        },
        "toolConfig.tools[0].toolSpec.inputSchema.json",
        id="client-tool-schema-not-an-object",
    ),
    pytest.param(
        {
            "toolConfig": {"tools": [TOOL]},
            "messages": [
                {"role": "user", "content": [{"text": "hi"}]},
                {
                    "role": "assistant",
                    "content": [{"toolUse": {**USE["toolUse"], "toolUseId": "a/b"}}],
                },
                {
                    "role": "user",
                    "content": [{"toolResult": {**RESULT["toolResult"], "toolUseId": "a/b"}}],
                },
            ],
        },
        "messages[1].content[0].toolUse.toolUseId",
        id="client-tool-use-id-with-slash",
    ),
    pytest.param(
        {
            "toolConfig": {"tools": [TOOL]},
            "messages": [
                {"role": "user", "content": [{"text": "hi"}]},
                {
                    "role": "assistant",
                    "content": [{"toolUse": {**USE["toolUse"], "input": "A-17"}}],
                },
                {"role": "user", "content": [RESULT]},
            ],
        },
        "messages[1].content[0].toolUse.input",
        id="client-tool-use-input-not-an-object",
    ),
    pytest.param(
        {
            "messages": [
                {
                    "role": "user",
                    "content": [{"image": {"format": "png", "source": {"bytes": b"not a png"}}}],
                }
            ]
        },
        "messages[0].content[0].image",
        id="client-image-bytes-not-an-image",
    ),
    pytest.param(
        {
            "messages": [
                {"role": "user", "content": [{"text": "hi"}]},
                {
                    "role": "assistant",
                    "content": [
                        {"reasoningContent": {"reasoningText": {"text": "Say hello."}}},
                        {"text": "Hello."},
                    ],
                },
                {"role": "user", "content": [{"text": "Again?"}]},
            ]
        },
        "messages[1].content[0].reasoningContent.reasoningText.signature",
        id="client-thinking-without-signature",
    ),
]


@pytest.mark.parametrize(("extra", "param"), CLIENT_CASES)
def test_client_refuses_before_bedrock(gateway: Any, extra: dict[str, Any], param: str) -> None:
    before = _counts(gateway)
    request = {"messages": [{"role": "user", "content": [{"text": "hi"}]}], **extra}
    with pytest.raises(InvalidRequestError) as info:
        gateway.tierwise.converse(modelId="haiku", **request)
    assert info.value.param == param
    assert info.value.hint
    assert _counts(gateway) == before


RESPONSES_CASES = [
    pytest.param(
        {
            "tools": [{"type": "function", "name": "lookup", "parameters": {}}],
            "tool_choice": {"type": "function", "name": "other"},
        },
        "tool_choice",
        id="responses-tool-choice-not-in-tools",
    ),
    pytest.param(
        {"tools": [{"type": "function", "name": "look:up", "parameters": {}}]},
        "tools[0]",
        id="responses-tool-name-with-colon",
    ),
    pytest.param(
        {"tools": [{"type": "function", "name": "lookup", "parameters": {"type": "string"}}]},
        "tools[0].parameters",
        id="responses-tool-schema-not-an-object",
    ),
]


@pytest.mark.parametrize(("extra", "param"), RESPONSES_CASES)
def test_responses_refuses_before_bedrock(gateway: Any, extra: dict[str, Any], param: str) -> None:
    before = _counts(gateway)
    r = httpx.post(
        gateway.url + "/v1/responses",
        json={"model": "haiku", "input": "hi", **extra},
        headers={"authorization": f"Bearer {gateway.key}"},
        timeout=30,
    )
    assert r.status_code == 400, r.text
    assert r.json()["error"]["param"].startswith(param), r.text
    assert _counts(gateway) == before


def test_client_refuses_a_tool_use_name_bedrock_refuses(gateway: Any) -> None:
    before = _counts(gateway)
    bad = {"toolUse": {"toolUseId": "t1", "name": "look up", "input": {}}}
    messages = [
        {"role": "user", "content": [{"text": "hi"}]},
        {"role": "assistant", "content": [bad]},
        {"role": "user", "content": [RESULT]},
    ]
    with pytest.raises(InvalidRequestError) as info:
        gateway.tierwise.converse(modelId="haiku", messages=messages, toolConfig={"tools": [TOOL]})
    assert info.value.param == "messages[1].content[0].toolUse.name"
    assert _counts(gateway) == before


DOOR_IMAGE_REQUESTS = [
    pytest.param(
        "/v1/chat/completions",
        {
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "what is this?"},
                        {"type": "image_url", "image_url": {"url": PNG_URL}},
                    ],
                }
            ]
        },
        id="chat",
    ),
    pytest.param(
        "/v1/messages",
        {
            "max_tokens": 50,
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "what is this?"},
                        {
                            "type": "image",
                            "source": {
                                "type": "base64",
                                "media_type": "image/png",
                                "data": PNG_URL.split(",", 1)[1],
                            },
                        },
                    ],
                }
            ],
        },
        id="messages",
    ),
]


@pytest.mark.parametrize(("path", "extra"), DOOR_IMAGE_REQUESTS)
def test_a_door_checks_an_image_once(
    gateway: Any, monkeypatch: pytest.MonkeyPatch, path: str, extra: dict[str, Any]
) -> None:
    """The door refuses bytes that are no image (naming its own field); the client, told so,
    does not sniff them again."""
    sniffed: list[bytes] = []

    def counting(data: bytes) -> str | None:
        sniffed.append(data)
        return sniff_image(data)

    monkeypatch.setattr(preflight, "sniff_image", counting)
    r = httpx.post(
        gateway.url + path,
        json={"model": "haiku", **extra},
        headers={"authorization": f"Bearer {gateway.key}", "x-api-key": gateway.key},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    assert sniffed == [tiny_png()]


def test_parameters_botocore_refuses_leave_no_row_and_no_hold(gateway: Any) -> None:
    # botocore's parameter check refuses before sending; a $0.00 error row was written
    # (spend counted it a request without an answer) as if Bedrock had been called.
    key, _ = gateway.keys.create("botocore-refused", budget_usd=Decimal("1"))
    before = _counts(gateway)
    request = {
        "messages": [{"role": "user", "content": [{"text": "hi"}]}],
        "inferenceConfig": {"maxTokens": "ten"},
    }
    for call in (gateway.tierwise.converse, gateway.tierwise.converse_stream):
        with pytest.raises(InvalidRequestError) as refused:
            call(modelId="haiku", api_key_id=key.id, **request)
        assert "inferenceConfig.maxTokens (got str, expected int)" in refused.value.message
    assert _counts(gateway) == before
    assert gateway.keys.current(gateway.keys.get(key.id)).reserved_usd == 0
