"""Structured output in the Python client: the schema reaches the model as a forced tool or as
Bedrock's native ``outputConfig`` (per ``[structured_output] mode``), on the emulator's real
wire, and the answer comes back as JSON text that fits."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest

from tierwise.client import Tierwise
from tierwise.config import Settings
from tierwise.core.structured import native_compatible, unwrap, with_schema
from tierwise.errors import InvalidRequestError

CLOSED = {
    "type": "object",
    "properties": {
        "city": {"type": "string"},
        "kind": {"enum": ["capital", "port"]},
        "facts": {"type": "array", "items": {"$ref": "#/$defs/fact"}},
    },
    "required": ["city", "kind", "facts"],
    "additionalProperties": False,
    "$defs": {
        "fact": {
            "type": "object",
            "properties": {
                "text": {"type": "string"},
                "when": {"type": "string", "format": "date"},
            },
            "required": ["text", "when"],
            "additionalProperties": False,
        }
    },
}
BOUNDED = {"type": "object", "properties": {"n": {"type": "integer", "maximum": 3}},
           "required": ["n"], "additionalProperties": False}  # fmt: skip


def user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": [{"text": text}]}]


@pytest.fixture
def make(emu_settings: Settings, ledger_url: str) -> Iterator[Any]:
    made: list[Tierwise] = []

    def build(mode: str) -> Tierwise:
        settings = emu_settings.with_overrides({"structured_output.mode": mode})
        tw = Tierwise.from_settings(settings, ledger_url=ledger_url)
        made.append(tw)
        return tw

    yield build
    for tw in made:
        tw.close()


@pytest.mark.parametrize("mode", ["tool", "native", "auto"])
def test_each_mode_answers_json_that_fits(make: Any, mode: str) -> None:
    tw = make(mode)
    response = tw.converse(modelId="haiku", messages=user("Tell me about Paris"),
                           validate={"json_schema": CLOSED})  # fmt: skip
    (block,) = response["output"]["message"]["content"]
    jsonschema.validate(json.loads(block["text"]), CLOSED)
    assert response["tierwise"]["accepted"] and response["stopReason"] == "end_turn"


def test_auto_falls_back_to_the_tool_for_a_schema_outside_bedrocks_subset(make: Any) -> None:
    assert not native_compatible(BOUNDED) and native_compatible(CLOSED)
    response = make("auto").converse(modelId="sonnet", messages=user("Pick n"),
                                     validate={"json_schema": BOUNDED})  # fmt: skip
    assert json.loads(response["output"]["message"]["content"][0]["text"])["n"] <= 3


def test_native_mode_sends_what_bedrock_refuses_for_an_unsupported_schema(make: Any) -> None:
    # The emulator checks outputConfig as Bedrock does: numeric bounds are not in the subset.
    with pytest.raises(InvalidRequestError, match="structured output does not support"):
        make("native").converse(modelId="sonnet", messages=user("Pick n"),
                                validate={"json_schema": BOUNDED})  # fmt: skip


def test_streaming_with_a_schema_replays_the_json_as_text(make: Any) -> None:
    result = make("tool").converse_stream(modelId="opus", messages=user("Paris"),
                                          validate={"json_schema": CLOSED})  # fmt: skip
    text = "".join(
        e["contentBlockDelta"]["delta"].get("text", "")
        for e in result["stream"]
        if "contentBlockDelta" in e
    )
    jsonschema.validate(json.loads(text), CLOSED)


def test_thinking_or_caller_tools_offer_the_output_tool_instead_of_forcing_it() -> None:
    request = {
        "messages": user("hi"),
        "additionalModelRequestFields": {"thinking": {"type": "enabled", "budget_tokens": 1024}},
        "toolConfig": {"tools": [{"toolSpec": {"name": "structured_output",
                                               "inputSchema": {"json": {}}}}]},
    }  # fmt: skip
    out, tool = with_schema(request, CLOSED, native=False)
    assert tool == "structured_output_2"  # the caller's own name is not shadowed
    assert out["toolConfig"]["toolChoice"] == {"auto": {}}
    assert [t["toolSpec"]["name"] for t in out["toolConfig"]["tools"]] == [
        "structured_output", "structured_output_2"
    ]  # fmt: skip
    assert "structured_output_2" in out["system"][-1]["text"]
    plain, tool = with_schema({"messages": user("hi")}, CLOSED, native=False)
    assert plain["toolConfig"]["toolChoice"] == {"tool": {"name": tool}}


def test_unwrap_keeps_reasoning_and_drops_the_preamble() -> None:
    response = {
        "stopReason": "tool_use",
        "output": {"message": {"role": "assistant", "content": [
            {"reasoningContent": {"reasoningText": {"text": "t", "signature": "s"}}},
            {"text": "I'll use the tool."},
            {"toolUse": {"toolUseId": "1", "name": "structured_output", "input": {"value": [1]}}},
        ]}},
    }  # fmt: skip
    out = unwrap(response, "structured_output", {"type": "array"})
    content = out["output"]["message"]["content"]
    assert "reasoningContent" in content[0] and content[1] == {"text": "[1]"}
    assert len(content) == 2 and out["stopReason"] == "end_turn"
    # Without a call of the output tool the answer is left for the validators to judge.
    text_only = {"output": {"message": {"content": [{"text": "nope"}]}}}
    assert unwrap(text_only, "structured_output", CLOSED) == text_only
