"""AnthropicEventWriter writes exactly what encoding each pair of the translator with
json.dumps wrote (the Messages door's encoding before the text-delta template), byte for
byte, whatever the events and however they are batched."""

from __future__ import annotations

import json
from typing import Any

import pytest
from gateway_testdata import TEXTS as BASE_TEXTS
from gateway_testdata import written_in_batches

from tierwise.core.convert.anthropic import AnthropicStreamTranslator
from tierwise.gateway.streaming import AnthropicEventWriter, sse_event

TEXTS = [*BASE_TEXTS, '"type":"text_delta","text":""']  # the text-delta template's own shape


def _before(name: str, payload: Any) -> bytes:
    """The door's encoding of one event before: json.dumps per event."""
    data = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    return f"event: {name}\ndata: {data}\n\n".encode()


def _text(text: Any, index: int = 0) -> dict[str, Any]:
    return {"contentBlockDelta": {"delta": {"text": text}, "contentBlockIndex": index}}


def _tool(index: int, name: str) -> dict[str, Any]:
    return {
        "contentBlockStart": {
            "start": {"toolUse": {"toolUseId": f"t{index}", "name": name}},
            "contentBlockIndex": index,
        }
    }


def _events() -> list[dict[str, Any]]:
    thinking = {"contentBlockDelta": {"delta": {"reasoningContent": {"text": "hmm"}}}}
    signed = {"contentBlockDelta": {"delta": {"reasoningContent": {"signature": "c2ln"}}}}
    redacted = {"contentBlockDelta": {"delta": {"reasoningContent": {"redactedContent": b"x"}}}}
    return [
        {"messageStart": {"role": "assistant"}},
        thinking,
        thinking,
        signed,
        {"contentBlockStop": {"contentBlockIndex": 0}},
        redacted,
        *[_text(t, 2) for t in TEXTS[:3]],  # a text block opened by its first delta
        _text(None, 2),
        _text(7, 2),
        {"contentBlockDelta": {"contentBlockIndex": 2}},
        {"contentBlockDelta": {"delta": {}, "contentBlockIndex": 2}},
        *[_text(t, 2) for t in TEXTS[3:]],
        {"contentBlockDelta": {"delta": {"text": "a", "extra": 1}, "contentBlockIndex": 2}},
        {"messageStart": {"role": "assistant"}, "contentBlockDelta": {"delta": {"text": "x"}}},
        {"contentBlockStop": {"contentBlockIndex": 2}},
        _tool(3, "lookup"),
        {
            "contentBlockDelta": {
                "delta": {"toolUse": {"input": '{"q": "é'}},
                "contentBlockIndex": 3,
            }
        },
        {"contentBlockStop": {"contentBlockIndex": 3}},
        _tool(4, "second"),  # dropped with single_tool_call: its deltas too
        {"contentBlockDelta": {"delta": {"toolUse": {"input": "{}"}}, "contentBlockIndex": 4}},
        _text("text in a dropped block", 4),
        {"contentBlockStop": {"contentBlockIndex": 4}},
        _text("after the tool calls", 5),
        {"messageStop": {"stopReason": "tool_use"}},
        _text("after the end", 6),
        {"metadata": {"usage": {"inputTokens": 9, "outputTokens": 4, "totalTokens": 13}}},
    ]


def _translator(single_tool_call: bool) -> AnthropicStreamTranslator:
    return AnthropicStreamTranslator(
        model='odd "model" é', request_id='req-"1"-é', single_tool_call=single_tool_call
    )


@pytest.mark.parametrize("single_tool_call", [False, True])
@pytest.mark.parametrize("batch", [1, 3, 100])
def test_the_writer_writes_the_translators_events_byte_for_byte(
    single_tool_call: bool, batch: int
) -> None:
    events = _events()
    before = _translator(single_tool_call)
    writer = AnthropicEventWriter(_translator(single_tool_call))
    body = written_in_batches(
        writer, lambda e: b"".join(_before(n, d) for n, d in before.feed(e)), events, batch
    )
    assert body.count(b"text_delta") >= len(TEXTS)
    assert "中文".encode() in body  # not escaped: ensure_ascii is off
    assert sse_event("e", {"a": "é", "b": [1, None]}) == _before("e", {"a": "é", "b": [1, None]})


def test_a_lone_surrogate_fails_as_before() -> None:
    opening = _text("open the block")
    event = _text("bad \ud800")
    before = _translator(False)
    before.feed(opening)
    with pytest.raises(UnicodeEncodeError):
        b"".join(_before(n, d) for n, d in before.feed(event))
    writer = AnthropicEventWriter(_translator(False))
    writer([opening])
    with pytest.raises(UnicodeEncodeError):
        writer([event])
