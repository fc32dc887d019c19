"""ConverseStream over real HTTP: text, tool use and thinking assembled from events."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import EventStreamError
from emulator_testdata import SONNET, user

from emulator_clients import make_runtime
from tierwise.config import Settings
from tierwise.emulator import Emulator, Faults

WEATHER_TOOL = {
    "toolSpec": {
        "name": "get_weather",
        "description": "Current weather for a city",
        "inputSchema": {
            "json": {
                "type": "object",
                "properties": {
                    "city": {"type": "string"},
                    "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                },
                "required": ["city", "unit"],
            }
        },
    }
}


def assemble(events: list[dict[str, Any]]) -> dict[str, Any]:
    """Rebuild the Converse response a stream describes."""
    blocks: dict[int, dict[str, Any]] = {}
    out: dict[str, Any] = {"order": [next(iter(e)) for e in events]}
    for event in events:
        if "contentBlockStart" in event:
            start = event["contentBlockStart"]
            use = start["start"]["toolUse"]
            blocks[start["contentBlockIndex"]] = {"toolUse": {**use, "input": ""}}
        elif "contentBlockDelta" in event:
            delta = event["contentBlockDelta"]
            block = blocks.setdefault(delta["contentBlockIndex"], {})
            d = delta["delta"]
            if "text" in d:
                block["text"] = block.get("text", "") + d["text"]
            elif "toolUse" in d:
                block["toolUse"]["input"] += d["toolUse"]["input"]
            elif "reasoningContent" in d:
                r = block.setdefault("reasoningContent", {"text": "", "signature": ""})
                r["text"] += d["reasoningContent"].get("text", "")
                r["signature"] += d["reasoningContent"].get("signature", "")
        elif "messageStop" in event:
            out["stopReason"] = event["messageStop"]["stopReason"]
            if "additionalModelResponseFields" in event["messageStop"]:
                out["fields"] = event["messageStop"]["additionalModelResponseFields"]
        elif "metadata" in event:
            out["usage"] = event["metadata"]["usage"]
            out["metrics"] = event["metadata"]["metrics"]
    for block in blocks.values():
        if "toolUse" in block:
            block["toolUse"]["input"] = json.loads(block["toolUse"]["input"])
    out["content"] = [blocks[i] for i in sorted(blocks)]
    return out


def _stream(runtime: Any, **request: Any) -> dict[str, Any]:
    return assemble(list(runtime.converse_stream(**request)["stream"]))


def test_text_stream_matches_converse(runtime: Any) -> None:
    request = {"modelId": SONNET, "messages": [user("Tell me about streams")]}
    streamed = _stream(runtime, **request)
    whole = runtime.converse(**request)
    assert streamed["order"][0] == "messageStart"
    assert streamed["order"][-2:] == ["messageStop", "metadata"]
    assert "contentBlockStart" not in streamed["order"]  # text blocks start with a delta
    assert streamed["content"] == whole["output"]["message"]["content"]
    assert streamed["stopReason"] == whole["stopReason"]
    assert streamed["usage"] == whole["usage"]
    assert streamed["order"].count("contentBlockDelta") > 1


def test_stop_sequence_path_rides_on_message_stop(runtime: Any) -> None:
    request = {
        "modelId": SONNET,
        "messages": [user("Say something")],
        "inferenceConfig": {"stopSequences": ["emulator"]},
        "additionalModelResponseFieldPaths": ["/stop_sequence"],
    }
    streamed = _stream(runtime, **request)
    assert streamed["stopReason"] == "stop_sequence"
    assert streamed["fields"] == runtime.converse(**request)["additionalModelResponseFields"]
    assert streamed["fields"] == {"stop_sequence": "emulator"}


def test_tool_use_stream(runtime: Any) -> None:
    streamed = _stream(
        runtime,
        modelId=SONNET,
        messages=[user("What's the weather in Paris? Use get_weather.")],
        toolConfig={"tools": [WEATHER_TOOL]},
    )
    assert streamed["stopReason"] == "tool_use"
    assert "contentBlockStart" in streamed["order"]
    use = streamed["content"][-1]["toolUse"]
    assert use["name"] == "get_weather"
    assert use["toolUseId"].startswith("tooluse_")
    assert set(use["input"]) >= {"city", "unit"}
    assert use["input"]["unit"] in ("celsius", "fahrenheit")


def test_thinking_stream_puts_reasoning_first(runtime: Any) -> None:
    streamed = _stream(
        runtime,
        modelId=SONNET,
        messages=[user("Think about prime numbers")],
        inferenceConfig={"maxTokens": 3000},
        additionalModelRequestFields={"thinking": {"type": "enabled", "budget_tokens": 1024}},
    )
    reasoning = streamed["content"][0]["reasoningContent"]
    assert reasoning["text"] and reasoning["signature"]
    assert "text" in streamed["content"][1]
    thinking_tokens = -(-len(reasoning["text"]) // 4)
    assert thinking_tokens <= 1024
    text_tokens = -(-len(streamed["content"][1]["text"]) // 4)
    assert streamed["usage"]["outputTokens"] == thinking_tokens + text_tokens


def test_cut_stream_header_raises_event_stream_error(runtime: Any) -> None:
    def cut_after_three(request: Any, **_: Any) -> None:
        request.headers["x-tierwise-emulator-cut-stream-after"] = "3"

    runtime.meta.events.register("before-send.bedrock-runtime.ConverseStream", cut_after_three)
    try:
        response = runtime.converse_stream(modelId=SONNET, messages=[user("Stream please")])
        seen = []
        with pytest.raises(EventStreamError) as info:
            for event in response["stream"]:
                seen.append(event)
    finally:
        runtime.meta.events.unregister(
            "before-send.bedrock-runtime.ConverseStream", cut_after_three
        )
    assert len(seen) == 3
    assert info.value.response["Error"]["Code"] == "modelStreamErrorException"


def test_standing_cut_fault_and_latency_are_applied(settings: Settings) -> None:
    faults = Faults(cut_stream_after=1, latency_ms=30)
    with Emulator(settings, faults=faults).start() as emu:
        runtime = make_runtime(emu.url)
        response = runtime.converse_stream(modelId=SONNET, messages=[user("hi")])
        events = []
        with pytest.raises(EventStreamError):
            events.extend(response["stream"])
        assert events == [{"messageStart": {"role": "assistant"}}]
        whole = runtime.converse(modelId=SONNET, messages=[user("hi")])
        assert whole["metrics"]["latencyMs"] >= 30
