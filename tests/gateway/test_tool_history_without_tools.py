"""A conversation whose history holds tool calls, sent without ``tools`` (an agent's last
turn, a summary after its tool loop): OpenAI answers it, Bedrock refuses tool blocks without
a toolConfig. The OpenAI doors declare the called tools again and answer in text."""

from __future__ import annotations

from typing import Any

import httpx

CALL = {"id": "call_1", "type": "function", "function": {"name": "lookup", "arguments": "{}"}}
CHAT_HISTORY = [
    {"role": "user", "content": "What is the order status?"},
    {"role": "assistant", "content": None, "tool_calls": [CALL]},
    {"role": "tool", "tool_call_id": "call_1", "content": "shipped"},
    {"role": "user", "content": "Sum that up in one line."},
]
RESPONSES_HISTORY = [
    {"role": "user", "content": "What is the order status?"},
    {"type": "function_call", "call_id": "call_1", "name": "lookup", "arguments": "{}"},
    {"type": "function_call_output", "call_id": "call_1", "output": "shipped"},
    {"role": "user", "content": "Sum that up in one line."},
]


def _post(gateway: Any, path: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(
        gateway.url + path,
        json=body,
        headers={"authorization": f"Bearer {gateway.key}"},
        timeout=30,
    )


def test_chat_tool_history_without_tools_is_answered(gateway: Any) -> None:
    # It was a 400 quoting Bedrock ("The toolConfig field must be defined ...").
    rows = len(gateway.tierwise.ledger.rows())
    r = _post(gateway, "/v1/chat/completions", {"model": "haiku", "messages": CHAT_HISTORY})
    assert r.status_code == 200, r.text
    message = r.json()["choices"][0]["message"]
    assert message["content"]
    assert len(gateway.tierwise.ledger.rows()) == rows + 1


def test_responses_tool_history_without_tools_is_answered(gateway: Any) -> None:
    rows = len(gateway.tierwise.ledger.rows())
    r = _post(gateway, "/v1/responses", {"model": "haiku", "input": RESPONSES_HISTORY})
    assert r.status_code == 200, r.text
    assert r.json()["output"][-1]["type"] == "message"
    assert len(gateway.tierwise.ledger.rows()) == rows + 1


ANTHROPIC_HISTORY = [
    {"role": "user", "content": "What is the order status?"},
    {"role": "assistant", "content": [
        {"type": "tool_use", "id": "toolu_1", "name": "lookup", "input": {}}]},
    {"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "toolu_1", "content": "shipped"},
        {"type": "text", "text": "Sum that up in one line."}]},
]  # fmt: skip


def test_messages_tool_history_without_tools_is_refused_in_anthropics_terms(gateway: Any) -> None:
    # Anthropic's API refuses it too, so the door keeps the 400; it quoted Converse
    # ("messages[1].content[0] is a toolUse block ...", param toolConfig).
    before = gateway.emulator.stats["total"], len(gateway.tierwise.ledger.rows())
    body = {"model": "haiku", "max_tokens": 100, "messages": ANTHROPIC_HISTORY}
    r = _post(gateway, "/v1/messages", body)
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error["message"].startswith(
        "messages.1.content.0: requests which include `tool_use` or `tool_result` blocks must "
        "define tools"
    ), error
    assert "send `tools` with the tools the conversation called" in error["message"]
    assert (gateway.emulator.stats["total"], len(gateway.tierwise.ledger.rows())) == before
    # What the hint says works: the tools sent again, and tool_choice none for text.
    tools = [{"name": "lookup", "input_schema": {"type": "object"}}]
    r = _post(gateway, "/v1/messages", {**body, "tools": tools, "tool_choice": {"type": "none"}})
    assert r.status_code == 200, r.text
    assert r.json()["content"][0]["type"] == "text"
