"""Routing: which tier (and how much extended thinking) a request gets, and why.

Sonnet is the starting assumption; a request moves only for a stated reason. The score is
the probability that a cheaper tier's answer is not good enough. It starts from the learned
difficulty model's estimate (or the policy's neutral ``prior`` when there is no model), and
the rule evidence of :mod:`tierwise.core.rules` is added in logit space, so each rule is a
weight a reader can check and a config can change. Then::

    score <  haiku_threshold                          -> Haiku
    sonnet_thinking_threshold <= score < opus_threshold -> Sonnet with a thinking budget
    score >= opus_threshold                           -> Opus
    otherwise                                         -> Sonnet

Caller hints apply last. The result is a :class:`Decision` carrying the scores, thresholds
and human-readable reasons. Everything here is a pure function of its inputs: no clock, no
randomness, so the same request and policy give the same decision.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from tierwise.core.difficulty import DifficultyScorer
from tierwise.core.hints import Hints
from tierwise.core.rules import (
    MIN_ANSWER_TOKENS,
    SONNET_CUE_REASONS,
    Evidence,
    RoutingPolicy,
    evidence,
    fit_thinking_budget,
    logit,
    sigmoid,
    sonnet_cues,
)
from tierwise.core.signals import Signals, extract_signals
from tierwise.core.tiers import Tier
from tierwise.errors import ConfigError

__all__ = [
    "Decision",
    "DifficultyScorer",
    "Hints",
    "RoutingPolicy",
    "decide",
    "decide_signals",
    "score_only",
    "scorer_text",
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

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form for the ledger and ``tierwise route --json``."""
        return {
            "tier": self.tier.value,
            "thinking_budget": self.thinking_budget,
            "score": round(self.score, 6),
            "routed_tier": self.routed_tier.value,
            "scores": {k: round(v, 6) for k, v in self.scores.items()},
            "thresholds": dict(self.thresholds),
            "reasons": list(self.reasons),
            "signals": dict(self.signals),
            "policy_version": self.policy_version,
        }


def scorer_text(signals: Signals, policy: RoutingPolicy) -> str:
    """What the learned model reads: the last user turn (head and tail) plus a little system.

    Bounded so a 20k-token request costs the model no more than a short one; the head keeps
    the instructions, the tail the question that usually follows pasted material.
    """
    text = signals.user_text
    limit = policy.scorer_max_chars
    if len(text) > limit:
        head = limit * 3 // 4
        text = text[:head] + "\n" + text[-(limit - head) :]
    if signals.system_text and policy.scorer_context_chars > 0:
        text = f"{text}\n\n{signals.system_text[: policy.scorer_context_chars]}"
    return text


@dataclass(frozen=True, slots=True)
class _Score:
    learned: float | None
    base_logit: float
    evidence: tuple[Evidence, ...]
    sonnet_cues: tuple[str, ...]
    pull: float
    pull_cue: str

    @property
    def rules_logit(self) -> float:
        return sum(e.logit for e in self.evidence)

    @property
    def final_logit(self) -> float:
        return self.base_logit + self.rules_logit + self.pull

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
        # prior, so a model whose scores sit low overall does not drag everything to Haiku.
        base = prior + p.learned_weight * (logit(learned) - logit(p.learned_center))
    found = evidence(s, p, hints)
    sonnet = sonnet_cues(s)
    pre = base + sum(e.logit for e in found)
    pull, pull_cue = 0.0, ""
    if sonnet and pre < prior:
        # Sonnet-class cues are evidence for the default: they lift a low score back toward
        # the prior by at most their weight, and never push above it.
        pull_cue = max(sonnet, key=p.w)
        pull = min(p.w(pull_cue), prior - pre)
    return _Score(learned, base, found, sonnet, pull, pull_cue)


def _thinking_block(s: Signals, p: RoutingPolicy, hints: Hints) -> str:
    """Why extended thinking cannot be used for this request, or "" when it can."""
    if not p.thinking_band:
        return "thinking band disabled: plain sonnet"
    if Tier.SONNET not in p.thinking_tiers:
        return "sonnet tier does not support extended thinking: plain sonnet"
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


def _score_reasons(sc: _Score, p: RoutingPolicy, version: str) -> list[str]:
    reasons: list[str] = []
    if sc.learned is None:
        reasons.append(f"no learned model: neutral prior {p.prior:.2f}")
    else:
        reasons.append(
            f"learned difficulty {sc.learned:.2f} (typical {p.learned_center:.2f}; {version})"
        )
    ranked = sorted(sc.evidence, key=lambda e: -abs(e.logit))
    reasons.extend(f"{e.reason} ({e.logit:+.1f})" for e in ranked if e.reason)
    if sc.pull > 0:
        what = SONNET_CUE_REASONS[sc.pull_cue]
        reasons.append(f"{what} is Sonnet work: score held up ({sc.pull:+.1f})")
    return reasons


def _tier_reason(sc: _Score, p: RoutingPolicy, routed: Tier) -> str:
    final = sc.final
    if routed is Tier.HAIKU:
        return f"score {final:.2f} is below the haiku threshold {p.haiku_threshold:.2f}"
    if routed is Tier.OPUS:
        return f"score {final:.2f} reaches the opus threshold {p.opus_threshold:.2f}"
    if sc.sonnet_cues and sc.pull == 0 and final < p.sonnet_thinking_threshold:
        return f"{SONNET_CUE_REASONS[sc.sonnet_cues[0]]}: Sonnet work"
    quiet = not sc.evidence and not sc.sonnet_cues
    if quiet and (sc.learned is None or final < p.sonnet_thinking_threshold):
        return "no strong signal: Sonnet is the default"
    return (
        f"score {final:.2f} is between the haiku ({p.haiku_threshold:.2f}) and "
        f"opus ({p.opus_threshold:.2f}) thresholds: Sonnet"
    )


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
) -> Decision:
    """:func:`decide` for signals already extracted."""
    h = hints or Hints()
    p = policy
    sc = _score(signals, p, scorer, h)
    final = sc.final
    reasons = _score_reasons(sc, p, scorer.version if scorer is not None else "")
    routed = p.tier_for(final)
    reasons.append(_tier_reason(sc, p, routed))
    tier, want_thinking, full = _apply_hints(
        routed, final >= p.sonnet_thinking_threshold, h, p, reasons
    )

    budget: int | None = None
    if tier is Tier.SONNET and want_thinking:
        blocked = _thinking_block(signals, p, h)
        if blocked:
            reasons.append(blocked)
        else:
            budget = p.thinking_max_budget if full else p.thinking_budget_for(final)
            # The caller's maxTokens caps thinking and answer together; _thinking_block has
            # made sure a usable budget fits.
            budget = fit_thinking_budget(budget, signals.max_tokens)
            reasons.append(f"sonnet with a {budget:,}-token thinking budget")

    scores: dict[str, float] = {"prior": p.prior}
    if sc.learned is not None:
        scores["learned"] = sc.learned
    scores.update(
        base_logit=sc.base_logit,
        rules_logit=sc.rules_logit,
        sonnet_pull=sc.pull,
        final_logit=sc.final_logit,
        final=final,
    )
    for e in sc.evidence:
        scores[f"rule.{e.key}"] = scores.get(f"rule.{e.key}", 0.0) + e.logit
    suffix = scorer.version if scorer is not None else "prior"
    return Decision(
        tier=tier,
        thinking_budget=budget,
        score=final,
        scores=MappingProxyType(scores),
        thresholds=MappingProxyType(p.thresholds()),
        reasons=tuple(reasons),
        signals=MappingProxyType(signals.to_dict()),
        policy_version=f"{p.label}+{suffix}",
        routed_tier=routed,
    )


def decide(
    request: Mapping[str, Any],
    *,
    hints: Hints | None = None,
    policy: RoutingPolicy,
    scorer: DifficultyScorer | None = None,
) -> Decision:
    """Route a Converse request. ``scorer=None`` is the rules-only router."""
    return decide_signals(extract_signals(request), hints=hints, policy=policy, scorer=scorer)


def score_only(
    request: Mapping[str, Any], policy: RoutingPolicy, scorer: DifficultyScorer | None = None
) -> float:
    """The final score with no hints applied (for eval baselines and calibration).

    ``scorer=None`` gives the rules-only score (rules plus the neutral prior).
    """
    return _score(extract_signals(request), policy, scorer, Hints()).final
