"""One cache model: the planner's what-if estimate, the router's estimate and the emulator's
billing read and write the same tokens (tierwise.core.caching), including the 20-block
lookback and the minimum per cache point."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tierwise.config import load_settings
from tierwise.core.cache_aware import expected_cost, prefixes
from tierwise.core.caching import place_cache_points
from tierwise.core.planning import Invocation, Planner, PlannerConfig, RouteChoice
from tierwise.core.pricing import Usage
from tierwise.core.tiers import Tier
from tierwise.core.tokens import count_request, segments
from tierwise.emulator.cache import PromptCache

SETTINGS = load_settings(environ={}).settings
SONNET_ID = SETTINGS.tier(Tier.SONNET).model_id
SONNET_MIN = SETTINGS.tier(Tier.SONNET).cache_min_tokens
T0 = datetime(2026, 10, 1, 12, tzinfo=UTC)
SYSTEM = "You operate the deploy tools. " + " ".join(f"rule {i} on rollbacks" for i in range(700))


class Clock:
    def __init__(self) -> None:
        self.now = T0.timestamp()

    def __call__(self) -> float:
        return self.now


def _planner() -> Planner:
    s = SETTINGS
    return Planner(
        PlannerConfig(
            rates=s.all_rates(),
            tier_models={t: s.tier(t).model_id for t in Tier.ordered()},
            cache_min_tokens={t: s.tier(t).cache_min_tokens for t in Tier.ordered()},
            supports_caching={t: True for t in Tier.ordered()},
            route=lambda r: RouteChoice(Tier.SONNET, "agent_step"),
            tier_of=s.tier_of_model,
        )
    )


def _exchange(k: int, results: int) -> list[dict[str, Any]]:
    """An assistant turn calling a tool ``results`` times, and the user turn with the results
    and a question: 2 x ``results`` + 2 content blocks."""
    calls = [
        {"toolUse": {"toolUseId": f"t{k}-{i}", "name": "logs", "input": {"q": f"svc {i}"}}}
        for i in range(results)
    ]
    answers = [
        {
            "toolResult": {
                "toolUseId": f"t{k}-{i}",
                "content": [{"text": f"log line {k}.{i} " * 40}],
            }
        }
        for i in range(results)
    ]
    return [
        {"role": "assistant", "content": [{"text": f"Checking {k}."}, *calls]},
        {"role": "user", "content": [*answers, {"text": f"And step {k}?"}]},
    ]


def test_planner_estimate_equals_emulator_billing_on_a_long_agent_conversation() -> None:
    # 9 turns; the exchanges before the last grow to 2 x 11 + 2 = 24 blocks (past the 20-block
    # lookback) and some stay under it: the planner had its own two-boundary model (tools +
    # system, and everything before the last message, matched exactly), so it read where the
    # emulator could not and wrote where it did not.
    cache = PromptCache(clock := Clock())
    planner = _planner()
    policy = SETTINGS.cache_policy(Tier.SONNET)
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": [{"text": "The deploy of api failed. " * 30}]}
    ]
    reads = writes = 0
    for k, results in enumerate([1, 3, 11, 2, 11, 11, 4, 1]):
        request = {"system": [{"text": SYSTEM}], "messages": list(messages)}
        total = sum(s.tokens for s in segments(request))
        placed = place_cache_points(request, policy).request
        billed = cache.apply(SONNET_ID, placed, SONNET_MIN)
        reads += billed.read
        writes += billed.write
        logged = Usage(
            input=total - billed.read - billed.write,
            output=50,
            cache_read=billed.read,
            cache_write_5m=billed.write,
        )
        planner.add(Invocation(T0 + timedelta(seconds=30 * k), SONNET_ID, logged, request))
        clock.now += 30
        messages += _exchange(k, results)
    r = planner.result
    assert reads > 0 and writes > 0
    assert (r.cache_read_tokens, r.cache_write_tokens) == (reads, writes)


def _two_points(second_after: int) -> dict[str, Any]:
    """The caller's own points: after the system prompt, and ``second_after`` words later."""
    return {
        "system": [{"text": SYSTEM}, {"cachePoint": {"type": "default"}}],
        "messages": [
            {
                "role": "user",
                "content": [
                    {"text": " ".join(f"w{i}" for i in range(second_after))},
                    {"cachePoint": {"type": "default"}},
                    {"text": "Which rule applies?"},
                ],
            }
        ],
    }


def test_the_minimum_counts_from_the_previous_point_that_caches() -> None:
    # Bedrock: at least the minimum "per cache checkpoint", the second no earlier than twice
    # it. A second point a few hundred tokens after a cached first one caches nothing: the
    # emulator, the router's estimate and the planner all write only the first. (Before, all
    # three checked only the whole prefix, and cached both.)
    request = _two_points(300)
    first, second = (p.tokens for p in _all_points(request))
    assert first >= SONNET_MIN and 0 < second - first < SONNET_MIN
    billed = PromptCache(Clock()).apply(SONNET_ID, request, SONNET_MIN)
    assert (billed.read, billed.write) == (0, first)
    points = prefixes(request, SONNET_MIN)
    assert [p.tokens for p in points] == [first]
    option = expected_cost(
        Tier.SONNET, points, (), count_request(request), 0, SETTINGS.rates(Tier.SONNET)
    )
    assert option.write_tokens == first
    planner = _planner()
    total = count_request(request)
    planner.add(Invocation(T0, SONNET_ID, Usage(input=total, output=1), request))
    assert planner.result.cache_write_tokens == first
    # far enough past the first, the second caches too, everywhere
    request = _two_points(1500)
    first, second = (p.tokens for p in _all_points(request))
    assert second - first >= SONNET_MIN
    billed = PromptCache(Clock()).apply(SONNET_ID, request, SONNET_MIN)
    assert billed.write == second
    assert [p.tokens for p in prefixes(request, SONNET_MIN)] == [first, second]


def _all_points(request: dict[str, Any]) -> list[Any]:
    from tierwise.core.caching import point_prefixes

    return point_prefixes(request)
