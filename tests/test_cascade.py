"""The cascade over real HTTP: validators, quality escalation, self-checks, error fallback."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from tierwise.client import Tierwise
from tierwise.config import Settings
from tierwise.core.hints import Hints
from tierwise.core.tiers import Tier
from tierwise.core.validators import Verdict
from tierwise.errors import AnswerRejectedError, ExhaustedError

SCHEMA = {
    "type": "object",
    "properties": {"label": {"type": "string"}},
    "required": ["label"],
}
JSON_PROMPT = "Answer in JSON with a label for: 'the app crashes on start'."


def user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": [{"text": text}]}]


def always_label(request: Any, response: Any) -> Verdict:
    return Verdict(True, "fine", "custom")


def test_invalid_json_on_haiku_is_escalated_to_sonnet_with_linked_rows(
    tw: Tierwise, live_emulator: Any
) -> None:
    live_emulator.misbehave("invalid_json", tier="haiku")
    response = tw.converse(
        modelId="haiku",
        messages=user(JSON_PROMPT),
        validate={"json_schema": {"type": "object"}},
        escalate=True,
    )
    info = response["tierwise"]
    assert info["tier"] == "sonnet" and info["accepted"] and info["escalated"]
    first, second = info["attempts"]
    assert (first["tier"], first["outcome"]) == ("haiku", "rejected")
    assert "not valid JSON" in first["reason"]
    assert (second["tier"], second["outcome"]) == ("sonnet", "accepted")
    rows = tw.ledger.rows(request_id=info["requestId"])
    assert [(r.attempt, r.tier, r.status) for r in rows] == [
        (1, "haiku", "rejected"),
        (2, "sonnet", "ok"),
    ]
    assert rows[0].rejection_reason and "JSON" in rows[0].rejection_reason
    assert rows[0].cost_usd > 0, "the rejected attempt is billed too"
    assert str(sum(r.cost_usd for r in rows)) == info["costUsd"]


def test_accepted_first_answer_is_not_escalated_and_says_so(tw: Tierwise) -> None:
    # The schema reaches the model (a forced tool), so the cheapest tier's answer fits it.
    response = tw.converse(
        modelId="haiku", messages=user(JSON_PROMPT), validate={"json_schema": SCHEMA | {}},
        escalate=True,
    )  # fmt: skip
    info = response["tierwise"]
    assert info["accepted"] and not info["escalated"]
    assert len(info["attempts"]) == 1
    assert info["attempts"][0]["reason"].startswith("accepted: json_schema")
    answer = json.loads(response["output"]["message"]["content"][-1]["text"])
    assert isinstance(answer["label"], str)
    assert response["stopReason"] == "end_turn"


def test_rejected_at_every_tier_is_an_error_not_a_success(tw: Tierwise, live_emulator: Any) -> None:
    for tier in ("haiku", "sonnet", "opus"):
        live_emulator.misbehave("invalid_json", tier=tier)
    with pytest.raises(AnswerRejectedError) as caught:
        tw.converse(
            modelId="haiku", messages=user(JSON_PROMPT), validate={"json_schema": SCHEMA},
            escalate=True,
        )  # fmt: skip
    error = caught.value
    assert error.response is not None
    info = error.response["tierwise"]
    assert not info["accepted"]
    # Escalation spends no more than max_attempts (3) allows, and says so.
    assert [a["tier"] for a in info["attempts"]] == ["haiku", "sonnet", "opus"]
    assert "not escalated" in info["attempts"][-1]["reason"]
    assert "haiku -> sonnet -> opus" in str(error) and "not valid JSON" in str(error)
    rows = tw.ledger.rows(request_id=error.request_id)
    assert [r.status for r in rows] == ["rejected"] * 3
    assert str(sum(r.cost_usd for r in rows)) == info["costUsd"]


def test_rejection_without_escalation_is_an_error_with_the_reason(
    tw: Tierwise, live_emulator: Any
) -> None:
    live_emulator.misbehave("refusal", tier="haiku")
    with pytest.raises(AnswerRejectedError) as caught:
        tw.converse(modelId="haiku", messages=user("hi"), validate={"refusal": True})
    assert caught.value.response is not None
    info = caught.value.response["tierwise"]
    assert not info["accepted"] and info["tier"] == "haiku"
    assert "escalation is off" in info["attempts"][0]["reason"]


def test_self_verification_rejection_escalates_and_its_cost_counts(
    tw: Tierwise, live_emulator: Any
) -> None:
    live_emulator.misbehave("low_confidence", tier="haiku")
    response = tw.converse(
        modelId="haiku",
        messages=user("What is the capital of Australia?"),
        validate={"self_verify": {"threshold": 0.7}},
        escalate=True,
    )
    info = response["tierwise"]
    kinds = [(a["kind"], a["tier"], a["outcome"]) for a in info["attempts"]]
    # Each answer before the check of it (it was listed after: the check settles first).
    assert kinds == [
        ("answer", "haiku", "rejected"),
        ("self_verify", "haiku", "checked"),
        ("answer", "sonnet", "accepted"),
        ("self_verify", "sonnet", "checked"),
    ]
    assert "confidence 0.20 below 0.70" in info["attempts"][0]["reason"]
    assert "escalated to sonnet after rejected on haiku" in json.dumps(info)
    rows = tw.ledger.rows(request_id=info["requestId"])
    assert len(rows) == 4
    assert sum(1 for r in rows if (r.metadata or {}).get("kind") == "self_verify") == 2
    assert str(sum(r.cost_usd for r in rows)) == info["costUsd"]


def test_caller_cap_and_cheap_first(tw: Tierwise, live_emulator: Any) -> None:
    live_emulator.misbehave("invalid_json", tier="haiku")
    live_emulator.misbehave("invalid_json", tier="sonnet")
    with pytest.raises(AnswerRejectedError) as caught:
        tw.converse(
            messages=user("Prove the claim rigorously. " + JSON_PROMPT),
            hints=Hints(max_tier=Tier.SONNET),
            validate={"json_schema": {"type": "object"}},
            escalate=True,
            cheap_first=True,
        )
    assert caught.value.response is not None
    info = caught.value.response["tierwise"]
    assert [a["tier"] for a in info["attempts"]] == ["haiku", "sonnet"]
    assert not info["accepted"]
    assert "ceiling (sonnet)" in info["attempts"][-1]["reason"]


def test_user_callable_validator(tw: Tierwise) -> None:
    calls: list[str] = []

    def no_haiku(request: Any, response: Any) -> bool:
        calls.append("x")
        return len(calls) > 1

    from tierwise.core.validators import CallableValidator

    response = tw.converse(
        modelId="haiku", messages=user("hello"), validate=[CallableValidator(no_haiku)],
        escalate=True,
    )  # fmt: skip
    assert response["tierwise"]["tier"] == "sonnet" and len(calls) == 2


def test_a_validator_that_crashes_is_a_400_and_the_billed_answer_is_still_ledgered(
    tw: Tierwise,
) -> None:
    from tierwise.core.validators import CallableValidator
    from tierwise.errors import InvalidRequestError

    def broken(request: Any, response: Any) -> bool:
        raise KeyError("no such field")

    before = len(tw.ledger.rows())
    with pytest.raises(InvalidRequestError, match="a validator failed on the answer"):
        tw.converse(modelId="haiku", messages=user("hello"), validate=[CallableValidator(broken)])
    (row,) = tw.ledger.rows()[before:]
    assert (row.tier, row.status) == ("haiku", "ok")
    assert row.output_tokens > 0 and row.cost_usd > 0


def test_validated_stream_is_buffered_then_replayed(tw: Tierwise, live_emulator: Any) -> None:
    live_emulator.misbehave("invalid_json", tier="haiku")
    response = tw.converse_stream(
        modelId="haiku",
        messages=user(JSON_PROMPT),
        validate={"json_schema": {"type": "object"}},
        escalate=True,
    )
    events = list(response["stream"])
    text = "".join(
        e["contentBlockDelta"]["delta"].get("text", "") for e in events if "contentBlockDelta" in e
    )
    import json

    assert isinstance(json.loads(text), dict)
    assert "metadata" in events[-1] and events[-1]["metadata"]["usage"]["outputTokens"] > 0
    assert response["tierwise"]["tier"] == "sonnet"


def test_error_fallback_policy_never_raises(
    emu_settings: Settings, ledger_url: str, live_emulator: Any
) -> None:
    settings = emu_settings.with_overrides({"escalation.on_error": "never"})
    live_emulator.inject(kind="unavailable", count=100)
    with (
        Tierwise.from_settings(settings, ledger_url=ledger_url) as tw,
        pytest.raises(ExhaustedError),
    ):
        tw.converse(modelId="haiku", messages=user("hi"))
    live_emulator.reset()


def test_error_fallback_upgrades_when_a_tier_is_out_of_capacity(
    tw: Tierwise, live_emulator: Any
) -> None:
    for profile in tw.profiles(Tier.HAIKU):
        live_emulator.inject(
            kind="throttle", count=tw.settings.retry.max_attempts, model_id=profile
        )
    response = tw.converse(modelId="haiku", messages=user("hi"))
    info = response["tierwise"]
    assert info["tier"] == "sonnet"
    assert [(a["tier"], a["outcome"]) for a in info["attempts"]] == [
        ("haiku", "error"),
        ("sonnet", "accepted"),
    ]


def test_a_set_cancel_starts_no_fallback_or_escalation(tw: Tierwise, live_emulator: Any) -> None:
    gone = threading.Event()
    gone.set()
    for profile in tw.profiles(Tier.HAIKU):
        live_emulator.inject(
            kind="throttle", count=tw.settings.retry.max_attempts, model_id=profile
        )
    with pytest.raises(ExhaustedError):
        tw.converse(modelId="haiku", messages=user("hi"), cancel=gone)
    live_emulator.misbehave("invalid_json", tier="haiku")
    with pytest.raises(AnswerRejectedError) as caught:
        tw.converse(
            modelId="haiku",
            messages=user(JSON_PROMPT),
            validate={"json_schema": SCHEMA},
            escalate=True,
            cancel=gone,
        )
    assert caught.value.response is not None
    (attempt,) = caught.value.response["tierwise"]["attempts"]
    assert (attempt["tier"], attempt["outcome"]) == ("haiku", "rejected")
    assert attempt["reason"].endswith("not escalated: the caller has gone")


def test_cooldown_sends_a_failing_profile_to_the_back(
    emu_settings: Settings, ledger_url: str, live_emulator: Any
) -> None:
    settings = emu_settings.with_overrides({"escalation.cooldown_s": 60})
    with Tierwise.from_settings(settings, ledger_url=ledger_url) as tw:
        primary, alternate = tw.profiles(Tier.HAIKU)
        live_emulator.inject(kind="throttle", count=settings.retry.max_attempts, model_id=primary)
        first = tw.converse(modelId="haiku", messages=user("one"))
        assert first["tierwise"]["modelId"] == alternate
        live_emulator.reset()
        # The primary is cooling: the next call goes straight to the alternate.
        second = tw.converse(modelId="haiku", messages=user("two"))
        assert second["tierwise"]["modelId"] == alternate
        assert live_emulator.stats["calls"].get(primary, 0) == 0


def _throttle_tier(tw: Tierwise, emulator: Any, tier: Tier) -> None:
    for profile in tw.profiles(tier):
        emulator.inject(kind="throttle", count=tw.settings.retry.max_attempts, model_id=profile)


def _chain(tw: Tierwise, info: dict[str, Any]) -> list[tuple[Any, ...]]:
    rows = tw.ledger.rows(request_id=info["requestId"])
    return [(r.attempt, r.tier, r.status, r.error_class) for r in rows]


def test_a_stream_falls_back_before_its_first_byte_exactly_as_a_call_does(
    tw: Tierwise, live_emulator: Any
) -> None:
    """Every Sonnet profile throttled: converse and converse_stream both fall back to Opus
    (on_error = "allow-upgrade"), with the same attempts and the same ledger chain."""
    assert tw.settings.escalation.on_error == "allow-upgrade"
    _throttle_tier(tw, live_emulator, Tier.SONNET)
    called = tw.converse(modelId="sonnet", messages=user("hi"))["tierwise"]
    live_emulator.reset()
    _throttle_tier(tw, live_emulator, Tier.SONNET)
    response = tw.converse_stream(modelId="sonnet", messages=user("hi"))
    assert response["tierwise"]["tier"] == "opus", "the stream opened on the fallback tier"
    events = list(response["stream"])
    streamed = response["tierwise"]
    assert "metadata" in events[-1]
    outcomes = [(a["attempt"], a["tier"], a["outcome"]) for a in called["attempts"]]
    assert outcomes == [(1, "sonnet", "error"), (2, "opus", "accepted")]
    assert [(a["attempt"], a["tier"], a["outcome"]) for a in streamed["attempts"]] == outcomes
    assert streamed["tier"] == called["tier"] == "opus"
    assert (
        _chain(tw, streamed)
        == _chain(tw, called)
        == [
            (1, "sonnet", "error", "ExhaustedError"),
            (2, "opus", "ok", None),
        ]
    )
    assert streamed["costUsd"] == str(sum(r.cost_usd for r in tw.ledger.rows(
        request_id=streamed["requestId"])))  # fmt: skip
    assert streamed["usage"]["outputTokens"] > 0


def test_a_stream_without_fallback_fails_as_a_call_does(
    emu_settings: Settings, ledger_url: str, live_emulator: Any
) -> None:
    settings = emu_settings.with_overrides({"escalation.on_error": "never"})
    with Tierwise.from_settings(settings, ledger_url=ledger_url) as tw:
        _throttle_tier(tw, live_emulator, Tier.SONNET)
        with pytest.raises(ExhaustedError) as called:
            tw.converse(modelId="sonnet", messages=user("hi"))
        live_emulator.reset()
        _throttle_tier(tw, live_emulator, Tier.SONNET)
        with pytest.raises(ExhaustedError) as streamed:
            tw.converse_stream(modelId="sonnet", messages=user("hi"))
        for err in (called.value, streamed.value):
            assert err.request_id is not None
            rows = tw.ledger.rows(request_id=err.request_id)
            assert [(r.tier, r.status) for r in rows] == [("sonnet", "error")]


@pytest.mark.parametrize(
    ("verify", "error"),
    [
        ({"threshold": 5}, "self_verify threshold must be a number from 0 to 1, not 5"),
        ({"threshold": "high"}, "self_verify threshold must be a number from 0 to 1, not 'high'"),
        ({"threshold": True}, "self_verify threshold must be a number from 0 to 1, not True"),
        ({"treshold": 0.8}, "unknown self_verify field(s): treshold"),
        ("yes", "self_verify must be true or an object, not 'yes'"),
    ],
)
def test_a_self_verify_threshold_outside_0_1_is_refused_before_any_call(
    emu_settings: Settings, ledger_url: str, live_emulator: Any, verify: Any, error: str
) -> None:
    # A threshold of 5 was taken: every answer was rejected by its own self-check (each
    # one paid for), and escalated; "high" was a ValueError from float().
    from tierwise.errors import InvalidRequestError
    from tierwise.store.keys import KeyStore

    before = live_emulator.stats["total"]
    with Tierwise.from_settings(emu_settings, ledger_url=ledger_url) as tw:
        with pytest.raises(InvalidRequestError) as refused:
            tw.converse(
                modelId="haiku",
                messages=[{"role": "user", "content": [{"text": "hi"}]}],
                validate={"self_verify": verify},
            )
        assert str(refused.value).startswith(error)
        assert tw.ledger.rows() == []
        # A key's policy is checked when the key is made, not on its first request.
        with pytest.raises(InvalidRequestError) as refused:
            KeyStore(tw.ledger).create("k", policy={"validate": {"self_verify": verify}})
        assert str(refused.value).startswith(error)
    assert live_emulator.stats["total"] == before


def test_self_verify_true_and_a_threshold_in_range_still_run(
    emu_settings: Settings, ledger_url: str
) -> None:
    with Tierwise.from_settings(emu_settings, ledger_url=ledger_url) as tw:
        for verify in (True, {"threshold": 0.5}, {"threshold": 0}):
            response = tw.converse(
                modelId="haiku",
                messages=[{"role": "user", "content": [{"text": "hi"}]}],
                validate={"self_verify": verify},
            )
            kinds = [a["kind"] for a in response["tierwise"]["attempts"]]
            assert "self_verify" in kinds, response["tierwise"]["attempts"]


def test_self_verify_true_takes_the_configured_threshold(
    emu_settings: Settings, ledger_url: str
) -> None:
    # [escalation] self_verify_threshold was never read: `self_verify: true` always used 0.7,
    # so a team's 0.95 bar accepted the emulator's 0.90 self-check.
    strict = emu_settings.with_overrides({"escalation.self_verify_threshold": 0.95})
    messages = [{"role": "user", "content": [{"text": "hi"}]}]
    with Tierwise.from_settings(strict, ledger_url=ledger_url) as tw:
        with pytest.raises(AnswerRejectedError, match=r"self-check confidence 0\.90 below 0\.95"):
            tw.converse(modelId="haiku", messages=messages, validate={"self_verify": True})
        # A threshold in the request still wins over the configured one.
        accepted = tw.converse(
            modelId="haiku", messages=messages, validate={"self_verify": {"threshold": 0.5}}
        )
        assert accepted["stopReason"] == "end_turn"
