"""check_request sniffs image bytes, except those a door's image_block has checked."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from tierwise.core.preflight import (
    REFUSAL_MARGIN,
    CheckedImage,
    check_fits,
    check_request,
    image_block,
)
from tierwise.core.tokens import binary_document_tokens, count_request
from tierwise.errors import BedrockWouldRefuseError, InvalidRequestError

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


def _fits(request: dict[str, Any], tokens: int, margin: float) -> str | None:
    try:
        check_fits(
            request, model="Claude Haiku 4.5", context_window=200_000, long_context_window=None,
            output_limit=64_000, tokens=tokens, margin=margin,
        )  # fmt: skip
    except InvalidRequestError as refused:
        return refused.message
    return None


def test_the_refusal_leaves_a_band_over_the_window_to_bedrock() -> None:
    # tierwise counts ~4 characters a token; "word " * 168,000 is ~168k real tokens (one per
    # " word"), counted 210k: refusing it would turn away a call Bedrock serves.
    text = "word " * 168_000
    request = {"messages": [{"role": "user", "content": [{"text": text}]}]}
    counted = count_request(request)
    assert 200_000 < counted <= 200_000 * REFUSAL_MARGIN
    assert _fits(request, counted, REFUSAL_MARGIN) is None
    # Routing, which only prefers a tier that fits, still counts it as over.
    assert _fits(request, counted, 1.0) is not None
    much = {"messages": [{"role": "user", "content": [{"text": "word " * 240_000}]}]}
    refused = _fits(much, count_request(much), REFUSAL_MARGIN)
    assert refused is not None and "about 300,00" in refused


def test_documents_given_as_bytes_are_bedrocks_to_count() -> None:
    # A 1.2 MB PDF counts 300k at its byte length; Bedrock counts the text it extracts (a
    # 40-page report: tens of thousands of tokens), so it is not refused on that count.
    pdf = b"%PDF-1.7\n" + bytes(1_200_000)
    document = {"document": {"format": "pdf", "name": "report", "source": {"bytes": pdf}}}
    request = {"messages": [{"role": "user", "content": [document, {"text": "Summarize."}]}]}
    counted = count_request(request)
    assert counted > 300_000
    assert binary_document_tokens(request) > 299_000
    assert _fits(request, counted, 1.0) is None
    # In a tool result too; a document given as text is counted like any text.
    result = {"toolResult": {"toolUseId": "t1", "content": [document]}}
    in_tool = {"messages": [{"role": "user", "content": [result]}]}
    assert _fits(in_tool, count_request(in_tool), 1.0) is None
    text_doc = {"document": {"format": "txt", "name": "r", "source": {"text": "word " * 240_000}}}
    as_text = {"messages": [{"role": "user", "content": [text_doc, {"text": "Summarize."}]}]}
    assert binary_document_tokens(as_text) == 0
    assert _fits(as_text, count_request(as_text), REFUSAL_MARGIN) is not None


@pytest.mark.parametrize(
    ("budget", "cap", "betas", "refused"),
    [
        (500, 4000, [], "thinking budget_tokens 500 is below extended thinking's minimum of 1,024"),
        (4000, 2000, [], "thinking budget_tokens 4,000 is not below the request's maximum output "
                         "tokens 2,000"),
        (2000, 2000, [], "thinking budget_tokens 2,000 is not below"),
        (4000, 2000, ["interleaved-thinking-2025-05-14"], None),  # may pass max_tokens there
        (1024, 2000, [], None),
    ],
)  # fmt: skip
def test_a_thinking_budget_claude_refuses_is_refused_before_any_call(
    budget: int, cap: int, betas: list[str], refused: str | None
) -> None:
    # Bedrock refused each after a round trip ("`max_tokens` must be greater than
    # `thinking.budget_tokens`"), leaving an error row.
    request = {
        "messages": [{"role": "user", "content": [{"text": "think"}]}],
        "inferenceConfig": {"maxTokens": cap},
        "additionalModelRequestFields": {
            "thinking": {"type": "enabled", "budget_tokens": budget},
            "anthropic_beta": betas,
        },
    }
    if refused is None:
        check_request(request)
        return
    with pytest.raises(BedrockWouldRefuseError) as info:
        check_request(request)
    assert info.value.message.startswith(refused)
    assert info.value.param == "additionalModelRequestFields.thinking.budget_tokens"


@pytest.mark.parametrize(
    ("field", "value", "refused"),
    [
        ("temperature", 2, True), ("temperature", 1.0001, True), ("temperature", -0.1, True),
        ("topP", 1.5, True), ("temperature", 1, False), ("temperature", 0, False),
        ("topP", 0.9, False),
        ("temperature", True, False),  # botocore's type check refuses it, naming the type
    ],
)  # fmt: skip
def test_a_sampling_value_outside_0_to_1_is_refused_before_any_call(
    field: str, value: float, refused: bool
) -> None:
    # Converse takes temperature and topP from 0 to 1 (its service model); botocore checks
    # no maximum, so temperature=2 went to Bedrock and came back as its 400 and an error row.
    request = {
        "messages": [{"role": "user", "content": [{"text": "hi"}]}],
        "inferenceConfig": {field: value},
    }
    if not refused:
        check_request(request)
        return
    with pytest.raises(BedrockWouldRefuseError) as info:
        check_request(request)
    assert info.value.param == f"inferenceConfig.{field}"
    assert info.value.message.startswith(f"inferenceConfig.{field} {value!r} is outside 0 to 1")
    assert f"send a {field} from 0 to 1" in info.value.hint


@pytest.mark.parametrize("value", [Decimal("2"), Decimal("-0.1"), Fraction(3, 2)])
def test_a_decimal_sampling_value_is_checked_too(value: Any) -> None:
    # botocore takes a Decimal for a float: Decimal("2") went to Bedrock as 2 and came back
    # as its 400 and an error row.
    request = {
        "messages": [{"role": "user", "content": [{"text": "hi"}]}],
        "inferenceConfig": {"temperature": value},
    }
    with pytest.raises(BedrockWouldRefuseError) as info:
        check_request(request)
    assert info.value.param == "inferenceConfig.temperature"
    check_request({**request, "inferenceConfig": {"temperature": Decimal("0.5")}})


@pytest.mark.parametrize(
    ("thinking", "temperature", "refused"),
    [
        ({"type": "enabled", "budget_tokens": 2048}, 0.5, True),
        ({"type": "adaptive"}, Decimal("0"), True),
        ({"type": "enabled", "budget_tokens": 2048}, 1, False),
        ({"type": "enabled", "budget_tokens": 2048}, None, False),
        ({"type": "disabled"}, 0.5, False),
    ],
)
def test_thinking_with_another_temperature_is_refused_as_the_emulator_does(
    thinking: dict[str, Any], temperature: Any, refused: bool
) -> None:
    # The emulator (as Claude) refuses it; check_request passed it to a call and an error row.
    inference: dict[str, Any] = {"maxTokens": 4096}
    if temperature is not None:
        inference["temperature"] = temperature
    request = {
        "messages": [{"role": "user", "content": [{"text": "think"}]}],
        "inferenceConfig": inference,
        "additionalModelRequestFields": {"thinking": thinking},
    }
    if not refused:
        check_request(request)
        return
    with pytest.raises(BedrockWouldRefuseError) as info:
        check_request(request)
    assert info.value.param == "inferenceConfig.temperature"
    assert "with thinking on" in info.value.message
    assert "docs.claude.com/en/docs/build-with-claude/extended-thinking" in info.value.hint
