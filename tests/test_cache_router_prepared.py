"""CacheRouter.choose places each option's cache points once: the routed tier's request is
not placed a second time for the reuse forecast, and a conversation turn (which forecasts no
reuse) computes no prefixes for it at all. The choice is the same: nothing a choice reads
changes the placed requests it shares."""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Mapping
from typing import Any

import pytest

from tierwise.cache_router import CacheRouter
from tierwise.cache_state import MemoryCacheState
from tierwise.config import Settings
from tierwise.core.pricing import Usage
from tierwise.core.tiers import Tier
from tierwise.engine.plan import Planner

DOC = "Policy 4.2: refunds on annual plans are prorated by month and go to the original. " * 900
SYSTEM = [{"text": "You label support tickets with one label only: billing, technical, "
                   "account. Reference policies:\n" + DOC}]  # fmt: skip


def ticket(text: str) -> dict[str, Any]:
    return {"system": SYSTEM, "messages": [{"role": "user", "content": [{"text": text}]}]}


def conversation(turns: int) -> dict[str, Any]:
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": [{"text": "Review this incident report. " + DOC}]}
    ]
    for i in range(turns):
        messages.append({"role": "assistant", "content": [{"text": f"Noted {i}."}]})
        messages.append({"role": "user", "content": [{"text": f"ok, step {i}: thanks!"}]})
    return {"messages": messages}


class Recording(CacheRouter):
    """Counts ``_prepared`` calls per (tier, budget) and keeps a copy of what each returned."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings, MemoryCacheState())
        self.calls: Counter[tuple[Tier, int | None]] = Counter()
        self.returned: list[tuple[dict[str, Any], dict[str, Any]]] = []
        self.seen_calls = 0

    def _prepared(
        self, request: Mapping[str, Any], tier: Tier, thinking_budget: int | None = None
    ) -> dict[str, Any]:
        placed = super()._prepared(request, tier, thinking_budget)
        self.calls[(tier, thinking_budget or None)] += 1
        self.returned.append((placed, copy.deepcopy(placed)))
        return placed


def choose(default_settings: Settings, request: dict[str, Any], warm: dict[str, Any]) -> Any:
    router = Recording(default_settings)
    model = default_settings.tier(Tier.SONNET).model_id
    router.learn(warm, Tier.SONNET, model, Usage(cache_write_5m=20_000))
    router.calls.clear()
    router.returned.clear()
    seen = router.state.seen

    def counting_seen(key: str, ttl_s: int) -> tuple[int, float]:
        router.seen_calls += 1
        return seen(key, ttl_s)

    router.state.seen = counting_seen  # type: ignore[method-assign]
    decision = Planner(default_settings).route(request)
    choice = router.choose(decision, request, None)
    return router, choice


@pytest.mark.parametrize(
    ("request_", "warm"),
    [
        (ticket("Ticket: the app will not start."), ticket("Ticket: my invoice is wrong.")),
        (conversation(3), conversation(2)),
    ],
    ids=["one-off", "conversation"],
)
def test_each_option_is_placed_once_and_left_as_placed(
    default_settings: Settings, request_: dict[str, Any], warm: dict[str, Any]
) -> None:
    router, choice = choose(default_settings, request_, warm)
    assert choice is not None and len(choice.options) >= 2
    assert set(router.calls.values()) == {1}, router.calls  # the routed tier was placed twice
    for placed, before in router.returned:
        assert placed == before  # a shared placed request is never changed by the choice
    # the reuse forecast is for one-off requests only, as before
    assert router.seen_calls == (0 if len(request_["messages"]) > 1 else 1)


def test_the_choice_reads_the_warm_tier(default_settings: Settings) -> None:
    # the same choice as before the placements were shared: Sonnet, warm, over a cold Haiku
    _, choice = choose(default_settings, ticket("Ticket: the app will not start."),
                       ticket("Ticket: my invoice is wrong."))  # fmt: skip
    assert choice.preferred is Tier.HAIKU
    assert choice.tier is Tier.SONNET
    warm = {o.tier: o.warm_tokens for o in choice.options}
    assert warm[Tier.SONNET] > 10_000 and warm[Tier.HAIKU] == 0
