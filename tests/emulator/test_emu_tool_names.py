"""The emulator refuses tool names as Bedrock does (botocore's ToolName: 1-64 characters of
[a-zA-Z0-9_-]), in toolSpec.name and in toolChoice.tool.name, with Bedrock's wording."""

from __future__ import annotations

from typing import Any

import pytest
from emulator_testdata import HAIKU, user


def _tool(name: str) -> dict[str, Any]:
    return {"toolSpec": {"name": name, "inputSchema": {"json": {"type": "object"}}}}


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("x" * 65, "Member must have length less than or equal to 64"),
        ("look up", "Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+"),
        ("a.b", "Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+"),
    ],
)
def test_tool_names_bedrock_refuses(runtime: Any, name: str, rule: str) -> None:
    with pytest.raises(runtime.exceptions.ValidationException) as info:
        runtime.converse(modelId=HAIKU, messages=[user("hi")], toolConfig={"tools": [_tool(name)]})
    message = info.value.response["Error"]["Message"]
    assert message == (
        f"1 validation error detected: Value '{name}' at "
        f"'toolConfig.tools.1.member.toolSpec.name' failed to satisfy constraint: {rule}"
    )


def test_a_64_character_name_is_accepted(runtime: Any) -> None:
    name = "a_-9" * 16
    runtime.converse(modelId=HAIKU, messages=[user("hi")], toolConfig={"tools": [_tool(name)]})


def test_tool_choice_name_is_a_tool_name(runtime: Any) -> None:
    config = {"tools": [_tool("ok")], "toolChoice": {"tool": {"name": "not ok"}}}
    with pytest.raises(runtime.exceptions.ValidationException) as info:
        runtime.converse(modelId=HAIKU, messages=[user("hi")], toolConfig=config)
    assert info.value.response["Error"]["Message"] == (
        "1 validation error detected: Value 'not ok' at 'toolConfig.toolChoice.tool.name' "
        "failed to satisfy constraint: Member must satisfy regular expression pattern: "
        "[a-zA-Z0-9_-]+"
    )


def test_tool_use_names_in_the_history_are_tool_names(runtime: Any) -> None:
    messages = [
        user("hi"),
        {
            "role": "assistant",
            "content": [{"toolUse": {"toolUseId": "t1", "name": "a b", "input": {}}}],
        },
        {
            "role": "user",
            "content": [{"toolResult": {"toolUseId": "t1", "content": [{"text": "x"}]}}],
        },
    ]
    with pytest.raises(runtime.exceptions.ValidationException) as info:
        runtime.converse(modelId=HAIKU, messages=messages, toolConfig={"tools": [_tool("ok")]})
    assert info.value.response["Error"]["Message"] == (
        "1 validation error detected: Value 'a b' at "
        "'messages.2.member.content.1.member.toolUse.name' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+"
    )
