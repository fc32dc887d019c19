"""A tier's profiles may be different models with different limits (an alternate on a larger
window, or a smaller one): a call goes only to the profiles whose model can take it, and is
refused before Bedrock only when none can. The check read the first profile alone, so a
prompt the alternate takes was refused, and a failover went to a model that refuses it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tierwise.client import Tierwise
from tierwise.config import Settings
from tierwise.core.tiers import Tier
from tierwise.engine.plan import Planner
from tierwise.errors import BedrockWouldRefuseError, ExhaustedError, ThrottledError

SONNET_45 = "global.anthropic.claude-sonnet-4-5-20250929-v1:0"  # 200k without the beta
SONNET_46 = "global.anthropic.claude-sonnet-4-6"  # 1M
# ~4 characters a token: about 300,000 tokens, over 200k by more than the refusal's margin.
LONG = [{"role": "user", "content": [{"text": "word " * 240_000}]}]


def _client(settings: Settings, ledger_url: str, primary: str, alternate: str) -> Tierwise:
    tiers = {"tiers.sonnet.model_id": primary, "tiers.sonnet.alternates": [alternate]}
    return Tierwise.from_settings(settings.with_overrides(tiers), ledger_url=ledger_url)


@pytest.fixture
def larger_alternate(emu_settings: Settings, ledger_url: str) -> Iterator[Tierwise]:
    with _client(emu_settings, ledger_url, SONNET_45, SONNET_46) as tw:
        yield tw


def test_a_prompt_only_the_alternate_takes_goes_to_the_alternate(
    larger_alternate: Tierwise, live_emulator: Any
) -> None:
    # It was refused before any call, naming Sonnet 4.5's 200k window.
    answer = larger_alternate.converse(modelId="sonnet", messages=LONG)
    assert answer["tierwise"]["modelId"] == SONNET_46
    assert live_emulator.stats["calls"] == {SONNET_46: 1}
    rows = larger_alternate.ledger.rows()
    assert [(r.model_id, r.status) for r in rows] == [(SONNET_46, "ok")]


def test_routing_counts_a_tier_fit_when_one_of_its_profiles_is(
    larger_alternate: Tierwise,
) -> None:
    # A labelling request routed to Haiku, with ~246k tokens of reference material: Haiku
    # (200k) cannot take it, Sonnet can on its alternate, so auto moves there; it stayed on
    # Haiku (no tier's first profile fits), to be refused.
    doc = "Policy 4.2: refunds on annual plans are prorated by month and go to the original. "
    request = {
        "system": [{"text": "You label support tickets with one label only: billing, "
                            "technical, account. Reference policies:\n" + doc * 12000}],
        "messages": [{"role": "user", "content": [{"text": "Ticket: the app will not start."}]}],
    }  # fmt: skip
    planner = Planner(larger_alternate.settings)
    assert planner.route(request).tier is Tier.HAIKU
    plan = planner.plan("auto", request)
    assert plan.tier is Tier.SONNET
    assert plan.route_record()["reasons"][-1].startswith("moved up to sonnet: on haiku, ")


def test_a_failover_never_goes_to_a_profile_that_cannot_take_the_request(
    emu_settings: Settings, ledger_url: str, live_emulator: Any
) -> None:
    with _client(emu_settings, ledger_url, SONNET_46, SONNET_45) as tw:
        live_emulator.inject(kind="throttle", count=1000, model_id=SONNET_46)
        with pytest.raises((ExhaustedError, ThrottledError)) as failed:
            tw.converse(modelId="sonnet", messages=LONG)
        # Only Sonnet 4.6 was tried: Sonnet 4.5 would have answered Bedrock's 400
        # ("Input is too long"), a failed attempt the caller could do nothing about.
        assert set(live_emulator.stats["calls"]) == {SONNET_46}
        # [escalation] on_error would move it up to Opus, whose 200k window cannot take it
        # either: the throttling it was moved for stands, and says why it was not moved (a
        # refusal naming Opus's window read as if the request had been sent to Opus).
        assert failed.value.message.endswith(
            "not moved to opus: the prompt is about 300,003 tokens, over Claude Opus 4.5's "
            "context window of 200,000 tokens"
        )


def test_refused_before_bedrock_when_no_profile_takes_it(
    emu_settings: Settings, ledger_url: str, live_emulator: Any
) -> None:
    both_small = "global.anthropic.claude-sonnet-4-5-20250929-v1:0"
    with _client(emu_settings, ledger_url, SONNET_45, both_small.replace("global.", "us.")) as tw:
        with pytest.raises(BedrockWouldRefuseError) as refused:
            tw.converse(modelId="sonnet", messages=LONG)
        assert "over Claude Sonnet 4.5's context window of 200,000 tokens" in refused.value.message
    assert live_emulator.stats["total"] == 0
