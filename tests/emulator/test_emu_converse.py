"""Converse and CountTokens over real HTTP with real boto3."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from emulator_testdata import HAIKU, SONNET, SONNET_BASE, user

from tierwise.core.tokens import count_request, count_text
from tierwise.emulator import Emulator

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 3000


def test_converse_answers_in_bedrock_shape(runtime: Any) -> None:
    response = runtime.converse(modelId=SONNET, messages=[user("What is a tier router?")])
    message = response["output"]["message"]
    assert message["role"] == "assistant"
    text = message["content"][0]["text"]
    assert text.startswith("[tierwise emulator]")
    assert response["stopReason"] == "end_turn"
    usage = response["usage"]
    assert usage["outputTokens"] == count_text(text)
    assert usage["totalTokens"] == usage["inputTokens"] + usage["outputTokens"]
    assert response["metrics"]["latencyMs"] >= 1


def test_same_request_same_answer_different_request_different_answer(runtime: Any) -> None:
    a = runtime.converse(modelId=SONNET, messages=[user("Name three rivers")])
    b = runtime.converse(modelId=SONNET, messages=[user("Name three rivers")])
    c = runtime.converse(modelId=SONNET, messages=[user("Name three mountains")])
    assert a["output"] == b["output"]
    assert a["output"] != c["output"]


def test_length_follows_the_prompt(runtime: Any) -> None:
    short = runtime.converse(modelId=SONNET, messages=[user("Answer in one word: red or blue?")])
    long = runtime.converse(
        modelId=SONNET, messages=[user("Explain in detail how prompt caching works")]
    )
    assert short["usage"]["outputTokens"] < long["usage"]["outputTokens"]


def test_max_tokens_caps_the_answer(runtime: Any) -> None:
    response = runtime.converse(
        modelId=SONNET,
        messages=[user("Explain in detail how a compiler works")],
        inferenceConfig={"maxTokens": 10},
    )
    assert response["stopReason"] == "max_tokens"
    assert response["usage"]["outputTokens"] == 10


def test_stop_sequence_cuts_the_answer(runtime: Any) -> None:
    response = runtime.converse(
        modelId=SONNET,
        messages=[user("Say something")],
        inferenceConfig={"stopSequences": ["emulator"]},
    )
    assert response["stopReason"] == "stop_sequence"
    assert response["output"]["message"]["content"][0]["text"] == "[tierwise "
    assert "additionalModelResponseFields" not in response


def test_stop_sequence_path_returns_the_matched_sequence(runtime: Any) -> None:
    request: dict[str, Any] = {
        "modelId": SONNET,
        "messages": [user("Say something")],
        "inferenceConfig": {"stopSequences": ["zebra", "emulator"]},
        "additionalModelResponseFieldPaths": ["/stop_sequence", "/nothing_here"],
    }
    response = runtime.converse(**request)
    assert response["stopReason"] == "stop_sequence"
    assert response["additionalModelResponseFields"] == {"stop_sequence": "emulator"}
    request["inferenceConfig"] = {"stopSequences": ["zebra"]}
    unmatched = runtime.converse(**request)
    assert unmatched["stopReason"] == "end_turn"
    assert unmatched["additionalModelResponseFields"] == {"stop_sequence": None}


def test_json_prompt_gets_valid_json(runtime: Any) -> None:
    response = runtime.converse(
        modelId=HAIKU, messages=[user("Return a JSON object describing the weather")]
    )
    parsed = json.loads(response["output"]["message"]["content"][0]["text"])
    assert parsed["synthetic"] is True


def test_count_tokens_equals_converse_input_tokens(runtime: Any) -> None:
    request: dict[str, Any] = {
        "system": [{"text": "You are terse."}],
        "messages": [
            {
                "role": "user",
                "content": [
                    {"text": "Describe this image and the attached notes."},
                    {"image": {"format": "png", "source": {"bytes": PNG}}},
                    {
                        "document": {
                            "format": "txt",
                            "name": "notes",
                            "source": {"bytes": b"some notes " * 50},
                        }
                    },
                ],
            }
        ],
        "toolConfig": {
            "tools": [
                {
                    "toolSpec": {
                        "name": "lookup",
                        "inputSchema": {"json": {"type": "object", "properties": {}}},
                    }
                }
            ]
        },
    }
    counted = runtime.count_tokens(modelId=SONNET_BASE, input={"converse": request})["inputTokens"]
    response = runtime.converse(modelId=SONNET, **request)
    assert counted == response["usage"]["inputTokens"]
    # the image (3008 bytes -> 85 tokens minimum) and the document are counted
    text_only = {**request, "messages": [user("Describe this image and the attached notes.")]}
    assert counted > count_request(text_only) + 85


@pytest.mark.parametrize(
    "model_id",
    [SONNET, f"arn:aws:bedrock:us-east-1:123456789012:inference-profile/{SONNET}"],
)
def test_count_tokens_refuses_inference_profiles(runtime: Any, model_id: str) -> None:
    with pytest.raises(runtime.exceptions.ValidationException) as info:
        runtime.count_tokens(modelId=model_id, input={"converse": {"messages": [user("x")]}})
    assert info.value.response["Error"]["Message"] == (
        "The provided model doesn't support counting tokens."
    )
    arn = f"arn:aws:bedrock:us-east-1::foundation-model/{SONNET_BASE}"
    assert runtime.count_tokens(modelId=arn, input={"converse": {"messages": [user("x")]}})


def test_arn_and_regional_profile_are_accepted(runtime: Any) -> None:
    arn = f"arn:aws:bedrock:us-east-1:123456789012:inference-profile/{SONNET}"
    assert runtime.converse(modelId=arn, messages=[user("hi")])["stopReason"] == "end_turn"
    us = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
    assert runtime.converse(modelId=us, messages=[user("hi")])["stopReason"] == "end_turn"
    stream = runtime.converse_stream(modelId=f"{arn[: -len(SONNET)]}{us}", messages=[user("hi")])
    assert list(stream["stream"])


# The emulator serves us-east-1 in account 123456789012 (sources: src/tierwise/core/regions.py).
EU_HAIKU = "eu.anthropic.claude-haiku-4-5-20251001-v1:0"
ELSEWHERE = [
    # A geographic profile outside its geography.
    pytest.param(EU_HAIKU, id="eu-profile-id"),
    pytest.param("apac.anthropic.claude-sonnet-4-5-20250929-v1:0", id="apac-profile-id"),
    pytest.param(
        f"arn:aws:bedrock:us-east-1:123456789012:inference-profile/{EU_HAIKU}", id="eu-arn"
    ),
    # An ARN of another Region: system profile, application profile, foundation model.
    pytest.param(
        f"arn:aws:bedrock:us-west-2:123456789012:inference-profile/{SONNET}", id="arn-region"
    ),
    pytest.param(
        "arn:aws:bedrock:eu-west-1:123456789012:application-inference-profile/a1b2c3d4e5f6",
        id="app-arn-region",
    ),
    pytest.param(
        "arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-3-5-haiku-20241022-v1:0",
        id="model-arn-region",
    ),
]


@pytest.mark.parametrize("model_id", ELSEWHERE)
def test_a_profile_of_another_region_is_an_invalid_identifier(runtime: Any, model_id: str) -> None:
    with pytest.raises(runtime.exceptions.ValidationException) as info:
        runtime.converse(modelId=model_id, messages=[user("hi")])
    assert info.value.response["Error"]["Message"] == "The provided model identifier is invalid."


@pytest.mark.parametrize(
    ("model_id", "stream", "action"),
    [
        (
            f"arn:aws:bedrock:us-east-1:210987654321:inference-profile/{SONNET}",
            False,
            "InvokeModel",
        ),
        (
            "arn:aws:bedrock:us-east-1:210987654321:application-inference-profile/a1b2c3d4e5f6",
            True,
            "InvokeModelWithResponseStream",
        ),
    ],
)
def test_a_profile_of_another_account_is_denied(
    runtime: Any, model_id: str, stream: bool, action: str
) -> None:
    call = runtime.converse_stream if stream else runtime.converse
    with pytest.raises(runtime.exceptions.AccessDeniedException) as info:
        call(modelId=model_id, messages=[user("hi")])
    assert info.value.response["Error"]["Message"] == (
        f"User: arn:aws:iam::123456789012:user/tierwise-emulator is not authorized to perform: "
        f"bedrock:{action} on resource: {model_id} because no resource-based policy allows "
        f"the bedrock:{action} action"
    )
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_on_demand_model_accepts_bare_id(runtime: Any) -> None:
    bare = "anthropic.claude-3-5-haiku-20241022-v1:0"
    assert runtime.converse(modelId=bare, messages=[user("hi")])["stopReason"] == "end_turn"


def test_bare_id_of_profile_only_model_is_refused(runtime: Any) -> None:
    bare = "anthropic.claude-sonnet-4-5-20250929-v1:0"
    with pytest.raises(runtime.exceptions.ValidationException) as info:
        runtime.converse(modelId=bare, messages=[user("hi")])
    message = info.value.response["Error"]["Message"]
    assert message == (
        f"Invocation of model ID {bare} with on-demand throughput isn't supported. Retry your "
        "request with the ID or ARN of an inference profile that contains this model."
    )
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


@pytest.mark.parametrize(
    "model_id",
    [
        "anthropic.claude-nonexistent-v1:0",
        "global.anthropic.claude-sonnet-9-9-20990101-v1:0",
        "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.nope-v1:0",
    ],
)
def test_unknown_model_is_refused(runtime: Any, model_id: str) -> None:
    errors = (runtime.exceptions.ValidationException, runtime.exceptions.ResourceNotFoundException)
    with pytest.raises(errors) as info:
        runtime.converse(modelId=model_id, messages=[user("hi")])
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] in (400, 404)


def _raw(
    emu: Emulator, body: bytes, model: str = SONNET, auth: bool = True
) -> tuple[int, dict[str, Any], dict[str, str]]:
    quoted = model.replace(":", "%3A")
    req = urllib.request.Request(f"{emu.url}/model/{quoted}/converse", data=body, method="POST")
    req.add_header("Content-Type", "application/json")
    if auth:
        req.add_header(
            "Authorization", "AWS4-HMAC-SHA256 Credential=x/20250101/us-east-1/bedrock/aws4_request"
        )
    try:
        with urllib.request.urlopen(req) as resp:
            return resp.status, json.loads(resp.read()), dict(resp.headers)
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read()), dict(err.headers)


def _body(**overrides: Any) -> bytes:
    request: dict[str, Any] = {"messages": [user("hello")]}
    request.update(overrides)
    return json.dumps(request).encode()


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"{not json", "not valid JSON"),
        (_body(messages=[]), "must start with a user message"),
        (_body(messages=[{"role": "system", "content": [{"text": "x"}]}]), "enum value set"),
        (
            _body(messages=[{"role": "assistant", "content": [{"text": "x"}]}]),
            "must start with a user message",
        ),
        (_body(messages=[user("a"), user("b")]), "must alternate between user and assistant"),
        (_body(messages=[{"role": "user", "content": []}]), "content field"),
        (_body(inferenceConfig={"maxTokens": 0}), "greater than or equal to 1"),
        (_body(inferenceConfig={"maxTokens": 10**6}), "exceeds the model limit"),
        (_body(inferenceConfig={"temperature": 1.5}), "inferenceConfig.temperature"),
        (_body(inferenceConfig={"topP": -0.1}), "inferenceConfig.topP"),
        (_body(messages=[user("")]), "is blank"),
        (_body(messages=[user("  ")]), "must contain non-whitespace text"),
        (_body(additionalModelResponseFieldPaths=["stop_sequence"]), "JSON Pointer"),
        (_body(additionalModelResponseFieldPaths=["/a"] * 11), "less than or equal to 10"),
    ],
)
def test_malformed_requests_get_validation_exception(
    emu: Emulator, body: bytes, fragment: str
) -> None:
    status, payload, headers = _raw(emu, body)
    assert status == 400
    assert fragment in payload["message"]
    assert headers["x-amzn-errortype"].startswith("ValidationException:")


def test_unsigned_requests_are_refused(emu: Emulator) -> None:
    status, payload, headers = _raw(emu, _body(), auth=False)
    assert status == 403
    assert headers["x-amzn-errortype"].startswith("MissingAuthenticationTokenException")
    assert payload["message"] == "Missing Authentication Token"


def test_keep_alive_serves_many_requests_on_one_connection(emu: Emulator) -> None:
    import http.client

    conn = http.client.HTTPConnection(emu.host, emu.port)
    path = f"/model/{SONNET.replace(':', '%3A')}/converse"
    headers = {"Authorization": "Bearer token", "Content-Type": "application/json"}
    for _ in range(3):
        conn.request("POST", path, body=_body(), headers=headers)
        response = conn.getresponse()
        assert response.status == 200
        json.loads(response.read())
    conn.close()
