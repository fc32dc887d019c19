"""Expected output and thinking use learned per (task class, tier), the configured values
as the prior (core.output_learning), and what the cache-aware choice makes of them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tierwise.core.cache_aware import choose_tier
from tierwise.core.metering import StreamMeter
from tierwise.core.output_learning import (
    Observation,
    OutputPrior,
    Tally,
    estimate,
    observe,
    tally_keys,
    thinking_tokens,
)
from tierwise.core.pricing import Rates
from tierwise.core.tiers import Tier

PRIOR = OutputPrior(answer_tokens=400, thinking_use=1.0, weight=3.0)


def _learn(tallies: dict[str, Tally], task_class: str, tier: str, seen: Observation) -> None:
    for key in tally_keys(task_class, tier):
        tallies[key] = tallies.get(key, Tally()).add(seen, window=200)


def test_the_prior_holds_with_no_answers_seen() -> None:
    guess = estimate("rag_qa", "sonnet", {}, PRIOR)
    assert (guess.answer_tokens, guess.thinking_use) == (400, 1.0)
    assert not guess.learned and guess.answers == 0 and guess.thinking_source == "prior"
    assert "(prior)" in guess.describe(8192)
    # answers of another class, or thinking on another tier, say nothing about this one
    tallies: dict[str, Tally] = {}
    _learn(tallies, "classify", "sonnet", Observation(5, None))
    _learn(tallies, "math", "opus", Observation(300, 0.01))
    guess = estimate("rag_qa", "sonnet", tallies, PRIOR)
    assert (guess.answer_tokens, guess.thinking_use) == (400, 1.0)


def test_answers_move_the_estimate_from_the_prior_by_their_count() -> None:
    tallies: dict[str, Tally] = {}
    _learn(tallies, "rag_qa", "sonnet", Observation(100, None))
    one = estimate("rag_qa", "sonnet", tallies, PRIOR)
    # (3 x 400 + 100) / (3 + 1)
    assert one.answer_tokens == 325 and one.learned and one.answers == 1
    for _ in range(29):
        _learn(tallies, "rag_qa", "sonnet", Observation(100, None))
    many = estimate("rag_qa", "sonnet", tallies, PRIOR)
    assert many.answer_tokens == round((3 * 400 + 30 * 100) / 33)
    assert "learned: 30 answers of the class on this tier" in many.describe()
    # another tier the class has not answered on borrows the class's answers
    haiku = estimate("rag_qa", "haiku", tallies, PRIOR)
    assert haiku.answer_tokens < 400 and haiku.answer_source == "class"


def test_thinking_use_is_learned_per_tier_and_borrowed_by_a_class_never_served_with_it() -> None:
    tallies: dict[str, Tally] = {}
    for _ in range(27):
        _learn(tallies, "math", "sonnet", Observation(250, 0.02))
    math = estimate("math", "sonnet", tallies, PRIOR)
    assert abs(math.thinking_use - (3 * 1.0 + 27 * 0.02) / 30) < 1e-9
    # planning work never ran with thinking: it borrows Sonnet's measured thinking use
    planning = estimate("complex_analysis", "sonnet", tallies, PRIOR)
    assert planning.thinking_source == "tier" and planning.thinking_answers == 27
    assert planning.thinking_use < 0.2 and planning.answer_tokens == 400
    # Opus's thinking was never seen
    assert estimate("complex_analysis", "opus", tallies, PRIOR).thinking_use == 1.0


def test_the_window_keeps_the_mean_following_recent_answers() -> None:
    tally = Tally()
    for _ in range(50):
        tally = tally.add(Observation(1000, None), window=10)
    for _ in range(10):
        tally = tally.add(Observation(100, None), window=10)
    assert tally.answers == 10
    # a plain running mean would still be 850; the window has mostly forgotten the 1,000s
    assert tally.answer_tokens / tally.answers < 500


def test_thinking_tokens_are_read_from_the_reasoning_that_came_back() -> None:
    content: list[dict[str, Any]] = [
        {"reasoningContent": {"reasoningText": {"text": "x" * 400, "signature": "s"}}},
        {"text": "y" * 1200},
    ]
    # the billed 500 split as the estimates of 400 and 1,200 characters are
    assert thinking_tokens(500, content) == 125
    assert thinking_tokens(300, [{"text": "no thinking"}]) == 0
    redacted: list[dict[str, Any]] = [{"reasoningContent": {"redactedContent": b"..."}}]
    assert thinking_tokens(300, redacted) is None
    seen = observe(500, 4096, 125, expected_answer=400)
    assert seen.answer_tokens == 375 and abs(seen.thinking_share - 125 / 4096) < 1e-12  # type: ignore[operator]
    # redacted: the output beyond the answer expected is the thinking; the answer unknown
    assert observe(900, 1000, None, expected_answer=400) == Observation(None, 0.5)
    assert observe(300, None, 0, expected_answer=400) == Observation(300, None)


def test_a_stream_meter_splits_its_output_the_same_way() -> None:
    meter = StreamMeter()
    meter.note({"contentBlockDelta": {"delta": {"reasoningContent": {"text": "x" * 400}}}})
    meter.note({"contentBlockDelta": {"delta": {"text": "y" * 1200}}})
    assert meter.thinking_tokens(500) == 125
    meter.note({"contentBlockDelta": {"delta": {"reasoningContent": {"redactedContent": b"."}}}})
    assert meter.thinking_tokens(500) is None


RATES = {
    Tier.SONNET: Rates(Decimal(3), Decimal(15), Decimal("0.3"), Decimal("3.75"), Decimal(6)),
    Tier.OPUS: Rates(Decimal(5), Decimal(25), Decimal("0.5"), Decimal("6.25"), Decimal(10)),
}


def _planning_turn(expected: Any) -> Any:
    return _planning_turn_choice([Tier.SONNET, Tier.OPUS], expected=expected)


def _planning_turn_choice(allowed: list[Tier], **kw: Any) -> Any:
    """An Opus-class turn; ``allowed``: the tiers the class's policy allows."""
    request = {"messages": [{"role": "user", "content": [{"text": "plan the migration " * 800}]}]}
    kw.setdefault("thinking", {Tier.SONNET: 8192})
    return choose_tier(
        Tier.OPUS,
        allowed,
        request,
        prepared=lambda tier: request,
        min_tokens=lambda tier: 1024,
        warm=lambda tier, points: (),
        rates=RATES.__getitem__,
        output_tokens=400,
        thinking_use=1.0,
        **kw,
    )


def test_a_small_learned_thinking_use_makes_sonnet_with_thinking_cheaper_than_opus() -> None:
    # priced at the whole 8,192-token budget (the prior), Sonnet with thinking costs more
    # than Opus; at the share Sonnet's answers were seen to use, less
    prior = {t: estimate("complex_analysis", t.value, {}, PRIOR) for t in RATES}
    before = _planning_turn(prior)
    assert before.tier is Tier.OPUS and before.thinking_budget is None
    assert "expected output: opus 400 output tokens (prior)" in before.reason
    tallies: dict[str, Tally] = {}
    for _ in range(40):
        _learn(tallies, "math", "sonnet", Observation(300, 0.02))
    learned = {t: estimate("complex_analysis", t.value, tallies, PRIOR) for t in RATES}
    after = _planning_turn(learned)
    assert after.tier is Tier.SONNET and after.thinking_budget == 8192
    assert "learned: 40 answers of the tier" in after.reason
    sonnet = next(o for o in after.options if o.tier is Tier.SONNET)
    assert sonnet.thinking_tokens == round(8192 * learned[Tier.SONNET].thinking_use)
    assert sonnet.to_dict()["expected"]["thinking_source"] == "tier"


def test_a_tier_with_few_thinking_answers_is_priced_optimistically_until_enough_are_seen() -> None:
    # exploration: the configured use (the whole budget) would keep a thinking option from
    # ever being chosen; while fewer than `explore` thinking answers are seen on the tier,
    # the same mean is taken with 0 in place of the configured use
    tallies: dict[str, Tally] = {}
    fresh = estimate("complex_analysis", "sonnet", tallies, PRIOR, explore=4)
    assert fresh.thinking_use == 0.0 and fresh.exploring and fresh.exploring_below == 4
    assert "exploring: no thinking answer on this tier yet (under 4)" in fresh.describe(8192)
    assert fresh.to_dict()["exploring_below"] == 4
    assert fresh.answer_tokens == 400  # the answer's length is not explored
    off = estimate("complex_analysis", "sonnet", tallies, PRIOR)
    assert off.thinking_use == 1.0 and not off.exploring and "exploring_below" not in off.to_dict()
    for _ in range(3):
        _learn(tallies, "complex_analysis", "sonnet", Observation(500, 0.02))
    still = estimate("complex_analysis", "sonnet", tallies, PRIOR, explore=4)
    assert still.exploring and abs(still.thinking_use - 3 * 0.02 / (3 + 3)) < 1e-9
    assert "exploring: learned: 3 answers of the class on this tier" in still.describe(8192)
    # thinking answers of any class on the tier count towards ending it (what a class never
    # served with thinking borrows)
    _learn(tallies, "math", "sonnet", Observation(300, 0.04))
    done = estimate("complex_analysis", "sonnet", tallies, PRIOR, explore=4)
    assert not done.exploring and "exploring" not in done.describe(8192)
    tier_use = (3 * 1.0 + 0.04) / (3 + 1)
    assert abs(done.thinking_use - (3 * tier_use + 3 * 0.02) / (3 + 3)) < 1e-9
    # nothing learned on Opus: it still explores there
    assert estimate("complex_analysis", "opus", tallies, PRIOR, explore=4).exploring


def test_an_explored_option_is_chosen_only_among_the_allowed_tiers_and_says_so() -> None:
    exploring = estimate("complex_analysis", "sonnet", {}, PRIOR, explore=10)
    kw: dict[str, Any] = {
        "expected": {Tier.SONNET: exploring, Tier.OPUS: estimate("x", "opus", {}, PRIOR)},
        "thinking": {Tier.SONNET: 8192},
    }
    allowed = _planning_turn_choice([Tier.SONNET, Tier.OPUS], **kw)
    assert allowed.tier is Tier.SONNET and allowed.thinking_budget == 8192
    assert "; exploring sonnet with a 8,192-token thinking budget: its thinking use" in (
        allowed.reason
    )
    assert "hold still reserves the whole budget and the maximum output" in allowed.reason
    # the class's policy rules Sonnet out (lowest = "opus"): Opus, however cheap the
    # exploring estimate makes Sonnet look
    ruled_out = _planning_turn_choice([Tier.OPUS], **kw)
    assert ruled_out.tier is Tier.OPUS and len(ruled_out.options) == 1
    assert "exploring" not in ruled_out.reason
