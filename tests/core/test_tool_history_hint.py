"""Tool history without tools is refused with a hint its caller can act on, in its own API's
terms: Converse's for the Python client (its only callers now: the OpenAI doors declare the
history's tools, the Anthropic door refuses in the Messages API's terms), the Messages API's
for an anthropic batch record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tierwise.batch import parse_records
from tierwise.core.preflight import check_request
from tierwise.errors import InvalidRequestError

HISTORY = [
    {"role": "user", "content": [{"text": "weather?"}]},
    {"role": "assistant", "content": [{"toolUse": {"toolUseId": "c1", "name": "w", "input": {}}}]},
]


def test_a_converse_caller_is_told_what_to_send_in_converse() -> None:
    with pytest.raises(InvalidRequestError) as refused:
        check_request({"messages": HISTORY})
    err = refused.value
    assert err.param == "toolConfig"
    assert err.message.startswith("messages[1].content[0] is a toolUse block")
    assert "has no toolConfig" in err.message
    # It named the OpenAI and Anthropic APIs' `tools` to a Converse caller, and said nothing
    # of how to get an answer in text without a tool call (Converse has no toolChoice none).
    assert "`tools` in the OpenAI" not in err.hint
    assert err.hint.startswith("send toolConfig with the tools the conversation called")
    assert "for an answer in text" in err.hint


def test_an_anthropic_batch_record_is_told_in_the_messages_apis_terms(tmp_path: Path) -> None:
    body = {
        "max_tokens": 100,
        "messages": [
            {"role": "user", "content": "weather?"},
            {"role": "assistant", "content": [
                {"type": "tool_use", "id": "c1", "name": "w", "input": {}}]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "c1", "content": "sunny"}]},
        ],
    }  # fmt: skip
    source = tmp_path / "records.jsonl"
    source.write_text(json.dumps({"custom_id": "a1", "anthropic": body}) + "\n")
    with pytest.raises(InvalidRequestError) as refused:
        parse_records(source)
    err = refused.value
    assert err.message == (
        f"{source}:1 (custom_id 'a1'): messages.1.content.0: requests which include `tool_use` "
        "or `tool_result` blocks must define tools"
    )
    assert err.hint.startswith("send `tools`")
