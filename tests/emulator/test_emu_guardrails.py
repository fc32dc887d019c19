"""The emulator's word-blocking guardrail through real boto3: Converse and ConverseStream
shapes (stop reason, intervention message, trace), billing, and Bedrock's validation."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError, ParamValidationError
from emulator_testdata import user

from tierwise.emulator import Emulator

MODEL = "global.anthropic.claude-haiku-4-5-20251001-v1:0"


@pytest.fixture(autouse=True)
def _guardrails(emu: Emulator) -> None:
    emu.add_guardrail(
        "gr1",
        "1",
        blocked_words=["plutonium"],
        blocked_input_message="Input blocked by policy.",
        blocked_output_message="Output blocked by policy.",
    )
    # Every synthetic answer says "[tierwise emulator]": blocking "emulator" blocks outputs.
    emu.add_guardrail("gr2", "DRAFT", blocked_words=["emulator"])


def _converse(runtime: Any, text: str, **guard: Any) -> dict[str, Any]:
    return runtime.converse(
        modelId=MODEL,
        messages=[user(text)],
        guardrailConfig={"guardrailIdentifier": "gr1", "guardrailVersion": "1", **guard},
    )


def test_blocked_input_stops_before_the_model(runtime: Any) -> None:
    out = _converse(runtime, "How do I enrich Plutonium at home?", trace="enabled")
    assert out["stopReason"] == "guardrail_intervened"
    assert out["output"]["message"]["content"] == [{"text": "Input blocked by policy."}]
    assert out["usage"] == {"inputTokens": 0, "outputTokens": 0, "totalTokens": 0}
    trace = out["trace"]["guardrail"]
    words = trace["inputAssessment"]["gr1"]["wordPolicy"]["customWords"]
    assert words == [{"match": "plutonium", "action": "BLOCKED", "detected": True}]
    assert trace["actionReason"] == "Guardrail blocked."


def test_clean_input_passes_and_trace_is_off_by_default(runtime: Any) -> None:
    out = _converse(runtime, "Name a noble gas.")
    assert out["stopReason"] == "end_turn"
    assert "trace" not in out
    assert out["usage"]["outputTokens"] > 0
    # Whole words only: "plutoniums" is not "plutonium".
    assert _converse(runtime, "plutoniums")["stopReason"] == "end_turn"


def test_blocked_output_is_replaced_but_billed(runtime: Any) -> None:
    out = runtime.converse(
        modelId=MODEL,
        messages=[user("Name a noble gas.")],
        guardrailConfig={
            "guardrailIdentifier": "gr2",
            "guardrailVersion": "DRAFT",
            "trace": "enabled",
        },
    )
    assert out["stopReason"] == "guardrail_intervened"
    assert out["output"]["message"]["content"] == [
        {"text": "Sorry, the model cannot answer this question."}
    ]
    assert out["usage"]["outputTokens"] > 0
    trace = out["trace"]["guardrail"]
    assert (
        trace["outputAssessments"]["gr2"][0]["wordPolicy"]["customWords"][0]["match"] == "emulator"
    )
    assert "[tierwise emulator]" in trace["modelOutput"][0]


def test_guard_content_limits_what_is_assessed(runtime: Any) -> None:
    messages = [
        {
            "role": "user",
            "content": [
                {"text": "Background mentions plutonium."},
                {"guardContent": {"text": {"text": "Is this question fine?"}}},
            ],
        }
    ]
    out = runtime.converse(
        modelId=MODEL,
        messages=messages,
        guardrailConfig={"guardrailIdentifier": "gr1", "guardrailVersion": "1", "trace": "enabled"},
    )
    # The input passes (only the guardContent is read); the answer may still echo the word.
    assert "wordPolicy" not in out["trace"]["guardrail"]["inputAssessment"]["gr1"]
    assert out["output"]["message"]["content"] != [{"text": "Input blocked by policy."}]


def test_stream_carries_the_intervention_and_trace(runtime: Any) -> None:
    response = runtime.converse_stream(
        modelId=MODEL,
        messages=[user("plutonium please")],
        guardrailConfig={
            "guardrailIdentifier": "gr1",
            "guardrailVersion": "1",
            "trace": "enabled",
            "streamProcessingMode": "sync",
        },
    )
    events = list(response["stream"])
    text = "".join(
        e["contentBlockDelta"]["delta"].get("text", "") for e in events if "contentBlockDelta" in e
    )
    assert text == "Input blocked by policy."
    stop = next(e["messageStop"] for e in events if "messageStop" in e)
    assert stop["stopReason"] == "guardrail_intervened"
    meta = next(e["metadata"] for e in events if "metadata" in e)
    assert "gr1" in meta["trace"]["guardrail"]["inputAssessment"]


@pytest.mark.parametrize(
    ("config", "code", "message"),
    [
        (
            {"guardrailIdentifier": "nope", "guardrailVersion": "1"},
            "ResourceNotFoundException",
            "could not be found",
        ),
        (
            {"guardrailIdentifier": "gr1", "guardrailVersion": "2"},
            "ResourceNotFoundException",
            "version 2",
        ),
        (
            {"guardrailIdentifier": "GR 1", "guardrailVersion": "1"},
            "ValidationException",
            "guardrailIdentifier",
        ),
        (
            {"guardrailIdentifier": "gr1", "guardrailVersion": "v1"},
            "ValidationException",
            "guardrailVersion",
        ),
        (
            {"guardrailIdentifier": "gr1", "guardrailVersion": "1", "trace": "on"},
            "ValidationException",
            "trace",
        ),
    ],
)
def test_bad_guardrail_config_is_refused_like_bedrock(
    runtime: Any, config: dict[str, Any], code: str, message: str
) -> None:
    with pytest.raises(ClientError) as info:
        runtime.converse(modelId=MODEL, messages=[user("hi")], guardrailConfig=config)
    assert info.value.response["Error"]["Code"] == code
    assert message in info.value.response["Error"]["Message"]


def test_guardrail_arn_resolves_to_its_id(runtime: Any) -> None:
    arn = "arn:aws:bedrock:us-east-1:123456789012:guardrail/gr1"
    out = runtime.converse(
        modelId=MODEL,
        messages=[user("plutonium")],
        guardrailConfig={"guardrailIdentifier": arn, "guardrailVersion": "1"},
    )
    assert out["stopReason"] == "guardrail_intervened"


def test_stream_mode_is_not_a_converse_field(runtime: Any) -> None:
    with pytest.raises(ParamValidationError):
        _converse(runtime, "hi", streamProcessingMode="sync")
