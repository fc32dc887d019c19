"""Routing rules: the policy's thresholds and weights, and the evidence rules find.

Each rule reads :class:`~tierwise.core.signals.Signals` and, when it fires, contributes a
logit-space weight and a human-readable reason. Negative weights lean to Haiku, positive to
Opus. :class:`RoutingPolicy` holds every number the router uses; its defaults equal those in
``defaults.toml`` (a test holds the two together), so the core works without settings.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from functools import cached_property
from types import MappingProxyType
from typing import Literal

from tierwise.core.hints import Hints
from tierwise.core.signals import Signals
from tierwise.core.taxonomy import DEFAULT_CLASS_RULES, ClassRule, validate_class_names
from tierwise.core.tiers import Tier
from tierwise.core.tool_risk import (
    DESTRUCTIVE_TOOL_WORDS,
    is_destructive_tool,
    tool_words,
    verb_forms,
)
from tierwise.errors import ConfigError

__all__ = [
    "DEFAULT_WEIGHTS",
    "DESTRUCTIVE_TOOL_WORDS",
    "DIFFICULTY_EVIDENCE",
    "MIN_ANSWER_TOKENS",
    "MIN_THINKING_BUDGET",
    "SIZE_EVIDENCE",
    "Evidence",
    "HighStakesFloor",
    "RoutingPolicy",
    "evidence",
    "fit_thinking_budget",
    "is_destructive_tool",
    "logit",
    "sigmoid",
    "tool_words",
    "verb_forms",
]

# Room kept for the answer when a thinking budget must fit inside a caller's maxTokens.
MIN_ANSWER_TOKENS = 1024
MIN_THINKING_BUDGET = 1024  # Claude refuses a smaller budget_tokens


def fit_thinking_budget(budget: int, max_tokens: int | None) -> int:
    """``budget`` fitted inside a caller's ``max_tokens`` (both APIs count thinking in it),
    leaving :data:`MIN_ANSWER_TOKENS` for the answer; 0 when no usable budget fits."""
    if max_tokens is None:
        return budget
    fitted = min(budget, max_tokens - MIN_ANSWER_TOKENS)
    return fitted if fitted >= MIN_THINKING_BUDGET else 0


# Logit-space difficulty evidence. Negative leans one tier down from the task class's
# default, positive one tier up. Small-answer cues weigh as much as difficulty cues.
DEFAULT_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {
        "classification": -1.5,
        "closed_label_set": -1.5,
        "yes_no": -1.5,
        "json_keys": -1.5,
        "triage": -1.2,
        "extraction": -1.2,
        "short_form": -1.5,
        "format_conversion": -1.0,
        "bulk": -0.5,
        "short_output": -1.5,
        "latency_sensitive": -1.0,
        "proof": 2.0,
        "multi_step_math": 1.5,
        "math": 0.5,
        "reconcile": 1.5,
        "research": 1.5,
        "large_refactor": 1.5,
        "architecture": 1.5,
        "high_stakes": 2.0,
        "high_stakes_hint": 2.0,
        "destructive_tools": 0.7,
        "passage": 0.3,
        "passages_cap": 1.2,
        "large_code": 0.5,
        "big_input": 0.5,
        "images": 0.3,
        "many_tools": 0.3,
        "conversation_message": 0.1,
        "conversation_cap": 0.5,
        "long_output": 0.5,
    }
)

_HAIKU_CUE_REASONS = {
    "classification": "classification task",
    "closed_label_set": "answer limited to a closed label set",
    "yes_no": "yes/no answer requested",
    "json_keys": "JSON with given keys requested",
    "triage": "routing/triage task",
    "extraction": "extraction from the given text",
    "short_form": "short-form generation (title, subject line, tweet)",
    "format_conversion": "simple format conversion",
    "bulk": "bulk or first-stage processing",
}
_OPUS_CUE_REASONS = {
    "proof": "proof or derivation requested",
    "reconcile": "conflicting information to reconcile or synthesize",
    "research": "research-style synthesis requested",
    "architecture": "system-design or concurrency problem",
    "high_stakes": "high-stakes action in the request (hard to undo)",
}
_EPS = 1e-6

HighStakesFloor = Literal["opus", "sonnet_thinking"]


def logit(p: float) -> float:
    p = min(max(p, _EPS), 1.0 - _EPS)
    return math.log(p / (1.0 - p))


def sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


@dataclass(frozen=True)
class RoutingPolicy:
    """Thresholds, weights and limits for :func:`decide`; built from config ``[routing]``.

    The defaults here equal ``defaults.toml``'s (a test holds them together), so the core is
    usable without loading settings.
    """

    version: str = "rules-v1"
    prior: float = 0.5
    learned_center: float = 0.5
    learned_weight: float = 1.0
    # Difficulty thresholds: below haiku_threshold a request moves one tier down from its
    # class default, at or above opus_threshold one tier up; a Sonnet result from
    # sonnet_thinking_threshold up gets a thinking budget.
    haiku_threshold: float = 0.10
    sonnet_thinking_threshold: float = 0.65
    opus_threshold: float = 0.85
    classes: Mapping[str, ClassRule] = field(default_factory=lambda: dict(DEFAULT_CLASS_RULES))
    # Below this class probability, when the runner-up class defaults to another tier, the
    # request takes Sonnet (the default) rather than either class's tier.
    class_min_confidence: float = 0.35
    # Haiku or Opus (from the class or a difficulty step) only while the classes of the
    # opposite extreme hold less than this share of the class evidence (the posterior
    # above its floor; core.routing.tier_mass); else Sonnet.
    class_crossing_guard: float = 0.15
    thinking_band: bool = True
    thinking_min_budget: int = 1024
    thinking_max_budget: int = 8192
    thinking_tiers: frozenset[Tier] = frozenset(Tier)
    high_stakes_floor: HighStakesFloor = "opus"
    weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    many_passages: int = 5
    large_code_lines: int = 300
    refactor_min_files: int = 3
    refactor_min_code_lines: int = 150
    big_input_tokens: int = 20_000
    deep_conversation_messages: int = 10
    many_tools: int = 10
    short_output_tokens: int = 64
    long_output_tokens: int = 8192
    scorer_max_chars: int = 4000
    scorer_context_chars: int = 500
    # Paragraphs longer than this are pasted material the learned model does not read
    # (core.routing.instructions); 0 reads everything.
    scorer_material_chars: int = 1000
    # Size evidence (SIZE_EVIDENCE) counts only alongside a difficulty cue (DIFFICULTY_EVIDENCE).
    size_needs_difficulty_cue: bool = True

    def __post_init__(self) -> None:
        unknown = sorted(set(self.weights) - set(DEFAULT_WEIGHTS))
        if unknown:
            raise ConfigError(
                f"config key `routing.weights`: unknown weight(s) {', '.join(unknown)}",
                hint=f"known weights: {', '.join(sorted(DEFAULT_WEIGHTS))}",
            )
        merged = {**DEFAULT_WEIGHTS, **self.weights}
        object.__setattr__(self, "weights", MappingProxyType(merged))
        validate_class_names(self.classes, "routing.classes")
        classes = {**DEFAULT_CLASS_RULES, **self.classes}
        object.__setattr__(self, "classes", MappingProxyType(classes))
        if not 0.0 <= self.class_min_confidence < 1.0:
            raise ConfigError("config key `routing.class_min_confidence`: must be in [0, 1)")
        if not 0.0 < self.class_crossing_guard <= 1.0:
            raise ConfigError(
                "config key `routing.class_crossing_guard`: must be in (0, 1] (1 turns the "
                "guard off)"
            )
        for key in ("prior", "learned_center"):
            if not 0.0 < getattr(self, key) < 1.0:
                raise ConfigError(f"config key `routing.{key}`: must be strictly between 0 and 1")
        if self.learned_weight < 0:
            raise ConfigError("config key `routing.learned_weight`: must be 0 or more")
        if not (
            0.0
            < self.haiku_threshold
            <= self.sonnet_thinking_threshold
            <= self.opus_threshold
            < 1.0
        ):
            raise ConfigError(
                "config keys `routing.*_threshold`: need 0 < haiku_threshold <= "
                "sonnet_thinking_threshold <= opus_threshold < 1, got "
                f"{self.haiku_threshold}, {self.sonnet_thinking_threshold}, "
                f"{self.opus_threshold}"
            )
        if not 1024 <= self.thinking_min_budget <= self.thinking_max_budget:
            raise ConfigError(
                "config keys `routing.thinking_*_budget`: need 1024 <= thinking_min_budget "
                "<= thinking_max_budget (Bedrock's smallest thinking budget is 1024 tokens)"
            )
        if self.high_stakes_floor not in ("opus", "sonnet_thinking"):
            raise ConfigError(
                "config key `routing.high_stakes_floor`: must be 'opus' or 'sonnet_thinking'"
            )

    @cached_property
    def label(self) -> str:
        """``version``, plus a fingerprint of the numbers when they differ from the defaults.

        The ledger records this, so decisions made under tuned thresholds stay tellable apart.
        Every decision carries it and the policy is frozen, so it is worked out once (it
        builds a default policy and hashes every field: ~80 us).
        """
        if self == RoutingPolicy(version=self.version, thinking_tiers=self.thinking_tiers):
            return self.version
        parts = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("weights", "classes"):
                value = sorted(value.items())
            elif f.name == "thinking_tiers":
                value = sorted(t.value for t in value)
            parts.append(f"{f.name}={value!r}")
        digest = hashlib.sha256(";".join(parts).encode()).hexdigest()[:8]
        return f"{self.version}.{digest}"

    def w(self, name: str) -> float:
        return self.weights[name]

    def thresholds(self) -> dict[str, float]:
        return {
            "haiku": self.haiku_threshold,
            "sonnet_thinking": self.sonnet_thinking_threshold,
            "opus": self.opus_threshold,
        }

    def tier_for(self, score: float) -> Tier:
        if score < self.haiku_threshold:
            return Tier.HAIKU
        if score >= self.opus_threshold:
            return Tier.OPUS
        return Tier.SONNET

    def thinking_budget_for(self, score: float) -> int:
        """Budget by position in the thinking band: min at its bottom, max at Opus's line."""
        low, high = self.sonnet_thinking_threshold, self.opus_threshold
        frac = 1.0 if high <= low else min(max((score - low) / (high - low), 0.0), 1.0)
        span = self.thinking_max_budget - self.thinking_min_budget
        return self.thinking_min_budget + int(span * frac)


@dataclass(frozen=True, slots=True)
class Evidence:
    key: str
    logit: float
    reason: str


def _cue_evidence(s: Signals, p: RoutingPolicy) -> list[Evidence]:
    reasons = dict(_HAIKU_CUE_REASONS)
    if s.has("classification") and s.has("closed_label_set"):
        # One finding, told once: the pair is the clearest Haiku case there is.
        short = "short " if len(s.user_text) < 2000 else ""
        reasons["classification"] = f"{short}classification prompt with a closed label set"
        reasons["closed_label_set"] = ""
    found = s.cues  # Signals.has, without a method call per listed cue
    out = [Evidence(cue, p.w(cue), reasons[cue]) for cue in reasons if cue in found]
    out.extend(
        Evidence(cue, p.w(cue), reason) for cue, reason in _OPUS_CUE_REASONS.items() if cue in found
    )
    if s.has("step_by_step") and s.has("math"):
        out.append(Evidence("multi_step_math", p.w("multi_step_math"), "multi-step math"))
    elif s.has("math"):
        out.append(Evidence("math", p.w("math"), "advanced mathematics"))
    big_code = s.code_lines >= p.refactor_min_code_lines
    many_files = s.files_referenced >= p.refactor_min_files
    if s.has("refactor") and (big_code or many_files or s.has("codebase")):
        scope = []
        if many_files:
            scope.append(f"{s.files_referenced} files")
        if big_code:
            scope.append(f"{s.code_lines} lines of code")
        what = " and ".join(scope) if scope else "a whole codebase"
        out.append(Evidence("large_refactor", p.w("large_refactor"), f"refactor across {what}"))
    return out


def _size_evidence(s: Signals, p: RoutingPolicy, hints: Hints, refactor: bool) -> list[Evidence]:
    out: list[Evidence] = []
    sources = s.passages + s.documents
    extra = sources - p.many_passages
    if extra > 0:
        logit = min(extra * p.w("passage"), p.w("passages_cap"))
        verb = "to reconcile" if s.has("reconcile") else "to read and combine"
        out.append(Evidence("passage", logit, f"{sources} retrieved passages {verb}"))
    if s.code_lines >= p.large_code_lines and not refactor:
        out.append(Evidence("large_code", p.w("large_code"), f"{s.code_lines} lines of code"))
    if s.input_tokens > p.big_input_tokens:
        out.append(
            Evidence("big_input", p.w("big_input"), f"large input (~{s.input_tokens:,} tokens)")
        )
    if s.images:
        noun = "image" if s.images == 1 else "images"
        out.append(Evidence("images", p.w("images"), f"{s.images} {noun} to interpret"))
    if s.tool_count >= p.many_tools:
        out.append(Evidence("many_tools", p.w("many_tools"), f"{s.tool_count} tools offered"))
    risky = s.risky_tools
    # An agent only looking ("show", "list", "how many...?") is not about to act, mid-loop
    # or not, whatever tools it is offered.
    looking = s.read_only_ask and not hints.high_stakes
    acting = not looking and bool(
        s.tool_results or s.action_requested or s.has("high_stakes") or hints.high_stakes
    )
    if risky and acting:
        out.append(
            Evidence(
                "destructive_tools",
                p.w("destructive_tools"),
                f"agent step that can call irreversible tools ({', '.join(risky[:3])})",
            )
        )
    deep = s.message_count - p.deep_conversation_messages
    if deep > 0:
        logit = min(deep * p.w("conversation_message"), p.w("conversation_cap"))
        out.append(
            Evidence("conversation", logit, f"long conversation ({s.message_count} messages)")
        )
    short = s.output_length == "short" or (
        s.max_tokens is not None and s.max_tokens <= p.short_output_tokens
    )
    long_ = s.output_length == "long" or (
        s.max_tokens is not None and s.max_tokens >= p.long_output_tokens
    )
    if short:
        out.append(Evidence("short_output", p.w("short_output"), "very short answer requested"))
    elif long_:
        out.append(Evidence("long_output", p.w("long_output"), "long, detailed answer requested"))
    if hints.latency_sensitive:
        out.append(
            Evidence("latency_sensitive", p.w("latency_sensitive"), "caller is latency-sensitive")
        )
    if hints.high_stakes:
        out.append(
            Evidence("high_stakes_hint", p.w("high_stakes_hint"), "caller marked it high-stakes")
        )
    return out


# How much material there is: it raises every tier's price, not the cheaper tier's failure
# rate, so alone it moves no request up (see size_needs_difficulty_cue).
SIZE_EVIDENCE = frozenset({"passage", "large_code", "big_input", "conversation", "many_tools"})
# Evidence that the task itself is hard; with it, size counts (more sources to reconcile,
# a bigger codebase to refactor, more at stake in an agent loop).
DIFFICULTY_EVIDENCE = frozenset(
    {
        "proof", "multi_step_math", "math", "reconcile", "research", "large_refactor",
        "architecture", "high_stakes", "high_stakes_hint", "destructive_tools",
    }
)  # fmt: skip


def evidence(s: Signals, p: RoutingPolicy, hints: Hints) -> tuple[Evidence, ...]:
    """Every rule that fires for ``s``, with its weight and reason, cues before sizes.

    Without a difficulty cue, size evidence is listed at weight 0
    (``size_needs_difficulty_cue``)."""
    cues = _cue_evidence(s, p)
    refactor = any(e.key == "large_refactor" for e in cues)
    found = cues + _size_evidence(s, p, hints, refactor)
    if p.size_needs_difficulty_cue and not any(e.key in DIFFICULTY_EVIDENCE for e in found):
        found = [
            Evidence(e.key, 0.0, f"{e.reason}: size only, not counted without a difficulty cue")
            if e.key in SIZE_EVIDENCE and e.logit > 0
            else e
            for e in found
        ]
    return tuple(found)
