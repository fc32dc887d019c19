"""Bedrock's per-image limits (5 MB of base64, i.e. 3,932,160 bytes, and 8000 pixels a side)
are refused by every door and the client before any call: a 400 naming the image, no Bedrock
round trip and no ledger row. The emulator's own refusals are in
tests/emulator/test_emu_refusals.py (image-size, image-pixels)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tierwise.core.preflight import MAX_IMAGE_BYTES, image_dimensions
from tierwise.errors import InvalidRequestError


def png(width: int, height: int, size: int = 0) -> bytes:
    """PNG bytes whose header says ``width`` x ``height``, padded to ``size`` bytes."""
    header = b"\x00\x00\x00\x0dIHDR" + width.to_bytes(4, "big") + height.to_bytes(4, "big")
    data = b"\x89PNG\r\n\x1a\n" + header + b"\x08\x02\x00\x00\x00"
    return data + b"\x00" * max(0, size - len(data))


TOO_BIG = png(10, 10, MAX_IMAGE_BYTES + 1)
TOO_WIDE = png(8001, 2)
LIMITS = [
    pytest.param(TOO_BIG, "3,932,161 bytes (5,242,884 as base64)", id="bytes"),
    pytest.param(TOO_WIDE, "8001x2 pixels", id="pixels"),
]


def _post(gateway: Any, path: str, body: dict[str, Any]) -> httpx.Response:
    headers = {"authorization": f"Bearer {gateway.key}", "x-api-key": gateway.key}
    return httpx.post(gateway.url + path, json=body, headers=headers, timeout=60)


def _chat(gateway: Any, data: bytes) -> httpx.Response:
    url = "data:image/png;base64," + base64.b64encode(data).decode()
    content = [{"type": "text", "text": "hi"}, {"type": "image_url", "image_url": {"url": url}}]
    body = {"model": "haiku", "messages": [{"role": "user", "content": content}]}
    return _post(gateway, "/v1/chat/completions", body)


def _responses(gateway: Any, data: bytes) -> httpx.Response:
    url = "data:image/png;base64," + base64.b64encode(data).decode()
    content = [{"type": "input_text", "text": "hi"}, {"type": "input_image", "image_url": url}]
    body = {"model": "haiku", "input": [{"role": "user", "content": content}]}
    return _post(gateway, "/v1/responses", body)


def _messages(gateway: Any, data: bytes) -> httpx.Response:
    source = {"type": "base64", "media_type": "image/png", "data": base64.b64encode(data).decode()}
    content = [{"type": "text", "text": "hi"}, {"type": "image", "source": source}]
    body = {"model": "haiku", "max_tokens": 50, "messages": [{"role": "user", "content": content}]}
    return _post(gateway, "/v1/messages", body)


DOORS: dict[str, Callable[[Any, bytes], httpx.Response]] = {
    "chat": _chat,
    "responses": _responses,
    "messages": _messages,
}


def _counts(gateway: Any) -> tuple[int, int]:
    return gateway.emulator.stats["total"], len(gateway.tierwise.ledger.rows())


@pytest.mark.parametrize("door", DOORS)
@pytest.mark.parametrize(("data", "said"), LIMITS)
def test_every_door_refuses_an_image_over_bedrock_limits(
    gateway: Any, door: str, data: bytes, said: str
) -> None:
    before = _counts(gateway)
    r = DOORS[door](gateway, data)
    assert r.status_code == 400, r.text
    message = r.json()["error"]["message"]
    assert said in message and "Bedrock refuses an image over" in message, message
    assert "downscale or recompress" in message  # the hint says what to do
    assert _counts(gateway) == before


@pytest.mark.parametrize(("data", "said"), LIMITS)
def test_the_client_refuses_an_image_over_bedrock_limits(
    gateway: Any, data: bytes, said: str
) -> None:
    before = _counts(gateway)
    image = {"image": {"format": "png", "source": {"bytes": data}}}
    with pytest.raises(InvalidRequestError) as info:
        gateway.tierwise.converse(
            modelId="haiku", messages=[{"role": "user", "content": [{"text": "hi"}, image]}]
        )
    assert said in info.value.message
    assert info.value.param == "messages[0].content[1].image"
    assert _counts(gateway) == before


@pytest.mark.parametrize("door", DOORS)
def test_an_image_at_the_limits_is_sent(gateway: Any, door: str) -> None:
    r = DOORS[door](gateway, png(8000, 8000, MAX_IMAGE_BYTES))
    assert r.status_code == 200, r.text


def test_image_dimensions_of_hand_made_headers() -> None:
    assert image_dimensions(png(8001, 2)) == (8001, 2)
    gif = b"GIF89a" + (300).to_bytes(2, "little") + (9000).to_bytes(2, "little")
    assert image_dimensions(gif) == (300, 9000)
    # A JFIF segment, then the frame header (SOF0): height 8001, width 16.
    assert image_dimensions(
        b"\xff\xd8\xff\xe0\x00\x04\x00\x00\xff\xc0\x00\x11\x08\x1f\x41\x00\x10"
    ) == (16, 8001)
    assert image_dimensions(b"not an image") is None


@pytest.mark.parametrize("in_tool_results", [False, True], ids=["messages", "tool-results"])
def test_the_client_refuses_more_images_than_bedrock_takes_in_one_request(
    gateway: Any, in_tool_results: bool
) -> None:
    # Bedrock counts the images over the whole request, tool results included: 11 in each of
    # two turns is 22, refused before any call, though no one message holds more than 20.
    image = {"image": {"format": "png", "source": {"bytes": png(2, 2)}}}
    if in_tool_results:
        use = {"toolUse": {"toolUseId": "t1", "name": "snap", "input": {}}}
        result = {"toolResult": {"toolUseId": "t1", "content": [image] * 11}}
        messages = [
            {"role": "user", "content": [{"text": "take pictures"}, *[image] * 11]},
            {"role": "assistant", "content": [use]},
            {"role": "user", "content": [result, {"text": "which is sharpest?"}]},
        ]
        tools = {"tools": [{"toolSpec": {"name": "snap", "inputSchema": {"json": {}}}}]}
        extra: dict[str, Any] = {"toolConfig": tools}
    else:
        messages = [
            {"role": "user", "content": [{"text": "these"}, *[image] * 11]},
            {"role": "assistant", "content": [{"text": "seen"}]},
            {"role": "user", "content": [{"text": "and these"}, *[image] * 11]},
        ]
        extra = {}
    before = _counts(gateway)
    with pytest.raises(InvalidRequestError) as info:
        gateway.tierwise.converse(modelId="haiku", messages=messages, **extra)
    assert "more than 20 images" in info.value.message
    assert "split the work" in (info.value.hint or "")
    assert _counts(gateway) == before


def test_twenty_images_over_the_request_are_sent(gateway: Any) -> None:
    image = {"image": {"format": "png", "source": {"bytes": png(2, 2)}}}
    messages = [{"role": "user", "content": [{"text": "these"}, *[image] * 20]}]
    calls, rows = _counts(gateway)
    gateway.tierwise.converse(modelId="haiku", messages=messages)
    assert _counts(gateway) == (calls + 1, rows + 1)
