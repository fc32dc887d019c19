"""Routing: which tier (and how much extended thinking) a request gets, and why.

Two stages, each explainable:

1. **Task class.** A class model (:mod:`tierwise.core.classes`) reads the whole request
   and names its task class, with a confidence and a runner-up. The class's policy line
   (``[routing.classes.<name>]``) gives the default tier and optional thinking budget.
   When the model is unsure between two classes whose defaults differ, the request takes
   Sonnet, the default.
2. **Difficulty within the class.** The difficulty score is P(the cheaper tier's answer is
   not good enough): the learned :class:`DifficultyScorer`'s estimate (or the neutral
   ``prior``) plus the rule evidence of :mod:`tierwise.core.rules` in logit space. It moves
   the request at most one tier from its class default, and only on strong evidence::

       score <  haiku_threshold  -> one tier down
       score >= opus_threshold   -> one tier up

   A Sonnet result scoring from ``sonnet_thinking_threshold`` up gets a thinking budget.

Caller hints apply last. The result is a :class:`Decision` carrying the class, the
scores, thresholds and human-readable reasons. Everything here is a pure function of its
inputs: no clock, no randomness.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, NamedTuple

from tierwise.core.classes import (
    ClassPrediction,
    ClassScorer,
    CueClassifier,
    class_features,
)
from tierwise.core.difficulty import DifficultyScorer
from tierwise.core.hints import Hints
from tierwise.core.rules import (
    MIN_ANSWER_TOKENS,
    Evidence,
    RoutingPolicy,
    evidence,
    fit_thinking_budget,
    logit,
    sigmoid,
)
from tierwise.core.signals import Signals, extract_signals
from tierwise.core.taxonomy import ClassRule
from tierwise.core.tiers import Tier
from tierwise.errors import ConfigError

__all__ = [
    "ClassScorer",
    "ClassStep",
    "Decision",
    "DifficultyScorer",
    "Hints",
    "RoutingPolicy",
    "class_step",
    "decide",
    "decide_signals",
    "instructions",
    "predict_class",
    "score_only",
    "scorer_text",
    "tier_mass",
]


@dataclass(frozen=True)
class Decision:
    """A routing decision and everything needed to explain it.

    ``routed_tier`` is what the request alone earned; ``tier`` is after caller hints.
    """

    tier: Tier
    thinking_budget: int | None
    score: float
    scores: Mapping[str, float]
    thresholds: Mapping[str, float]
    reasons: tuple[str, ...]
    signals: Mapping[str, Any]
    policy_version: str
    routed_tier: Tier
    task_class: ClassPrediction
    class_tier: Tier
    policy_line: str
    # The cheapest tier the quality policy lets cache-aware routing use instead of ``tier``
    # (the class line's ``lowest``), and the thinking budget it must carry there; None: no
    # tier below ``tier`` is allowed.
    lowest: Tier | None = None
    lowest_thinking_budget: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form for the ledger and ``tierwise route --json``."""
        extra: dict[str, Any] = {}
        if self.lowest is not None:
            extra["lowest"] = self.lowest.value
            extra["lowest_thinking_budget"] = self.lowest_thinking_budget
        return {
            **extra,
            "tier": self.tier.value,
            "thinking_budget": self.thinking_budget,
            "score": round(self.score, 6),
            "routed_tier": self.routed_tier.value,
            "scores": {k: round(v, 6) for k, v in self.scores.items()},
            "thresholds": dict(self.thresholds),
            "reasons": list(self.reasons),
            "signals": dict(self.signals),
            "policy_version": self.policy_version,
            "task_class": {
                "name": self.task_class.name,
                "confidence": round(self.task_class.confidence, 4),
                "runner_up": self.task_class.runner_up,
                "runner_up_confidence": round(self.task_class.runner_up_confidence, 4),
                "model": self.task_class.scorer,
                "default_tier": self.class_tier.value,
                "policy_line": self.policy_line,
            },
        }


_PARAGRAPH = re.compile(r"\n[ \t]*\n")


def instructions(text: str, material_chars: int) -> str:
    """``text`` without its pasted material: paragraphs (blocks between blank lines) longer
    than ``material_chars`` are a document, a log, a file or tool output, not the task. A
    long paragraph's first line stays when it ends with ":" ("List the hosts that logged
    errors:"), as it introduces the material. Text that is all material, or
    ``material_chars`` 0, is returned whole: a long question in one paragraph is the task.
    """
    if material_chars <= 0 or len(text) <= material_chars:
        return text
    kept: list[str] = []
    for paragraph in _PARAGRAPH.split(text):
        if len(paragraph) <= material_chars:
            kept.append(paragraph)
            continue
        first = paragraph.strip().split("\n", 1)[0].rstrip()
        if first.endswith(":") and len(first) <= material_chars:
            kept.append(first)
    out = "\n\n".join(k for k in kept if k.strip())
    return out or text


def scorer_text(signals: Signals, policy: RoutingPolicy) -> str:
    """What the learned model reads: the instructions of the last user turn (head and tail)
    plus a little of the system prompt's.

    Pasted material (see :func:`instructions`) is left out: the model's length and
    number-density features would read a 60-line log or a 30k-token document as a hard task,
    when more material raises every tier's price and is no evidence that the cheaper tier
    fails (prompt length: AUROC ~0.55 out of source, docs/router/eval.md). Bounded so a
    20k-token request costs the model no more than a short one; the head keeps the
    instructions, the tail the question that usually follows pasted material.
    """
    text = instructions(signals.user_text, policy.scorer_material_chars)
    limit = policy.scorer_max_chars
    if len(text) > limit:
        head = limit * 3 // 4
        text = text[:head] + "\n" + text[-(limit - head) :]
    if signals.system_text and policy.scorer_context_chars > 0:
        system = instructions(signals.system_text, policy.scorer_material_chars)
        text = f"{text}\n\n{system[: policy.scorer_context_chars]}"
    return text


@dataclass(frozen=True, slots=True)
class _Score:
    learned: float | None
    base_logit: float
    evidence: tuple[Evidence, ...]

    @property
    def rules_logit(self) -> float:
        return sum(e.logit for e in self.evidence)

    @property
    def final_logit(self) -> float:
        return self.base_logit + self.rules_logit

    @property
    def final(self) -> float:
        return sigmoid(self.final_logit)


def _learned(s: Signals, p: RoutingPolicy, scorer: DifficultyScorer) -> float:
    value = float(scorer.score(scorer_text(s, p)))
    if math.isnan(value):
        raise ConfigError(
            f"difficulty model {scorer.version!r} returned NaN",
            hint="retrain it with `tierwise router train` or set routing.model_path",
        )
    return min(max(value, 0.0), 1.0)


def _score(s: Signals, p: RoutingPolicy, scorer: DifficultyScorer | None, hints: Hints) -> _Score:
    prior = logit(p.prior)
    learned = _learned(s, p, scorer) if scorer is not None else None
    base = prior
    if learned is not None:
        # The model's deviation from its own typical output moves the score away from the
        # prior, so a model whose scores sit low overall does not drag everything down.
        base = prior + p.learned_weight * (logit(learned) - logit(p.learned_center))
    return _Score(learned, base, evidence(s, p, hints))


_DEFAULT_CLASSIFIER = CueClassifier()


def predict_class(signals: Signals, scorer: ClassScorer | None = None) -> ClassPrediction:
    """The task class of a request (the cue classifier when ``scorer`` is None)."""
    model = scorer if scorer is not None else _DEFAULT_CLASSIFIER
    system, user = class_text(signals)
    probs = model.probabilities(class_features(signals), system, user)
    return ClassPrediction.from_probs(probs, model.version)


def class_text(signals: Signals, limit: int = 3000) -> tuple[str, str]:
    """What the class model reads as text: the system prompt's head, and the last user
    turn's head and tail (instructions sit at the ends; the middle is pasted material)."""
    user = signals.user_text
    if len(user) > limit:
        user = user[: limit * 2 // 3] + "\n" + user[-(limit // 3) :]
    return signals.system_text[:2000], user


def _thinking_block(s: Signals, p: RoutingPolicy, hints: Hints, tier: Tier, band: bool) -> str:
    """Why extended thinking cannot be used for this request, or "" when it can."""
    if band and not p.thinking_band:
        return "thinking band disabled: plain sonnet"
    if tier not in p.thinking_tiers:
        return f"{tier.value} tier does not support extended thinking: no thinking"
    if hints.latency_sensitive:
        return "latency-sensitive: extended thinking off"
    if s.thinking_requested:
        return "request already configures extended thinking"
    if s.forced_tool_choice:
        return "forced tool choice cannot be combined with extended thinking"
    if s.thinking_conflict:
        return f"{s.thinking_conflict}: no extended thinking"
    if s.max_tokens is not None and s.max_tokens < p.thinking_min_budget + MIN_ANSWER_TOKENS:
        return f"maxTokens {s.max_tokens} leaves no room for a thinking budget"
    return ""


def _lowest(  # noqa: PLR0917 - the facts one quality bound depends on
    s: Signals,
    p: RoutingPolicy,
    h: Hints,
    rule: ClassRule,
    routed: Tier,
    own: bool,
    tier: Tier,
    final: float,
) -> tuple[Tier | None, int | None]:
    """The cheapest tier (and the thinking budget it must carry) the quality policy lets
    cache-aware routing serve this request on: the class line's ``lowest``, only when the
    request stayed on the class's tier, its difficulty is under the step-up threshold (a
    borderline request, not one scored hard) and no caller hint forced, raised or bounded
    it from below, nor the class line's ``min_tier`` (measured evidence). Sonnet held in
    for Opus work thinks with the full budget (``thinking_max_budget``), as a high-stakes
    request held on Sonnet does. (None, None): nothing below ``tier``."""
    if rule.lowest is None or not (own and routed is rule.tier is tier):
        return None, None
    if h.force_tier is not None or h.high_stakes or final >= p.opus_threshold:
        return None, None
    floor, thinking = rule.floor()
    for bound in (h.min_tier, rule.min_tier):  # the caller's floor, and measured evidence
        if bound is not None and floor.rank < bound.rank:
            return None, None
    if floor is tier and not thinking:
        return None, None
    if not thinking:
        return floor, None
    if _thinking_block(s, p, h, floor, False):
        return None, None
    budget = fit_thinking_budget(p.thinking_max_budget, s.max_tokens)
    return (floor, budget) if budget else (None, None)


def _score_reasons(sc: _Score, p: RoutingPolicy, version: str) -> list[str]:
    reasons: list[str] = []
    if sc.learned is None:
        reasons.append(f"no learned difficulty model: neutral prior {p.prior:.2f}")
    else:
        reasons.append(
            f"learned difficulty {sc.learned:.2f} (typical {p.learned_center:.2f}; {version})"
        )
    ranked = sorted(sc.evidence, key=lambda e: -abs(e.logit))
    reasons.extend(f"{e.reason} ({e.logit:+.1f})" for e in ranked if e.reason)
    return reasons


def tier_mass(pred: ClassPrediction, p: RoutingPolicy) -> dict[Tier, float]:
    """Each tier's share of the class evidence, with the policy's (possibly edited) tiers.

    The evidence is the posterior above its floor (the probability of a class with no
    evidence at all), so a flat posterior, as the cue classifier gives a request with few
    cues, does not count as a split between tiers. A prediction built without its
    posterior counts the top and runner-up classes only.
    """
    probs: Mapping[str, float] = pred.probs or {
        pred.name: pred.confidence,
        pred.runner_up: pred.runner_up_confidence,
    }
    floor = min(probs.values()) if pred.probs else 0.0
    mass = dict.fromkeys(Tier.ordered(), 0.0)
    for name, prob in probs.items():
        mass[p.classes[name].tier] += prob - floor
    total = sum(mass.values())
    return {t: m / total for t, m in mass.items()} if total > 0 else mass


def _mass_text(mass: Mapping[Tier, float]) -> str:
    return ", ".join(f"{t.value} {m:.2f}" for t, m in mass.items())


def _crossing_block(to: Tier, mass: Mapping[Tier, float], p: RoutingPolicy) -> str:
    """Why ``to`` (Haiku or Opus) is refused, or "" when it may be used: the classes of the
    opposite extreme hold at least ``class_crossing_guard`` of the class evidence
    (:func:`tier_mass`), so the request could be a Haiku<->Opus crossing, the worst
    misroute."""
    if to is Tier.SONNET:
        return ""
    opposite = Tier.OPUS if to is Tier.HAIKU else Tier.HAIKU
    share = mass[opposite]
    if share < p.class_crossing_guard:
        return ""
    return (
        f"{opposite.value}-tier classes hold {share:.2f} of the class evidence "
        f"(routing.class_crossing_guard = {p.class_crossing_guard:g}): no {to.value}"
    )


class ClassStep(NamedTuple):
    """The class stage's outcome. ``own``: the top class's policy line set it, so that line's
    thinking budget, bounds and ``lowest`` apply; False when the class was too uncertain or
    the crossing guard held it on Sonnet."""

    tier: Tier
    line: str
    reason: str
    own: bool


def class_step(
    pred: ClassPrediction, p: RoutingPolicy, mass: Mapping[Tier, float] | None = None
) -> ClassStep:
    """The class tier, the policy line that applied and why (``mass``: the prediction's
    :func:`tier_mass`, when the caller has it already).

    The top class's policy line applies unless the posterior is split: below
    ``class_min_confidence`` with a runner-up whose line serves it differently (another
    tier, or the same tier with another thinking budget), or, for a Haiku or Opus class,
    with ``class_crossing_guard`` or more of the evidence on classes of the opposite
    extreme. A split between tiers takes Sonnet, one tier from either; a split over a
    thinking budget keeps the shared tier without the class's budget, so an uncertain
    guess does not buy thinking that only one of the two classes asks for ("explain ...
    step by step" read as maths at 0.28 against routine code).
    """
    rule = p.classes[pred.name]
    other = p.classes[pred.runner_up]
    what = (
        f"task class {pred.name} ({pred.confidence:.2f}; runner-up {pred.runner_up} "
        f"{pred.runner_up_confidence:.2f})"
    )
    if pred.confidence < p.class_min_confidence:
        line = f"routing.class_min_confidence = {p.class_min_confidence}"
        if other.tier is not rule.tier:
            return ClassStep(
                Tier.SONNET,
                line,
                f"{what} is uncertain and the two classes default to {rule.tier.value} and "
                f"{other.tier.value}: sonnet ({line})",
                own=False,
            )
        if (rule.thinking_budget or 0) != (other.thinking_budget or 0):
            return ClassStep(
                rule.tier,
                line,
                f"{what} is uncertain and the two classes differ only in their thinking "
                f"budget: {rule.tier.value} without the class's budget ({line})",
                own=False,
            )
    if mass is None:
        mass = tier_mass(pred, p)
    blocked = _crossing_block(rule.tier, mass, p)
    if blocked:
        line = f"routing.class_crossing_guard = {p.class_crossing_guard:g}"
        return ClassStep(
            Tier.SONNET,
            line,
            f"{what} defaults to {rule.tier.value}, but {blocked}: sonnet "
            f"(class evidence per tier: {_mass_text(mass)})",
            own=False,
        )
    line = rule.line(pred.name)
    return ClassStep(rule.tier, line, f"{what} defaults to {rule.tier.value} ({line})", own=True)


def _difficulty_step(
    class_tier: Tier, sc: _Score, p: RoutingPolicy, mass: Mapping[Tier, float]
) -> tuple[Tier, str]:
    final = sc.final
    order = Tier.ordered()
    i = order.index(class_tier)
    if final >= p.opus_threshold and i + 1 < len(order):
        up = order[i + 1]
        blocked = _crossing_block(up, mass, p)
        if not blocked:
            return up, (
                f"difficulty {final:.2f} reaches the step-up threshold {p.opus_threshold:.2f}: "
                f"one tier up to {up.value}"
            )
        return class_tier, f"difficulty {final:.2f} would step up, but {blocked}"
    if final < p.haiku_threshold and i > 0:
        down = order[i - 1]
        blocked = _crossing_block(down, mass, p)
        if not blocked:
            return down, (
                f"difficulty {final:.2f} is below the step-down threshold "
                f"{p.haiku_threshold:.2f}: one tier down to {down.value}"
            )
        return class_tier, f"difficulty {final:.2f} would step down, but {blocked}"
    return class_tier, f"difficulty {final:.2f} keeps the class default {class_tier.value}"


def _class_bounds(routed: Tier, own: bool, rule: ClassRule, name: str, reasons: list[str]) -> Tier:
    """The difficulty step held within the class line's ``min_tier``/``max_tier``: measured
    evidence (``tierwise evaluate --apply``) outranks the difficulty estimate. Bounds apply
    only when the class line itself set the tier (not when an unsure class fell to Sonnet)."""
    if not own:
        return routed
    held = routed.clamp(rule.min_tier, rule.max_tier)
    if held is not routed:
        key = "min_tier" if held.rank > routed.rank else "max_tier"
        reasons.append(
            f"held at {held.value} by routing.classes.{name}.{key} (difficulty moved it to "
            f"{routed.value})"
        )
    return held


def _apply_hints(
    routed: Tier, want_thinking: bool, h: Hints, p: RoutingPolicy, reasons: list[str]
) -> tuple[Tier, bool, bool]:
    """(tier, want thinking, thinking at full budget) after the caller's hints."""
    if h.force_tier is not None:
        if h.force_tier is not routed:
            reasons.append(f"caller forced tier {h.force_tier.value} (routed {routed.value})")
        return h.force_tier, want_thinking, False
    tier, full = routed, False
    if h.high_stakes and tier is not Tier.OPUS:
        if p.high_stakes_floor == "opus":
            tier = Tier.OPUS
            reasons.append("high-stakes: raised to opus")
        else:
            tier, want_thinking, full = Tier.SONNET, True, True
            reasons.append("high-stakes: at least sonnet with extended thinking")
    clamped = tier.clamp(h.min_tier, h.max_tier)
    if clamped.rank > tier.rank and h.min_tier is not None:
        reasons.append(f"caller required at least {h.min_tier.value}")
    elif clamped.rank < tier.rank and h.max_tier is not None:
        reasons.append(f"caller capped max tier at {h.max_tier.value}")
        # Held below Opus, thinking is the next-best way to spend effort on a hard request.
        want_thinking = want_thinking or tier is Tier.OPUS
    return clamped, want_thinking, full


def decide_signals(
    signals: Signals,
    *,
    hints: Hints | None = None,
    policy: RoutingPolicy,
    scorer: DifficultyScorer | None = None,
    class_scorer: ClassScorer | None = None,
) -> Decision:
    """:func:`decide` for signals already extracted."""
    h = hints or Hints()
    p = policy
    pred = predict_class(signals, class_scorer)
    mass = tier_mass(pred, p)  # once: the class step and the difficulty step both read it
    step = class_step(pred, p, mass)
    class_tier, line, class_reason = step.tier, step.line, step.reason
    sc = _score(signals, p, scorer, h)
    final = sc.final
    reasons = [class_reason, *_score_reasons(sc, p, scorer.version if scorer is not None else "")]
    routed, step_reason = _difficulty_step(class_tier, sc, p, mass)
    reasons.append(step_reason)
    rule = p.classes[pred.name]
    routed = _class_bounds(routed, step.own, rule, pred.name, reasons)
    band = routed is Tier.SONNET and final >= p.sonnet_thinking_threshold
    # The class's own budget applies when the request stayed on the class's tier.
    class_budget = rule.thinking_budget if routed is rule.tier and step.own else None
    tier, want_thinking, full = _apply_hints(routed, band, h, p, reasons)

    budget: int | None = None
    band_budget = tier is Tier.SONNET and want_thinking
    if band_budget or (class_budget and tier is routed):
        blocked = _thinking_block(signals, p, h, tier, band_budget and not class_budget)
        if blocked:
            reasons.append(blocked)
        else:
            if full:
                wanted = p.thinking_max_budget
            elif band_budget:
                wanted = max(p.thinking_budget_for(final), class_budget or 0)
            else:
                wanted = class_budget or 0
            # The caller's maxTokens caps thinking and answer together; _thinking_block has
            # made sure a usable budget fits.
            fitted = fit_thinking_budget(wanted, signals.max_tokens)
            if fitted:
                budget = fitted
                reasons.append(f"{tier.value} with a {budget:,}-token thinking budget")

    scores: dict[str, float] = {"prior": p.prior}
    if sc.learned is not None:
        scores["learned"] = sc.learned
    scores.update(
        base_logit=sc.base_logit,
        rules_logit=sc.rules_logit,
        final_logit=sc.final_logit,
        final=final,
        class_confidence=pred.confidence,
    )
    for e in sc.evidence:
        scores[f"rule.{e.key}"] = scores.get(f"rule.{e.key}", 0.0) + e.logit
    suffix = scorer.version if scorer is not None else "prior"
    lowest, lowest_budget = _lowest(signals, p, h, rule, routed, step.own, tier, final)
    return Decision(
        tier=tier,
        thinking_budget=budget,
        score=final,
        scores=MappingProxyType(scores),
        thresholds=MappingProxyType(p.thresholds()),
        reasons=tuple(reasons),
        signals=MappingProxyType(signals.to_dict()),
        policy_version=f"{p.label}+{pred.scorer}+{suffix}",
        routed_tier=routed,
        task_class=pred,
        class_tier=class_tier,
        policy_line=line,
        lowest=lowest,
        lowest_thinking_budget=lowest_budget,
    )


def decide(
    request: Mapping[str, Any],
    *,
    hints: Hints | None = None,
    policy: RoutingPolicy,
    scorer: DifficultyScorer | None = None,
    class_scorer: ClassScorer | None = None,
) -> Decision:
    """Route a Converse request. ``scorer=None`` uses rule evidence alone for difficulty;
    ``class_scorer=None`` the cue classifier for the task class."""
    return decide_signals(
        extract_signals(request),
        hints=hints,
        policy=policy,
        scorer=scorer,
        class_scorer=class_scorer,
    )


def score_only(
    request: Mapping[str, Any], policy: RoutingPolicy, scorer: DifficultyScorer | None = None
) -> float:
    """The final score with no hints applied (for eval baselines and calibration).

    ``scorer=None`` gives the rules-only score (rules plus the neutral prior).
    """
    return _score(extract_signals(request), policy, scorer, Hints()).final
