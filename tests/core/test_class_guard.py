"""The crossing guard: a split class posterior never sends a request across Haiku<->Opus.

A stub class scorer hands routing a chosen posterior, and a constant difficulty scorer
pushes as hard as it can toward one extreme; the guard must hold the request on Sonnet
whenever the opposite extreme holds ``class_crossing_guard`` of the class evidence.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tierwise.core.classes import ClassPrediction, CueClassifier
from tierwise.core.routing import RoutingPolicy, decide, tier_mass
from tierwise.core.taxonomy import DEFAULT_CLASS_RULES, FALLBACK_CLASS, TASK_CLASSES
from tierwise.core.tiers import Tier
from tierwise.errors import ConfigError

REQUEST: dict[str, Any] = {"messages": [{"role": "user", "content": [{"text": "hello there"}]}]}
HAIKU_CLASSES = [c for c in TASK_CLASSES if DEFAULT_CLASS_RULES[c].tier is Tier.HAIKU]
OPUS_CLASSES = [c for c in TASK_CLASSES if DEFAULT_CLASS_RULES[c].tier is Tier.OPUS]


class FixedClasses:
    """A class scorer that returns one posterior whatever the request."""

    version = "fixed-v0"

    def __init__(self, probs: Mapping[str, float]) -> None:
        total = sum(probs.values())
        self.probs = {c: probs.get(c, 0.0) / total for c in TASK_CLASSES}

    def probabilities(
        self, features: Mapping[str, float], system: str, user: str
    ) -> dict[str, float]:
        return dict(self.probs)


class ConstantScorer:
    def __init__(self, value: float) -> None:
        self.value = value
        self.version = "const-v0"

    def score(self, text: str) -> float:
        return self.value

    def rescue(self, text: str) -> float:
        return 0.5


def route(probs: Mapping[str, float], difficulty: float | None = None, **policy: Any) -> Any:
    scorer = None if difficulty is None else ConstantScorer(difficulty)
    return decide(
        REQUEST,
        policy=RoutingPolicy(**policy),
        scorer=scorer,
        class_scorer=FixedClasses(probs),
    )


def test_a_haiku_class_with_opus_evidence_takes_sonnet_and_says_why() -> None:
    d = route({"extract": 0.6, "complex_analysis": 0.3, "summarize": 0.1})
    assert d.task_class.name == "extract"
    assert d.class_tier is Tier.SONNET
    assert d.policy_line == "routing.class_crossing_guard = 0.15"
    assert "opus-tier classes hold 0.30 of the class evidence" in d.reasons[0]


def test_a_clear_posterior_keeps_the_class_default() -> None:
    d = route({"extract": 0.9, "summarize": 0.08, "complex_analysis": 0.02})
    assert d.class_tier is Tier.HAIKU
    assert d.policy_line == 'routing.classes.extract = { tier = "haiku" }'


def test_the_guard_follows_the_policys_class_tiers() -> None:
    from tierwise.core.taxonomy import ClassRule

    # complex_analysis moved to sonnet: its evidence no longer threatens a crossing.
    d = route(
        {"extract": 0.6, "complex_analysis": 0.3, "summarize": 0.1},
        classes={"complex_analysis": ClassRule(Tier.SONNET)},
    )
    assert d.class_tier is Tier.HAIKU


def test_difficulty_cannot_step_into_the_extreme_the_evidence_argues_against() -> None:
    # Sonnet class, but a fifth of the evidence is Haiku-class: an extreme difficulty
    # would step up to Opus; the guard keeps Sonnet.
    d = route({"summarize": 0.6, "classify": 0.2, "research_synthesis": 0.2}, difficulty=0.99)
    assert d.routed_tier is Tier.SONNET
    assert "would step up, but haiku-tier classes hold" in " ".join(d.reasons)
    down = route({"summarize": 0.6, "classify": 0.2, "research_synthesis": 0.2}, difficulty=0.0)
    assert down.routed_tier is Tier.SONNET
    # With no evidence on the far side the same steps go ahead.
    assert route({"summarize": 0.9, "classify": 0.1}, difficulty=0.99).routed_tier is Tier.OPUS
    assert route({"summarize": 0.9, "research_synthesis": 0.1}, difficulty=0.0).routed_tier is (
        Tier.HAIKU
    )


def test_a_flat_posterior_is_not_a_split() -> None:
    # The cue classifier with one weak cue: every other class sits on the same floor.
    probs = dict.fromkeys(TASK_CLASSES, 1.0)
    probs["research_synthesis"] = 25.0
    mass = tier_mass(ClassPrediction.from_probs(FixedClasses(probs).probs, "x"), RoutingPolicy())
    assert mass[Tier.OPUS] == pytest.approx(1.0)
    assert route(probs).class_tier is Tier.OPUS


def test_the_guard_is_validated_and_can_be_turned_off() -> None:
    with pytest.raises(ConfigError, match="class_crossing_guard"):
        RoutingPolicy(class_crossing_guard=0.0)
    with pytest.raises(ConfigError, match="class_crossing_guard"):
        RoutingPolicy(class_crossing_guard=1.5)
    off = route({"extract": 0.6, "complex_analysis": 0.3, "summarize": 0.1}, class_crossing_guard=1)
    assert off.class_tier is Tier.HAIKU


@settings(max_examples=200, deadline=None)
@given(
    weights=st.lists(st.floats(0.0, 1.0), min_size=len(TASK_CLASSES), max_size=len(TASK_CLASSES)),
    difficulty=st.sampled_from([None, 0.0, 0.5, 0.99]),
)
def test_no_crossing_while_the_far_extreme_holds_the_guard_share(
    weights: list[float], difficulty: float | None
) -> None:
    probs = {c: w + 1e-6 for c, w in zip(TASK_CLASSES, weights, strict=True)}
    d = route(probs, difficulty)
    mass = tier_mass(d.task_class, RoutingPolicy())
    guard = RoutingPolicy().class_crossing_guard
    if mass[Tier.OPUS] >= guard:
        assert d.routed_tier is not Tier.HAIKU
    if mass[Tier.HAIKU] >= guard:
        assert d.routed_tier is not Tier.OPUS


def test_blended_cues_give_the_fallback_class_no_head_start() -> None:
    empty: dict[str, float] = {}
    alone = CueClassifier().probabilities(empty, "", "")
    assert max(alone, key=lambda c: alone[c]) == FALLBACK_CLASS
    blended = CueClassifier(fallback_logit=0.0).probabilities(empty, "", "")
    assert len(set(blended.values())) == 1
    assert CueClassifier(fallback_logit=0.0).version != CueClassifier().version


# --- an uncertain class buys no thinking budget -------------------------------------------


def test_an_uncertain_class_on_a_shared_tier_drops_the_class_thinking_budget() -> None:
    # math (Sonnet with a 4,096-token budget) just ahead of routine_code (plain Sonnet),
    # both under class_min_confidence: Sonnet, but not the budget only maths asks for.
    d = route({"math": 0.30, "routine_code": 0.25, "general_qa": 0.24, "summarize": 0.21}, 0.3)
    assert d.task_class.name == "math" and d.task_class.confidence < 0.35
    assert (d.tier, d.thinking_budget) == (Tier.SONNET, None)
    assert d.policy_line == "routing.class_min_confidence = 0.35"
    assert "differ only in their thinking budget" in d.reasons[0]


def test_a_confident_class_keeps_its_thinking_budget() -> None:
    d = route({"math": 0.8, "routine_code": 0.2}, 0.3)
    assert (d.tier, d.thinking_budget) == (Tier.SONNET, 4096)
    assert d.policy_line == 'routing.classes.math = { tier = "sonnet", thinking_budget = 4096 }'


def test_an_uncertain_class_split_across_tiers_drops_the_class_thinking_budget() -> None:
    # math (Sonnet + budget) against classify (Haiku): the split takes Sonnet, which is
    # also math's tier; the budget is math's line, which did not apply.
    d = route({"math": 0.30, "classify": 0.28, "general_qa": 0.22, "summarize": 0.20}, 0.3)
    assert d.class_tier is Tier.SONNET and "is uncertain" in d.reasons[0]
    assert d.thinking_budget is None


def test_difficulty_still_buys_thinking_for_an_uncertain_class() -> None:
    # The thinking band comes from the difficulty score, whatever the class stage decided.
    d = route({"math": 0.30, "routine_code": 0.25, "general_qa": 0.24, "summarize": 0.21}, 0.75)
    assert d.tier is Tier.SONNET and d.thinking_budget is not None
