"""``strict`` tools are honoured through both doors: a call whose arguments do not match the
tool's schema is a rejected answer, retried one tier up, as the tool_calls validator does."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
ASK = "Use the tool to look up the weather in Paris."


def _openai(strict: bool) -> dict[str, Any]:
    fn = {"name": "weather", "parameters": SCHEMA, **({"strict": True} if strict else {})}
    return {"model": "haiku", "messages": [{"role": "user", "content": ASK}],
            "tools": [{"type": "function", "function": fn}], "tool_choice": "required"}  # fmt: skip


def _anthropic(strict: bool) -> dict[str, Any]:
    tool = {"name": "weather", "input_schema": SCHEMA, **({"strict": True} if strict else {})}
    return {"model": "haiku", "max_tokens": 200, "messages": [{"role": "user", "content": ASK}],
            "tools": [tool], "tool_choice": {"type": "any"}}  # fmt: skip


@pytest.mark.parametrize("door", ["openai", "anthropic"])
def test_strict_tool_call_with_bad_arguments_escalates(gateway, door: str) -> None:  # type: ignore[no-untyped-def]
    gateway.emulator.misbehave("invalid_tool_input", tier="haiku")
    path, body = (
        ("/v1/chat/completions", _openai) if door == "openai" else ("/v1/messages", _anthropic)
    )
    headers = {"authorization": f"Bearer {gateway.key}", "x-tierwise-escalate": "true"}

    def args(reply: httpx.Response) -> Any:
        data = reply.json()
        if door == "openai":
            return json.loads(
                data["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"]
            )
        return next(b["input"] for b in data["content"] if b["type"] == "tool_use")

    loose = httpx.post(gateway.url + path, json=body(False), headers=headers)
    assert loose.status_code == 200, loose.text
    assert loose.headers["x-tierwise-tier"] == "haiku"
    assert args(loose) == {}  # not strict: the bad call is delivered as it came
    strict = httpx.post(gateway.url + path, json=body(True), headers=headers)
    assert strict.status_code == 200, strict.text
    assert strict.headers["x-tierwise-tier"] == "sonnet"
    assert strict.headers["x-tierwise-attempts"] == "2"
    assert "city" in args(strict)
    # Without escalation a strict call that fails is an error, never a 200 with bad arguments.
    off = httpx.post(gateway.url + path, json=body(True),
                     headers={**headers, "x-tierwise-escalate": "false"})  # fmt: skip
    assert off.status_code == 422, off.text
