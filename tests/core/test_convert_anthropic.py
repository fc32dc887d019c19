"""The Anthropic Messages converter: request and response edge cases."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tierwise.core.convert.anthropic import AnthropicStreamTranslator, from_messages, to_message
from tierwise.core.convert.request import NO_TOOL_CALLS
from tierwise.errors import InvalidRequestError

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


REDACTED = "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP"


def test_redacted_thinking_round_trips_exactly() -> None:
    block = {"type": "redacted_thinking", "data": REDACTED}
    messages = [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": [block, {"type": "text", "text": "hello"}]},
        {"role": "user", "content": "again"},
    ]
    sent = from_messages(body(messages=messages)).request["messages"][1]["content"][0]
    assert sent == {"reasoningContent": {"redactedContent": REDACTED.encode("utf-8")}}
    # boto3 returns the blob as bytes.
    response = {
        "output": {"message": {"role": "assistant", "content": [sent, {"text": "ok"}]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 5, "outputTokens": 3},
    }
    message = to_message(response, model="m", request_id="r")
    assert message["content"][0] == block


def test_a_streamed_redacted_thinking_delta_is_a_redacted_thinking_block() -> None:
    translator = AnthropicStreamTranslator(model="m", request_id="r")
    events = [
        {"messageStart": {"role": "assistant"}},
        {
            "contentBlockDelta": {
                "contentBlockIndex": 0,
                "delta": {"reasoningContent": {"redactedContent": REDACTED.encode()}},
            }
        },
        {"contentBlockStop": {"contentBlockIndex": 0}},
        {"contentBlockDelta": {"contentBlockIndex": 1, "delta": {"text": "ok"}}},
        {"contentBlockStop": {"contentBlockIndex": 1}},
    ]
    out = [pair for event in events for pair in translator.feed(event)]
    assert out[1:3] == [
        (
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "redacted_thinking", "data": REDACTED},
            },
        ),
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
    ]
    assert [name for name, _ in out[3:]] == [
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
    ]
    assert out[3][1]["index"] == 1


def test_stop_sequences_ask_bedrock_which_one_matched() -> None:
    request = from_messages(body(stop_sequences=["END"])).request
    assert request["additionalModelResponseFieldPaths"] == ["/stop_sequence"]
    assert "additionalModelResponseFieldPaths" not in from_messages(body()).request


def test_the_matched_stop_sequence_is_reported() -> None:
    response = {
        "output": {"message": {"role": "assistant", "content": [{"text": "one two "}]}},
        "stopReason": "stop_sequence",
        "additionalModelResponseFields": {"stop_sequence": "END"},
        "usage": {"inputTokens": 5, "outputTokens": 3},
    }
    message = to_message(response, model="m", request_id="r")
    assert (message["stop_reason"], message["stop_sequence"]) == ("stop_sequence", "END")
    translator = AnthropicStreamTranslator(model="m", request_id="r")
    stop = {
        "stopReason": "stop_sequence",
        "additionalModelResponseFields": {"stop_sequence": "END"},
    }
    translator.feed({"messageStop": stop})
    (name, delta), _ = translator.feed({"metadata": {"usage": {}}})
    assert name == "message_delta"
    assert delta["delta"] == {"stop_reason": "stop_sequence", "stop_sequence": "END"}


def test_a_full_context_window_is_reported_by_anthropics_own_stop_reason() -> None:
    """Anthropic's API answers model_context_window_exceeded (not max_tokens) when the
    context window, not max_tokens, ended the answer; Bedrock says the same."""
    response = {
        "output": {"message": {"role": "assistant", "content": [{"text": "one two "}]}},
        "stopReason": "model_context_window_exceeded",
        "usage": {"inputTokens": 5, "outputTokens": 3},
    }
    message = to_message(response, model="m", request_id="r")
    assert message["stop_reason"] == "model_context_window_exceeded"
    translator = AnthropicStreamTranslator(model="m", request_id="r")
    translator.feed({"messageStop": {"stopReason": "model_context_window_exceeded"}})
    (name, delta), _ = translator.feed({"metadata": {"usage": {}}})
    assert name == "message_delta"
    assert delta["delta"]["stop_reason"] == "model_context_window_exceeded"


# The 8-byte PNG signature: Bedrock (and now the door) refuses bytes that are no image.
PNG = {
    "type": "image",
    "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="},
}


def tool_turns(top_level: int, in_result: int) -> list[dict[str, Any]]:
    use = {"type": "tool_use", "id": "tu_1", "name": "lookup", "input": {}}
    result = {"type": "tool_result", "tool_use_id": "tu_1", "content": [PNG] * in_result}
    return [
        {"role": "user", "content": [*([PNG] * top_level), {"type": "text", "text": "look"}]},
        {"role": "assistant", "content": [use]},
        {"role": "user", "content": [result]},
    ]


@pytest.mark.parametrize(("top_level", "in_result"), [(0, 30), (15, 6)])
def test_images_inside_a_tool_result_count_toward_the_limit(top_level: int, in_result: int) -> None:
    messages = tool_turns(top_level, in_result)
    total = top_level + in_result
    with pytest.raises(InvalidRequestError, match=rf"too many images: {total} \(at most 20\)"):
        from_messages(body(messages=messages, tools=TOOLS))


def test_images_up_to_the_limit_pass_wherever_they_are() -> None:
    request = from_messages(body(messages=tool_turns(10, 10), tools=TOOLS)).request
    result = request["messages"][2]["content"][0]["toolResult"]
    assert len(result["content"]) == 10


def doc(title: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "document",
        "source": {"type": "text", "media_type": "text/plain", "data": "notes"},
    }
    if title is not None:
        block["title"] = title
    return block


def document_names(messages: list[dict[str, Any]]) -> list[str]:
    request = from_messages(body(messages=messages)).request
    return [
        b["document"]["name"] for m in request["messages"] for b in m["content"] if "document" in b
    ]


BEDROCK_NAME = r"[A-Za-z0-9()\[\]\- ]{1,200}"


@pytest.mark.parametrize(
    ("title", "name"),
    [
        ("My Doc!", "My Doc"),
        ("report.pdf", "report pdf"),
        ("John's  Q3\treport (final) [v2]", "John s Q3 report (final) [v2]"),
        ("résumé_2024", "resume 2024"),
        ("  ...  ", "document"),
        ("分析", "document"),
        ("x" * 300, "x" * 200),
    ],
)
def test_a_document_title_becomes_a_name_bedrock_accepts(title: str, name: str) -> None:
    ask = {"type": "text", "text": "read it"}
    (sent,) = document_names([{"role": "user", "content": [doc(title), ask]}])
    assert sent == name
    assert re.fullmatch(BEDROCK_NAME, sent) and "  " not in sent


def test_document_names_are_unique_across_the_whole_request() -> None:
    ask = {"type": "text", "text": "read it"}
    messages = [
        {"role": "user", "content": [doc(), doc("Notes"), ask]},
        {"role": "assistant", "content": "done"},
        {"role": "user", "content": [doc(), doc("notes!"), doc("x" * 300), doc("x" * 250), ask]},
    ]
    names = document_names(messages)
    assert names == [
        "document",
        "Notes",
        "document (2)",
        "notes (2)",
        "x" * 200,
        "x" * 196 + " (2)",
    ]
    assert len({n.lower() for n in names}) == len(names)
    assert all(re.fullmatch(BEDROCK_NAME, n) for n in names)
    # An earlier turn's names do not change when the conversation grows.
    assert document_names(messages[:1]) == names[:2]


def test_a_document_sent_on_its_own_gets_the_text_block_converse_requires() -> None:
    # Converse refuses a turn with a document and no text ("A text block must be included
    # when using documents."); Anthropic takes it (Claude Code sends a PDF on its own).
    from tierwise.core.convert.request import DOCUMENT_PLACEHOLDER

    doc = {
        "type": "document",
        "source": {"type": "text", "media_type": "text/plain", "data": "Delivery in 30 days."},
        "cache_control": {"type": "ephemeral"},
    }
    content = from_messages(body(messages=[{"role": "user", "content": [doc]}])).request[
        "messages"
    ][0]["content"]
    assert [next(iter(b)) for b in content] == ["document", "text", "cachePoint"]
    assert content[1] == {"text": DOCUMENT_PLACEHOLDER}
    asked = [doc, {"type": "text", "text": "When is delivery?"}]
    content = from_messages(body(messages=[{"role": "user", "content": asked}])).request[
        "messages"
    ][0]["content"]
    assert [b.get("text") for b in content if "text" in b] == ["When is delivery?"]


def test_betas_bedrock_takes_are_forwarded_and_the_rest_left_out() -> None:
    betas = ["prompt-caching-2024-07-31", "context-1m-2025-08-07", "files-api-2025-04-14",
             "interleaved-thinking-2025-05-14", "context-1m-2025-08-07"]  # fmt: skip
    request = from_messages(body(), betas=betas).request
    assert request["additionalModelRequestFields"]["anthropic_beta"] == [
        "context-1m-2025-08-07",
        "interleaved-thinking-2025-05-14",
    ]
    only_general = from_messages(body(), betas=["prompt-caching-2024-07-31"]).request
    assert "additionalModelRequestFields" not in only_general


def test_a_word_document_is_sent_as_converse_takes_it() -> None:
    # The block's field table promised docx; the door refused every type but PDF, text,
    # CSV and HTML. Converse's document block takes Word, Excel and Markdown too.
    docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    source = {"type": "base64", "media_type": docx, "data": "UEsDBA=="}
    content = [{"type": "document", "source": source}, {"type": "text", "text": "Summarise."}]
    request = from_messages(body(messages=[{"role": "user", "content": content}])).request
    assert request["messages"][0]["content"][0]["document"]["format"] == "docx"


@pytest.mark.parametrize(
    "thinking", [{"type": "enabled", "budget_tokens": 1024}, {"type": "adaptive"}]
)
def test_thinking_with_another_temperature_names_the_messages_field(
    thinking: dict[str, Any],
) -> None:
    # Refused as Anthropic's API refuses it, naming `temperature`: preflight named
    # Converse's inferenceConfig.temperature, which a Messages caller never sent.
    with pytest.raises(InvalidRequestError) as refused:
        from_messages(body(max_tokens=4096, thinking=thinking, temperature=0.2))
    assert refused.value.param == "temperature"
    assert refused.value.message == "`temperature` may only be set to 1 when thinking is enabled"
    for allowed in (1, None):
        extra = {} if allowed is None else {"temperature": allowed}
        from_messages(body(max_tokens=4096, thinking=thinking, **extra))
