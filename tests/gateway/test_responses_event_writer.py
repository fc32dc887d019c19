"""ResponsesEventWriter writes exactly what encoding each pair of the translator with
json.dumps wrote (the Responses door's encoding before the text-delta template), byte for
byte, whatever the events and however they are batched, and leaves the translator as
``feed`` leaves it (the final snapshot holds the same text)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from gateway_testdata import TEXTS as BASE_TEXTS
from gateway_testdata import written_in_batches

from tierwise.core.convert.responses import ResponsesStreamTranslator
from tierwise.gateway.streaming import ResponsesEventWriter

# The text-delta template's own shape, and a text that looks like the rest of it.
TEXTS = [*BASE_TEXTS, '"delta":"","logprobs":[]}', '"sequence_number":1,"item_id":"x"']


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
    signed = {
        "contentBlockDelta": {
            "delta": {"reasoningContent": {"signature": "c2ln"}},
            "contentBlockIndex": 0,
        }
    }
    thinking["contentBlockDelta"]["contentBlockIndex"] = 0
    return [
        {"messageStart": {"role": "assistant"}},
        thinking,
        thinking,
        signed,
        {"contentBlockStop": {"contentBlockIndex": 0}},
        *[_text(t, 2) for t in TEXTS[:3]],  # a message item opened by its first delta
        {"contentBlockDelta": {"delta": {}, "contentBlockIndex": 2}},
        *[_text(t, 2) for t in TEXTS[3:]],
        {"contentBlockDelta": {"delta": {"text": "a", "extra": 1}, "contentBlockIndex": 2}},
        {"messageStart": {"role": "assistant"}, "contentBlockDelta": {"delta": {"text": "x"}}},
        _text("a second message item", 7),
        _text("back to the first", 2),
        {"contentBlockStop": {"contentBlockIndex": 2}},
        _tool(3, "lookup"),
        {
            "contentBlockDelta": {
                "delta": {"toolUse": {"input": '{"q": "é'}},
                "contentBlockIndex": 3,
            }
        },
        {"contentBlockStop": {"contentBlockIndex": 3}},
        _tool(4, "second"),  # dropped when parallel tool calls are off: its deltas too
        {"contentBlockDelta": {"delta": {"toolUse": {"input": "{}"}}, "contentBlockIndex": 4}},
        {"contentBlockStop": {"contentBlockIndex": 4}},
        _text("after the tool calls", 5),
        {"messageStop": {"stopReason": "tool_use"}},
        _text("after the end", 6),
        {"metadata": {"usage": {"inputTokens": 9, "outputTokens": 4, "totalTokens": 13}}},
    ]


def _translator(parallel: bool) -> ResponsesStreamTranslator:
    return ResponsesStreamTranslator(
        echo={"parallel_tool_calls": parallel, "instructions": 'odd "echo" é'},
        model='odd "model" é',
        request_id='req-"1"-é\\',
        created=1,
    )


@pytest.mark.parametrize("parallel", [False, True])
@pytest.mark.parametrize("batch", [1, 3, 100])
def test_the_writer_writes_the_translators_events_byte_for_byte(parallel: bool, batch: int) -> None:
    events = _events()
    before = _translator(parallel)
    after = _translator(parallel)
    writer = ResponsesEventWriter(after)
    body = written_in_batches(
        writer, lambda e: b"".join(_before(n, d) for n, d in before.feed(e)), events, batch
    )
    assert body.count(b"event: response.output_text.delta\n") >= len(TEXTS) + 3
    assert "中文".encode() in body  # not escaped: ensure_ascii is off
    assert after.response == before.response
    assert after._seq == before._seq


def test_only_a_text_delta_to_an_open_message_takes_the_template() -> None:
    translator = _translator(True)
    assert translator.text_delta(_text("no item open yet")) is None
    translator.feed(_text("opened", 1))
    assert translator.text_delta(_text(" more", 1)) == (4, 'msg_req-"1"-é\\_1', 0, " more")
    text = translator.response["output"][0]["content"][0]["text"]
    assert text == "opened more"
    for odd in [
        _text(None, 1),
        _text(7, 1),
        {"contentBlockDelta": {"delta": {"text": "x"}, "contentBlockIndex": "1"}},
        {"contentBlockDelta": {"delta": "x", "contentBlockIndex": 1}},
        {"contentBlockDelta": {"delta": {"text": "x"}}},
        {"contentBlockDelta": {"delta": {"text": "x"}, "contentBlockIndex": 1}, "x": 1},
    ]:
        assert translator.text_delta(odd) is None
    assert translator._seq == 4


@pytest.mark.parametrize(
    ("opening", "event", "error"),
    [
        (_text("open the item"), _text(None), TypeError),
        (_text("open the item"), _text(7), TypeError),
        (_text("open the item"), _text(["a"]), TypeError),
        (_tool(0, "lookup"), _text("text to a function call"), KeyError),
    ],
)
def test_what_failed_fails_as_before(
    opening: dict[str, Any], event: dict[str, Any], error: type[Exception]
) -> None:
    before = _translator(True)
    before.feed(opening)
    with pytest.raises(error):
        before.feed(event)
    after = _translator(True)
    writer = ResponsesEventWriter(after)
    writer([opening])
    with pytest.raises(error):
        writer([event])
    assert after.response == before.response
    assert after._seq == before._seq


def test_a_lone_surrogate_fails_as_before() -> None:
    opening = _text("open the item")
    event = _text("bad \ud800")
    before = _translator(True)
    before.feed(opening)
    with pytest.raises(UnicodeEncodeError):
        b"".join(_before(n, d) for n, d in before.feed(event))
    after = _translator(True)
    writer = ResponsesEventWriter(after)
    writer([opening])
    with pytest.raises(UnicodeEncodeError):
        writer([event])
    assert after.response == before.response
    assert after._seq == before._seq
