"""OpenAIChunkWriter writes exactly what encoding each translated chunk with sse_data wrote
(the gateway's encoding before the text-delta template), byte for byte."""

from __future__ import annotations

from typing import Any

import pytest
from gateway_testdata import TEXTS as BASE_TEXTS
from gateway_testdata import written_in_batches

from tierwise.core.convert.openai import OpenAIStreamTranslator
from tierwise.gateway.streaming import OpenAIChunkWriter, sse_data

TEXTS = [*BASE_TEXTS, '"content":""']  # the text-delta template's own shape


def _events() -> list[dict[str, Any]]:
    text = [{"contentBlockDelta": {"delta": {"text": t}, "contentBlockIndex": 0}} for t in TEXTS]
    return [
        {"messageStart": {"role": "assistant"}},
        *text[:3],
        {"contentBlockDelta": {"delta": {"text": None}, "contentBlockIndex": 0}},
        {"contentBlockDelta": {"delta": {"text": 7}, "contentBlockIndex": 0}},
        *text[3:],
        {"contentBlockDelta": {"contentBlockIndex": 0}},
        {"contentBlockDelta": {"delta": {"reasoningContent": {"text": "think"}}}},
        {"contentBlockStop": {"contentBlockIndex": 0}},
        {
            "contentBlockStart": {
                "start": {"toolUse": {"toolUseId": "t1", "name": "lookup"}},
                "contentBlockIndex": 1,
            }
        },
        {
            "contentBlockDelta": {
                "delta": {"toolUse": {"input": '{"q": "é'}},
                "contentBlockIndex": 1,
            }
        },
        {
            "contentBlockStart": {
                "start": {"toolUse": {"toolUseId": "t2", "name": "second"}},
                "contentBlockIndex": 2,
            }
        },
        {"contentBlockDelta": {"delta": {"toolUse": {"input": "{}"}}, "contentBlockIndex": 2}},
        {"messageStart": {"role": "assistant"}, "contentBlockDelta": {"delta": {"text": "x"}}},
        {"messageStop": {"stopReason": "tool_use"}},
        {"metadata": {"usage": {"inputTokens": 9, "outputTokens": 4, "totalTokens": 13}}},
    ]


def _translator(model: str, single_tool_call: bool) -> OpenAIStreamTranslator:
    return OpenAIStreamTranslator(
        model=model,
        request_id='req-"1"-é',
        created=1_700_000_000,
        include_usage=True,
        single_tool_call=single_tool_call,
    )


@pytest.mark.parametrize("model", ["global.anthropic.claude-sonnet", 'odd "model" é \\ name'])
@pytest.mark.parametrize("single_tool_call", [False, True])
@pytest.mark.parametrize("batch", [1, 3, 100])
def test_the_writer_writes_the_translators_chunks_byte_for_byte(
    model: str, single_tool_call: bool, batch: int
) -> None:
    events = _events()
    before = _translator(model, single_tool_call)
    writer = OpenAIChunkWriter(_translator(model, single_tool_call))
    body = written_in_batches(
        writer, lambda e: b"".join(sse_data(c) for c in before.feed(e)), events, batch
    )
    assert body.count(b"data: ") >= len(TEXTS)
    assert "中文".encode() in body  # not escaped: ensure_ascii is off


def test_a_lone_surrogate_fails_as_before() -> None:
    event = {"contentBlockDelta": {"delta": {"text": "bad \ud800"}, "contentBlockIndex": 0}}
    before = _translator("m", False)
    with pytest.raises(UnicodeEncodeError):
        b"".join(sse_data(c) for c in before.feed(event))
    with pytest.raises(UnicodeEncodeError):
        OpenAIChunkWriter(_translator("m", False))([event])
