"""Validators accept good answers and reject bad ones with a reason that says why."""

from __future__ import annotations

from typing import Any

import pytest

from tierwise.core.validators import (
    CallableValidator,
    JsonSchemaValidator,
    RefusalValidator,
    StopReasonValidator,
    ToolCallValidator,
    Verdict,
    judge,
    parse_verification,
    validators_from_spec,
    verification_request,
)
from tierwise.errors import InvalidRequestError

SCHEMA = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
TOOLS = {
    "toolConfig": {
        "tools": [
            {
                "toolSpec": {
                    "name": "lookup",
                    "inputSchema": {
                        "json": {
                            "type": "object",
                            "properties": {"q": {"type": "string"}},
                            "required": ["q"],
                        }
                    },
                }
            }
        ]
    }
}


def reply(*blocks: dict[str, Any], stop: str = "end_turn") -> dict[str, Any]:
    return {
        "output": {"message": {"role": "assistant", "content": list(blocks)}},
        "stopReason": stop,
    }


def test_json_schema() -> None:
    v = JsonSchemaValidator(SCHEMA)
    assert v({}, reply({"text": '{"n": 3}'})).ok
    assert v({}, reply({"text": 'Here:\n```json\n{"n": 3}\n```'})).ok
    bad = v({}, reply({"text": '{"n": "three"}'}))
    assert not bad.ok and "at n:" in bad.reason
    missing = v({}, reply({"text": "{}"}))
    assert not missing.ok and "'n' is a required property" in missing.reason
    broken = v({}, reply({"text": '{"n": 3'}))
    assert not broken.ok and "not valid JSON" in broken.reason


def test_tool_calls() -> None:
    v = ToolCallValidator()
    good = reply({"toolUse": {"toolUseId": "1", "name": "lookup", "input": {"q": "x"}}})
    assert v(TOOLS, good).ok
    unknown = reply({"toolUse": {"toolUseId": "1", "name": "delete", "input": {}}})
    assert "unknown tool 'delete'" in v(TOOLS, unknown).reason
    invalid = reply({"toolUse": {"toolUseId": "1", "name": "lookup", "input": {"q": 1}}})
    verdict = v(TOOLS, invalid)
    assert not verdict.ok and "lookup" in verdict.reason


@pytest.mark.parametrize(
    "stop",
    ["max_tokens", "malformed_model_output", "malformed_tool_use", "content_filtered",
     "model_context_window_exceeded"],
)  # fmt: skip
def test_bad_stop_reasons(stop: str) -> None:
    verdict = StopReasonValidator()({}, reply({"text": "x"}, stop=stop))
    assert not verdict.ok and stop in verdict.reason


def test_good_stop_reasons() -> None:
    for stop in ("end_turn", "tool_use", "stop_sequence"):
        assert StopReasonValidator()({}, reply({"text": "x"}, stop=stop)).ok


def test_refusal_and_empty() -> None:
    v = RefusalValidator()
    assert not v({}, reply({"text": "I'm sorry, but I can't help with that."})).ok
    assert not v({}, reply({"text": "I cannot assist with this request."})).ok
    assert v({}, reply({"text": 'The user wrote "I cannot assist" in the ticket.'})).ok
    assert v({}, reply({"toolUse": {"toolUseId": "1", "name": "lookup", "input": {}}})).ok
    assert v({}, reply({"text": "   "})).reason == "empty answer"


def test_judge_returns_first_rejection_or_lists_what_passed() -> None:
    validators = [StopReasonValidator(), JsonSchemaValidator(SCHEMA)]
    ok = judge({}, reply({"text": '{"n": 1}'}), validators)
    assert ok.ok and ok.reason == "accepted: stop_reason, json_schema"
    rejected = judge({}, reply({"text": '{"n": 1}'}, stop="max_tokens"), validators)
    assert rejected.validator == "stop_reason"


def test_callable_validator() -> None:
    assert not CallableValidator(lambda req, res: False)({}, reply()).ok
    custom = Verdict(False, "too long", "mine")
    assert CallableValidator(lambda req, res: custom)({}, reply()) is custom


def test_spec() -> None:
    names = [v.name for v in validators_from_spec(
        {"json_schema": SCHEMA, "tool_calls": True, "stop_reasons": True, "refusal": True}
    )]  # fmt: skip
    assert names == ["stop_reason", "refusal", "json_schema", "tool_calls"]
    with pytest.raises(InvalidRequestError, match="unknown validator"):
        validators_from_spec({"jsonschema": {}})
    with pytest.raises(InvalidRequestError, match="not a valid JSON Schema"):
        validators_from_spec({"json_schema": {"type": "banana"}})


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "object", "properties": {"a": {"$ref": "#/$defs/A"}}, "$defs": {"A": {}}},
        {"$defs": {"n": {"$anchor": "node", "properties": {"next": {"$ref": "#node"}}}},
         "$ref": "#/$defs/n"},
        {"type": "object", "properties": {"self": {"$ref": "#"}}},
        {"prefixItems": [{"type": "string"}], "properties": {"b": {"$ref": "#/prefixItems/0"}}},
        # Found by review: valid schemas a hand-written resolver refused.
        {"$schema": "http://json-schema.org/draft-07/schema#",
         "definitions": {"x": {"$id": "#xx", "type": "string"}},
         "properties": {"a": {"$ref": "#xx"}}},
        {"$defs": {"n": {"$dynamicAnchor": "node"}}, "properties": {"a": {"$ref": "#node"}}},
        {"$id": "https://e.com/root", "$defs": {"A": {}},
         "properties": {"a": {"$ref": "https://e.com/root#/$defs/A"}}},
        {"$id": "https://e.com/root", "$defs": {"B": {"$id": "b.json"}},
         "properties": {"a": {"$ref": "b.json"}}},
        {"const": {"$ref": "#/nowhere"}},  # data, not a reference
        {"properties": {"a": {"$ref": "http://json-schema.org/draft-07/schema#"}}},
    ],
)  # fmt: skip
def test_local_references_are_accepted(schema: dict[str, Any]) -> None:
    assert validators_from_spec({"json_schema": schema})


def test_a_pointer_inside_an_embedded_resource_resolves_against_that_resource() -> None:
    # "#/$defs/Y" here means https://e.com/x#/$defs/Y, which does not exist.
    schema = {"$defs": {"Y": {"type": "object"}},
              "allOf": [{"$id": "https://e.com/x", "$ref": "#/$defs/Y"}]}  # fmt: skip
    with pytest.raises(InvalidRequestError, match="does not resolve"):
        validators_from_spec({"json_schema": schema})


@pytest.mark.parametrize(
    "ref",
    ["#/$defs/Missing", "#/prefixItems/3", "#nope", "https://example.com/s.json", "other.json"],
)
def test_references_that_do_not_resolve_are_refused_before_any_call(ref: str) -> None:
    schema = {"type": "object", "properties": {"answer": {"$ref": ref}},
              "prefixItems": [{"type": "string"}]}  # fmt: skip
    with pytest.raises(InvalidRequestError, match="does not resolve"):
        validators_from_spec({"json_schema": schema})


def test_self_verification_request_and_parsing() -> None:
    request = {"messages": [{"role": "user", "content": [{"text": "2+2?"}]}]}
    check = verification_request(request, reply({"text": "4"}))
    prompt = check["messages"][0]["content"][0]["text"]
    assert "2+2?" in prompt and "ANSWER:\n4" in prompt and '"confidence"' in prompt
    assert check["inferenceConfig"]["maxTokens"] <= 200
    high = parse_verification(reply({"text": '{"confidence": 0.92, "issues": ""}'}), 0.7)
    assert high.ok and high.confidence == pytest.approx(0.92)
    low = parse_verification(reply({"text": "confidence: 0.3"}), 0.7)
    assert not low.ok and "0.30 below 0.70" in low.reason
    junk = parse_verification(reply({"text": "looks fine to me"}), 0.7)
    assert not junk.ok and "no readable confidence" in junk.reason


def test_a_schema_nested_past_the_stack_is_refused_not_a_crash() -> None:
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(2000):
        schema = {"type": "object", "properties": {"a": schema}}
    with pytest.raises(InvalidRequestError, match="nested too deeply"):
        validators_from_spec({"json_schema": schema})
