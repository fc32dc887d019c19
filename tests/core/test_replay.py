"""Replaying a buffered Converse answer as ConverseStream events."""

from __future__ import annotations

from typing import Any

from tierwise.core.convert.anthropic import AnthropicStreamTranslator, to_message
from tierwise.core.replay import replay_events

REDACTED = "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP"


def response() -> dict[str, Any]:
    """A Converse answer with a redacted thinking block that stopped on a stop sequence."""
    content = [
        {"reasoningContent": {"redactedContent": REDACTED.encode()}},
        {"text": "one two "},
    ]
    return {
        "output": {"message": {"role": "assistant", "content": content}},
        "stopReason": "stop_sequence",
        "additionalModelResponseFields": {"stop_sequence": "END"},
        "usage": {"inputTokens": 5, "outputTokens": 3, "totalTokens": 8},
    }


def test_a_redacted_block_replays_as_a_redacted_content_delta() -> None:
    events = list(replay_events(response()))
    assert events[1:3] == [
        {
            "contentBlockDelta": {
                "contentBlockIndex": 0,
                "delta": {"reasoningContent": {"redactedContent": REDACTED.encode()}},
            }
        },
        {"contentBlockStop": {"contentBlockIndex": 0}},
    ]


def test_additional_model_response_fields_ride_on_message_stop() -> None:
    stops = [e["messageStop"] for e in replay_events(response()) if "messageStop" in e]
    assert stops == [
        {"stopReason": "stop_sequence", "additionalModelResponseFields": {"stop_sequence": "END"}}
    ]
    plain = {**response(), "stopReason": "end_turn"}
    del plain["additionalModelResponseFields"]
    stops = [e["messageStop"] for e in replay_events(plain) if "messageStop" in e]
    assert stops == [{"stopReason": "end_turn"}]


def test_a_replayed_stream_translates_like_the_buffered_message() -> None:
    """The validated (replayed) Anthropic stream carries what the non-stream message does."""
    translator = AnthropicStreamTranslator(model="m", request_id="r")
    out = [pair for event in replay_events(response()) for pair in translator.feed(event)]
    blocks = [data["content_block"] for name, data in out if name == "content_block_start"]
    assert blocks == [
        {"type": "redacted_thinking", "data": REDACTED},
        {"type": "text", "text": ""},
    ]
    (delta,) = [data for name, data in out if name == "message_delta"]
    assert delta["delta"] == {"stop_reason": "stop_sequence", "stop_sequence": "END"}
    message = to_message(response(), model="m", request_id="r")
    assert [b["type"] for b in message["content"]] == ["redacted_thinking", "text"]
    assert message["stop_sequence"] == "END"
