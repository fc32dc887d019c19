"""Which Claude models refuse temperature with top_p, and how a request is settled."""

from __future__ import annotations

import pytest

from tierwise.core.sampling import (
    refuses_temperature_with_top_p,
    settle_long_context,
    settle_sampling,
)


@pytest.mark.parametrize(
    ("model_id", "refuses"),
    [
        ("global.anthropic.claude-haiku-4-5-20251001-v1:0", True),
        ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", True),
        ("anthropic.claude-sonnet-4-6", True),
        ("global.anthropic.claude-opus-4-5-20251101-v1:0", True),
        ("us.anthropic.claude-opus-4-1-20250805-v1:0", True),
        ("global.anthropic.claude-opus-4-6-v1", True),
        ("us.anthropic.claude-opus-4-20250514-v1:0", False),
        ("us.anthropic.claude-sonnet-4-20250514-v1:0", False),
        ("us.anthropic.claude-3-7-sonnet-20250219-v1:0", False),
        ("anthropic.claude-3-5-haiku-20241022-v1:0", False),
        ("amazon.nova-pro-v1:0", False),
        (
            "arn:aws:bedrock:us-east-1:123456789012:inference-profile/"
            "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
            True,
        ),
    ],
)
def test_models_that_refuse_both(model_id: str, refuses: bool) -> None:
    assert refuses_temperature_with_top_p(model_id) is refuses


SONNET_45 = "global.anthropic.claude-sonnet-4-5-20250929-v1:0"
SONNET_37 = "us.anthropic.claude-3-7-sonnet-20250219-v1:0"


def test_keeps_temperature_and_drops_top_p() -> None:
    request = {"messages": [], "inferenceConfig": {"temperature": 0.2, "topP": 0.9, "maxTokens": 9}}
    settled, dropped = settle_sampling(request, [SONNET_45])
    assert settled["inferenceConfig"] == {"temperature": 0.2, "maxTokens": 9}
    assert dropped == ("top_p",)
    assert request["inferenceConfig"]["topP"] == 0.9  # the caller's dict is not changed


@pytest.mark.parametrize(
    "inference",
    [{"temperature": 0.2}, {"topP": 0.9}, {"maxTokens": 5}, {"temperature": None, "topP": 0.5}],
)
def test_one_or_none_is_left_alone(inference: dict[str, object]) -> None:
    settled, dropped = settle_sampling({"inferenceConfig": inference}, [SONNET_45])
    assert (settled["inferenceConfig"], dropped) == (inference, ())


def test_models_that_take_both_keep_both() -> None:
    request = {"inferenceConfig": {"temperature": 0.2, "topP": 0.9}}
    assert settle_sampling(request, [SONNET_37]) == (request, ())
    # Any refusing model the request may reach (escalation, fallback) settles it.
    assert settle_sampling(request, [SONNET_37, SONNET_45])[1] == ("top_p",)


def test_the_1m_beta_is_settled_per_attempts_models() -> None:
    request = {
        "messages": [],
        "additionalModelRequestFields": {
            "anthropic_beta": ["context-1m-2025-08-07", "interleaved-thinking-2025-05-14"],
            "top_k": 5,
        },
    }
    takes = {"sonnet": True, "haiku": False}.__getitem__
    assert settle_long_context(request, ["sonnet"], takes) == request
    # A profile that takes it keeps it: a prompt that needs it goes to that one.
    assert settle_long_context(request, ["haiku", "sonnet"], takes) == request
    assert settle_long_context(request, ["haiku"], takes)["additionalModelRequestFields"] == {
        "anthropic_beta": ["interleaved-thinking-2025-05-14"],
        "top_k": 5,
    }
    alone = {"messages": [], "additionalModelRequestFields": {"anthropic_beta": [
        "context-1m-2025-08-07"]}}  # fmt: skip
    assert settle_long_context(alone, ["haiku"], takes) == {"messages": []}
