"""A stream that ends before Bedrock's usage event is billed an estimate: never more than
Bedrock could have billed it (``maxTokens`` of output, the prompt's upper bound of input),
so its row stays within the key's hold (the same bounds) and a budget stays a cap."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tierwise.client import Tierwise
from tierwise.config import Settings
from tierwise.core.budgets import worst_case_usage
from tierwise.core.metering import StreamMeter
from tierwise.core.tokens import count_text
from tierwise.errors import TierwiseError


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


def test_without_max_tokens_the_estimate_stays_within_the_models_limit() -> None:
    # Bedrock's default cap never passes the model's own output limit: the most it bills.
    usage, _ = _meter("=" * 400).billed(_request(None), output_limit=30)
    assert usage.output == 30
    usage, _ = _meter("=" * 400).billed(_request(40), output_limit=30)
    assert usage.output == 30


def test_a_stream_without_max_tokens_is_billed_no_more_than_its_model_can_produce(
    emu_settings: Settings, live_emulator: Any, tmp_path: Path
) -> None:
    # An unkeyed request is sent as the caller wrote it, without maxTokens; a stream that
    # broke before Bedrock's usage event was billed the estimate of its text, however far
    # that passed the model's limit (here 2 tokens, set low so the emulator's answer
    # passes it; a rule of "=" passes Claude's real limits the same way).
    data = emu_settings.model_dump(mode="json")
    for model in data["models"].values():
        model["max_output_tokens"] = 2
    settings = Settings.model_validate(data)
    live_emulator.faults.cut_stream_after = 6  # text deltas arrive, the usage event never
    url = f"sqlite:///{tmp_path / 'l.db'}"
    with Tierwise.from_settings(settings, ledger_url=url) as tw:
        response = tw.converse_stream(
            modelId="haiku",
            messages=[{"role": "user", "content": [{"text": "Explain TCP slow start"}]}],
        )
        text = ""
        with pytest.raises(TierwiseError):
            for event in response["stream"]:
                delta = (event.get("contentBlockDelta") or {}).get("delta") or {}
                text += delta.get("text", "")
        (row,) = tw.ledger.rows(request_id=response["tierwise"]["requestId"])
    assert count_text(text) > 2, "the emulator's text must pass the limit for this test"
    assert (row.metadata or {}).get("estimated") is True
    assert row.output_tokens == 2
