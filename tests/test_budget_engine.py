"""Reservations inside the call engine: every attempt (escalations, self-checks, streams)
reserves its own worst case, and settles with its ledger row."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tierwise.client import Tierwise
from tierwise.config import Settings
from tierwise.core.budgets import worst_case_usage
from tierwise.core.tiers import Tier
from tierwise.errors import (
    AnswerRejectedError,
    BudgetExceededError,
    DeadlineExceededError,
    InvalidRequestError,
)
from tierwise.store.keys import KeyStore

PROMPT = [{"role": "user", "content": [{"text": "Answer in JSON: label 'app crashes'."}]}]


@pytest.fixture
def tw(emu_settings: Settings, ledger_url: str) -> Iterator[Tierwise]:
    with Tierwise.from_settings(emu_settings, ledger_url=ledger_url) as client:
        yield client


def keys_of(tw: Tierwise) -> KeyStore:
    assert tw.budgets is not None
    return tw.budgets


def worst(tw: Tierwise, tier: Tier, max_tokens: int) -> Decimal:
    request = {"messages": PROMPT, "inferenceConfig": {"maxTokens": max_tokens}}
    plan = tw.plan(tier.value, request)
    usage = worst_case_usage(tw.prepare(request, plan))
    return max(tw.cost_of(tier, usage, model_id=profile) for profile in plan.profiles)


def test_a_call_reserves_then_settles_to_its_ledger_row(tw: Tierwise) -> None:
    key, _ = keys_of(tw).create("k", budget_usd=Decimal("1"))
    response = tw.converse(
        modelId="haiku", messages=PROMPT, inferenceConfig={"maxTokens": 50}, api_key_id=key.id
    )
    after = keys_of(tw).get(key.id)
    assert after is not None and after.reserved_usd == 0
    (row,) = tw.ledger.rows(request_id=response["tierwise"]["requestId"])
    assert after.spent_usd == row.cost_usd > 0


def test_a_call_whose_worst_case_does_not_fit_is_refused_before_bedrock(
    tw: Tierwise, live_emulator: Any
) -> None:
    budget = worst(tw, Tier.HAIKU, 1000) - Decimal("0.000001")
    key, _ = keys_of(tw).create("k", budget_usd=budget)
    before = live_emulator.stats["total"]
    with pytest.raises(BudgetExceededError, match="reserves up to"):
        tw.converse(
            modelId="haiku",
            messages=PROMPT,
            inferenceConfig={"maxTokens": 1000},
            api_key_id=key.id,
        )
    assert tw.ledger.rows() == [], "nothing was called, nothing ledgered"
    assert live_emulator.stats["total"] == before


def test_an_escalation_the_budget_cannot_cover_is_not_attempted(
    tw: Tierwise, live_emulator: Any
) -> None:
    live_emulator.misbehave("invalid_json", tier="haiku")
    # Room for the Haiku attempt's worst case, not for Sonnet's on top.
    budget = worst(tw, Tier.HAIKU, 300) + worst(tw, Tier.SONNET, 300) / 2
    key, _ = keys_of(tw).create("k", budget_usd=budget)
    with pytest.raises(AnswerRejectedError) as rejected:
        tw.converse(
            modelId="haiku",
            messages=PROMPT,
            inferenceConfig={"maxTokens": 300},
            validate={"json_schema": {"type": "object"}},
            escalate=True,
            api_key_id=key.id,
        )
    assert rejected.value.response is not None
    info = rejected.value.response["tierwise"]
    (only,) = info["attempts"]
    assert only["tier"] == "haiku" and only["outcome"] == "rejected"
    assert "not escalated: the key's budget cannot cover it" in only["reason"]
    after = keys_of(tw).get(key.id)
    assert after is not None and after.reserved_usd == 0
    assert 0 < after.spent_usd <= budget
    assert after.spent_usd == Decimal(info["costUsd"])


def test_each_escalation_step_reserves_and_settles_its_own_attempt(
    tw: Tierwise, live_emulator: Any
) -> None:
    live_emulator.misbehave("invalid_json", tier="haiku")
    key, _ = keys_of(tw).create("k", budget_usd=Decimal("10"))
    response = tw.converse(
        modelId="haiku",
        messages=PROMPT,
        inferenceConfig={"maxTokens": 300},
        validate={"json_schema": {"type": "object"}},
        escalate=True,
        api_key_id=key.id,
    )
    rows = tw.ledger.rows(request_id=response["tierwise"]["requestId"])
    assert [r.tier for r in rows] == ["haiku", "sonnet"]
    after = keys_of(tw).get(key.id)
    assert after is not None and after.reserved_usd == 0
    assert after.spent_usd == sum((r.cost_usd for r in rows), Decimal(0))


def test_a_stream_reserves_and_settles_when_it_ends(tw: Tierwise) -> None:
    key, _ = keys_of(tw).create("k", budget_usd=Decimal("1"))
    result = tw.converse_stream(
        modelId="haiku", messages=PROMPT, inferenceConfig={"maxTokens": 50}, api_key_id=key.id
    )
    held = keys_of(tw).get(key.id)
    assert held is not None and held.reserved_usd > 0, "reserved while the stream is open"
    events = list(result["stream"])
    assert any("metadata" in e for e in events)
    after = keys_of(tw).get(key.id)
    assert after is not None and after.reserved_usd == 0
    assert after.spent_usd == Decimal(result["tierwise"]["costUsd"]) > 0


def test_a_budgeted_call_without_max_tokens_is_bounded_by_the_default(
    tw: Tierwise, live_emulator: Any
) -> None:
    key, _ = keys_of(tw).create("k", budget_usd=Decimal("1"))
    plan = tw.plan("haiku", {"messages": PROMPT})
    hold, sent = tw.reserve("r", 1, plan, {"messages": PROMPT}, key.id)
    assert sent["inferenceConfig"]["maxTokens"] == tw.settings.budgets.default_max_tokens
    assert hold is not None
    usage = worst_case_usage(sent)
    # The dearest of the tier's profiles (their kinds are priced apart).
    assert hold.amount_usd == max(
        tw.cost_of(Tier.HAIKU, usage, model_id=profile) for profile in plan.profiles
    )
    assert hold.amount_usd >= tw.cost_of(Tier.HAIKU, usage)
    tw.release(hold)


def test_max_tokens_above_the_models_limit_is_a_400_not_a_budget_refusal(
    tw: Tierwise, live_emulator: Any
) -> None:
    # Haiku 4.5 writes at most 64,000 tokens; 100M asked for reserved $500 of output, and a
    # key with room for the 64,000 was refused "over budget", hiding the real error (Bedrock
    # refuses it unbilled). The worst case is capped at the model's limit, and the request
    # is refused before any call for the limit itself.
    from tierwise.errors import InvalidRequestError

    budget = worst(tw, Tier.HAIKU, 64_000) + Decimal("0.000001")
    key, _ = keys_of(tw).create("k", budget_usd=budget)
    with pytest.raises(InvalidRequestError, match="output limit of 64,000 tokens"):
        tw.converse(
            modelId="haiku",
            messages=PROMPT,
            inferenceConfig={"maxTokens": 100_000_000},
            api_key_id=key.id,
        )
    after = keys_of(tw).get(key.id)
    assert after is not None and after.reserved_usd == 0 and after.spent_usd == 0


def test_the_reservation_covers_the_structured_output_schema_sent_with_the_prompt(
    tw: Tierwise,
) -> None:
    # The caller's JSON schema goes to the model as a tool definition, which Bedrock bills
    # as input; a reservation made without it let one request spend past the budget.
    props = {f"field_{i:03d}": {"type": "string", "description": "d" * 150} for i in range(200)}
    schema = {"type": "object", "properties": props}
    without = worst(tw, Tier.HAIKU, 50)
    budget = without * 3
    key, _ = keys_of(tw).create("k", budget_usd=budget)
    with pytest.raises(BudgetExceededError, match="reserves up to"):
        tw.converse(
            modelId="haiku",
            messages=PROMPT,
            inferenceConfig={"maxTokens": 50},
            validate={"json_schema": schema},
            api_key_id=key.id,
        )
    after = keys_of(tw).get(key.id)
    assert after is not None and after.spent_usd == 0 and after.reserved_usd == 0
    assert tw.ledger.rows() == []


RAW = "us.anthropic.claude-opus-4-6-v1"  # served by Bedrock, in no configured tier


def test_a_key_with_a_budget_cannot_call_a_model_no_tier_prices(
    tw: Tierwise, live_emulator: Any
) -> None:
    # Its cost would read as 0: nothing reserved, nothing charged, the budget no cap at all.
    assert tw.settings.tier_of_model(RAW) is None
    key, _ = keys_of(tw).create("k", budget_usd=Decimal("0.01"))
    before = live_emulator.stats["total"]
    with pytest.raises(InvalidRequestError, match="in no tier"):
        tw.converse(modelId=RAW, messages=PROMPT, api_key_id=key.id)
    assert live_emulator.stats["total"] == before
    assert tw.ledger.rows() == []
    # A key without a budget is still served, its row flagged unpriced.
    free, _ = keys_of(tw).create("free")
    response = tw.converse(modelId=RAW, messages=PROMPT, api_key_id=free.id)
    (row,) = tw.ledger.rows(request_id=response["tierwise"]["requestId"])
    assert row.metadata is not None and "unpriced" in row.metadata


def test_a_negative_max_tokens_never_lowers_what_the_key_has_held(tw: Tierwise) -> None:
    # Bedrock refuses it unbilled, but the reservation comes first: a negative worst case
    # lowered the key's reserved figure, so calls made meanwhile could pass the budget.
    key, _ = keys_of(tw).create("k", budget_usd=Decimal("0.01"))
    request = {"messages": PROMPT, "inferenceConfig": {"maxTokens": -1_000_000}}
    plan = tw.plan("haiku", request)
    hold, _ = tw.reserve("negative", 1, plan, tw.prepare(request, plan), key.id)
    held = keys_of(tw).get(key.id)
    assert hold is not None and hold.amount_pico >= 0
    assert held is not None and held.reserved_usd >= 0
    with pytest.raises(BudgetExceededError):  # still refused while that hold stands
        tw.converse(
            modelId="opus", messages=PROMPT, inferenceConfig={"maxTokens": 4000},
            api_key_id=key.id,
        )  # fmt: skip
    tw.release(hold)


def test_a_call_cut_at_its_deadline_is_charged_on_the_profile_it_was_sent_to(
    deadline_cut: tuple[Any, Settings], ledger_url: str
) -> None:
    # The global profile is cooling, so the call goes to the geographic one (10% dearer):
    # the cut-off row was priced on the tier's first profile, the global one, while its
    # hold reserved the dearest. Now it is charged on the profile the call was sent to,
    # at its worst case: what the hold reserved, to the cent.
    from tierwise.errors import DeadlineExceededError

    request = {"messages": PROMPT, "inferenceConfig": {"maxTokens": 40}}
    settings = deadline_cut[1].with_overrides({"escalation.cooldown_s": 600.0})
    with Tierwise.from_settings(settings, ledger_url=ledger_url) as client:
        plan = client.plan("haiku", request)
        first, sent = plan.profiles
        client.bedrock.cooldown.failed(first)
        key, _ = keys_of(client).create("k", budget_usd=Decimal("1"))
        with pytest.raises(DeadlineExceededError):
            client.converse(modelId="haiku", api_key_id=key.id, **request)
        held = keys_of(client).get(key.id)
        client.driver.close()  # the cut call has ended and been ledgered
        (row,) = client.ledger.rows()
        after = keys_of(client).get(key.id)
    assert row.error_class == "AttemptCutError" and row.model_id == sent
    assert held is not None and after is not None and after.reserved_usd == 0
    assert row.cost_usd == after.spent_usd == held.reserved_usd + held.spent_usd


def test_a_call_cut_at_its_deadline_says_it_was_billed(
    deadline_cut: tuple[Any, Settings], tmp_path: Path
) -> None:
    # The attempt the deadline cut off was sent: it is charged (at its worst case) when it
    # ends, and sending the request again pays for it again. The error said billed=False,
    # the flag callers read to know a retry is not free.
    _, settings = deadline_cut
    with Tierwise.from_settings(settings, ledger_url=f"sqlite:///{tmp_path / 'l.db'}") as tw:
        with pytest.raises(DeadlineExceededError) as caught:
            tw.converse(
                modelId="haiku",
                messages=[{"role": "user", "content": [{"text": "hi"}]}],
                inferenceConfig={"maxTokens": 20},
            )
        tw.driver.close()  # the cut call has ended and been ledgered
        (row,) = tw.ledger.rows()
    assert caught.value.billed and caught.value.request_id == row.request_id
    assert row.cost_usd > 0
