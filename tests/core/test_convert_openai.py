"""The OpenAI Chat Completions converter: request and response edge cases."""

from __future__ import annotations

from typing import Any

from tierwise.core.convert.openai import from_chat_completions
from tierwise.core.convert.request import NO_TOOL_CALLS

TOOLS = [
    {
        "type": "function",
        "function": {"name": "lookup", "parameters": {"type": "object", "properties": {}}},
    }
]
CALL = {"id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": "{}"}}


def body(**extra: Any) -> dict[str, Any]:
    return {"model": "sonnet", "messages": [{"role": "user", "content": "hi"}], **extra}


def test_tool_choice_none_without_tool_history_drops_the_tools() -> None:
    request = from_chat_completions(body(tools=TOOLS, tool_choice="none")).request
    assert "toolConfig" not in request
    assert "system" not in request


def test_tool_choice_none_with_tool_history_keeps_tools_and_forbids_calls() -> None:
    messages = [
        {"role": "user", "content": "look it up"},
        {"role": "assistant", "content": None, "tool_calls": [CALL]},
        {"role": "tool", "tool_call_id": "call_1", "content": "found"},
    ]
    request = from_chat_completions(
        {"model": "sonnet", "messages": messages, "tools": TOOLS, "tool_choice": "none"}
    ).request
    assert request["toolConfig"]["tools"][0]["toolSpec"]["name"] == "lookup"
    assert request["toolConfig"]["toolChoice"] == {"auto": {}}
    assert request["system"][-1] == {"text": NO_TOOL_CALLS}
