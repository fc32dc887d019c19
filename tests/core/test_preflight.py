"""check_request sniffs image bytes, except those a door's image_block has checked."""

from __future__ import annotations

from typing import Any

import pytest

from tierwise.core.preflight import CheckedImage, check_request, image_block
from tierwise.errors import InvalidRequestError

PNG = b"\x89PNG\r\n\x1a\n" + bytes(16)


def _with_image(data: bytes) -> dict[str, Any]:
    image = {"image": {"format": "png", "source": {"bytes": data}}}
    return {"messages": [{"role": "user", "content": [image, {"text": "what is this?"}]}]}


def test_image_bytes_that_are_no_image_are_refused() -> None:
    with pytest.raises(InvalidRequestError) as info:
        check_request(_with_image(b"GIF89a" + bytes(16)))
    assert info.value.param == "messages[0].content[0].image"
    check_request(_with_image(PNG))


def test_a_doors_checked_image_is_not_sniffed_again(monkeypatch: pytest.MonkeyPatch) -> None:
    block = image_block(PNG, "png", "image_url.url", "image_url", "send a PNG")
    data = block["image"]["source"]["bytes"]
    assert isinstance(data, CheckedImage) and data == PNG
    sniffed: list[bytes] = []
    monkeypatch.setattr("tierwise.core.preflight.sniff_image", sniffed.append)
    request = {"messages": [{"role": "user", "content": [block, {"text": "what is this?"}]}]}
    check_request(request)
    assert sniffed == []
    with pytest.raises(InvalidRequestError):
        check_request(_with_image(PNG))  # plain bytes are sniffed (and fail the stub)
    assert sniffed == [PNG]


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_a_blank_text_block_is_refused_before_any_call(text: str) -> None:
    request = {"messages": [{"role": "user", "content": [{"text": "hi"}, {"text": text}]}]}
    with pytest.raises(InvalidRequestError, match=r"messages\[0\]\.content\[1\]\.text is blank"):
        check_request(request)


def test_text_with_content_passes() -> None:
    check_request({"messages": [{"role": "user", "content": [{"text": " hi "}]}]})


@pytest.mark.parametrize(
    ("request_", "param"),
    [
        ({}, "messages"),
        ({"messages": []}, "messages"),
        ({"messages": [{"role": "assistant", "content": [{"text": "hi"}]}]}, "messages[0].role"),
        (
            {"messages": [{"role": "user", "content": [{"text": "a"}]},
                          {"role": "assistant", "content": []}]},
            "messages[1].content",
        ),
    ],
)  # fmt: skip
def test_a_conversation_bedrock_would_refuse_is_refused_before_any_call(
    request_: dict[str, Any], param: str
) -> None:
    # The gateway's doors refuse these; a Python caller's went to Bedrock, came back as its
    # 400 ("A conversation must start with a user message") and left an error row.
    with pytest.raises(InvalidRequestError) as info:
        check_request(request_)
    assert info.value.param == param
    # A Prompt management prompt brings its own messages: the request's may be absent.
    check_request({**request_, "messages": request_.get("messages", [])}, prompt=True)
