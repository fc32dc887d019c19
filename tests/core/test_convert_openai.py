"""The OpenAI Chat Completions converter: request and response edge cases."""

from __future__ import annotations

from typing import Any

import pytest

from tierwise.core.convert.openai import (
    OpenAIStreamTranslator,
    from_chat_completions,
    to_chat_completion,
)
from tierwise.core.convert.request import NO_TOOL_CALLS
from tierwise.errors import InvalidRequestError

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


def thinking_of(request: dict[str, Any]) -> int | None:
    fields = request.get("additionalModelRequestFields") or {}
    budget: int | None = fields.get("thinking", {}).get("budget_tokens")
    return budget


@pytest.mark.parametrize(
    ("cap", "effort", "budget"),
    [(60000, "high", 16384), (4096, "medium", 3072), (2048, "low", 1024), (8192, "low", 1024)],
)
def test_a_caller_cap_includes_the_thinking_budget(cap: int, effort: str, budget: int) -> None:
    request = from_chat_completions(
        body(max_completion_tokens=cap, reasoning_effort=effort)
    ).request
    assert request["inferenceConfig"]["maxTokens"] == cap
    assert thinking_of(request) == budget


@pytest.mark.parametrize("cap", [50, 2047])
def test_a_cap_too_small_for_thinking_runs_without_it(cap: int) -> None:
    request = from_chat_completions(
        body(max_tokens=cap, reasoning_effort="high", temperature=0.2)
    ).request
    assert request["inferenceConfig"] == {"maxTokens": cap, "temperature": 0.2}
    assert thinking_of(request) is None


def test_without_a_cap_the_budget_comes_on_top_of_the_default_answer() -> None:
    request = from_chat_completions(body(reasoning_effort="medium")).request
    assert request["inferenceConfig"]["maxTokens"] == 4096 + 4096
    assert thinking_of(request) == 4096


def test_redacted_thinking_is_left_out_of_reasoning_content() -> None:
    content = [
        {"reasoningContent": {"redactedContent": b"EmwKAhgB"}},
        {"reasoningContent": {"reasoningText": {"text": "hmm", "signature": "s"}}},
        {"text": "ok"},
    ]
    response = {
        "output": {"message": {"role": "assistant", "content": content}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 5, "outputTokens": 3},
    }
    message = to_chat_completion(response, model="m", request_id="r", created=0)
    assert message["choices"][0]["message"]["reasoning_content"] == "hmm"
    translator = OpenAIStreamTranslator(model="m", request_id="r", created=0, include_usage=False)
    delta = {"reasoningContent": {"redactedContent": b"EmwKAhgB"}}
    (chunk,) = translator.feed({"contentBlockDelta": {"contentBlockIndex": 0, "delta": delta}})
    # Not reasoning text; sent whole, to be sent back (a tool loop with thinking needs it).
    assert chunk["choices"][0]["delta"] == {
        "thinking_blocks": [{"index": 0, "type": "redacted_thinking", "data": "EmwKAhgB"}]
    }


def test_stop_asks_for_no_extra_converse_fields_and_none_leak_back() -> None:
    request = from_chat_completions(body(stop=["END"])).request
    assert request["inferenceConfig"]["stopSequences"] == ["END"]
    assert "additionalModelResponseFieldPaths" not in request
    response = {
        "output": {"message": {"role": "assistant", "content": [{"text": "one"}]}},
        "stopReason": "stop_sequence",
        "additionalModelResponseFields": {"stop_sequence": "END"},
        "usage": {"inputTokens": 5, "outputTokens": 3},
    }
    completion = to_chat_completion(response, model="m", request_id="r", created=0)
    assert "END" not in str(completion)
    assert completion["choices"][0]["finish_reason"] == "stop"


def test_a_tool_message_cannot_carry_images_around_the_limit() -> None:
    """Only user messages take image parts, so every image is counted by the limit."""
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0K"}}
    messages = [
        {"role": "user", "content": "look"},
        {"role": "assistant", "content": None, "tool_calls": [CALL]},
        {"role": "tool", "tool_call_id": "call_1", "content": [image] * 30},
    ]
    with pytest.raises(InvalidRequestError, match="only text parts are allowed here"):
        from_chat_completions(body(messages=messages, tools=TOOLS))


def test_parallel_tool_calls_false_keeps_one_call_and_asks_for_one() -> None:
    from tierwise.core.convert.openai import ONE_TOOL_CALL, OpenAIStreamTranslator

    tool = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
    body = {"model": "haiku", "messages": [{"role": "user", "content": "hi"}], "tools": [tool],
            "parallel_tool_calls": False}  # fmt: skip
    converted = from_chat_completions(body)
    assert converted.extras["single_tool_call"] is True
    assert converted.request["system"][-1] == {"text": ONE_TOOL_CALL}
    uses = [{"toolUse": {"toolUseId": f"t{i}", "name": "f", "input": {"i": i}}} for i in (1, 2)]
    response = {"output": {"message": {"content": uses}}, "stopReason": "tool_use"}
    one = to_chat_completion(response, model="m", request_id="r", created=0, single_tool_call=True)
    assert [c["id"] for c in one["choices"][0]["message"]["tool_calls"]] == ["t1"]
    both = to_chat_completion(response, model="m", request_id="r", created=0)
    assert len(both["choices"][0]["message"]["tool_calls"]) == 2
    translator = OpenAIStreamTranslator(model="m", request_id="r", created=0,
                                        include_usage=False, single_tool_call=True)  # fmt: skip
    chunks = []
    for i in (0, 1):
        start = {"toolUse": {"toolUseId": f"t{i}", "name": "f"}}
        chunks += translator.feed({"contentBlockStart": {"contentBlockIndex": i, "start": start}})
        delta = {"toolUse": {"input": "{}"}}
        chunks += translator.feed({"contentBlockDelta": {"contentBlockIndex": i, "delta": delta}})
    calls = [c for ch in chunks for c in ch["choices"][0]["delta"].get("tool_calls", [])]
    assert {c.get("id") for c in calls} == {"t0", None} and all(c["index"] == 0 for c in calls)


def _image_part(url: str) -> dict[str, Any]:
    content = [
        {"type": "text", "text": "what is this?"},
        {"type": "image_url", "image_url": {"url": url}},
    ]
    return body(messages=[{"role": "user", "content": content}])


JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.mark.parametrize(
    ("mime", "data", "fmt"),
    [
        pytest.param("image/jpg", JPEG, "jpeg", id="jpg"),  # common in client code
        pytest.param("IMAGE/JPEG", JPEG, "jpeg", id="upper-case"),  # RFC 2045
        pytest.param("image/png", JPEG, "jpeg", id="jpeg-labelled-png"),  # bytes, not label
        pytest.param("image/jpeg", PNG, "png", id="png-labelled-jpeg"),
    ],
)
def test_a_data_url_image_is_sent_in_the_format_its_bytes_are(
    mime: str, data: bytes, fmt: str
) -> None:
    import base64

    url = f"data:{mime};base64,{base64.b64encode(data).decode()}"
    request = from_chat_completions(_image_part(url)).request
    image = request["messages"][0]["content"][1]["image"]
    assert image["format"] == fmt and bytes(image["source"]["bytes"]) == data


def test_a_data_url_that_is_no_image_is_still_refused() -> None:
    import base64

    url = "data:image/png;base64," + base64.b64encode(b"just text").decode()
    with pytest.raises(InvalidRequestError, match="not a PNG, JPEG, GIF or WebP"):
        from_chat_completions(_image_part(url))


def test_tool_history_without_tools_declares_the_called_tools_and_forbids_calls() -> None:
    # OpenAI answers such a history; Bedrock refuses tool blocks without a toolConfig.
    messages = [
        {"role": "user", "content": "look it up"},
        {"role": "assistant", "content": None, "tool_calls": [CALL, {**CALL, "id": "call_2"}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "found"},
        {"role": "tool", "tool_call_id": "call_2", "content": "found again"},
        {"role": "user", "content": "so?"},
    ]
    request = from_chat_completions({"model": "sonnet", "messages": messages}).request
    (tool,) = request["toolConfig"]["tools"]  # called twice, declared once
    assert tool["toolSpec"]["name"] == "lookup"
    assert tool["toolSpec"]["inputSchema"] == {"json": {"type": "object"}}
    assert request["toolConfig"]["toolChoice"] == {"auto": {}}
    assert request["system"][-1] == {"text": NO_TOOL_CALLS}


@pytest.mark.parametrize("role", ["system", "developer"])
def test_only_system_messages_is_a_400_that_says_so(role: str) -> None:
    """OpenAI answers a conversation of system messages alone; Converse needs a user turn,
    and the refusal says what was sent, not that every message was empty."""
    with pytest.raises(InvalidRequestError, match="only system or developer messages") as info:
        from_chat_completions(body(messages=[{"role": role, "content": "Write a haiku."}]))
    assert info.value.param == "messages"


@pytest.mark.parametrize("said", ["", "  ", [{"type": "text", "text": ""}]])
def test_an_earlier_answer_that_said_nothing_is_left_out(said: object) -> None:
    """OpenAI takes an assistant message with empty content back (an answer cut off at
    once, stored by the app); Converse refuses a blank text block, and the door answered
    400. The turns around it merge, as Converse needs them to alternate."""
    messages = [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": said},
        {"role": "user", "content": "again"},
    ]
    request = from_chat_completions(body(messages=messages)).request
    assert request["messages"] == [{"role": "user", "content": [{"text": "hi"}, {"text": "again"}]}]
    with pytest.raises(InvalidRequestError, match="neither content nor tool_calls"):
        from_chat_completions(body(messages=[*messages[:1], {"role": "assistant"}]))
