"""Converse checks DocumentBlock names as Bedrock does; Invoke takes any document title."""

from __future__ import annotations

from typing import Any

import pytest
from emulator_testdata import SONNET, SONNET_BASE

from tierwise.core.convert.anthropic import from_messages

NAME_RULE = (
    "The document file name can only contain alphanumeric characters, whitespace characters, "
    "hyphens, parentheses, and square brackets. The name can't contain more than one "
    "consecutive whitespace character. Check that the file name conforms to these "
    "restrictions and retry your request."
)
REPEATED = (
    "Messages can't contain duplicate document names. Rename the document and retry your request."
)


def doc(name: str) -> dict[str, Any]:
    return {"document": {"format": "txt", "name": name, "source": {"bytes": b"some notes"}}}


def turns(*names: str) -> list[dict[str, Any]]:
    """One user turn per document, with assistant turns between them."""
    out: list[dict[str, Any]] = []
    for name in names:
        if out:
            out.append({"role": "assistant", "content": [{"text": "read"}]})
        out.append({"role": "user", "content": [doc(name), {"text": "read this"}]})
    return out


def refusal(runtime: Any, messages: list[dict[str, Any]]) -> str:
    with pytest.raises(runtime.exceptions.ValidationException) as info:
        runtime.converse(modelId=SONNET, messages=messages)
    return str(info.value.response["Error"]["Message"])


@pytest.mark.parametrize("name", ["My Doc!", "report.pdf", "a  b", "tab\there", "résumé"])
def test_converse_refuses_a_name_with_other_characters(runtime: Any, name: str) -> None:
    assert refusal(runtime, turns(name)) == NAME_RULE


def test_converse_refuses_a_name_over_200_characters(runtime: Any) -> None:
    message = refusal(runtime, turns("x" * 201))
    assert message.endswith("Member must have length less than or equal to 200")
    assert runtime.converse(modelId=SONNET, messages=turns("x" * 200))["stopReason"]


def test_converse_refuses_a_name_repeated_in_a_later_turn(runtime: Any) -> None:
    assert refusal(runtime, turns("document-0", "document-0")) == REPEATED


def test_converse_refuses_a_tool_result_document_repeating_a_name(runtime: Any) -> None:
    use = {"toolUse": {"toolUseId": "tu_1", "name": "lookup", "input": {}}}
    result = {"toolResult": {"toolUseId": "tu_1", "content": [doc("notes")]}}
    messages = [
        {"role": "user", "content": [doc("notes"), {"text": "look it up"}]},
        {"role": "assistant", "content": [use]},
        {"role": "user", "content": [result]},
    ]
    tools = {"tools": [{"toolSpec": {"name": "lookup", "inputSchema": {"json": {}}}}]}
    with pytest.raises(runtime.exceptions.ValidationException) as info:
        runtime.converse(modelId=SONNET, messages=messages, toolConfig=tools)
    assert info.value.response["Error"]["Message"] == REPEATED


def test_converse_accepts_valid_distinct_names(runtime: Any) -> None:
    messages = turns("My Doc (v2) [final]", "my_notes-1", " padded ")
    assert runtime.converse(modelId=SONNET, messages=messages)["stopReason"] == "end_turn"
    counted = runtime.count_tokens(modelId=SONNET_BASE, input={"converse": {"messages": messages}})
    assert counted["inputTokens"] > 0


def test_count_tokens_checks_names_like_converse(runtime: Any) -> None:
    with pytest.raises(runtime.exceptions.ValidationException) as info:
        runtime.count_tokens(
            modelId=SONNET_BASE, input={"converse": {"messages": turns("My Doc!")}}
        )
    assert info.value.response["Error"]["Message"] == NAME_RULE


def test_invoke_takes_any_repeated_title(claude: Any) -> None:
    document = {
        "type": "document",
        "title": "My Doc!",
        "source": {"type": "text", "media_type": "text/plain", "data": "some notes"},
    }
    content = [document, {"type": "text", "text": "read this"}]
    message = claude.messages.create(
        model=SONNET,
        max_tokens=2000,
        messages=[
            {"role": "user", "content": content},
            {"role": "assistant", "content": "read"},
            {"role": "user", "content": content},
        ],
    )
    assert message.stop_reason == "end_turn"


def test_what_the_anthropic_converter_sends_passes(runtime: Any) -> None:
    """Titles Bedrock would refuse, and untitled documents in two turns, reach the model."""
    titled = {
        "type": "document",
        "title": "My Doc!",
        "source": {"type": "text", "media_type": "text/plain", "data": "some notes"},
    }
    untitled = {key: value for key, value in titled.items() if key != "title"}
    ask = {"type": "text", "text": "read this"}
    body = {
        "model": SONNET,
        "max_tokens": 2000,
        "messages": [
            {"role": "user", "content": [titled, untitled, ask]},
            {"role": "assistant", "content": "read"},
            {"role": "user", "content": [titled, untitled, ask]},
        ],
    }
    request = from_messages(body).request
    assert runtime.converse(modelId=SONNET, **request)["stopReason"] == "end_turn"
