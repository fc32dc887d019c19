"""The eventstream encoder against botocore's own decoder."""

from __future__ import annotations

import json

import pytest
from botocore.eventstream import ChecksumMismatch, EventStreamBuffer

from tierwise.emulator.eventstream import encode_frame, event_frame, exception_frame


def _decode(data: bytes, chunk: int = 7) -> list[object]:
    buffer = EventStreamBuffer()
    out = []
    for i in range(0, len(data), chunk):
        buffer.add_data(data[i : i + chunk])
        out.extend(buffer)
    return out


def test_frames_round_trip_through_botocore_in_small_chunks() -> None:
    frames = [
        event_frame("messageStart", {"role": "assistant"}),
        event_frame("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "héllo ✓"}}),
        encode_frame({":message-type": "event", "x": "y" * 300}, b""),
    ]
    messages = _decode(b"".join(frames))
    assert len(messages) == 3
    first, second, third = messages
    assert first.headers == {  # type: ignore[attr-defined]
        ":event-type": "messageStart",
        ":content-type": "application/json",
        ":message-type": "event",
    }
    assert json.loads(first.payload) == {"role": "assistant"}  # type: ignore[attr-defined]
    assert json.loads(second.payload)["delta"]["text"] == "héllo ✓"  # type: ignore[attr-defined]
    assert third.headers["x"] == "y" * 300  # type: ignore[attr-defined]
    assert third.payload == b""  # type: ignore[attr-defined]


def test_exception_frame_maps_to_an_error_response() -> None:
    (message,) = _decode(exception_frame("throttlingException", {"message": "slow down"}))
    response = message.to_response_dict()  # type: ignore[attr-defined]
    assert response["status_code"] == 400
    assert response["headers"][":exception-type"] == "throttlingException"
    assert json.loads(response["body"]) == {"message": "slow down"}


def test_a_corrupted_frame_fails_the_checksum() -> None:
    frame = bytearray(event_frame("messageStop", {"stopReason": "end_turn"}))
    frame[-6] ^= 0xFF  # inside the payload
    with pytest.raises(ChecksumMismatch):
        _decode(bytes(frame))


def test_oversized_payload_is_refused() -> None:
    with pytest.raises(ValueError, match="limit"):
        encode_frame({}, b"x" * (24 * 1024 * 1024 + 1))
