"""Capture (opt-in, redacted, sampled) and shadow mode, end to end against the emulator."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tierwise.capture import sampled
from tierwise.client import Tierwise
from tierwise.config import Settings
from tierwise.store.captures import CaptureStore


def user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": [{"text": text}]}]


@pytest.fixture
def make(emu_settings: Settings, ledger_url: str) -> Iterator[Any]:
    made: list[Tierwise] = []

    def build(**overrides: Any) -> Tierwise:
        tw = Tierwise.from_settings(emu_settings.with_overrides(overrides), ledger_url=ledger_url)
        made.append(tw)
        return tw

    yield build
    for tw in made:
        tw.close()


def test_capture_is_off_by_default_and_stores_nothing(make: Any) -> None:
    tw = make()
    for i in range(5):
        tw.converse(modelId="haiku", messages=user(f"hello {i}, mail me at a@b.io"))
    assert CaptureStore(tw.ledger).count() == 0  # type: ignore[arg-type]


def test_capture_on_redacts_by_default_and_keeps_decision(make: Any) -> None:
    tw = make(**{"capture.sample_rate": 1.0})
    text = "Reply to jane.doe@example.com about card 4111 1111 1111 1111: was it charged twice?"
    response = tw.converse(messages=user(text))
    (cap,) = CaptureStore(tw.ledger).list()  # type: ignore[arg-type]
    stored = cap.request["messages"][0]["content"][0]["text"]
    assert "jane.doe" not in stored and "4111" not in stored
    assert "[EMAIL]" in stored and "[CARD]" in stored
    assert cap.redactions >= 2
    assert cap.request_id == response["tierwise"]["requestId"]
    assert cap.tier == response["tierwise"]["tier"]
    assert cap.route is not None and cap.route["tier"] == cap.tier
    assert cap.answer["content"] == response["output"]["message"]["content"]
    assert cap.task_class == response["tierwise"]["route"]["task_class"]["name"]


def test_capture_samples_a_stable_share(make: Any) -> None:
    tw = make(**{"capture.sample_rate": 0.3})
    ids = [tw.converse(modelId="haiku", messages=user(f"q{i}"))["tierwise"]["requestId"]
           for i in range(60)]  # fmt: skip
    stored = {c.request_id for c in CaptureStore(tw.ledger).list()}  # type: ignore[arg-type]
    assert stored == {i for i in ids if sampled(i, 0.3)}
    assert 5 <= len(stored) <= 35


def test_per_call_capture_rate_overrides_the_setting(make: Any) -> None:
    tw = make()
    tw.converse(modelId="haiku", messages=user("one"), capture_rate=1.0)
    tw.converse(modelId="haiku", messages=user("two"))
    assert CaptureStore(tw.ledger).count() == 1  # type: ignore[arg-type]


def test_stream_answers_are_captured_from_their_events(make: Any) -> None:
    tw = make(**{"capture.sample_rate": 1.0})
    response = tw.converse_stream(modelId="sonnet", messages=user("Explain TCP slow start"))
    text = "".join(
        e["contentBlockDelta"]["delta"].get("text", "")
        for e in response["stream"]
        if "contentBlockDelta" in e
    )
    (cap,) = CaptureStore(tw.ledger).list()  # type: ignore[arg-type]
    assert cap.answer["content"] == [{"text": text}]
    assert cap.answer["stopReason"] == "end_turn"


def test_oversized_captures_keep_the_last_turn_and_say_so(make: Any) -> None:
    tw = make(**{"capture.sample_rate": 1.0, "capture.max_bytes": 2048})
    tw.converse(modelId="haiku", messages=user("word " * 2000 + "final question?"))
    (cap,) = CaptureStore(tw.ledger).list()  # type: ignore[arg-type]
    assert cap.truncated
    assert len(cap.request["messages"][0]["content"][0]["text"]) <= 2048


def test_retention_drops_old_captures(make: Any) -> None:
    from dataclasses import replace
    from datetime import UTC, datetime, timedelta

    tw = make(**{"capture.sample_rate": 1.0, "capture.retention_days": 7})
    tw.converse(modelId="haiku", messages=user("fresh"))
    store = CaptureStore(tw.ledger)  # type: ignore[arg-type]
    (fresh,) = store.list()
    store.add(replace(fresh, ts=datetime.now(UTC) - timedelta(days=30)))
    assert store.count() == 2
    tw.converse(modelId="haiku", messages=user("another"))
    assert store.count() == 2  # the 30-day-old one went when the new one arrived
    assert store.purge() == 2 and store.count() == 0


def test_shadow_mode_keeps_the_asked_model_and_records_the_decision(make: Any) -> None:
    tw = make(**{"routing.mode": "shadow"})
    classify = (
        "Classify this ticket as billing, technical or account. Reply with the label only. "
        "Ticket: I was charged twice."
    )
    pinned = tw.converse(modelId="opus", messages=user(classify))
    assert pinned["tierwise"]["tier"] == "opus"
    (row,) = tw.ledger.rows(request_id=pinned["tierwise"]["requestId"])
    assert (
        row.route is not None
        and row.route["shadow"]["tier"] == tw.route({"messages": user(classify)}).tier.value
    )
    auto = tw.converse(modelId="auto", messages=user(classify))
    assert auto["tierwise"]["tier"] == tw.settings.default_tier.value
    assert "shadow mode" in auto["tierwise"]["route"]["reasons"][0]


def test_a_pinned_request_in_shadow_mode_is_captured_with_its_shadow_class(make: Any) -> None:
    # `keys create --capture-rate ... --routing-mode shadow` then an app that asks for a model:
    # evaluate and `capture list` stratify by the class the router would have given it.
    tw = make(**{"routing.mode": "shadow", "capture.sample_rate": 1.0})
    classify = "Classify this ticket as billing, technical or account. Ticket: charged twice."
    tw.converse(modelId="opus", messages=user(classify))
    (cap,) = CaptureStore(tw.ledger).list()  # type: ignore[arg-type]
    assert tw.route({"messages": user(classify)}).task_class.name == "classify"
    assert cap.tier == "opus" and cap.task_class == "classify"


def test_per_call_shadow_mode_and_unknown_modes(make: Any) -> None:
    from tierwise.errors import InvalidRequestError

    tw = make()
    r = tw.converse(modelId="sonnet", messages=user("hi"), routing_mode="shadow")
    assert "shadow" in r["tierwise"]["route"]
    with pytest.raises(InvalidRequestError, match="routing mode"):
        tw.converse(modelId="sonnet", messages=user("hi"), routing_mode="guess")
