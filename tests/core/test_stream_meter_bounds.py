"""A stream that ends before Bedrock's usage event is billed an estimate: never more than
Bedrock could have billed it (``maxTokens`` of output, the prompt's upper bound of input),
so its row stays within the key's hold (the same bounds) and a budget stays a cap."""

from __future__ import annotations

from typing import Any

from tierwise.core.budgets import worst_case_usage
from tierwise.core.metering import StreamMeter
from tierwise.core.tokens import count_text


def _request(max_tokens: int | None) -> dict[str, Any]:
    request: dict[str, Any] = {
        "messages": [{"role": "user", "content": [{"text": "Indent this JSON."}]}],
    }
    if max_tokens is not None:
        request["inferenceConfig"] = {"maxTokens": max_tokens}
    return request


def _meter(text: str) -> StreamMeter:
    meter = StreamMeter()
    meter.note({"contentBlockDelta": {"delta": {"text": text}}})
    return meter


def test_an_estimated_output_never_passes_max_tokens() -> None:
    # Indentation and rules ("        ", "========") are few tokens to Claude's tokenizer
    # but many to the ~4-characters-a-token estimate: 40 tokens of them read as 100. The
    # row counted 100 output tokens when Bedrock can bill at most maxTokens (40), so an
    # abandoned stream's row cost more than its key's hold, and the key's spend passed
    # its budget by the difference.
    text = "=" * 400
    assert count_text(text) == 100
    request = _request(40)
    usage, why = _meter(text).billed(request)
    assert usage.output == 40 and why is not None
    worst = worst_case_usage(request)
    assert usage.input <= worst.input and usage.output <= worst.output


def test_an_estimate_under_max_tokens_is_kept() -> None:
    usage, _ = _meter("word " * 20).billed(_request(400))
    assert usage.output == count_text("word " * 20)


def test_without_max_tokens_the_estimate_is_kept() -> None:
    # No maxTokens: Bedrock's default cap is not tierwise's to guess here (a keyed request
    # always has one set before it is sent, for its hold).
    usage, _ = _meter("=" * 400).billed(_request(None))
    assert usage.output == 100


def test_bedrocks_own_usage_is_never_capped() -> None:
    meter = _meter("=" * 400)
    usage = {"inputTokens": 7, "outputTokens": 55, "totalTokens": 62}
    meter.note({"metadata": {"usage": usage}})
    billed, why = meter.billed(_request(40))
    assert (billed.input, billed.output, why) == (7, 55, None)
