"""Cache-aware tier choice: warm and cold prefixes, the allowed tiers, stickiness."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from tierwise.core.cache_aware import (
    Prefix,
    choose_tier,
    conversation_key,
    expected_cost,
    expected_reuse,
    learned_prefixes,
    prefixes,
)
from tierwise.core.caching import CachePolicy, place_cache_points
from tierwise.core.pricing import Rates
from tierwise.core.thinking import apply_thinking
from tierwise.core.tiers import Tier

RATES = {
    Tier.HAIKU: Rates(Decimal(1), Decimal(5), Decimal("1.25"), Decimal(2), Decimal("0.1")),
    Tier.SONNET: Rates(Decimal(3), Decimal(15), Decimal("3.75"), Decimal(6), Decimal("0.3")),
    Tier.OPUS: Rates(Decimal(5), Decimal(25), Decimal("6.25"), Decimal(10), Decimal("0.5")),
}
DOC = "The refund policy says annual plans are prorated by month. " * 4000  # ~50k tokens


def rag(question: str) -> dict[str, Any]:
    return {
        "system": [{"text": "Answer from the document. " + DOC}],
        "messages": [{"role": "user", "content": [{"text": question}]}],
    }


def prepared(request: dict[str, Any]) -> Any:
    return lambda tier: place_cache_points(request, CachePolicy(min_tokens=1024)).request


class Warm:
    """A fake cache state: which (tier, prefix key) pairs are warm."""

    def __init__(self) -> None:
        self.keys: set[tuple[Tier, str]] = set()

    def __call__(self, tier: Tier, points: Sequence[Prefix]) -> Iterable[str]:
        return {p.key for p in points if (tier, p.key) in self.keys}

    def heat(self, tier: Tier, request: dict[str, Any]) -> None:
        for p in prefixes(prepared(request)(tier), 1024):
            self.keys.add((tier, p.key))


def choose(request: dict[str, Any], warm: Warm, preferred: Tier, **kw: Any) -> Any:
    return choose_tier(
        preferred,
        [t for t in Tier.ordered() if t.rank >= preferred.rank],
        request,
        prepared=prepared(request),
        min_tokens=lambda t: 1024,
        warm=warm,
        rates=lambda t: RATES[t],
        output_tokens=100,
        **kw,
    )


def test_a_prefix_warm_on_sonnet_beats_a_cold_haiku() -> None:
    request = rag("Can I get a partial refund after four months?")
    warm = Warm()
    cold = choose(request, warm, Tier.HAIKU)
    assert cold.tier is Tier.HAIKU and not cold.sticky
    warm.heat(Tier.SONNET, request)
    hot = choose(request, warm, Tier.HAIKU)
    assert hot.tier is Tier.SONNET
    assert "haiku allowed" in hot.reason and "warm on sonnet" in hot.reason
    by = {o.tier: o.cost for o in hot.options}
    assert by[Tier.SONNET] < by[Tier.HAIKU]
    assert hot.saving == by[Tier.HAIKU] - by[Tier.SONNET] > 0


def test_quality_is_never_traded_for_money() -> None:
    request = rag("Summarise the policy")
    warm = Warm()
    warm.heat(Tier.HAIKU, request)  # warm on haiku, but the router wants sonnet
    choice = choose(request, warm, Tier.SONNET)
    assert choice.tier is Tier.SONNET
    assert all(o.tier is not Tier.HAIKU for o in choice.options)


def test_a_dearer_tier_is_never_picked_without_a_saving() -> None:
    request = rag("What is the refund policy?")
    choice = choose(request, Warm(), Tier.HAIKU)
    assert choice.tier is Tier.HAIKU  # nothing warm: the preferred tier is cheapest


def test_expected_cost_reads_warm_writes_cold_and_skips_short_prefixes() -> None:
    request = rag("q")
    points = prefixes(prepared(request)(Tier.SONNET), 1024)
    assert points and points[0].tokens > 40_000
    total = points[-1].tokens + 20
    cold = expected_cost(Tier.SONNET, points, [], total, 0, RATES[Tier.SONNET])
    hot = expected_cost(Tier.SONNET, points, [points[-1].key], total, 0, RATES[Tier.SONNET])
    assert cold.write_tokens == points[-1].tokens and cold.warm_tokens == 0
    assert hot.warm_tokens == points[-1].tokens and hot.write_tokens == 0
    assert hot.cost < cold.cost
    assert prefixes(prepared(request)(Tier.SONNET), 10**9) == []  # under the minimum


def test_learning_from_usage_marks_only_what_bedrock_reported() -> None:
    points = [Prefix(2000, "5m", "a"), Prefix(5000, "5m", "b"), Prefix(9000, "1h", "c")]
    assert learned_prefixes(points, read=0, written=0) == []
    assert learned_prefixes(points, read=0, written=5000) == points[:2]
    assert learned_prefixes(points, read=5000, written=4000) == points


def test_conversations_stick_unless_confident_or_worth_it() -> None:
    first = {"role": "user", "content": [{"text": "Plan a database migration. " + DOC[:4000]}]}
    turn = {
        "system": [{"text": "You are a senior engineer."}],
        "messages": [first, {"role": "assistant", "content": [{"text": "Sure."}]},
                     {"role": "user", "content": [{"text": "thanks!"}]}],
    }  # fmt: skip
    key = conversation_key(turn)
    assert key is not None and conversation_key({"messages": [first]}) is None
    # the conversation is on sonnet; this turn alone would route to haiku
    stay = choose(turn, Warm(), Tier.HAIKU, current=Tier.SONNET, confident=False, margin=0.9)
    assert stay.tier is Tier.SONNET and stay.sticky and "margin" in stay.reason
    moved = choose(turn, Warm(), Tier.HAIKU, current=Tier.SONNET, confident=True)
    assert moved.tier is Tier.HAIKU and not moved.sticky
    cheap = choose(turn, Warm(), Tier.HAIKU, current=Tier.SONNET, confident=False, margin=0.1)
    assert cheap.tier is Tier.HAIKU  # the saving clears a 10% margin
    # a conversation on a tier below what quality now needs never stays there
    up = choose(turn, Warm(), Tier.OPUS, current=Tier.HAIKU, confident=False, margin=0.99)
    assert up.tier is Tier.OPUS


def test_a_young_window_forecasts_from_its_rate_not_its_count() -> None:
    # two requests in the 3 s since the prefix's window opened: many more are due in 5 min
    assert expected_reuse(2, 3.0, 300, 20) == 20
    # a window open for the whole TTL forecasts what it saw; a quiet prefix, less
    assert expected_reuse(4, 300.0, 300, 20) == 4
    assert expected_reuse(1, 240.0, 300, 20) == 1.25
    assert expected_reuse(0, 0.0, 300, 20) == 0
    assert expected_reuse(3, 0.0, 300, 0) == 0  # max_reuse 0: never spread a write


def test_a_busy_prefix_gets_the_cheaper_tiers_copy_written_at_once() -> None:
    # Sonnet's copy is warm, Haiku's is cold; the router wants Haiku. With requests arriving
    # fast on this prefix, Haiku's write pays back over the Haiku-routed ones that follow.
    request = rag("Which section covers refunds? Reply with the number only.")
    warm = Warm()
    warm.heat(Tier.SONNET, request)
    quiet = choose(request, warm, Tier.HAIKU, reuse=expected_reuse(1, 240.0, 300, 20))
    assert quiet.tier is Tier.SONNET
    busy = choose(
        request, warm, Tier.HAIKU, reuse=expected_reuse(1, 0.5, 300, 20),
        demand={Tier.HAIKU: 0.4, Tier.SONNET: 0.6},
    )  # fmt: skip
    assert busy.tier is Tier.HAIKU


def test_a_write_is_spread_only_over_the_requests_that_will_read_it() -> None:
    # Nothing warm; Sonnet preferred. Spread over 20 readers, Opus's write looks cheap, but
    # no traffic is routed to Opus, so none of them would read its copy.
    request = rag("Draft a reply explaining the refund policy.")
    careless = choose(request, Warm(), Tier.SONNET, reuse=20, thinking={Tier.SONNET: 4096})
    assert careless.tier is Tier.OPUS  # the old pricing: every later request reads it
    demand = {Tier.HAIKU: 0.4, Tier.SONNET: 0.6}
    right = choose(
        request, Warm(), Tier.SONNET, reuse=20, demand=demand, thinking={Tier.SONNET: 4096}
    )
    assert right.tier is Tier.SONNET


def test_a_thinking_budget_is_priced_as_its_expected_output() -> None:
    request = rag("Plan the migration.")
    plain = choose(request, Warm(), Tier.SONNET)
    full = choose(request, Warm(), Tier.SONNET, thinking={Tier.SONNET: 4000})
    half = choose(request, Warm(), Tier.SONNET, thinking={Tier.SONNET: 4000}, thinking_use=0.5)
    cost = {
        name: next(o.cost for o in c.options if o.tier is Tier.SONNET)
        for name, c in (("plain", plain), ("full", full), ("half", half))
    }
    output_rate = RATES[Tier.SONNET].output / Decimal(1_000_000)
    assert cost["full"] - cost["plain"] == 4000 * output_rate
    assert cost["half"] - cost["plain"] == 2000 * output_rate
    assert full.thinking_budget == 4000 and full.to_dict()["options"][0]["thinking_budget"] == 4000


def _opus_class(request: dict[str, Any], warm: Warm, **kw: Any) -> Any:
    """Opus preferred; the class's policy allows Sonnet with an 8k thinking budget."""
    return choose_tier(
        Tier.OPUS,
        [Tier.SONNET, Tier.OPUS],
        request,
        prepared=prepared(request),
        min_tokens=lambda t: 1024,
        warm=warm,
        rates=lambda t: RATES[t],
        output_tokens=100,
        thinking={Tier.SONNET: 8192},
        **kw,
    )


def test_when_warmer_opus_work_runs_on_sonnet_with_thinking_only_for_a_warm_prefix() -> None:
    request = rag("Design a change to the pooling that survives 10x load; compare two ways.")
    warm = Warm()
    cold = _opus_class(request, warm, below_preferred="when_warmer")
    by = {o.tier: o.cost for o in cold.options}
    # cold everywhere, Sonnet with a full thinking budget would even be a little cheaper, but
    # with "when_warmer" only a warm prefix may take a request below its preferred tier
    assert by[Tier.SONNET] < by[Tier.OPUS] and cold.tier is Tier.OPUS
    warm.heat(Tier.SONNET, request)
    hot = _opus_class(request, warm, below_preferred="when_warmer")
    assert hot.tier is Tier.SONNET and hot.thinking_budget == 8192
    assert hot.reason.startswith("sonnet with a 8,192-token thinking budget: the class's policy")
    assert "in place of opus" in hot.reason and "warm on sonnet" in hot.reason
    warm.heat(Tier.OPUS, request)  # warm on both: the preferred tier's read is cheaper
    assert _opus_class(request, warm, below_preferred="when_warmer").tier is Tier.OPUS
    # a conversation on Sonnet with nothing warm there does not stay below Opus
    stay = _opus_class(
        request, Warm(), current=Tier.SONNET, confident=False, margin=0.99,
        below_preferred="when_warmer",
    )  # fmt: skip
    assert stay.tier is Tier.OPUS and not stay.sticky


def test_when_cheaper_a_cold_request_takes_the_lowest_allowed_tier_and_says_why() -> None:
    # the rule: among the allowed tiers the lowest expected cost, warm or cold
    request = rag("Design a change to the pooling that survives 10x load; compare two ways.")
    cold = _opus_class(request, Warm(), move_margin=0.1, thinking_use=0.5)
    by = {o.tier: o.cost for o in cold.options}
    assert (by[Tier.OPUS] - by[Tier.SONNET]) / by[Tier.OPUS] > 0.1
    assert cold.tier is Tier.SONNET and cold.thinking_budget == 8192
    assert cold.reason == (
        f"sonnet with a 8,192-token thinking budget: the class's policy allows it in place of "
        f"opus, and it is expected cheaper (nothing warm on either): "
        f"${by[Tier.SONNET]:.4f} vs ${by[Tier.OPUS]:.4f}"
    )
    assert cold.saving == by[Tier.OPUS] - by[Tier.SONNET]
    # the same prefix warm on both: still cheaper below, and the reason says so
    warm = Warm()
    warm.heat(Tier.SONNET, request)
    warm.heat(Tier.OPUS, request)
    both = _opus_class(request, warm, thinking_use=0.05)
    assert both.tier is Tier.SONNET and "tokens warm on both)" in both.reason
    # warm only on Opus: reading there beats writing on Sonnet, so Opus
    opus_warm = Warm()
    opus_warm.heat(Tier.OPUS, request)
    assert _opus_class(request, opus_warm).tier is Tier.OPUS
    # move_margin holds near-ties on the preferred tier, stickiness keeps a conversation
    assert _opus_class(request, Warm(), move_margin=0.9).tier is Tier.OPUS
    held = _opus_class(request, Warm(), current=Tier.OPUS, confident=False, margin=0.99)
    assert held.tier is Tier.OPUS and held.sticky
    # quality still bounds it: a tier outside ``allowed`` is never an option
    only_opus = choose_tier(
        Tier.OPUS, [Tier.OPUS], request, prepared=prepared(request),
        min_tokens=lambda t: 1024, warm=Warm(), rates=lambda t: RATES[t], output_tokens=100,
    )  # fmt: skip
    assert only_opus.tier is Tier.OPUS and len(only_opus.options) == 1


def test_a_near_tie_stays_on_the_routed_tier() -> None:
    # Sonnet warm, Haiku cold, a forecast that makes Haiku's write almost pay back: the
    # move to Sonnet saves a few percent on forecasts, not enough to leave the routed tier
    request = rag("Which section covers refunds? Reply with the number only.")
    warm = Warm()
    warm.heat(Tier.SONNET, request)
    args: dict[str, Any] = {"reuse": 4.0, "demand": {Tier.HAIKU: 1.0}}
    free = choose(request, warm, Tier.HAIKU, **args)
    by = {o.tier: o.cost for o in free.options}
    assert free.tier is Tier.SONNET and (by[Tier.HAIKU] - by[Tier.SONNET]) / by[Tier.HAIKU] < 0.1
    held = choose(request, warm, Tier.HAIKU, move_margin=0.1, **args)
    assert held.tier is Tier.HAIKU and "under the 10% margin" in held.reason
    # a clear saving (nothing forecast to read Haiku's copy) still moves
    assert choose(request, warm, Tier.HAIKU, move_margin=0.1).tier is Tier.SONNET


def test_a_conversation_below_the_preferred_tier_moves_up_only_for_the_saving() -> None:
    # the conversation is on Sonnet, where the class's policy (lowest) allows its planning
    # turn; Opus, warm too, is a little cheaper: the router's confidence in the class does
    # not move it out of what the class allows, only a saving over the margin would
    request = rag("Design a change to the pooling that survives 10x load; compare two ways.")
    warm = Warm()
    warm.heat(Tier.SONNET, request)
    warm.heat(Tier.OPUS, request)
    kw: dict[str, Any] = {"current": Tier.SONNET, "confident": True, "margin": 0.2}
    near = _opus_class(request, warm, thinking_use=0.13, **kw)
    by = {o.tier: o.cost for o in near.options}
    assert by[Tier.OPUS] < by[Tier.SONNET] < by[Tier.OPUS] * Decimal("1.2")
    assert near.tier is Tier.SONNET and near.sticky and near.thinking_budget == 8192
    assert near.reason.startswith(
        "sonnet with a 8,192-token thinking budget: the conversation is on sonnet; the "
        "class's policy allows it in place of opus; moving to opus would save"
    )
    # a clear saving moves it up
    far = _opus_class(request, warm, thinking_use=0.5, **kw)
    assert far.tier is Tier.OPUS and not far.sticky
    # a conversation above the preferred tier still follows a confident router down
    turn = rag("Which section covers refunds? Reply with the number only.")
    down = choose(turn, Warm(), Tier.HAIKU, current=Tier.SONNET, confident=True, margin=0.99)
    assert down.tier is Tier.HAIKU


def test_message_prefixes_are_keyed_by_the_thinking_settings() -> None:
    # changing thinking invalidates message cache points, not the system prompt's: the
    # digests say so, so a history warm without thinking is not counted warm with it
    request = {
        **rag("Plan the migration."),
        "messages": [
            {"role": "user", "content": [{"text": "Incident log. " * 3000}]},
            {"role": "assistant", "content": [{"text": "Read it."}]},
            {"role": "user", "content": [{"text": "Plan the migration."}]},
        ],
    }
    plain = prefixes(prepared(request)(Tier.SONNET), 1024)

    def thinking(settings: dict[str, Any]) -> list[Prefix]:
        fields = {"additionalModelRequestFields": {"thinking": settings}}
        return prefixes(prepared({**request, **fields})(Tier.SONNET), 1024)

    budget = thinking({"type": "enabled", "budget_tokens": 2048})
    assert [p.tokens for p in budget] == [p.tokens for p in plain] and len(plain) >= 2
    assert budget[0].key == plain[0].key  # the system prompt's point
    assert all(b.key != p.key for b, p in zip(budget[1:], plain[1:], strict=True))
    other = thinking({"type": "enabled", "budget_tokens": 4096})
    assert all(o.key != b.key for o, b in zip(other[1:], budget[1:], strict=True))
    assert thinking({"type": "disabled"}) == plain


def _after_a_thinking_turn() -> tuple[dict[str, Any], Warm]:
    """A conversation whose planning turn ran on Sonnet with an 8,192-token thinking budget:
    its history is warm on Sonnet under that budget; under no thinking only up to the turn
    before the planning one (what the plain turns before it cached)."""
    log = "The refund policy says annual plans are prorated by month. " * 1500
    request = {
        "messages": [
            {"role": "user", "content": [{"text": "Here is the log. " + log}]},
            {"role": "assistant", "content": [{"text": "Noted."}]},
            {"role": "user", "content": [{"text": "Plan the fix. " + log[:8000]}]},
            {"role": "assistant", "content": [{"text": "The plan."}]},
            {"role": "user", "content": [{"text": "thanks! here is more: " + log[:8000]}]},
        ]
    }
    warm = Warm()
    plain = prefixes(prepared(request)(Tier.SONNET), 1024)
    warm.keys.add((Tier.SONNET, plain[0].key))
    thinking = prefixes(apply_thinking(prepared(request)(Tier.SONNET), 8192), 1024)
    warm.keys.update((Tier.SONNET, p.key) for p in thinking[:-1])
    return request, warm


def test_a_conversation_on_thinking_may_keep_it_where_its_history_is_cached() -> None:
    request, warm = _after_a_thinking_turn()
    kw: dict[str, Any] = {"current": Tier.SONNET, "current_thinking": 8192, "margin": 0.2}
    # a short reply the router sends to Haiku: Haiku and plain Sonnet write the history
    # (all of it, or what the planning turn added), Sonnet with the conversation's thinking
    # reads it; with thinking measured small, that is the cheapest option
    kept = choose(request, warm, Tier.HAIKU, thinking_use=0.01, **kw)
    sonnets = [o for o in kept.options if o.tier is Tier.SONNET]
    assert [o.thinking_budget for o in sonnets] == [None, 8192]
    assert sonnets[1].warm_tokens > sonnets[0].warm_tokens > 0
    assert kept.tier is Tier.SONNET and kept.thinking_budget == 8192 and not kept.sticky
    assert kept.reason.startswith("sonnet with a 8,192-token thinking budget: haiku allowed")
    assert "(the conversation's history is cached with this thinking budget)" in kept.reason
    by = {o.tier: o.cost for o in kept.options if not o.thinking_budget}
    assert kept.saving == by[Tier.HAIKU] - sonnets[1].cost > 0
    # priced at its whole budget, thinking costs more than the rewrite: plain Sonnet
    dear = choose(request, warm, Tier.HAIKU, thinking_use=1.0, **kw)
    assert dear.tier is Tier.SONNET and dear.thinking_budget is None
    # without the conversation's thinking (sticky_thinking off), only the plain options
    plain = choose(request, warm, Tier.HAIKU, thinking_use=0.01, current=Tier.SONNET)
    assert all(not o.thinking_budget for o in plain.options)
    assert plain.thinking_budget is None


def test_a_conversation_on_thinking_keeps_it_unless_dropping_it_saves_the_margin() -> None:
    request, warm = _after_a_thinking_turn()
    kw: dict[str, Any] = {"current": Tier.SONNET, "current_thinking": 8192, "margin": 0.2}
    # a turn routed to Sonnet itself; thinking priced so that plain Sonnet is a little cheaper
    near = choose(request, warm, Tier.SONNET, thinking_use=0.07, **kw)
    plain, think = (o for o in near.options if o.tier is Tier.SONNET)
    assert plain.cost < think.cost < plain.cost * Decimal("1.2")
    assert near.tier is Tier.SONNET and near.sticky and near.thinking_budget == 8192
    assert near.reason.startswith(
        "sonnet with a 8,192-token thinking budget: the conversation is on sonnet with a "
        "8,192-token thinking budget; moving to sonnet would save"
    )
    assert near.saving == plain.cost - think.cost < 0
    # a clear saving drops the thinking
    far = choose(request, warm, Tier.SONNET, thinking_use=0.5, **kw)
    assert far.tier is Tier.SONNET and far.thinking_budget is None and not far.sticky
    # the conversation's own budget on a turn that already thinks on that tier: no second
    # option (the turn's budget is what it is sent with)
    own = choose(request, warm, Tier.SONNET, thinking={Tier.SONNET: 4096}, **kw)
    assert [o.thinking_budget for o in own.options if o.tier is Tier.SONNET] == [4096]


def test_a_turn_thinking_less_than_its_conversation_may_take_the_conversations_budget() -> None:
    request, warm = _after_a_thinking_turn()

    def with_budget(tier: Tier, budget: int) -> Any:
        return apply_thinking(prepared(request)(tier), budget)

    def choose_with(budget: int) -> Any:
        """The choice for a turn the router gave ``budget`` thinking tokens on Sonnet, in a
        conversation that thought with 8,192 there."""
        return choose_tier(
            Tier.SONNET, [Tier.SONNET, Tier.OPUS], request,
            prepared=lambda t: with_budget(t, budget), min_tokens=lambda t: 1024, warm=warm,
            rates=lambda t: RATES[t], output_tokens=100, thinking={Tier.SONNET: budget},
            prepared_thinking=with_budget, current=Tier.SONNET, current_thinking=8192,
            thinking_use=0.01,
        )  # fmt: skip

    # the router gave this turn a smaller budget of its own: other settings, so a cold
    # history; the conversation's larger budget (more reasoning, never less) reads it
    smaller = choose_with(4096)
    sonnets = [o for o in smaller.options if o.tier is Tier.SONNET]
    assert [o.thinking_budget for o in sonnets] == [4096, 8192]
    assert sonnets[0].warm_tokens == 0 < sonnets[1].warm_tokens
    assert smaller.thinking_budget == 8192
    # a turn the router gave a larger budget keeps its own: the conversation's would be less
    larger = choose_with(16000)
    assert [o.thinking_budget for o in larger.options if o.tier is Tier.SONNET] == [16000]


def _conversation(follow_up_blocks: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """A long first turn, then the next call: an answer and a follow-up of that many blocks."""
    first = {"messages": [{"role": "user", "content": [{"text": "log line " * 3000}]}]}
    follow = [{"text": f"tool output {i} " + "z" * 40} for i in range(follow_up_blocks)]
    second = {"messages": [*first["messages"],
                           {"role": "assistant", "content": [{"text": "Noted."}]},
                           {"role": "user", "content": follow}]}  # fmt: skip
    return first, second


def test_a_turns_one_point_reads_the_previous_turn_through_its_lookback_window() -> None:
    # On a 4,096-token model the follow-up's only point is its own end; the previous call
    # wrote its entry two blocks back, and the estimate reads it as the emulator does.
    policy = CachePolicy(min_tokens=4096)
    first, second = _conversation(3)
    before = prefixes(place_cache_points(first, policy).request, 4096)
    after = prefixes(place_cache_points(second, policy).request, 4096)
    assert len(after) == 1 and after[0].key != before[-1].key
    warm = {p.key for p in learned_prefixes(before, read=0, written=before[-1].tokens)}
    option = expected_cost(Tier.HAIKU, after, warm, after[-1].tokens, 0, RATES[Tier.HAIKU])
    assert option.warm_tokens == before[-1].tokens
    assert option.write_tokens == after[-1].tokens - before[-1].tokens
    # 20 blocks later (an answer and 19 follow-up blocks) a point at the end alone cannot
    # reach the entry: nothing is read, as Bedrock reads it
    _, far = _conversation(19)
    far["messages"][-1]["content"].append({"cachePoint": {"type": "default"}})
    alone = prefixes(far, 4096)
    cold = expected_cost(Tier.HAIKU, alone, warm, alone[-1].tokens, 0, RATES[Tier.HAIKU])
    assert cold.warm_tokens == 0
    # so placement gives the previous turn's end a point of its own there, and that reads it
    far["messages"][-1]["content"].pop()
    placed = prefixes(place_cache_points(far, policy).request, 4096)
    hot = expected_cost(Tier.HAIKU, placed, warm, placed[-1].tokens, 0, RATES[Tier.HAIKU])
    assert hot.warm_tokens == before[-1].tokens


def test_the_entry_a_read_found_through_the_window_is_learned_warm_again() -> None:
    policy = CachePolicy(min_tokens=4096)
    first, second = _conversation(3)
    before = prefixes(place_cache_points(first, policy).request, 4096)
    after = prefixes(place_cache_points(second, policy).request, 4096)
    read = before[-1].tokens
    learned = learned_prefixes(after, read=read, written=after[-1].tokens - read)
    assert [(p.tokens, p.key) for p in learned] == [
        (read, before[-1].key),
        (after[-1].tokens, after[-1].key),
    ]
