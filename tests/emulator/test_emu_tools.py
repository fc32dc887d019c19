"""Tool use (schema-valid inputs, tool results) and extended-thinking rules."""

from __future__ import annotations

import random
from typing import Any

import jsonschema
import pytest
from emulator_testdata import SONNET, user

from tierwise.emulator.toolinput import tool_input

SCHEMAS: list[dict[str, Any]] = [
    {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]},
    {
        "type": "object",
        "properties": {
            "city": {"type": "string", "minLength": 3, "maxLength": 20},
            "days": {"type": "integer", "minimum": 1, "maximum": 7},
            "ratio": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
            "unit": {"enum": ["C", "F"]},
            "when": {"type": "string", "format": "date"},
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 4},
            "flag": {"type": "boolean"},
            "nothing": {"type": "null"},
        },
        "required": ["city", "days", "ratio", "unit", "when", "tags", "flag", "nothing"],
        "additionalProperties": False,
    },
    {
        "type": "object",
        "$defs": {
            "point": {"type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"]}
        },
        "properties": {
            "start": {"$ref": "#/$defs/point"},
            "path": {"type": "array", "items": {"$ref": "#/$defs/point"}, "minItems": 1},
            "mode": {"anyOf": [{"type": "string", "enum": ["fast"]}, {"type": "integer"}]},
            "step": {"type": "integer", "multipleOf": 5, "minimum": 7},
            "opt": {"type": ["string", "null"]},
            "meta": {
                "allOf": [{"type": "object", "properties": {"a": {"const": 1}}, "required": ["a"]}]
            },
        },
        "required": ["start", "path", "mode", "step", "opt", "meta"],
    },
]


@pytest.mark.parametrize("schema", SCHEMAS)
@pytest.mark.parametrize("seed", range(5))
def test_generated_input_is_valid_against_the_schema(schema: dict[str, Any], seed: int) -> None:
    value = tool_input(schema, "weather in Paris", random.Random(seed))
    jsonschema.validate(value, schema)


def _tools(schema: dict[str, Any], name: str = "search_docs") -> dict[str, Any]:
    return {
        "tools": [{"toolSpec": {"name": name, "description": "d", "inputSchema": {"json": schema}}}]
    }


@pytest.mark.parametrize("schema", SCHEMAS)
def test_tool_call_over_http_is_valid_and_ends_with_tool_use(
    runtime: Any, schema: dict[str, Any]
) -> None:
    response = runtime.converse(
        modelId=SONNET,
        messages=[user("Please look up the release notes")],
        toolConfig=_tools(schema),
    )
    assert response["stopReason"] == "tool_use"
    content = response["output"]["message"]["content"]
    assert "text" in content[0]  # auto choice: a short preamble first
    use = content[-1]["toolUse"]
    assert use["name"] == "search_docs"
    jsonschema.validate(use["input"], schema)


def test_no_tool_when_the_prompt_does_not_call_for_one(runtime: Any) -> None:
    response = runtime.converse(
        modelId=SONNET, messages=[user("Tell me a joke")], toolConfig=_tools(SCHEMAS[0])
    )
    assert response["stopReason"] == "end_turn"


def test_forced_tool_choice_calls_the_named_tool(runtime: Any) -> None:
    config = {
        "tools": [*_tools(SCHEMAS[0], "alpha")["tools"], *_tools(SCHEMAS[1], "beta")["tools"]],
        "toolChoice": {"tool": {"name": "beta"}},
    }
    response = runtime.converse(
        modelId=SONNET, messages=[user("Tell me a joke")], toolConfig=config
    )
    content = response["output"]["message"]["content"]
    assert [next(iter(b)) for b in content] == ["toolUse"]
    assert content[0]["toolUse"]["name"] == "beta"
    jsonschema.validate(content[0]["toolUse"]["input"], SCHEMAS[1])


def test_tool_result_turn_gets_a_text_answer(runtime: Any) -> None:
    config = _tools(SCHEMAS[0])
    first = runtime.converse(
        modelId=SONNET, messages=[user("Use the tool to search")], toolConfig=config
    )
    assistant = first["output"]["message"]
    use_id = assistant["content"][-1]["toolUse"]["toolUseId"]
    result = {
        "role": "user",
        "content": [{"toolResult": {"toolUseId": use_id, "content": [{"json": {"hits": 3}}]}}],
    }
    second = runtime.converse(
        modelId=SONNET,
        messages=[user("Use the tool to search"), assistant, result],
        toolConfig=config,
    )
    assert second["stopReason"] == "end_turn"
    assert "tool result" in second["output"]["message"]["content"][0]["text"]


def test_tool_result_without_matching_tool_use_is_refused(runtime: Any) -> None:
    messages = [
        user("Use the tool"),
        {"role": "assistant", "content": [{"text": "ok"}]},
        {
            "role": "user",
            "content": [{"toolResult": {"toolUseId": "tooluse_x", "content": [{"text": "r"}]}}],
        },
    ]
    with pytest.raises(runtime.exceptions.ValidationException, match="tool_use_id"):
        runtime.converse(modelId=SONNET, messages=messages, toolConfig=_tools(SCHEMAS[0]))


def test_tool_blocks_without_tool_config_are_refused(runtime: Any) -> None:
    messages = [
        user("hi"),
        {
            "role": "assistant",
            "content": [{"toolUse": {"toolUseId": "t1", "name": "x", "input": {}}}],
        },
        {
            "role": "user",
            "content": [{"toolResult": {"toolUseId": "t1", "content": [{"text": "r"}]}}],
        },
    ]
    with pytest.raises(runtime.exceptions.ValidationException, match="toolConfig"):
        runtime.converse(modelId=SONNET, messages=messages)


def test_thinking_returns_reasoning_within_budget(runtime: Any) -> None:
    response = runtime.converse(
        modelId=SONNET,
        messages=[user("Why is the sky blue?")],
        inferenceConfig={"maxTokens": 2048},
        additionalModelRequestFields={"thinking": {"type": "enabled", "budget_tokens": 1024}},
    )
    content = response["output"]["message"]["content"]
    reasoning = content[0]["reasoningContent"]["reasoningText"]
    assert reasoning["signature"]
    assert -(-len(reasoning["text"]) // 4) <= 1024
    assert "text" in content[1]
    assert response["usage"]["outputTokens"] <= 2048


@pytest.mark.parametrize(
    ("budget", "max_tokens", "fragment"),
    [
        (512, 4000, "greater than or equal to 1024"),
        (2048, 2048, "must be greater than `thinking.budget_tokens`"),
    ],
)
def test_bad_thinking_budget_is_refused(
    runtime: Any, budget: int, max_tokens: int, fragment: str
) -> None:
    with pytest.raises(runtime.exceptions.ValidationException) as info:
        runtime.converse(
            modelId=SONNET,
            messages=[user("hi")],
            inferenceConfig={"maxTokens": max_tokens},
            additionalModelRequestFields={"thinking": {"type": "enabled", "budget_tokens": budget}},
        )
    assert fragment in info.value.response["Error"]["Message"]


def test_an_interleaved_thinking_budget_may_pass_max_tokens(runtime: Any) -> None:
    # It spans every thinking block of the turn (Anthropic's and Bedrock's guides); the
    # emulator refused it as a plain budget over max_tokens.
    response = runtime.converse(
        modelId=SONNET,
        messages=[user("hi")],
        inferenceConfig={"maxTokens": 2048},
        additionalModelRequestFields={
            "thinking": {"type": "enabled", "budget_tokens": 4096},
            "anthropic_beta": ["interleaved-thinking-2025-05-14"],
        },
    )
    assert response["usage"]["outputTokens"] <= 2048


def test_thinking_on_a_model_without_it_is_refused(runtime: Any) -> None:
    with pytest.raises(runtime.exceptions.ValidationException, match="not supported"):
        runtime.converse(
            modelId="anthropic.claude-3-5-haiku-20241022-v1:0",
            messages=[user("hi")],
            inferenceConfig={"maxTokens": 4000},
            additionalModelRequestFields={"thinking": {"type": "enabled", "budget_tokens": 1024}},
        )
