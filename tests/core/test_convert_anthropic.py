"""The Anthropic Messages converter: request and response edge cases."""

from __future__ import annotations

from typing import Any

from tierwise.core.convert.anthropic import from_messages
from tierwise.core.convert.request import NO_TOOL_CALLS

TOOLS = [{"name": "lookup", "input_schema": {"type": "object"}}]


def body(**extra: Any) -> dict[str, Any]:
    return {
        "model": "sonnet",
        "max_tokens": 200,
        "messages": [{"role": "user", "content": "hi"}],
        **extra,
    }


def test_tool_choice_none_without_tool_history_drops_the_tools() -> None:
    request = from_messages(body(tools=TOOLS, tool_choice={"type": "none"})).request
    assert "toolConfig" not in request
    assert "system" not in request


def test_tool_choice_none_with_tool_history_keeps_tools_and_forbids_calls() -> None:
    use = {"type": "tool_use", "id": "tu_1", "name": "lookup", "input": {}}
    result = {"type": "tool_result", "tool_use_id": "tu_1", "content": "found"}
    messages = [
        {"role": "user", "content": "look it up"},
        {"role": "assistant", "content": [use]},
        {"role": "user", "content": [result]},
    ]
    request = from_messages(
        body(messages=messages, system="Be brief.", tools=TOOLS, tool_choice={"type": "none"})
    ).request
    assert request["toolConfig"]["tools"][0]["toolSpec"]["name"] == "lookup"
    assert "toolChoice" not in request["toolConfig"]
    assert request["system"] == [{"text": "Be brief."}, {"text": NO_TOOL_CALLS}]
