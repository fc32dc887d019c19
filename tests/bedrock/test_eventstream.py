"""stream_events against botocore's own EventStream: the same events, in the same key order,
and the same exceptions, for well-formed, unusual and corrupted frames in any chunking."""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Iterator
from typing import Any

import botocore.session
import pytest
from botocore.eventstream import EventStream
from botocore.parsers import RestJSONParser

from tierwise.bedrock.eventstream import EventBatches, FrameDecoder, stream_events
from tierwise.emulator.eventstream import encode_frame, event_frame, exception_frame

_OUTPUT: Any = (
    botocore.session.get_session()
    .get_service_model("bedrock-runtime")
    .operation_model("ConverseStream")
    .output_shape
)
_SHAPE = _OUTPUT.members["stream"]


class _Body:
    """An HTTP body as botocore's event stream reads it: ``stream()`` yields the bytes."""

    def __init__(self, data: bytes, size: int) -> None:
        self._data = data
        self._size = size

    def stream(self) -> Iterator[bytes]:
        for i in range(0, len(self._data), self._size):
            yield self._data[i : i + self._size]

    def close(self) -> None:
        """Nothing to release."""


def _botocore_stream(data: bytes, size: int) -> EventStream[Any]:
    response = {"body": _Body(data, size), "context": {"operation_name": "ConverseStream"}}
    parser: Any = RestJSONParser()  # botocore builds a response's stream this way
    stream: EventStream[Any] = parser._create_event_stream(response, _SHAPE)
    return stream


def _run(events: Iterator[dict[str, Any]]) -> tuple[list[str], str | None]:
    """The events (repr keeps key order and types) and the exception that ended them."""
    seen: list[str] = []
    try:
        for event in events:
            seen.append(repr(event))
    except Exception as exc:
        response = getattr(exc, "response", None)
        return seen, f"{type(exc).__module__}.{type(exc).__name__}: {exc} {response!r}"
    return seen, None


def _raw(event_type: str, payload: bytes) -> bytes:
    headers = {
        ":event-type": event_type,
        ":content-type": "application/json",
        ":message-type": "event",
    }
    return encode_frame(headers, payload)


def _typed_header_frame() -> bytes:
    """A frame with an int32 header (type 4): not a string, so botocore decodes it."""
    head = b"".join(
        struct.pack("!B", len(k)) + k.encode() + struct.pack("!BH", 7, len(v)) + v.encode()
        for k, v in {":event-type": "messageStart", ":message-type": "event"}.items()
    ) + (struct.pack("!B", 5) + b"count" + struct.pack("!Bi", 4, -7))
    payload = b'{"role":"assistant"}'
    prelude = struct.pack("!II", len(head) + len(payload) + 16, len(head))
    body = prelude + struct.pack("!I", zlib.crc32(prelude)) + head + payload
    return body + struct.pack("!I", zlib.crc32(body))


ANSWER = [
    event_frame("messageStart", {"role": "assistant", "p": "abcd"}),
    event_frame("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Hi"}, "p": "ab"}),
    event_frame("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": 'é ✓ "q" \\ \n'}}),
    event_frame("contentBlockDelta", {"delta": {"text": ""}, "contentBlockIndex": 0}),
    event_frame("contentBlockStop", {"contentBlockIndex": 0}),
    event_frame(
        "contentBlockStart",
        {"contentBlockIndex": 1, "start": {"toolUse": {"toolUseId": "t1", "name": "get"}}},
    ),
    event_frame(
        "contentBlockDelta", {"contentBlockIndex": 1, "delta": {"toolUse": {"input": "{"}}}
    ),
    event_frame(
        "contentBlockDelta",
        {"contentBlockIndex": 2, "delta": {"reasoningContent": {"text": "hm"}}},
    ),
    event_frame(
        "contentBlockDelta",
        {"contentBlockIndex": 2, "delta": {"reasoningContent": {"signature": "s"}}},
    ),
    event_frame(
        "contentBlockDelta",
        {"contentBlockIndex": 2, "delta": {"reasoningContent": {"redactedContent": "aGk="}}},
    ),
    event_frame("messageStop", {"stopReason": "end_turn", "additionalModelResponseFields": None}),
    event_frame(
        "metadata",
        {
            "usage": {"inputTokens": 12, "outputTokens": 3, "totalTokens": 15},
            "metrics": {"latencyMs": 40},
            "p": "x",
        },
    ),
]

# Text deltas the fast path must leave to botocore (and botocore's answer for each).
ODD_DELTAS = [
    event_frame("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "a"}, "x": 1}),
    event_frame("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": None}}),
    event_frame("contentBlockDelta", {"contentBlockIndex": None, "delta": {"text": "a"}}),
    event_frame("contentBlockDelta", {"delta": {"text": "a"}}),
    event_frame("contentBlockDelta", {"contentBlockIndex": True, "delta": {"text": "a"}}),
    event_frame("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"unknownKind": 1}}),
    event_frame("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": 5}}),
    event_frame("contentBlockDelta", {"contentBlockIndex": 0}),
    event_frame("contentBlockDelta", []),  # type: ignore[arg-type]
    _raw("contentBlockDelta", b"not json"),
    _raw("contentBlockDelta", b""),
    # Blanks around the JSON, or more after it: the fast path's scan stops short of these.
    _raw("contentBlockDelta", b' \n{"contentBlockIndex":0,"delta":{"text":"a"}}\r\n '),
    _raw("contentBlockDelta", b'{"contentBlockIndex":0,"delta":{"text":"a"}} {}'),
    _raw("contentBlockDelta", b'{"contentBlockIndex":0,"delta":{"text":"a"}'),
    _raw("contentBlockDelta", '{"contentBlockIndex":0,"delta":{"text":"é"}}'.encode("utf-16")),
    encode_frame({":event-type": "contentBlockDelta", ":message-type": "weird"}, b"{}"),
    event_frame("someFutureEvent", {"a": 1}),
    _typed_header_frame(),
]

ENDINGS = [
    exception_frame("throttlingException", {"message": "slow down"}),
    exception_frame(
        "modelStreamErrorException",
        {"message": "boom", "originalStatusCode": 500, "originalMessage": "x"},
    ),
    exception_frame("validationException", {}),
    exception_frame("notModelled", {"message": "?"}),
    encode_frame(
        {":message-type": "error", ":error-code": "Internal", ":error-message": "bad"}, b""
    ),
]


def _corrupt(frame: bytes, at: int) -> bytes:
    return frame[:at] + bytes([frame[at] ^ 0x01]) + frame[at + 1 :]


CORRUPTED = [
    _corrupt(ANSWER[1], 30),  # payload: the message CRC fails
    _corrupt(ANSWER[1], 2),  # length: the prelude CRC fails
    _corrupt(ANSWER[1], len(ANSWER[1]) - 1),  # the message CRC itself
]


def _sizes(data: bytes) -> list[int]:
    return [1, 7, 13, 64, len(data) or 1]


@pytest.mark.parametrize("ending", [None, *ENDINGS, *CORRUPTED])
def test_an_answer_decodes_as_botocore_decodes_it(ending: bytes | None) -> None:
    data = b"".join(ANSWER) + (ending or b"") + ANSWER[1]
    for size in _sizes(data):
        expected = _run(iter(_botocore_stream(data, size)))
        assert _run(stream_events(_botocore_stream(data, size))) == expected, size
        assert len(expected[0]) >= len(ANSWER) if ending is None else expected[1] is not None


@pytest.mark.parametrize("frame", ODD_DELTAS)
def test_unusual_events_decode_as_botocore_decodes_them(frame: bytes) -> None:
    data = ANSWER[1] + frame + ANSWER[2]
    for size in _sizes(data):
        expected = _run(iter(_botocore_stream(data, size)))
        assert _run(stream_events(_botocore_stream(data, size))) == expected, size


def test_duplicate_headers_and_oversized_frames_fail_as_in_botocore() -> None:
    duplicate = encode_frame({":message-type": "event", ":event-type": "x"}, b"{}")
    head_end = 12 + struct.unpack_from("!I", duplicate, 4)[0]
    name = b"\x0b:event-type\x07\x00\x01x"
    twice = duplicate[12:head_end] + name
    prelude = struct.pack("!II", len(twice) + 2 + 16, len(twice))
    body = prelude + struct.pack("!I", zlib.crc32(prelude)) + twice + b"{}"
    duplicated = body + struct.pack("!I", zlib.crc32(body))
    huge = struct.pack("!II", 30 * 1024 * 1024, 0)
    oversized = huge + struct.pack("!I", zlib.crc32(huge)) + b"\0" * 20
    for data in (ANSWER[1] + duplicated, ANSWER[1] + oversized):
        for size in _sizes(data):
            expected = _run(iter(_botocore_stream(data, size)))
            assert expected[1] is not None
            assert _run(stream_events(_botocore_stream(data, size))) == expected


def test_frames_split_anywhere_come_out_whole_and_in_order() -> None:
    data = b"".join(ANSWER)
    whole = list(FrameDecoder().feed(data))
    assert [h[":event-type"] for h, _ in whole][:2] == ["messageStart", "contentBlockDelta"]
    assert len(whole) == len(ANSWER)
    for cut in range(1, len(data)):
        decoder = FrameDecoder()
        assert [*decoder.feed(data[:cut]), *decoder.feed(data[cut:])] == whole
    assert json.loads(whole[1][1])["delta"] == {"text": "Hi"}


@pytest.mark.parametrize("bad", CORRUPTED)
def test_frames_in_one_call_stop_at_a_bad_frame_with_its_error(bad: bytes) -> None:
    """FrameDecoder.frames (what EventBatches reads per read): the frames before a bad one,
    then the error feed raises after yielding them, which is botocore's error."""
    data = ANSWER[0] + ANSWER[1] + bad + ANSWER[2]
    frames, failure = FrameDecoder().frames(data)
    yielded: list[tuple[dict[str, Any], bytes]] = []
    with pytest.raises(Exception) as raised:
        for frame in FrameDecoder().feed(data):
            yielded.append(frame)
    assert frames == yielded == list(FrameDecoder().feed(ANSWER[0] + ANSWER[1]))
    assert type(failure) is type(raised.value) and str(failure) == str(raised.value)
    expected = _run(iter(_botocore_stream(data, len(data))))
    assert expected[1] is not None and type(failure).__name__ in expected[1]
    assert FrameDecoder().frames(ANSWER[0] + ANSWER[1][:20]) == (
        list(FrameDecoder().feed(ANSWER[0])),
        None,
    )


class _PushBody:
    """A body that takes a push handler, as LoopBody does (nothing to read here)."""

    def push(self, take: Any) -> bool:
        return take is not None

    async def read(self, fresh: bool = True) -> bytes | None:
        return b""

    def limit(self, idle_s: float, deadline: Any) -> None:
        """Not waited on here."""


class _MessyParser:
    """botocore's parser, then the response's headers emptied, as a parser may use them."""

    def __init__(self, parser: Any) -> None:
        self._parser = parser

    def parse(self, response: Any, shape: Any) -> Any:
        parsed = self._parser.parse(response, shape)
        response["headers"].clear()
        return parsed


def test_pushed_frames_decode_as_botocore_and_leave_the_shared_header_blocks_alone() -> None:
    """EventBatches._take hands a frame's shared header block to the decode uncopied: the
    events are botocore's, and a parser that changes the headers it is given changes no
    later frame's (it gets a copy)."""
    frames = [f for f in ANSWER if f not in ANSWER[7:10]] * 2  # reasoning: botocore's too
    data = b"".join(frames)
    expected = _run(iter(_botocore_stream(data, len(data))))
    assert expected[1] is None
    stream = _botocore_stream(data, len(data))
    stream._parser = _MessyParser(stream._parser)  # type: ignore[attr-defined]
    batches = EventBatches(stream, _PushBody())
    seen: list[str] = []
    batches.push(lambda batch: seen.extend(repr(e) for e in batch) or True)
    for frame in frames:
        assert batches._take(frame) is True
    assert (seen, None) == expected


@pytest.mark.parametrize("bad", [*ENDINGS, *CORRUPTED])
def test_a_pushed_frame_that_is_no_plain_event_is_left_to_the_iterator(bad: bytes) -> None:
    """An error or exception frame, or a corrupted one, is not taken (None), before or
    after a frame of its kind has been seen, and the decoder is left as it was; a
    handler's error makes the wait end (False)."""
    batches = EventBatches(_botocore_stream(b"", 1), _PushBody())
    seen: list[dict[str, Any]] = []
    batches.push(lambda batch: seen.extend(batch) or True)
    for _ in range(2):
        assert batches._take(ANSWER[1]) is True
        assert batches._take(bad) is None
        decoder = batches._decoder
        assert (decoder._pos, decoder._checked) == (len(decoder._buf), False)
    assert len(seen) == 2

    def failing(batch: list[dict[str, Any]]) -> bool:
        raise RuntimeError("the handler's")

    batches.push(failing)
    assert batches._take(ANSWER[1]) is False
    assert isinstance(batches._error, RuntimeError)
